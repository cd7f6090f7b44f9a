using System.Globalization;

namespace Lilium.Testing.Netns;

/// <summary>
/// What a shaped link does to the packets leaving one end of a <see cref="NetworkNamespace"/>'s veth pair: a rate limit
/// (tc <c>tbf</c>: a token bucket of <see cref="BurstBytes"/> refilled at <see cref="RateKbit"/>, and a queue that holds at
/// most <see cref="QueueMs"/> of traffic at that rate — beyond it packets are dropped, as at a real bottleneck), and/or
/// delay and random loss (tc <c>netem</c>, which needs the kernel's <c>sch_netem</c>).
/// </summary>
public sealed record LinkShape
{
    /// <summary>Rate limit in kbit/s (tbf), or null for none.</summary>
    public int? RateKbit { get; init; }

    /// <summary>The token bucket: what may pass at line rate after a pause. Null: 10 ms at the rate, at least 2,000 bytes (more than one MTU).</summary>
    public int? BurstBytes { get; init; }

    /// <summary>The bottleneck's queue, in milliseconds at the rate (tbf's <c>latency</c>).</summary>
    public int QueueMs { get; init; } = 100;

    /// <summary>One-way delay added (netem), or 0.</summary>
    public int DelayMs { get; init; }

    /// <summary>Random loss in percent (netem), or 0.</summary>
    public double LossPercent { get; init; }

    /// <summary>A rate limit with the default burst and queue.</summary>
    public static LinkShape Rate(int kbit) => new() { RateKbit = kbit };

    internal bool NeedsNetem => DelayMs > 0 || LossPercent > 0;

    /// <summary>The <c>tc qdisc replace dev … root</c> arguments after <c>root</c>.</summary>
    internal IReadOnlyList<string> QdiscArguments()
    {
        if (RateKbit is < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(RateKbit), RateKbit, "a rate of at least 8 kbit/s");
        }

        var inv = CultureInfo.InvariantCulture;
        if (NeedsNetem)
        {
            List<string> netem = ["netem"];
            if (DelayMs > 0)
            {
                netem.AddRange(["delay", $"{DelayMs}ms"]);
            }

            if (LossPercent > 0)
            {
                netem.AddRange(["loss", LossPercent.ToString("0.###", inv) + "%"]);
            }

            if (RateKbit is { } r)
            {
                // netem's own rate and a queue of QueueMs at it (in packets of ~1,200 bytes, at least 10).
                netem.AddRange(["rate", $"{r}kbit", "limit", Math.Max(10, r * QueueMs / (8 * 1200)).ToString(inv)]);
            }

            return netem;
        }

        if (RateKbit is not { } rate)
        {
            throw new InvalidOperationException("a link shape needs a rate, a delay or a loss");
        }

        var burst = BurstBytes ?? Math.Max(2_000, rate * 1000 / 8 / 100);
        return ["tbf", "rate", $"{rate}kbit", "burst", burst.ToString(inv), "latency", $"{QueueMs}ms"];
    }

    public override string ToString() =>
        string.Join(", ", new[]
        {
            RateKbit is { } r ? $"{r} kbit/s (queue {QueueMs} ms)" : null,
            DelayMs > 0 ? $"+{DelayMs} ms" : null,
            LossPercent > 0 ? $"{LossPercent.ToString(CultureInfo.InvariantCulture)} % loss" : null,
        }.Where(s => s is not null));
}

/// <summary>Which way a <see cref="LinkShape"/> applies.</summary>
public enum LinkDirection
{
    /// <summary>Packets from the host into the namespace (a viewer's download): shaped on the host's end of the pair.</summary>
    IntoNamespace,

    /// <summary>Packets from the namespace to the host (a viewer's or host's upload): shaped on the namespace's end.</summary>
    OutOfNamespace,
}
