using System.Diagnostics;
using System.Globalization;

namespace Lilium.Bench;

/// <summary>
/// Starts a process pinned to one CPU with taskset (taskset execs, so the pid is the process's own), and reads the
/// CPU time of a process or a core from /proc.
/// </summary>
public static class PinnedProcess
{
    /// <summary>Whether taskset is there; without it processes start unpinned.</summary>
    public static bool CanPin => File.Exists("/usr/bin/taskset");

    /// <summary>Starts <paramref name="file"/> on CPU <paramref name="cpu"/>, its output and errors copied to stderr with <paramref name="logPrefix"/>.</summary>

    public static Process Start(string cpu, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logPrefix)
    {
        var start = new ProcessStartInfo(CanPin ? "/usr/bin/taskset" : file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (CanPin)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpu);
            start.ArgumentList.Add(file);
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        DataReceivedEventHandler log = (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine(logPrefix + e.Data);
            }
        };
        process.OutputDataReceived += log;
        process.ErrorDataReceived += log;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>User plus system CPU seconds of a process, from /proc/&lt;pid&gt;/stat (fields 14 and 15, in clock ticks).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }

    /// <summary>
    /// Busy CPU seconds of one core since boot, from /proc/stat (user + nice + system + irq + softirq). This kernel
    /// accounts softirq time to the core rather than to the process it interrupted, and on loopback the kernel
    /// delivers each sent datagram to its receiver in softirq on the sender's core: the SFU's process time leaves
    /// that out, the core's busy time includes it (and anything else that ran there), so the benchmark uses the
    /// core's figure, the conservative one.
    /// </summary>
    public static double CoreBusySeconds(int cpu)
    {
        var prefix = $"cpu{cpu.ToString(CultureInfo.InvariantCulture)} ";
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                var f = line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                return (f[0] + f[1] + f[2] + f[5] + f[6]) / 100.0; // user nice system [idle iowait] irq softirq
            }
        }

        return double.NaN;
    }

    /// <summary>Kills the process and its children and waits up to 5 s for it.</summary>
    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
    }
}
