namespace Lilium.WebRtc.DataChannels;

/// <summary>What a <see cref="DataChannelEndpoint"/> tells its owner; called synchronously, must not re-enter it.</summary>
public interface IDataChannelEvents
{
    /// <summary>An SCTP packet for DTLS; the span is valid only during the call.</summary>
    void SendPacket(ReadOnlySpan<byte> packet);

    /// <summary>The SCTP association is up: channels can be opened.</summary>
    void OnConnected();

    /// <summary>A channel became open: ours when the peer acknowledged it, the peer's when it asked.</summary>
    void OnChannelOpen(DataChannel channel);

    void OnMessage(DataChannel channel, DataChannelMessage message);

    void OnChannelClosed(DataChannel channel);

    /// <summary>The association ended; every channel is closed.</summary>
    void OnClosed(string reason);
}
