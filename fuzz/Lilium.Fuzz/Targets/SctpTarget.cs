using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Sctp;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// SCTP over DTLS (RFC 8261) with data channels (RFC 8831/8832), sans-I/O: every chunk parser on the
/// raw packet, then the packet into an established association's receive path. An authenticated peer
/// can send anything, so the receive path gets the input with the association's verification tag and
/// a valid CRC32c written in (otherwise nearly every mutation would stop at the checksum). The
/// association runs on a simulated clock, answers are delivered to its peer, and a pair that an input
/// closed (ABORT, SHUTDOWN) is rebuilt.
/// </summary>
internal sealed class SctpTarget : IFuzzTarget
{
    private const int MaxPacket = 4096;
    private readonly byte[] _packet = new byte[MaxPacket];
    private Pair _pair = Pair.Connected();

    public void Run(ReadOnlySpan<byte> input)
    {
        Parse(input);
        if (input.Length < SctpCommonHeader.Size || input.Length > MaxPacket)
        {
            _pair.Server.Endpoint.HandlePacket(input, _pair.Now);
            return;
        }

        var packet = _packet.AsSpan(0, input.Length);
        input.CopyTo(packet);
        new SctpCommonHeader(5000, 5000, _pair.Server.Endpoint.Association.MyTag).WriteTo(packet);
        SctpCommonHeader.Seal(packet);
        _pair.Server.Endpoint.HandlePacket(packet, _pair.Now);
        _pair.Pump();
        if (_pair.Closed)
        {
            _pair = Pair.Connected();
        }
    }

    /// <summary>The packets of a real association setup, a channel open and one message, as seeds.</summary>
    internal static IReadOnlyList<byte[]> CapturePackets()
    {
        var pair = Pair.Connected();
        var channel = pair.Client.Endpoint.Open(new DataChannelParameters { Label = "chat" }, pair.Now);
        pair.Client.Endpoint.Send(channel, "seed"u8, isText: true, pair.Now);
        pair.Pump();
        return [.. pair.Captured];
    }

    private static void Parse(ReadOnlySpan<byte> input)
    {
        if (!SctpCommonHeader.TryRead(input, out _))
        {
            return;
        }

        var reader = new SctpChunkReader(input[SctpCommonHeader.Size..]);
        var count = 0;
        while (count++ < 256 && reader.TryNext(out var chunk))
        {
            DataChunk.TryRead(chunk, out _);
            InitChunk.TryRead(chunk, out _);
            SackChunk.TryRead(chunk, out var sack);
            for (var i = 0; i < Math.Min(sack.GapBlockCount, 64); i++)
            {
                sack.GapBlock(i);
            }

            ForwardTsnChunk.TryRead(chunk, out var forward);
            for (var i = 0; i < Math.Min(forward.StreamCount, 64); i++)
            {
                forward.Stream(i);
            }

            if (DataChunk.TryRead(chunk, out var data))
            {
                DcepMessage.TryReadOpen(data.UserData, out _);
            }
        }
    }

    /// <summary>One side of the pair: a data-channel endpoint whose packets queue for the other side.</summary>
    private sealed class Side : IDataChannelEvents
    {
        public Side(bool client) => Endpoint = new DataChannelEndpoint(new SctpOptions(), this, useEvenStreamIds: client);

        public DataChannelEndpoint Endpoint { get; }
        public Queue<byte[]> Outbox { get; } = new();
        public bool Connected { get; private set; }
        public bool Closed { get; private set; }

        public void SendPacket(ReadOnlySpan<byte> packet)
        {
            if (Outbox.Count < 64)
            {
                Outbox.Enqueue(packet.ToArray());
            }
        }

        public void OnConnected() => Connected = true;
        public void OnChannelOpen(DataChannel channel) { }
        public void OnMessage(DataChannel channel, DataChannelMessage message) { }
        public void OnChannelClosed(DataChannel channel) { }
        public void OnClosed(string reason) => Closed = true;
    }

    private sealed class Pair
    {
        private Pair()
        {
        }

        public Side Client { get; } = new(client: true);
        public Side Server { get; } = new(client: false);
        public long Now { get; private set; } = 1_000;
        public List<byte[]> Captured { get; } = [];
        public bool Closed => Client.Closed || Server.Closed;

        public static Pair Connected()
        {
            var pair = new Pair();
            pair.Client.Endpoint.Connect(pair.Now);
            for (var i = 0; i < 16 && !(pair.Client.Connected && pair.Server.Connected); i++)
            {
                pair.Pump();
            }

            if (!(pair.Client.Connected && pair.Server.Connected))
            {
                throw new InvalidOperationException("fuzz: the SCTP pair did not connect");
            }

            pair.Client.Endpoint.Open(new DataChannelParameters { Label = "input" }, pair.Now);
            pair.Pump();
            return pair;
        }

        /// <summary>Delivers queued packets both ways a bounded number of rounds and lets timers run.</summary>
        public void Pump()
        {
            for (var round = 0; round < 8; round++)
            {
                var any = false;
                while (Server.Outbox.TryDequeue(out var p))
                {
                    any = true;
                    Capture(p);
                    Client.Endpoint.HandlePacket(p, Now);
                }

                while (Client.Outbox.TryDequeue(out var p))
                {
                    any = true;
                    Capture(p);
                    Server.Endpoint.HandlePacket(p, Now);
                }

                if (!any)
                {
                    break;
                }
            }

            Now += 50;
            Client.Endpoint.HandleTimeout(Now);
            Server.Endpoint.HandleTimeout(Now);
        }

        // Only while connecting and for seeds: bounded, so a long fuzz run does not grow it.
        private void Capture(byte[] packet)
        {
            if (Captured.Count < 32)
            {
                Captured.Add(packet);
            }
        }
    }
}
