using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Lilium.RelaySupervisor;

/// <summary>One relay process the supervisor started (a "task"): its id, ports, process and last /health answer.</summary>
internal sealed partial class RelayProcess : IDisposable
{
    private const int MaxLogLines = 400;
    private readonly Queue<string> _log = new();
    private readonly StreamWriter? _logFile;

    private RelayProcess(string relayId, int slot, int httpPort, int udpPort, Process process, StreamWriter? logFile)
    {
        RelayId = relayId;
        Slot = slot;
        HttpPort = httpPort;
        UdpPort = udpPort;
        Process = process;
        _logFile = logFile;
        BaseUrl = new Uri($"http://127.0.0.1:{httpPort}/");
    }

    public string RelayId { get; }

    /// <summary>Which port pair it holds (reused once the process is gone); ids are never reused.</summary>
    public int Slot { get; }

    public int HttpPort { get; }

    public int UdpPort { get; }

    public Uri BaseUrl { get; }

    public Process Process { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>When the supervisor sent SIGTERM (null: it did not; an exit then is a death).</summary>
    public DateTimeOffset? StopRequestedAt { get; set; }

    /// <summary>The last /health status (<c>starting</c>, <c>ready</c>, <c>draining</c>, <c>no-address</c>), null before an answer.</summary>
    public string? Status { get; set; }

    public int Sessions { get; set; }

    public int Peers { get; set; }

    public bool HasExited
    {
        get
        {
            try
            {
                return Process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>The last lines the relay wrote.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    public static RelayProcess Start(string command, string relayId, int slot, int httpPort, int udpPort, IReadOnlyDictionary<string, string> environment, string? logDirectory)
    {
        var dll = command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var psi = new ProcessStartInfo(dll ? "dotnet" : command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(command)) ?? ".",
        };
        if (dll)
        {
            psi.ArgumentList.Add(command);
        }

        // The relay holds the relay key alone (docs/security.md): never the keys that sign users' tokens, nor the database.
        psi.Environment.Remove("TOKEN_KEYS");
        psi.Environment.Remove("DATABASE_URL");
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        StreamWriter? file = null;
        if (logDirectory is not null)
        {
            Directory.CreateDirectory(logDirectory);
            file = new StreamWriter(Path.Combine(logDirectory, $"relay-{relayId}.log"), append: true, Encoding.UTF8) { AutoFlush = true };
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var relay = new RelayProcess(relayId, slot, httpPort, udpPort, process, file);
        process.OutputDataReceived += (_, e) => relay.Append(e.Data);
        process.ErrorDataReceived += (_, e) => relay.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return relay;
    }

    /// <summary>SIGTERM, as ECS stops a task: the relay drains, deletes its registry item and exits.</summary>
    public void Terminate()
    {
        StopRequestedAt ??= DateTimeOffset.UtcNow;
        if (!HasExited)
        {
            _ = Kill(Process.Id, 15);
        }
    }

    /// <summary>SIGKILL (a drain that outlived its time).</summary>
    public void KillNow()
    {
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Process.Dispose();
        lock (_log)
        {
            _logFile?.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > MaxLogLines)
            {
                _log.Dequeue();
            }

            try
            {
                _logFile?.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
