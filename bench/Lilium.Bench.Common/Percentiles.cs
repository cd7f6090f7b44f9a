namespace Lilium.Bench;

/// <summary>The one percentile every benchmark reports.</summary>
public static class Percentiles
{
    /// <summary>
    /// The nearest-rank percentile of an ascending sample: the smallest value with at least <paramref name="q"/> of the
    /// sample at or below it, i.e. the ⌈q·n⌉-th value (1-based). NaN for an empty sample. <paramref name="q"/> is a
    /// fraction in (0, 1]; q = 0.5 over 1..100 gives 50, q = 0.99 gives 99.
    /// </summary>
    public static double NearestRank(ReadOnlySpan<double> sorted, double q)
    {
        if (q is <= 0 or > 1 || double.IsNaN(q))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "a percentile is a fraction in (0, 1]");
        }

        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <inheritdoc cref="NearestRank(ReadOnlySpan{double}, double)"/>
    public static double NearestRank(List<double> sorted, double q) => NearestRank(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sorted), q);

    /// <summary>
    /// The median of an ascending sample: its middle value, or the mean of its two middle values when the count is
    /// even (what "the median of the runs" means in the results). NaN for an empty sample.
    /// </summary>
    public static double Median(ReadOnlySpan<double> sorted) =>
        sorted.IsEmpty ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>The nearest-rank percentile of an ascending sample of <see cref="long"/> values (Stopwatch ticks, say).</summary>
    public static long NearestRank(ReadOnlySpan<long> sorted, double q)
    {
        if (q is <= 0 or > 1 || double.IsNaN(q))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "a percentile is a fraction in (0, 1]");
        }

        if (sorted.IsEmpty)
        {
            throw new ArgumentException("the sample is empty", nameof(sorted));
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
