using Lilium.WebRtc.Dtls;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// DTLS as the relay meets it after the handshake (the record processing is BouncyCastle's; what is
/// ours is the datagram path around it): <see cref="DtlsConnection.Feed"/> with its bounded queue,
/// the inline drain on the feeding thread, alert and close handling, and application data up to the
/// SCTP handler. The first input byte picks the case: even, the rest is a datagram from the network
/// (an attacker without the keys); odd, the rest is application data the authenticated peer sends.
/// Built on a real in-memory handshake between our server and client roles; rebuilt when an input closes it.
/// </summary>
internal sealed class DtlsTarget : IFuzzTarget, IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly DtlsCertificate _serverCertificate = DtlsCertificate.Generate();
    private readonly DtlsCertificate _clientCertificate = DtlsCertificate.Generate();
    private Pair _pair;

    public DtlsTarget() => _pair = Connect(_serverCertificate, _clientCertificate, capture: null);

    /// <summary>How many times an input ended the association and the pair was rebuilt.</summary>
    public int Rebuilds { get; private set; }

    /// <summary>Why the last association that an input ended closed.</summary>
    public string? LastCloseReason { get; private set; }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        if ((input[0] & 1) == 0)
        {
            _pair.Server.Feed(input[1..]);
        }
        else
        {
            _pair.Client.SendApplicationData(input[1..]);
        }

        if (_pair.Server.Closed.IsCompleted || _pair.Client.Closed.IsCompleted)
        {
            Rebuilds++;
            LastCloseReason = _pair.Server.Closed.IsCompleted ? "server: " + _pair.Server.Closed.Result : "client: " + _pair.Client.Closed.Result;
            _pair.Dispose();
            _pair = Connect(_serverCertificate, _clientCertificate, capture: null);
        }
    }

    public void Dispose() => _pair.Dispose();

    /// <summary>The datagrams of a real handshake and one application-data record, as seeds.</summary>
    internal static IReadOnlyList<byte[]> CaptureHandshake()
    {
        var captured = new List<byte[]>();
        using var pair = Connect(DtlsCertificate.Generate(), DtlsCertificate.Generate(), captured);
        pair.Client.SendApplicationData("seed"u8);
        lock (captured)
        {
            return [.. captured];
        }
    }

    private static Pair Connect(DtlsCertificate serverCertificate, DtlsCertificate clientCertificate, List<byte[]>? capture)
    {
        DtlsConnection? server = null;
        DtlsConnection? client = null;
        void ToServer(ReadOnlySpan<byte> d)
        {
            Record(capture, d);
            server?.Feed(d);
        }

        void ToClient(ReadOnlySpan<byte> d) => client?.Feed(d);

        server = new DtlsConnection(DtlsRole.Server, serverCertificate, clientCertificate.Fingerprint, ToClient, handshakeTimeout: HandshakeTimeout);
        client = new DtlsConnection(DtlsRole.Client, clientCertificate, serverCertificate.Fingerprint, ToServer, handshakeTimeout: HandshakeTimeout);
        var handshakes = new[] { server.HandshakeAsync(), client.HandshakeAsync() };
        if (!Task.WaitAll(handshakes, HandshakeTimeout))
        {
            throw new InvalidOperationException("fuzz: the DTLS handshake did not finish");
        }

        server.ApplicationDataReceived = static _ => { };
        return new Pair(server, client);
    }

    private static void Record(List<byte[]>? capture, ReadOnlySpan<byte> datagram)
    {
        if (capture is null)
        {
            return;
        }

        lock (capture)
        {
            capture.Add(datagram.ToArray());
        }
    }

    private sealed record Pair(DtlsConnection Server, DtlsConnection Client) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
