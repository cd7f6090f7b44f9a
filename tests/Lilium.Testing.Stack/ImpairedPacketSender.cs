using System.Buffers.Binary;
using System.Net;
using Lilium.Relay.Media;
using Lilium.Relay.Observability;

namespace Lilium.Testing.Stack;

/// <summary>What <see cref="ImpairedPacketSender"/> does to the fanned-out RTP of impairable viewers.</summary>
/// <param name="LossPercent">Share (0–100) of packets dropped at random once a track has sent <paramref name="GracePackets"/>.</param>
/// <param name="DropFirstVideoPacket">
/// Drop the first media packet (not the padding-only sequence anchor) of each viewer's video track: the start of the
/// keyframe it binds on, recoverable only through the anchor (docs/relay.md, "A lost first packet").
/// </param>
/// <param name="MaxDelayMs">Each packet not dropped is held a random 0…this many milliseconds (0: sent at once).</param>
/// <param name="Seed">Seeds the random choices, so a run's drops and delays can be repeated.</param>
public sealed record SendImpairment(double LossPercent, bool DropFirstVideoPacket = true, int GracePackets = 100, int MaxDelayMs = 0, int Seed = 7)
{
    /// <summary>Packets held for delay at most; beyond it a packet is dropped (a full queue on the way).</summary>
    public const int MaxDelayed = 1024;
}

/// <summary>
/// TEST ONLY: a decorator of the media socket's send path that drops and delays the protected RTP the SFU fans out to
/// viewers whose WHEP request asked for it (<see cref="MediaPeer.Impairable"/>, the <c>X-Lilium-Test-Loss</c> header);
/// everything else passes untouched. Tests compose it (Lilium.Relay.Tests' RelayFixture, <see cref="ImpairedRelay"/>); the relay never does, so its hot
/// path has no branch for it. The choices are seeded and bounded (a drop rate, a delay cap, a queue cap). Delayed
/// packets leave at the first flush after they are due (the media loop flushes after every packet it receives). Media
/// loop only, as <see cref="IPacketSender.Commit"/> is.
/// </summary>
internal sealed class ImpairedPacketSender(IPacketSender inner, SendImpairment impairment, RelayMetrics metrics, TimeProvider time) : IPacketSender
{
    private readonly Random _random = new(impairment.Seed);
    private readonly Dictionary<(MediaPeer Peer, uint Ssrc), int> _sent = [];
    private readonly HashSet<MediaPeer> _firstVideoDropped = [];
    private readonly PriorityQueue<Delayed, long> _delayed = new();
    private long _dropped;
    private long _delayedCount;

    /// <summary>Packets this decorator dropped (also counted as the relay's test drops).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Packets it held back and sent later.</summary>
    public long DelayedPackets => Interlocked.Read(ref _delayedCount);

    public Span<byte> Reserve() => inner.Reserve();

    public void Commit(MediaPeer peer, PeerPath path, int length)
    {
        if (!peer.Impairable)
        {
            inner.Commit(peer, path, length);
            return;
        }

        var packet = inner.Reserve()[..length]; // the slot the caller wrote (nothing was committed since)
        if (ShouldDrop(peer, packet))
        {
            Interlocked.Increment(ref _dropped);
            metrics.TestDropped();
            return;
        }

        if (impairment.MaxDelayMs > 0)
        {
            var delay = _random.Next(0, impairment.MaxDelayMs + 1);
            if (_delayed.Count >= SendImpairment.MaxDelayed)
            {
                Interlocked.Increment(ref _dropped);
                metrics.TestDropped();
                return;
            }

            var due = time.GetTimestamp() + (delay * time.TimestampFrequency / 1000);
            _delayed.Enqueue(new Delayed(peer, path, packet.ToArray()), due);
            Interlocked.Increment(ref _delayedCount);
            return;
        }

        inner.Commit(peer, path, length);
    }

    public void Flush()
    {
        var now = time.GetTimestamp();
        while (_delayed.TryPeek(out var held, out var due) && due <= now)
        {
            _delayed.Dequeue();
            var slot = inner.Reserve();
            held.Packet.CopyTo(slot);
            inner.Commit(held.Peer, held.Path, held.Packet.Length);
        }

        inner.Flush();
    }

    public void Send(PeerPath path, ReadOnlySpan<byte> packet) => inner.Send(path, packet);

    public void SendDatagram(IPEndPoint remote, ReadOnlySpan<byte> datagram) => inner.SendDatagram(remote, datagram);

    // The RTP header is in the clear under SRTP (RFC 3711 §3.1): the SSRC says which track, the P bit marks the anchor.
    private bool ShouldDrop(MediaPeer peer, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 12)
        {
            return false;
        }

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        var paddingOnly = (packet[0] & 0x20) != 0;
        _sent.TryGetValue((peer, ssrc), out var sent);
        _sent[(peer, ssrc)] = sent + 1;
        if (impairment.DropFirstVideoPacket && !paddingOnly && peer.TrackFor("video") is { } video && video.Ssrc == ssrc
            && _firstVideoDropped.Add(peer))
        {
            return true;
        }

        return sent >= impairment.GracePackets && _random.NextDouble() * 100 < impairment.LossPercent;
    }

    private sealed record Delayed(MediaPeer Peer, PeerPath Path, byte[] Packet);
}
