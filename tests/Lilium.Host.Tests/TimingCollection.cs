namespace Lilium.Host.Tests;

/// <summary>
/// Tests that bound a latency (a late viewer's first frame within 500 ms) run alone, after the parallel ones: another
/// class encoding a 1080p screen on the same two cores would measure the machine, not the host.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
