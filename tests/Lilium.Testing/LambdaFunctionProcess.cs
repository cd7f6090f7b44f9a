using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lilium.Testing;

/// <summary>
/// A function process (a published <c>bootstrap</c>, or <c>dotnet exec some.dll</c>) running against a
/// <see cref="LambdaRuntimeEmulator"/>. Its stdout lines are kept (the JSON logs); disposing kills it.
/// </summary>
public sealed class LambdaFunctionProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private LambdaFunctionProcess(Process process) => _process = process;

    public IReadOnlyCollection<string> StdOut => _stdout;

    public IReadOnlyCollection<string> StdErr => _stderr;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> with the emulator's variables (plus <paramref name="extraEnvironment"/>).</summary>
    public static LambdaFunctionProcess Start(
        LambdaRuntimeEmulator emulator,
        string fileName,
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? extraEnvironment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(fileName)) is { } dir && File.Exists(fileName) ? dir : RepoPaths.Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in emulator.Environment.Concat(extraEnvironment ?? new Dictionary<string, string?>()))
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi };
        var wrapper = new LambdaFunctionProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { wrapper._stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { wrapper._stderr.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Everything the process wrote so far, for assertion messages.</summary>
    public string Output => string.Join('\n', _stdout) + "\n--- stderr\n" + string.Join('\n', _stderr);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
