using System.Globalization;
using System.Text;

namespace Lilium.Relay.Observability;

/// <summary>
/// A lock-free latency histogram with exponential buckets (×1.25 from 1 µs to ~1.6 s), rendered as
/// a Prometheus histogram in seconds. Fine enough to read a p99 from bucket deltas.
/// </summary>
internal sealed class LatencyHistogram
{
    private const double Growth = 1.25;
    private static readonly double[] UpperSeconds = Enumerable.Range(0, 64).Select(i => 1e-6 * Math.Pow(Growth, i)).ToArray();
    private readonly long[] _counts = new long[UpperSeconds.Length + 1];
    private long _sumTicks;

    public void Record(long elapsedTicks)
    {
        var seconds = elapsedTicks / (double)System.Diagnostics.Stopwatch.Frequency;
        var index = Array.BinarySearch(UpperSeconds, seconds);
        index = index >= 0 ? index : ~index;
        Interlocked.Increment(ref _counts[index]);
        Interlocked.Add(ref _sumTicks, elapsedTicks);
    }

    public void Render(StringBuilder sb, string name, string help)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(" histogram\n");
        long cumulative = 0;
        for (var i = 0; i < UpperSeconds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            sb.Append(name).Append("_bucket{le=\"").Append(UpperSeconds[i].ToString("G6", CultureInfo.InvariantCulture)).Append("\"} ")
              .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += Interlocked.Read(ref _counts[^1]);
        sb.Append(name).Append("_bucket{le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append(name).Append("_sum ").Append((Interlocked.Read(ref _sumTicks) / (double)System.Diagnostics.Stopwatch.Frequency).ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append(name).Append("_count ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
