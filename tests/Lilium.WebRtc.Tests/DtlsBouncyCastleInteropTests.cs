using System.Text;
using Lilium.WebRtc.Dtls;
using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our record layer against BouncyCastle 2.7's (the reference we replaced): a <see cref="DtlsConnection"/> on one
/// side, BouncyCastle's own <see cref="DtlsTransport"/> on the other, so records BouncyCastle builds are opened by
/// ours and the reverse, alerts included. And the handshake policy: a client offering only CBC/SHA-1 suites, or no
/// extended master secret, is refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DtlsBouncyCastleInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Our_server_reads_bouncycastles_records_and_bouncycastle_reads_ours()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        DtlsConnection? ours = null;
        var theirs = new QueuedDatagramTransport(d => ours!.Feed(d), 1200);
        ours = new DtlsConnection(DtlsRole.Server, serverCert, clientCert.Fingerprint, d => theirs.Enqueue(d), handshakeTimeout: Timeout);
        using var connection = ours;
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        ours.ApplicationDataReceived = d => received.Writer.TryWrite(Encoding.UTF8.GetString(d));
        var bc = new DtlsSrtpClient(clientCert, serverCert.Fingerprint, DtlsSrtpPolicy.DefaultProfiles, (int)Timeout.TotalMilliseconds);

        var serverKeys = ours.HandshakeAsync();
        var transport = await Task.Run(() => new DtlsClientProtocol().Connect(bc, theirs)).WaitAsync(Timeout);
        var keys = await serverKeys.WaitAsync(Timeout);
        Assert.Equal(bc.Keys!.LocalKey.ToArray(), keys.RemoteKey.ToArray());

        for (var i = 0; i < 20; i++)
        {
            var text = $"from bouncycastle {i}";
            transport.Send(Encoding.UTF8.GetBytes(text), 0, text.Length);
            Assert.Equal(text, await received.Reader.ReadAsync().AsTask().WaitAsync(Timeout));

            var reply = $"from our record layer {i} " + new string('x', i * 50);
            Assert.True(ours.SendApplicationData(Encoding.UTF8.GetBytes(reply)));
            var buffer = new byte[2048];
            var n = await Task.Run(() => transport.Receive(buffer, 0, buffer.Length, 5000)).WaitAsync(Timeout);
            Assert.Equal(reply, Encoding.UTF8.GetString(buffer, 0, n));
        }

        transport.Close(); // BouncyCastle's close_notify
        Assert.Equal("peer sent close_notify", await ours.Closed.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Our_client_reads_bouncycastles_records_and_its_close_notify_reaches_bouncycastle()
    {
        var serverCert = DtlsCertificate.Generate();
        var clientCert = DtlsCertificate.Generate();
        DtlsConnection? ours = null;
        var theirs = new QueuedDatagramTransport(d => ours!.Feed(d), 1200);
        ours = new DtlsConnection(DtlsRole.Client, clientCert, serverCert.Fingerprint, d => theirs.Enqueue(d), handshakeTimeout: Timeout);
        using var connection = ours;
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        ours.ApplicationDataReceived = d => received.Writer.TryWrite(Encoding.UTF8.GetString(d));
        var bc = new DtlsSrtpServer(serverCert, clientCert.Fingerprint, DtlsSrtpPolicy.DefaultProfiles, (int)Timeout.TotalMilliseconds);

        var accept = Task.Run(() => new DtlsServerProtocol().Accept(bc, theirs));
        await ours.HandshakeAsync().WaitAsync(Timeout);
        var transport = await accept.WaitAsync(Timeout);

        Assert.True(ours.SendApplicationData("hello bouncycastle"u8));
        var buffer = new byte[2048];
        var n = await Task.Run(() => transport.Receive(buffer, 0, buffer.Length, 5000)).WaitAsync(Timeout);
        Assert.Equal("hello bouncycastle", Encoding.UTF8.GetString(buffer, 0, n));
        transport.Send("hello ours"u8.ToArray(), 0, 10);
        Assert.Equal("hello ours", await received.Reader.ReadAsync().AsTask().WaitAsync(Timeout));

        ours.Close();
        // BouncyCastle reads our close_notify (its alert callback), then closes its transport.
        _ = Task.Run(() =>
        {
            try
            {
                transport.Receive(buffer, 0, buffer.Length, 5000);
            }
            catch (IOException)
            {
            }
        });
        Assert.Equal("peer sent close_notify", await bc.Events.Closed.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_client_offering_only_cbc_and_sha1_suites_is_refused()
    {
        var reason = await HandshakeWithLegacyClient(new LegacyClient([CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256], extendedMasterSecret: true));
        Assert.Contains("handshake_failure", reason);
    }

    [Fact]
    public async Task A_client_without_extended_master_secret_is_refused()
    {
        var reason = await HandshakeWithLegacyClient(new LegacyClient([CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], extendedMasterSecret: false));
        Assert.Contains("handshake_failure", reason);
    }

    [Fact]
    public async Task The_same_legacy_client_with_our_suites_and_ems_completes_so_the_refusals_are_the_policy()
    {
        var reason = await HandshakeWithLegacyClient(new LegacyClient([CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], extendedMasterSecret: true));
        Assert.Null(reason);
    }

    /// <returns>null when the handshake completed, else why our server refused it.</returns>
    private static async Task<string?> HandshakeWithLegacyClient(LegacyClient client)
    {
        var serverCert = DtlsCertificate.Generate();
        DtlsConnection? ours = null;
        var theirs = new QueuedDatagramTransport(d => ours!.Feed(d), 1200);
        ours = new DtlsConnection(DtlsRole.Server, serverCert, client.Certificate.Fingerprint, d => theirs.Enqueue(d), handshakeTimeout: Timeout);
        using var connection = ours;
        var server = ours.HandshakeAsync();
        var connect = Task.Run(() => new DtlsClientProtocol().Connect(client, theirs));
        try
        {
            await server.WaitAsync(Timeout);
            await connect.WaitAsync(Timeout);
            return null;
        }
        catch (DtlsHandshakeException ex)
        {
            await Assert.ThrowsAnyAsync<IOException>(() => connect.WaitAsync(Timeout));
            return ex.Message;
        }
    }

    /// <summary>A BouncyCastle DTLS-SRTP client with the suites and EMS behaviour a test picks.</summary>
    private sealed class LegacyClient(int[] suites, bool extendedMasterSecret) : DefaultTlsClient(DtlsSrtpPolicy.NewCrypto())
    {
        public DtlsCertificate Certificate { get; } = DtlsCertificate.Generate();

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => suites;

        public override bool ShouldUseExtendedMasterSecret() => extendedMasterSecret;

        public override bool RequiresExtendedMasterSecret() => false;

        public override IDictionary<int, byte[]> GetClientExtensions()
        {
            var extensions = base.GetClientExtensions();
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)Lilium.WebRtc.Dtls.SrtpProtectionProfile.AeadAes128Gcm], []));
            return extensions;
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        private sealed class Authentication(LegacyClient owner) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
            {
            }

            public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
                DtlsSrtpPolicy.Signer(owner.m_context, owner.Certificate);
        }
    }
}
