using System.Diagnostics;
using System.Globalization;

/// <summary>Starts a process pinned to one CPU with taskset (taskset execs, so the pid is the process's own).</summary>
internal static class PinnedProcess
{
    public static bool CanPin => File.Exists("/usr/bin/taskset");

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

    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
    }
}
