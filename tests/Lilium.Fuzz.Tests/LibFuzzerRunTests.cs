using System.Diagnostics;
using System.Text.Json;

namespace Lilium.Fuzz.Tests;

/// <summary>
/// The real thing, briefly: fuzz/run.sh instruments this build's product assemblies with SharpFuzz
/// and runs libFuzzer on every target for a few seconds from the committed corpus. It fails on a
/// crash or hang (the inputs are kept under the test's temporary folder, and run.sh prints them), on
/// a target that did not run, and on a target whose instrumentation reported no coverage.
/// Needs clang and libclang-rt-dev, which run.sh installs when missing (scripts/install-deps.sh too).
/// </summary>
[Trait("Category", "Integration")]
public sealed class LibFuzzerRunTests
{
    private const int SecondsPerTarget = 5;

    [Fact]
    public async Task Every_target_runs_under_libfuzzer_without_a_crash_or_hang()
    {
        var work = Directory.CreateTempSubdirectory("lilium-fuzz-");
        try
        {
            var output = Path.Combine(work.FullName, "fuzz.json");
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in new[]
            {
                "fuzz/run.sh", "--no-build", "--config", RepoPaths.Configuration, "--seconds", SecondsPerTarget.ToString(),
                "--jobs", "2", "--out", output, "--crash-dir", Path.Combine(work.FullName, "crashes"),
                "--work", Path.Combine(work.FullName, "run"),
            })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            await process.WaitForExitAsync(timeout.Token);
            var log = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, $"fuzz/run.sh exited {process.ExitCode}:\n{log}");

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var targets = json.RootElement.GetProperty("targets");
            foreach (var name in FuzzTargets.Names)
            {
                Assert.True(targets.TryGetProperty(name, out var t), $"no result for {name}:\n{log}");
                var why = $"{name}: {t}\n{TargetLog(work, name)}";
                Assert.True(t.GetProperty("executions").GetInt64() > 0, "ran no input: " + why);
                Assert.True(t.GetProperty("coverage_edges").GetInt64() > 10, "no coverage (is it instrumented?): " + why);
                Assert.True(t.GetProperty("crashes").GetInt32() == 0, "crashed: " + why);
                Assert.True(t.GetProperty("hangs").GetInt32() == 0, "hung: " + why);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // The end of libFuzzer's log for a target: its last status lines, or the target's stack trace.
    private static string TargetLog(DirectoryInfo work, string name)
    {
        var path = Path.Combine(work.FullName, "run", name + ".log");
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "(no libFuzzer log)";
    }
}
