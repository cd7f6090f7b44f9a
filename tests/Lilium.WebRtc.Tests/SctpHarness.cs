using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

/// <summary>One side of an in-memory association pair: records what the association tells its owner.</summary>
internal sealed class SctpTestEndpoint : ISctpAssociationHandler
{
    public SctpTestEndpoint(SctpOptions? options = null) => Association = new SctpAssociation(options ?? new SctpOptions(), this);

    public SctpAssociation Association { get; }
    public Queue<byte[]> Outbox { get; } = new();
    public List<(ushort Stream, uint Ppid, byte[] Data)> Received { get; } = [];
    public List<ushort> ResetStreams { get; } = [];
    public bool Established { get; private set; }
    public string? ClosedReason { get; private set; }

    public void SendPacket(ReadOnlySpan<byte> packet) => Outbox.Enqueue(packet.ToArray());
    public void OnEstablished() => Established = true;
    public void OnMessage(ushort streamId, uint ppid, byte[] message) => Received.Add((streamId, ppid, message));
    public void OnIncomingStreamsReset(IReadOnlyList<ushort> streamIds) => ResetStreams.AddRange(streamIds);
    public void OnClosed(string reason) => ClosedReason = reason;
}

/// <summary>
/// Two associations wired back to back with a simulated clock. Packets cross instantly unless a
/// drop rule says otherwise; when nothing is in flight the clock jumps to the next timer.
/// </summary>
internal sealed class SctpTestLink(SctpOptions? options = null)
{
    public SctpTestEndpoint A { get; } = new(options);
    public SctpTestEndpoint B { get; } = new(options);
    public long Now { get; private set; } = 1_000;
    public Func<byte[], bool> DropAtoB { get; set; } = _ => false;
    public Func<byte[], bool> DropBtoA { get; set; } = _ => false;
    public int Delivered { get; private set; }

    public static SctpTestLink Connected(SctpOptions? options = null)
    {
        var link = new SctpTestLink(options);
        link.A.Association.Connect(link.Now);
        Assert.True(link.RunUntil(() => link.A.Established && link.B.Established, 5_000));
        return link;
    }

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="maxMs"/> of simulated time pass.</summary>
    public bool RunUntil(Func<bool> done, long maxMs)
    {
        var end = Now + maxMs;
        for (var steps = 0; steps < 1_000_000; steps++)
        {
            if (done())
            {
                return true;
            }

            if (Step())
            {
                continue;
            }

            var next = Min(A.Association.NextTimeoutMs, B.Association.NextTimeoutMs);
            if (next is null || next > end)
            {
                return done();
            }

            Now = Math.Max(Now, next.Value);
            A.Association.HandleTimeout(Now);
            B.Association.HandleTimeout(Now);
        }

        return done();
    }

    /// <summary>Delivers every queued packet once; false when both outboxes were empty.</summary>
    public bool Step()
    {
        var any = false;
        while (A.Outbox.TryDequeue(out var p))
        {
            any = true;
            if (!DropAtoB(p))
            {
                Delivered++;
                B.Association.HandlePacket(p, Now);
            }
        }

        while (B.Outbox.TryDequeue(out var p))
        {
            any = true;
            if (!DropBtoA(p))
            {
                Delivered++;
                A.Association.HandlePacket(p, Now);
            }
        }

        return any;
    }

    public void Advance(long ms) => Now += ms;

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
