using System.Net;

namespace Lilium.Relay;

/// <summary>Relay configuration, bound from the <c>Relay</c> section and the environment (see <see cref="RelayApp"/>).</summary>
public sealed class RelayOptions
{
    /// <summary>UDP port for all ICE/DTLS/SRTP traffic (<c>RELAY_MEDIA_PORT</c>).</summary>
    public int MediaPort { get; set; } = 7882;

    /// <summary>
    /// TCP port for ICE-TCP (<c>RELAY_TCP_PORT</c>; RFC 6544 passive candidate, RFC 4571 framing): 443 on AWS, where
    /// networks that block UDP still let HTTPS out. Unset: the media port's number (TCP and UDP ports are separate), or
    /// any free port when that is taken; −1 turns ICE-TCP off. Set explicitly, a port that cannot be bound stops the relay.
    /// </summary>
    public int? TcpPort { get; set; }

    /// <summary>Open ICE-TCP connections in total (<c>RELAY_TCP_MAX_CONNECTIONS</c>); more are closed when accepted.</summary>
    public int MaxTcpConnections { get; set; } = 2048;

    /// <summary>
    /// Open ICE-TCP connections from one source address (<c>RELAY_TCP_MAX_PER_ADDRESS</c>); more are closed when accepted.
    /// Generous because an office or campus puts many viewers behind one NAT address; a browser opens one or two per peer.
    /// </summary>
    public int MaxTcpConnectionsPerAddress { get; set; } = 64;

    /// <summary>An ICE-TCP connection with no authenticated Binding request this long after it opened is closed.</summary>
    public TimeSpan TcpBindTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The ICE-TCP port to bind: <see cref="TcpPort"/>, else the configured media port; negative for none.</summary>
    public int EffectiveTcpPort() => TcpPort ?? MediaPort;

    /// <summary>Address the UDP socket and the ICE-TCP listener bind to (<c>RELAY_BIND_ADDRESS</c>); loopback by default.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Address advertised in the ICE candidate (<c>RELAY_PUBLIC_IP</c>).</summary>
    public string? PublicIp { get; set; }

