using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class DataChannelEndpointTests
{
    private sealed class Side : IDataChannelEvents
    {
        public Side(bool even) => Endpoint = new DataChannelEndpoint(new SctpOptions(), this, even);

        public DataChannelEndpoint Endpoint { get; }
        public Queue<byte[]> Outbox { get; } = new();
        public List<DataChannel> Opened { get; } = [];
        public List<DataChannel> ClosedChannels { get; } = [];
        public List<(string Label, DataChannelMessage Message)> Messages { get; } = [];
        public bool Connected { get; private set; }

        public void SendPacket(ReadOnlySpan<byte> packet) => Outbox.Enqueue(packet.ToArray());
        public void OnConnected() => Connected = true;
        public void OnChannelOpen(DataChannel channel) => Opened.Add(channel);
        public void OnMessage(DataChannel channel, DataChannelMessage message) => Messages.Add((channel.Label, message));
        public void OnChannelClosed(DataChannel channel) => ClosedChannels.Add(channel);
        public void OnClosed(string reason) { }
    }

    private static (Side Client, Side Server) Pair()
    {
        var client = new Side(even: true);
        var server = new Side(even: false);
        client.Endpoint.Connect(0);
        Pump(client, server);
        Assert.True(client.Connected && server.Connected);
        return (client, server);
    }

    private static void Pump(Side a, Side b)
    {
        for (var i = 0; i < 100 && (a.Outbox.Count > 0 || b.Outbox.Count > 0); i++)
        {
            while (a.Outbox.TryDequeue(out var p)) { b.Endpoint.HandlePacket(p, 0); }
            while (b.Outbox.TryDequeue(out var p)) { a.Endpoint.HandlePacket(p, 0); }
        }
    }

    [Fact]
    public void Open_ack_text_binary_and_empty_messages()
    {
        var (client, server) = Pair();
        var channel = client.Endpoint.Open(new DataChannelParameters { Label = "input", Protocol = "lilium-input/1", Ordered = false, MaxRetransmits = 0 }, 0);
        Assert.Equal(DataChannelState.Connecting, channel.State);
        Pump(client, server);
        Assert.Equal(DataChannelState.Open, channel.State);
        var remote = Assert.Single(server.Opened);
        Assert.Equal(("input", "lilium-input/1", false, 0), (remote.Label, remote.Parameters.Protocol, remote.Parameters.Ordered, remote.Parameters.MaxRetransmits!.Value));
        Assert.Equal(channel.Id, remote.Id);
        Assert.Equal(0, channel.Id % 2);

        Assert.True(client.Endpoint.Send(channel, "héllo"u8, isText: true, 0));
        Assert.True(client.Endpoint.Send(channel, [1, 2, 3], isText: false, 0));
        Assert.True(client.Endpoint.Send(channel, [], isText: true, 0));
        Assert.True(client.Endpoint.Send(channel, [], isText: false, 0));
        Pump(client, server);
        Assert.Equal(4, server.Messages.Count);
        Assert.Equal("héllo", server.Messages[0].Message.Text);
        Assert.Equal([1, 2, 3], server.Messages[1].Message.Data);
        Assert.True(server.Messages[2].Message.IsText);
        Assert.Empty(server.Messages[2].Message.Data);
        Assert.False(server.Messages[3].Message.IsText);
        Assert.Empty(server.Messages[3].Message.Data);
    }

    [Fact]
    public void Closing_a_channel_closes_it_on_both_sides()
    {
        var (client, server) = Pair();
        var channel = client.Endpoint.Open(new DataChannelParameters { Label = "a" }, 0);
        Pump(client, server);
        client.Endpoint.Close(channel, 0);
        Pump(client, server);
        Assert.Equal(DataChannelState.Closed, channel.State);
        Assert.Single(server.ClosedChannels);
        Assert.Single(client.ClosedChannels);
        Assert.False(client.Endpoint.Send(channel, "late"u8, isText: true, 0));
    }

    [Fact]
    public void Negotiated_channels_need_no_handshake()
    {
        var (client, server) = Pair();
        var a = client.Endpoint.Open(new DataChannelParameters { Label = "ctl", NegotiatedId = 42 }, 0);
        var b = server.Endpoint.Open(new DataChannelParameters { Label = "ctl", NegotiatedId = 42 }, 0);
        Assert.Equal(DataChannelState.Open, a.State);
        Assert.True(client.Endpoint.Send(a, "x"u8, isText: true, 0));
        Pump(client, server);
        Assert.Equal("x", Assert.Single(server.Messages).Message.Text);
        Assert.Same(b.Label, server.Messages[0].Label);
    }

    [Theory]
    [InlineData(new byte[] { 3 })]
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0 })]               // label length past the end
    [InlineData(new byte[] { 3, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]            // unknown channel type
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28 })]   // label not UTF-8
    [InlineData(new byte[] { 9, 9, 9 })]
    [InlineData(new byte[] { 2, 0 })]
    public void Malformed_dcep_is_dropped_and_the_association_lives_on(byte[] dcep)
    {
        var (client, server) = Pair();
        client.Endpoint.Association.Send(7, DataChannelPpid.Dcep, dcep, SctpSendOptions.Reliable, 0);
        client.Endpoint.Association.Send(9, DataChannelPpid.String, "orphan"u8, SctpSendOptions.Reliable, 0);
        Pump(client, server);
        Assert.Empty(server.Opened);
        Assert.Empty(server.Messages);
        Assert.Equal(2, server.Endpoint.DroppedMessages);

        var ok = client.Endpoint.Open(new DataChannelParameters { Label = "after" }, 0);
        Pump(client, server);
        Assert.Equal(DataChannelState.Open, ok.State);
    }

    [Fact]
    public void A_second_open_on_a_used_stream_is_ignored()
    {
        var (client, server) = Pair();
        var channel = client.Endpoint.Open(new DataChannelParameters { Label = "first" }, 0);
        Pump(client, server);
        client.Endpoint.Association.Send(channel.Id, DataChannelPpid.Dcep, DcepMessage.WriteOpen(new DataChannelParameters { Label = "hijack" }), SctpSendOptions.Reliable, 0);
        Pump(client, server);
        Assert.Equal("first", Assert.Single(server.Endpoint.Channels).Label);
    }
}
