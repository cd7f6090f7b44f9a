using System.Diagnostics;
using Lilium.Testing;

namespace Lilium.Relay.Tests;

/// <summary>
/// How the image's non-root relay binds ICE-TCP on 443: the published executable with the file capability
/// cap_net_bind_service (what scripts/relay-image.sh sets) runs as uid 1654, the image's user, inside a network namespace
/// this test creates (so the machine's own 443 is never touched), and listens on 443; the same executable without the
/// capability is refused with a sentence that says why. Needs root, setcap (libcap2-bin) and iproute2.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PrivilegedPortTests(PublishedRelay published) : IClassFixture<PublishedRelay>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_non_root_relay_binds_443_only_with_the_file_capability(bool capability)
    {
        var directory = Directory.CreateTempSubdirectory("lilium-cap-").FullName;
        var ns = $"lilium-cap{Random.Shared.Next(1, 1 << 20)}";
        try
        {
            var executable = Path.Combine(directory, "Lilium.Relay");
            File.Copy(published.Executable, executable);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
                File.SetUnixFileMode(executable, (UnixFileMode)0b111_101_101);
            }

            if (capability)
            {
                (await ProcessRunner.RunAsync("setcap", ["cap_net_bind_service=+ep", executable])).EnsureSuccess("setcap (root and libcap2-bin)");
            }

            (await ProcessRunner.RunAsync("ip", ["netns", "add", ns])).EnsureSuccess("ip netns add (root)");
            (await ProcessRunner.RunAsync("ip", ["-n", ns, "link", "set", "lo", "up"])).EnsureSuccess("ip link set lo up");
            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var psi = new ProcessStartInfo("ip")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
            {
                "netns", "exec", ns, "setpriv", "--reuid", "1654", "--regid", "1654", "--clear-groups", "env", "-i",
                "PATH=/usr/bin:/bin", "RELAY_KEY=" + key, "RELAY_TCP_PORT=443", "RELAY_PUBLIC_IP=127.0.0.1", "ASPNETCORE_URLS=http://127.0.0.1:8080",
                executable,
            })
            {
                psi.ArgumentList.Add(a);
            }

            using var relay = Process.Start(psi)!;
            var output = new System.Text.StringBuilder();
            relay.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            relay.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            relay.BeginOutputReadLine();
            relay.BeginErrorReadLine();
            try
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                var listening = false;
                while (DateTime.UtcNow < deadline && !relay.HasExited && !listening)
                {
                    await Task.Delay(200);
                    var ss = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ss", "-ltn", "sport", "= :443"]);
                    listening = ss.StdOut.Contains("127.0.0.1:443", StringComparison.Ordinal);
                }

                if (capability)
                {
                    Assert.True(listening, $"the relay (uid 1654, cap_net_bind_service) is not listening on 443: {output}");
                    Assert.Contains("ICE-TCP listening on 127.0.0.1:443", output.ToString(), StringComparison.Ordinal);
                }
                else
                {
                    await relay.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                    Assert.False(listening);
                    Assert.NotEqual(0, relay.ExitCode);
                    Assert.Contains("permission denied", output.ToString(), StringComparison.Ordinal);
                    Assert.Contains("cap_net_bind_service", output.ToString(), StringComparison.Ordinal);
                }
            }
            finally
            {
                if (!relay.HasExited)
                {
                    relay.Kill(entireProcessTree: true);
                    await relay.WaitForExitAsync();
                }
            }
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["netns", "del", ns]);
            Directory.Delete(directory, recursive: true);
        }
    }
}
