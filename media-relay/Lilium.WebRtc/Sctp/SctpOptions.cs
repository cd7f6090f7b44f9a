namespace Lilium.WebRtc.Sctp;

/// <summary>Tunables of one association. Defaults suit WebRTC data channels (RFC 8831 §5–6).</summary>
public sealed record SctpOptions
{
    /// <summary>SCTP port, from <c>a=sctp-port</c> (5000 by convention).</summary>
    public ushort LocalPort { get; init; } = 5000;
    public ushort RemotePort { get; init; } = 5000;

    /// <summary>
    /// Largest SCTP packet we send. RFC 8831 §5 caps the IP packet at 1200 bytes until PMTU discovery
    /// (not done); below that sit IP (20), UDP (8) and the DTLS record (13-byte header plus up to ~64
    /// for nonce, tag or MAC and padding), so 1100 leaves every DTLS 1.2 cipher suite room. A larger
    /// packet would exceed the DTLS send limit and be dropped before it left.
    /// </summary>
    public int Mtu { get; init; } = 1100;

    /// <summary>Our advertised receive window in bytes; also caps what a peer can make us buffer.</summary>
    public uint ReceiveWindow { get; init; } = 1024 * 1024;

    /// <summary>The most TSNs beyond the cumulative ack we accept; DATA further out is dropped as hostile.</summary>
    public uint MaxTsnWindow { get; init; } = 16 * 1024;

    public ushort MaxStreams { get; init; } = ushort.MaxValue;

    /// <summary>
    /// The most user bytes queued for sending and not yet acknowledged (a peer that stops acknowledging cannot make
    /// us hold more): a <see cref="SctpAssociation.Send"/> past it is refused, as a browser refuses a
    /// <c>send()</c> past its 16 MB buffer. 1 MiB holds seconds of input events and chat.
    /// </summary>
    public long MaxBufferedAmount { get; init; } = 1024 * 1024;

    /// <summary>Largest user message, advertised as <c>a=max-message-size</c>.</summary>
    public int MaxMessageSize { get; init; } = 256 * 1024;

    public int RtoInitialMs { get; init; } = 1000;
    public int RtoMinMs { get; init; } = 200;
    public int RtoMaxMs { get; init; } = 10_000;
    public int MaxInitRetransmits { get; init; } = 8;

    /// <summary>Consecutive unanswered retransmission timeouts or heartbeats before the association is declared dead.</summary>
    public int MaxAssociationRetransmits { get; init; } = 10;

    public int HeartbeatIntervalMs { get; init; } = 15_000;

    /// <summary>
    /// Delayed acknowledgement (RFC 4960 §6.2): a SACK goes at once for every second packet with
    /// DATA, for anything out of order or duplicated, and otherwise after this delay (RFC: ≤ 200 ms;
    /// short here so a sender's window keeps opening). 0 acknowledges every packet at once.
    /// </summary>
    public int SackDelayMs { get; init; } = 20;

    /// <summary>How long a state cookie stays valid (RFC 4960 §5.1.3 "Valid.Cookie.Life").</summary>
    public int CookieLifetimeMs { get; init; } = 60_000;
}
