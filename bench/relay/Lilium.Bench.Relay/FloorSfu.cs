using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lilium.Testing;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

/// <summary>
/// The <see cref="Forwarder"/> as an SFU under test: the same generator, steps and measurement as the real SFUs, so
/// its latency is the floor for this machine. The forwarder passes the publisher's SRTP packets through unchanged,
/// so every subscriber holds the publisher's keys (the generator's subscribers decrypt a sample to map sequence
/// numbers, as with the SFUs).
/// </summary>
internal sealed class FloorSfu : ISfuUnderTest
{
    private static readonly TimeSpan RegisterTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly IPEndPoint _address;
    private readonly byte[] _material = RandomNumberGenerator.GetBytes(SrtpProtectionProfile.AeadAes128Gcm.KeyingMaterialLength());

    private FloorSfu(Process process, IPEndPoint address)
    {
        _process = process;
        _address = address;
    }

    public string Name => "floor";

    /// <summary>The single stream: the floor hands every datagram to every subscriber, so layers would only multiply its load.</summary>
    public bool Simulcast => false;

    /// <summary>No RTCP: the floor reads nothing from its subscribers.</summary>
    public bool Feedback => false;

    public int ProcessId => _process.Id;

    /// <summary>Starts the forwarder; the first registration (the publisher's) waits until it listens.</summary>
    public static FloorSfu Start(string cpu)
    {
        var port = Ports.FreeUdp();
        var self = typeof(FloorSfu).Assembly.Location;
        var process = PinnedProcess.Start(cpu, "dotnet", [self, "--forwarder", port.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>(), "floor: ");
        return new FloorSfu(process, new IPEndPoint(IPAddress.Loopback, port));
    }

    public async Task<BenchPeer> PublishAsync() => await ConnectAsync(Forwarder.Publisher, DtlsRole.Client);

    public async Task<BenchPeer> SubscribeAsync() => await ConnectAsync(Forwarder.Subscriber, DtlsRole.Server);

    public ValueTask DisposeAsync()
    {
        PinnedProcess.Stop(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<BenchPeer> ConnectAsync(byte role, DtlsRole dtlsRole)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            await RegisterAsync(socket, role);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        // The publisher protects with the client's key; a subscriber (the "server" side) unprotects with it.
        var keys = SrtpKeyingMaterial.FromExporter(SrtpProtectionProfile.AeadAes128Gcm, _material, dtlsRole);
        return new BenchPeer(socket, keys, _address, () => [0]);
    }

    /// <summary>
    /// Sends the one-byte registration until the forwarder acknowledges it: until the process has started and bound
    /// its port a registration goes unanswered and is sent again after 200 ms.
    /// </summary>
    private async Task RegisterAsync(Socket socket, byte role)
    {
        var deadline = Stopwatch.StartNew();
        var answer = new byte[16];
        while (deadline.Elapsed < RegisterTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the forwarder exited with {_process.ExitCode}");
            }

            await socket.SendToAsync(new[] { role }, SocketFlags.None, _address);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                var got = await socket.ReceiveFromAsync(answer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), wait.Token);
                if (got.ReceivedBytes == 1 && answer[0] == Forwarder.Ack)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                await Task.Delay(50); // e.g. a queued ICMP error: try again
            }
        }

        throw new TimeoutException("the forwarder did not acknowledge a registration within 10 s");
    }
}
