using System.Text.Json;

namespace Lilium.Bench;

/// <summary>How every benchmark writes its result: indented JSON to bench/results/NAME.json, and the same to stdout.</summary>
public static class BenchJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Serializes <paramref name="result"/> to <paramref name="path"/> (creating its folder) and prints it.</summary>
    public static async Task WriteAsync(string path, object result)
    {
        var json = JsonSerializer.Serialize(result, result.GetType(), Indented);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, json + "\n");
        Console.WriteLine(json);
    }

    /// <summary>The load average over the last minute (/proc/loadavg), the figure each result records with its run.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";

    /// <summary>The CPU's model name (/proc/cpuinfo).</summary>
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "" : "";
}