    /// <summary><c>host:port</c> of a STUN server to learn the public address from (<c>RELAY_STUN_SERVER</c>).</summary>
    public string? StunServer { get; set; }

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) whose browser pages may call WHIP/WHEP across origins (<c>RELAY_ALLOWED_ORIGINS</c>,
    /// comma-separated): the web app's. Empty (the default) sends no CORS headers, so no other site's page can use the relay.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary>A peer with no authenticated STUN for this long is torn down (RFC 7675 consent).</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer that has not finished ICE + DTLS this long after its answer is torn down.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Minimum spacing of keyframe requests sent to one publisher stream.</summary>
    public TimeSpan PliInterval { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Fast start (<c>RELAY_FAST_START</c>, default on): a joining viewer is sent the publisher's last keyframe and what
    /// followed it from the cache at once, instead of waiting for a keyframe request's round trip.
    /// </summary>
    public bool FastStart { get; set; } = true;

    /// <summary>A cached keyframe run older than this is not replayed (the viewer waits for a requested keyframe).</summary>
    public TimeSpan KeyframeRunMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>While a viewer waits for a keyframe no cached run could give, the request is repeated this often …</summary>
    public TimeSpan KeyframeRepeatInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>… at most this many times per wait (a static screen sends no keyframe of its own).</summary>
    public int KeyframeRepeats { get; set; } = 10;

    /// <summary>
    /// Whether the relay asks viewers for a playout delay on video (<see cref="PlayoutDelayMinMs"/>–<see cref="PlayoutDelayMaxMs"/>),
    /// through the playout-delay header extension when the viewer negotiated it (<c>RELAY_PLAYOUT_DELAY</c> "min,max" in
    /// milliseconds, or "off"; default 0,0: show each frame as soon as it is decoded).
    /// </summary>
    public bool PlayoutDelayEnabled { get; set; } = true;

    /// <summary>The playout delay's lower bound (ms, a multiple of 10).</summary>
    public int PlayoutDelayMinMs { get; set; }

    /// <summary>The playout delay's upper bound (ms, a multiple of 10, at most 40,950).</summary>
    public int PlayoutDelayMaxMs { get; set; }

    /// <summary>How long a drain (SIGTERM) waits for peers to leave before the process exits.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The control plane's base URL (<c>RELAY_CONTROL_PLANE_URL</c>), whose revocations feed this relay polls; without
    /// it, kicks, blocks, session ends and logouts reach the relay only as grants expire.
    /// </summary>
    public Uri? ControlPlaneUrl { get; set; }

    /// <summary>Live peers one user may hold in one session (several devices, a reconnect overlapping the old peer); more get 429.</summary>
    public int MaxPeersPerUser { get; set; } = 4;

    /// <summary>Live peers one user may hold on this relay across sessions; more get 429.</summary>
    public int MaxPeersPerUserOnRelay { get; set; } = 16;

    /// <summary>
    /// Live peers one source address may hold on this relay (<c>RELAY_MAX_PEERS_PER_ADDRESS</c>); more get 429. Generous,
    /// since a household or an office shares one address; it stops one machine from filling the relay.
    /// </summary>
    public int MaxPeersPerAddress { get; set; } = 64;

    private IReadOnlyList<IPNetwork> _trustedProxies = [];

    /// <summary>
    /// Proxies whose <c>X-Forwarded-For</c> this relay believes (<c>RELAY_TRUSTED_PROXIES</c>, comma-separated CIDRs: the
    /// VPC on AWS, where the load balancer connects from). Empty: the connection's own address counts. Methods, not a
    /// property, for the same reason as <see cref="BindIPAddress"/>.
    /// </summary>
    public IReadOnlyList<IPNetwork> TrustedProxies() => _trustedProxies;

    /// <inheritdoc cref="TrustedProxies"/>
    public void SetTrustedProxies(IEnumerable<IPNetwork> networks) => _trustedProxies = [.. networks];

    /// <summary>
    /// Bearer token for <c>/metrics</c> (<c>RELAY_METRICS_TOKEN</c>). Unset: <c>/metrics</c> answers loopback
    /// clients only. Set: it answers any client sending <c>Authorization: Bearer</c> this token, and nobody else.
    /// </summary>
    public string? MetricsToken { get; set; }

    /// <summary>Live peers on this relay (<c>RELAY_MAX_PEERS</c>); beyond it a WHIP/WHEP offer gets 503 with Retry-After.</summary>
    public int MaxPeers { get; set; } = 2000;

    /// <summary>How often the revocations feed is polled (<c>RELAY_REVOCATION_POLL_MS</c>); revocations reach peers within about this plus one HTTP round trip.</summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Send each datagram's fan-out with one <c>sendmmsg(2)</c> per batch on Linux (<c>RELAY_SENDMMSG</c>,
    /// default true); false sends every datagram with its own <c>sendto</c>, the portable path.
    /// </summary>
    public bool SendMmsg { get; set; } = true;

    /// <summary>
    /// <see cref="BindAddress"/> parsed; loopback when it is not an address. A method, not a property: the
    /// configuration binder (source-generated under Native AOT) would otherwise try to bind an <see cref="IPAddress"/>.
    /// </summary>
    /// <summary>
    /// Probe subscribers whose transport estimate fell (<c>RELAY_PROBING</c>, default on): padding packets that let the
    /// estimate climb back as soon as the path has room (docs/relay.md, "Probing").
    /// </summary>
    public bool Probing { get; set; } = true;

    /// <summary>
    /// NACK publishers for what their streams lost on the way in (<c>RELAY_NACK_PUBLISHERS</c>, default on; only where
    /// the publisher negotiated nack): the repairs fill the cache the viewers' NACKs are answered from
    /// (docs/relay.md, "RTX"). Off is the control for tests and benchmarks.
    /// </summary>
    public bool NackPublishers { get; set; } = true;

    /// <summary>
    /// No probe while a subscriber's estimate is at or above this (bits/s; <c>RELAY_PROBE_CEILING_KBPS</c>, default 8,000
    /// kbit/s, above what a 1080p screen share sends); probes go at most 1.5× as fast.
    /// </summary>
    public double ProbeCeilingBps { get; set; } = 8_000_000;

    public IPAddress BindIPAddress() => IPAddress.TryParse(BindAddress, out var ip) ? ip : IPAddress.Loopback;
}
