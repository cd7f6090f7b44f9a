namespace Lilium.WebRtc.Sctp;

/// <summary>
/// What an <see cref="SctpAssociation"/> asks of its owner. Called synchronously from inside the
/// association's methods; an implementation must not call back into the association.
/// </summary>
public interface ISctpAssociationHandler
{
    /// <summary>Sends one SCTP packet (to DTLS). The span is valid only during the call.</summary>
    void SendPacket(ReadOnlySpan<byte> packet);

    void OnEstablished();

    /// <summary>A complete user message. The array is the handler's to keep.</summary>
    void OnMessage(ushort streamId, uint ppid, byte[] message);

    /// <summary>The peer reset these incoming streams (it closed the data channels on them).</summary>
    void OnIncomingStreamsReset(IReadOnlyList<ushort> streamIds);

    void OnClosed(string reason);
}
