using System.Buffers.Binary;
using Lilium.WebRtc.Dtls;
using CipherSuite = Org.BouncyCastle.Tls.CipherSuite;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// Our post-handshake DTLS record layer (<see cref="DtlsRecordLayer"/>), which meets every DTLS datagram from a peer
/// once the handshake is done, on fixed AES-GCM keys (no handshake per input: the layer is sans-I/O). The receiving
/// layer persists across inputs, as it does for a peer (replay window, bad-record budget), and is rebuilt when an
/// input closes it. The first input byte picks the case, the rest is the payload:
/// <list type="bullet">
/// <item>bits 0–1 = 0: the payload is a datagram from the network (an attacker without the keys): framing, version,
/// epoch, replay and tag checks, the budget;</item>
/// <item>1: the payload is a plaintext the authenticated peer protects (content type from bits 2–3: application data,
/// alert, handshake, change_cipher_spec) and sends, so decryption, alerts, retransmission and the window are reached;
/// bit 4 delivers it twice (a replay), bit 5 flips the byte the payload's first byte points at (tampering);</item>
/// <item>2: as 1, then the rest of the datagram after the protected record is the payload again, raw
/// (a valid record followed by hostile ones in one datagram);</item>
/// <item>3: the first 6 payload bytes are a sequence number the peer jumps to before protecting the rest (window edges,
/// the 2^48 limit).</item>
/// </list>
/// Bit 6 picks the suite (AES-128-GCM or AES-256-GCM).
/// </summary>
internal sealed class DtlsTarget : IFuzzTarget, IDisposable
{
    private const int MaxDatagram = 4096;

    private static readonly int[] Suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384];
    private static readonly DtlsContentType[] Types = [DtlsContentType.ApplicationData, DtlsContentType.Alert, DtlsContentType.Handshake, DtlsContentType.ChangeCipherSpec];

    private readonly DtlsRecordKeys[] _keys = Suites.Select(FixedKeys).ToArray();
    private readonly DtlsRecordLayer?[] _senders = new DtlsRecordLayer?[2];
    private readonly DtlsRecordLayer?[] _receivers = new DtlsRecordLayer?[2];
    private readonly byte[] _datagram = new byte[MaxDatagram + DtlsRecordLayer.Overhead + MaxDatagram];
    private readonly DatagramSender _sink;
    private long _delivered;

    public DtlsTarget() => _sink = data => _delivered += data.Length;

    /// <summary>How many times an input ended the association (the receiving layer was rebuilt).</summary>
    public int Rebuilds { get; private set; }

    /// <summary>Why the last association that an input ended closed.</summary>
    public string? LastCloseReason { get; private set; }

    /// <summary>Application-data bytes delivered so far (keeps the handler from being optimised away).</summary>
    public long Delivered => _delivered;

    /// <summary>The harness's fixed keys for <paramref name="suite"/> (seeds are built with them).</summary>
    public static DtlsRecordKeys FixedKeys(int suite)
    {
        var length = (2 * DtlsRecordKeys.KeyLength(suite)) + (2 * DtlsRecordKeys.SaltLength);
        var block = new byte[length];
        for (var i = 0; i < length; i++)
        {
            block[i] = (byte)((i * 29) + 3);
        }

        return DtlsRecordKeys.FromKeyBlock(suite, block);
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var mode = input[0];
        var payload = input[1..];
        if (payload.Length > MaxDatagram)
        {
            payload = payload[..MaxDatagram];
        }

        var suite = (mode >> 6) & 1;
        var receiver = _receivers[suite] ??= new DtlsRecordLayer(_keys[suite], DtlsRole.Server);
        var sender = _senders[suite] ??= new DtlsRecordLayer(_keys[suite], DtlsRole.Client);
        switch (mode & 3)
        {
            case 0:
                Deliver(receiver, payload);
                break;
            case 3 when payload.Length >= 6:
                var sequence = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(payload) << 32) | BinaryPrimitives.ReadUInt32BigEndian(payload[2..]);
                using (var jumped = new DtlsRecordLayer(_keys[suite], DtlsRole.Client, sequence))
                {
                    Authenticated(receiver, jumped, mode, payload[6..]);
                }

                break;
            default:
                Authenticated(receiver, sender, mode, payload);
                break;
        }

        if (receiver.IsClosed)
        {
            Rebuilds++;
            LastCloseReason = receiver.CloseReason;
            receiver.Dispose();
            _receivers[suite] = null;
        }
    }

    private void Authenticated(DtlsRecordLayer receiver, DtlsRecordLayer sender, byte mode, ReadOnlySpan<byte> payload)
    {
        var type = Types[(mode >> 2) & 3];
        if (!sender.TryProtect(type, payload, _datagram, out var n))
        {
            return;
        }

        if ((mode & 3) == 2 && n + payload.Length <= _datagram.Length)
        {
            payload.CopyTo(_datagram.AsSpan(n));
            n += payload.Length;
        }

        if ((mode & 0x20) != 0 && !payload.IsEmpty)
        {
            _datagram[payload[0] % n] ^= (byte)(1 << (payload.Length % 8));
        }

        Deliver(receiver, _datagram.AsSpan(0, n));
        if ((mode & 0x10) != 0)
        {
            Deliver(receiver, _datagram.AsSpan(0, n));
        }
    }

    private void Deliver(DtlsRecordLayer receiver, ReadOnlySpan<byte> datagram) =>
        receiver.Receive(datagram, _sink);

    /// <summary>Seeds: one input per case, and records protected with the fixed keys as they arrive on the wire.</summary>
    internal static IEnumerable<byte[]> SeedInputs()
    {
        yield return [1, .. "application data"u8];
        yield return [1 | (1 << 2), 1, 0]; // alert: close_notify
        yield return [1 | (1 << 2), 2, 40]; // alert: fatal handshake_failure
        yield return [1 | (2 << 2), 20, 0, 0, 12, .. new byte[12]]; // handshake: a Finished
        yield return [1 | 0x10, .. "replayed"u8];
        yield return [1 | 0x20, 5, .. "tampered"u8];
        yield return [2, .. "valid then raw"u8];
        yield return [3, 0, 0, 0, 0, 0, 70, .. "jump ahead"u8];
        yield return [3 | 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. "last sequence"u8];
        yield return [1 | 0x40, .. "aes-256-gcm"u8];

        using var sender = new DtlsRecordLayer(FixedKeys(Suites[0]), DtlsRole.Client, firstWriteSequence: 1000);
        var buffer = new byte[256];
        foreach (var text in new[] { "wire record", "second wire record" })
        {
            sender.TryProtect(DtlsContentType.ApplicationData, System.Text.Encoding.ASCII.GetBytes(text), buffer, out var n);
            yield return [0, .. buffer.AsSpan(0, n)];
        }

        var epoch0 = new byte[DtlsRecord.HeaderLength + 4];
        DtlsRecord.WriteHeader(epoch0, DtlsContentType.Handshake, 0, 5, 4);
        yield return [0, .. epoch0];
    }

    public void Dispose()
    {
        foreach (var layer in _senders.Concat(_receivers))
        {
            layer?.Dispose();
        }
    }
}
