using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our DTLS client role against our server role over real loopback UDP sockets: both ends must
/// export the same SRTP keys, and a certificate that does not match the SDP fingerprint must fail.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DtlsHandshakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(SrtpProtectionProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProtectionProfile.AeadAes128Gcm)]
    public async Task Client_and_server_export_identical_srtp_keys(SrtpProtectionProfile profile)
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, [profile], Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, [profile], Timeout);
        link.Start(server.Feed, client.Feed);

        var serverKeys = server.HandshakeAsync();
        var clientKeys = client.HandshakeAsync();
        var s = await serverKeys.WaitAsync(Timeout);
        var c = await clientKeys.WaitAsync(Timeout);

        Assert.Equal(profile, s.Profile);
        Assert.Equal(profile, c.Profile);
        Assert.Equal(profile.KeyLength(), s.ClientKey.Length);
        Assert.Equal(profile.SaltLength(), s.ServerSalt.Length);
        Assert.Equal(c.LocalKey.ToArray(), s.RemoteKey.ToArray());
        Assert.Equal(c.LocalSalt.ToArray(), s.RemoteSalt.ToArray());
        Assert.Equal(s.LocalKey.ToArray(), c.RemoteKey.ToArray());
        Assert.Equal(s.LocalSalt.ToArray(), c.RemoteSalt.ToArray());
        Assert.NotEqual(s.LocalKey.ToArray(), s.RemoteKey.ToArray());
        Assert.True(server.IsEstablished && client.IsEstablished);
    }

    [Fact]
    public async Task Server_prefers_gcm_when_client_offers_both()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB,
            [SrtpProtectionProfile.Aes128CmHmacSha1_80, SrtpProtectionProfile.AeadAes128Gcm], Timeout);
        link.Start(server.Feed, client.Feed);

        var keys = await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        Assert.All(keys, k => Assert.Equal(SrtpProtectionProfile.AeadAes128Gcm, k.Profile));
    }

    [Fact]
    public async Task Server_rejects_client_certificate_that_does_not_match_fingerprint()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        var impostor = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: TimeSpan.FromSeconds(3));
        using var client = new DtlsConnection(DtlsRole.Client, impostor, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: TimeSpan.FromSeconds(3));
        link.Start(server.Feed, client.Feed);

        var serverTask = server.HandshakeAsync();
        _ = client.HandshakeAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);

        var error = await Assert.ThrowsAsync<DtlsHandshakeException>(() => serverTask.WaitAsync(Timeout));
        Assert.Contains("bad_certificate", error.Message);
        Assert.False(server.IsEstablished);
    }

    [Fact]
    public async Task Client_rejects_server_certificate_that_does_not_match_fingerprint()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: TimeSpan.FromSeconds(3));
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, DtlsCertificate.Generate().Fingerprint, link.SendFromB, handshakeTimeout: TimeSpan.FromSeconds(3));
        link.Start(server.Feed, client.Feed);

        _ = server.HandshakeAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);
        await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.HandshakeAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Application_data_flows_both_ways_after_the_handshake()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        var atServer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var atClient = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ApplicationDataReceived = d => atServer.TrySetResult(d.ToArray());
        client.ApplicationDataReceived = d => atClient.TrySetResult(d.ToArray());
        Assert.False(client.SendApplicationData("early"u8)); // not established yet
        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        Assert.True(client.SendApplicationData("hello relay"u8));
        Assert.Equal("hello relay"u8.ToArray(), await atServer.Task.WaitAsync(Timeout));
        Assert.True(server.SendApplicationData("hello sdk"u8));
        Assert.Equal("hello sdk"u8.ToArray(), await atClient.Task.WaitAsync(Timeout));
    }

    // Regression (fuzz/crashes/dtls/empty-application-data, found by make fuzz): an empty send threw
    // ArgumentException out of BouncyCastle instead of returning false.
    [Fact]
    public async Task Empty_application_data_is_refused_without_throwing()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        var atServer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ApplicationDataReceived = d => atServer.TrySetResult(d.ToArray());
        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        Assert.False(client.SendApplicationData([]));
        Assert.True(client.SendApplicationData("after"u8));
        Assert.Equal("after"u8.ToArray(), await atServer.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Close_notify_completes_the_peers_closed_task()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        client.Close();

        var reason = await server.Closed.WaitAsync(Timeout);
        Assert.Contains("close_notify", reason);
    }

    [Fact]
    public async Task Garbage_datagrams_before_and_after_the_handshake_do_not_break_it()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            junk[0] = (byte)random.Next(20, 64);
            server.Feed(junk);
        }

        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            junk[0] = 23; // application_data content type
            server.Feed(junk);
        }

        Assert.True(server.IsEstablished);
        Assert.False(server.Closed.IsCompleted);
    }

    // fuzz/crashes/dtls/close-on-bad-mac: an application-data record, DTLS 1.2, epoch 1, whose 32 bytes are
    // not a valid ciphertext. BouncyCastle raised bad_record_mac and the association closed (RFC 6347 §4.1.2.7:
    // such records are silently discarded).
    private static readonly byte[] ForgedRecord =
    [
        0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x20,
        .. Enumerable.Range(0, 0x20).Select(i => (byte)i),
    ];

    [Fact]
    public async Task A_forged_record_after_the_handshake_is_dropped_and_data_keeps_flowing()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        var atServer = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        server.ApplicationDataReceived = d => atServer.Writer.TryWrite(d.ToArray());
        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);
        Assert.True(client.SendApplicationData("before"u8));
        Assert.Equal("before"u8.ToArray(), await atServer.Reader.ReadAsync().AsTask().WaitAsync(Timeout));

        server.Feed(ForgedRecord);
        client.Feed(ForgedRecord);

        Assert.True(client.SendApplicationData("after"u8));
        Assert.Equal("after"u8.ToArray(), await atServer.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.False(server.Closed.IsCompleted);
        Assert.False(client.Closed.IsCompleted);
        Assert.Equal(1, server.DroppedRecords);
        Assert.Equal(1, client.DroppedRecords);
    }

    [Fact]
    public async Task Forged_records_within_the_budget_are_dropped_and_one_more_closes_the_association()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        await using var link = new UdpLink();
        using var server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, link.SendFromA, handshakeTimeout: Timeout);
        using var client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, link.SendFromB, handshakeTimeout: Timeout);
        var atServer = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        server.ApplicationDataReceived = d => atServer.Writer.TryWrite(d.ToArray());
        link.Start(server.Feed, client.Feed);
        await Task.WhenAll(server.HandshakeAsync(), client.HandshakeAsync()).WaitAsync(Timeout);

        // Two records in one datagram: a forged one, then a valid-looking header with a truncated body: 64 failures.
        byte[] twoInOne = [.. ForgedRecord, .. ForgedRecord.AsSpan(0, 20)];
        for (var i = 0; i < 32; i++)
        {
            server.Feed(twoInOne);
        }

        Assert.True(client.SendApplicationData("still here"u8));
        Assert.Equal("still here"u8.ToArray(), await atServer.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.False(server.Closed.IsCompleted);
        Assert.Equal(DtlsRecordLayer.DefaultBadRecordBudget, server.FailedRecords);

        server.Feed(ForgedRecord);

        Assert.Contains("records failed", await server.Closed.WaitAsync(Timeout));
        Assert.False(server.SendApplicationData("gone"u8));
    }

    [Fact]
    public async Task A_lost_final_flight_is_resent_when_the_client_retransmits_and_the_handshake_completes()
    {
        // The server's last flight (change_cipher_spec + Finished) is lost. The server has finished and our record layer
        // owns its records; the client retransmits its own last flight after ~1 s, and the server must answer it with
        // its last flight again (RFC 6347 §4.2.4), or the client times out.
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        DtlsConnection? server = null;
        DtlsConnection? client = null;
        var serverDone = 0;
        var dropped = 0;
        void ToClient(ReadOnlySpan<byte> d)
        {
            if (Volatile.Read(ref serverDone) == 0 && CarriesTheFinalFlight(d))
            {
                Interlocked.Increment(ref dropped);
                return;
            }

            client!.Feed(d);
        }

        server = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, ToClient, handshakeTimeout: Timeout);
        client = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, d => server.Feed(d), handshakeTimeout: Timeout);
        using (server)
        using (client)
        {
            var atServer = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
            server.ApplicationDataReceived = d => atServer.Writer.TryWrite(d.ToArray());
            var serverKeys = server.HandshakeAsync().ContinueWith(
                t =>
                {
                    Volatile.Write(ref serverDone, 1);
                    return t.Result;
                },
                TaskScheduler.Default);
            var clientKeys = client.HandshakeAsync();
            var keys = await Task.WhenAll(serverKeys, clientKeys).WaitAsync(Timeout);

            Assert.True(dropped > 0);
            Assert.Equal(keys[0].LocalKey.ToArray(), keys[1].RemoteKey.ToArray());
            Assert.True(client.SendApplicationData("after the resend"u8));
            Assert.Equal("after the resend"u8.ToArray(), await atServer.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        }
    }

    private static bool CarriesTheFinalFlight(ReadOnlySpan<byte> datagram)
    {
        for (var rest = datagram; DtlsRecord.TryParse(rest, out var record); rest = rest[record.Length..])
        {
            if (record.Type == (byte)DtlsContentType.ChangeCipherSpec || record.Epoch == 1)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Two loopback UDP sockets; datagrams arriving at each are fed to a DTLS endpoint.</summary>
    private sealed class UdpLink : IAsyncDisposable
    {
        private readonly Socket _a = Bound();
        private readonly Socket _b = Bound();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _loops = [];

        public void SendFromA(ReadOnlySpan<byte> datagram) => _a.SendTo(datagram, SocketFlags.None, _b.LocalEndPoint!);

        public void SendFromB(ReadOnlySpan<byte> datagram) => _b.SendTo(datagram, SocketFlags.None, _a.LocalEndPoint!);

        public void Start(DatagramSender toA, DatagramSender toB)
        {
            _loops.Add(Pump(_a, toA));
            _loops.Add(Pump(_b, toB));
        }

        private async Task Pump(Socket socket, DatagramSender deliver)
        {
            var buffer = new byte[2048];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    deliver(buffer.AsSpan(0, n));
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
            }
        }

        private static Socket Bound()
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops);
            _a.Dispose();
            _b.Dispose();
            _stop.Dispose();
        }
    }
}
