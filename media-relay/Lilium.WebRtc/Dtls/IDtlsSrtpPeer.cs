namespace Lilium.WebRtc.Dtls;

/// <summary>What <see cref="DtlsConnection"/> needs from either role's BouncyCastle peer.</summary>
internal interface IDtlsSrtpPeer
{
    SrtpKeyingMaterial? Keys { get; }

    /// <summary>The record keys for <see cref="DtlsRecordLayer"/>; set when the handshake completes.</summary>
    DtlsRecordKeys? RecordKeys { get; }

    DtlsPeerEvents Events { get; }
}
