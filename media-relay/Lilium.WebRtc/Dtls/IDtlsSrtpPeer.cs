namespace Lilium.WebRtc.Dtls;

/// <summary>What <see cref="DtlsConnection"/> needs from either role's BouncyCastle peer.</summary>
internal interface IDtlsSrtpPeer
{
    SrtpKeyingMaterial? Keys { get; }

    DtlsPeerEvents Events { get; }

    /// <summary>Checks post-handshake records before BouncyCastle; set when the handshake completes.</summary>
    DtlsRecordGuard? RecordGuard { get; }
}
