using System.Globalization;

namespace Lilium.Relay.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every sample must belong to a family
/// announced by <c># TYPE</c>, values must parse, and a family is announced once.
/// </summary>
internal sealed class PrometheusText
{
    private PrometheusText(Dictionary<string, string> types, Dictionary<string, string> help, List<Sample> samples) =>
        (Types, Help, Samples) = (types, help, samples);

    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyDictionary<string, string> Help { get; }

    public IReadOnlyList<Sample> Samples { get; }

    public double Value(string name, string? labels = null) =>
        Samples.Single(s => s.Name == name && s.Labels == (labels ?? "")).Value;

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Contains(parts[1], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                Assert.True(types.TryAdd(parts[0], parts[1]), $"{parts[0]} is announced twice");
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var space = line.IndexOf(' ', 7);
                help[line[7..space]] = line[(space + 1)..];
                continue;
            }

            Assert.False(line.StartsWith('#'), $"unexpected comment: {line}");
            var valueAt = line.LastIndexOf(' ');
            var series = line[..valueAt];
            var brace = series.IndexOf('{', StringComparison.Ordinal);
            var name = brace < 0 ? series : series[..brace];
            var labels = brace < 0 ? "" : series[(brace + 1)..^1];
            var raw = line[(valueAt + 1)..];
            var value = raw switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            var family = types.ContainsKey(name) ? name
                : name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^7]
                : name.EndsWith("_count", StringComparison.Ordinal) ? name[..^6]
                : name.EndsWith("_sum", StringComparison.Ordinal) ? name[..^4]
                : name;
            Assert.True(types.ContainsKey(family), $"sample {name} has no # TYPE");
            samples.Add(new Sample(family, name, labels, value));
        }

        return new PrometheusText(types, help, samples);
    }

    internal sealed record Sample(string Family, string Name, string Labels, double Value);
}
