using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Lilium.Testing;

/// <summary>
/// The <c>lilium</c> CLI as a person runs it, for tests: each profile is a folder under one temporary root
/// (<c>--home</c>), the endpoints come from the environment (<c>LILIUM_API_URL</c>, <c>LILIUM_WS_URL</c>,
/// <c>LILIUM_RELAY_URL</c>), colour is off and lines are wide so output can be matched. Long-running commands
/// (<c>lilium host</c>) are started with <see cref="Start"/> and stopped when this is disposed.
/// The test project builds the CLI (a <c>ProjectReference</c> with <c>ReferenceOutputAssembly="false"</c>).
/// </summary>
public sealed partial class LiliumCli : IDisposable
{
    private readonly Dictionary<string, string?> _environment;
    private readonly (string FileName, string[] Prefix) _command;
    private readonly Action<string> _log;
    private readonly List<Process> _processes = [];
    private readonly string _root = Directory.CreateTempSubdirectory("lilium-cli-").FullName;

    /// <param name="api">The REST API's base URL.</param>
    /// <param name="webSocket">The signaling WebSocket URL.</param>
    /// <param name="relay">The media relay's base URL, when the command needs one without asking signaling.</param>
    /// <param name="log">Where each command and its output go (a test's output helper).</param>
    /// <param name="command">The program and the arguments before the command's own: by default the JIT build
    /// (<c>dotnet lilium.dll</c>); the Native AOT executable's path with no prefix for that build.</param>
    public LiliumCli(Uri api, Uri webSocket, Uri? relay, Action<string> log, (string FileName, string[] Prefix)? command = null)
    {
        _log = log;
        _command = command ?? ("dotnet", [DllPath]);
        _environment = new()
        {
            ["LILIUM_API_URL"] = api.ToString(),
            ["LILIUM_WS_URL"] = webSocket.ToString(),
            ["LILIUM_RELAY_URL"] = relay?.ToString(),
            ["NO_COLOR"] = "1",
            ["COLUMNS"] = "400",
        };
    }

    /// <summary>The built <c>lilium.dll</c> of the configuration the tests run in.</summary>
    public static string DllPath
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(RepoPaths.Root, "client-sdk", "Lilium.Cli", "bin", configuration, "net10.0", "lilium.dll");
        }
    }

    /// <summary>The folder of <paramref name="profile"/>.</summary>
    public string Home(string profile) => Path.Combine(_root, profile);

    /// <summary>Runs one command to its end; the exit code is the caller's to check.</summary>
    public async Task<ProcessResult> TryRunAsync(string profile, string[] args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>(_environment);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }

        var result = await ProcessRunner.RunAsync(_command.FileName, [.. _command.Prefix, .. args, "--home", Home(profile)], timeout ?? TimeSpan.FromSeconds(90), environment: env);
        _log($"$ lilium {string.Join(' ', args)}  [{profile}] -> {result.ExitCode}\n{result.StdOut}{result.StdErr}");
        return result;
    }

    /// <summary>Runs one command to its end and fails the test unless it exits 0.</summary>
    public async Task<ProcessResult> RunAsync(string profile, params string[] args)
    {
        var result = await TryRunAsync(profile, args);
        Assert.True(result.ExitCode == 0, $"lilium {string.Join(' ', args)} exited {result.ExitCode}: {result.StdOut}{result.StdErr}");
        return result;
    }

    /// <summary>A new identity in <paramref name="profile"/>, registered as <paramref name="nickname"/>.</summary>
    public async Task RegisterAsync(string profile, string nickname)
    {
        await RunAsync(profile, "id", "new");
        await RunAsync(profile, "register", nickname);
    }

    /// <summary>Starts a long-running command; its output, without colour codes, goes to <see cref="RunningCommand.Output"/>.</summary>
    public RunningCommand Start(string profile, params string[] args)
    {
        var start = new ProcessStartInfo(_command.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in _command.Prefix.Concat(args).Concat(["--home", Home(profile)]))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in _environment)
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_command.FileName}");
        _processes.Add(process);
        var command = new RunningCommand(process, $"lilium {string.Join(' ', args)}  [{profile}]");
        process.OutputDataReceived += (_, e) => command.Append(e.Data);
        process.ErrorDataReceived += (_, e) => command.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return command;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }

            p.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    internal static partial Regex Ansi();
}

/// <summary>A <c>lilium</c> command still running: its output so far, and a way to wait for a line in it.</summary>
public sealed class RunningCommand(Process process, string title)
{
    private readonly StringBuilder _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Seen)> _waits = [];

    public Process Process { get; } = process;

    /// <summary>Everything printed so far (stdout and stderr, colour codes removed).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits until the output matches <paramref name="pattern"/>; fails with the output so far after <paramref name="timeout"/>.</summary>
    public async Task<Match> WaitForAsync(Regex pattern, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (pattern.Match(_output.ToString()) is { Success: true } now)
            {
                return now;
            }

            _waits.Add((pattern, seen));
        }

        if (await Task.WhenAny(seen.Task, Task.Delay(timeout)) != seen.Task)
        {
            throw new Xunit.Sdk.XunitException($"{title} printed nothing matching /{pattern}/ in {timeout.TotalSeconds:F0} s{(Process.HasExited ? $" (it exited {Process.ExitCode})" : "")}:\n{Output}");
        }

        return await seen.Task;
    }

    internal void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(LiliumCli.Ansi().Replace(line, ""));
            var text = _output.ToString();
            _waits.RemoveAll(w => w.Pattern.Match(text) is { Success: true } m && w.Seen.TrySetResult(m));
        }
    }
}
