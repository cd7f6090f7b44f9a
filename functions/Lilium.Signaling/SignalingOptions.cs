namespace Lilium.Signaling;

public sealed record SignalingOptions
{
    public int MaxConnectionsPerUser { get; init; } = 5;

    /// <summary>Largest decoded chat ciphertext.</summary>
    public int MaxCiphertextBytes { get; init; } = 32 * 1024;

    public double RatePerSecond { get; init; } = 50;

    public double RateBurst { get; init; } = 50;

    /// <summary>How many PostToConnection calls a fan-out keeps in flight.</summary>
    public int FanOutConcurrency { get; init; } = 16;

    /// <summary>
    /// How long a user's connection list and a friendship check may be served from this instance's cache.
    /// Zero disables it. Trade-off: an unfriend/block, or a connection opened through another instance,
    /// takes up to this long to be seen.
    /// </summary>
    public TimeSpan LookupCacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a user's connection list may be served from the cache; null means <see cref="LookupCacheTtl"/>. Only
    /// an instance that performs every <c>$connect</c>/<c>$disconnect</c> itself (see <see cref="SingleInstance"/>) may set it
    /// longer, because its cache is then authoritative for connections (friendships are written by the API, elsewhere).
    /// </summary>
    public TimeSpan? ConnectionCacheTtl { get; init; }

    /// <summary>
    /// Settings for a handler that is the only instance behind its gateway (the local gateway): it performs every
    /// <c>$connect</c> and <c>$disconnect</c> itself and updates its cache as it does, so its connection lists are
    /// authoritative and their hour-long TTL is only a safety net against writes made by other tools. Friendships
    /// change through the API (another process), so an unfriend or block still takes effect within 30 s. On Lambda
    /// (many instances) keep the defaults.
    /// </summary>
    public static SignalingOptions SingleInstance { get; } = new() { LookupCacheTtl = TimeSpan.FromSeconds(30), ConnectionCacheTtl = TimeSpan.FromHours(1) };

    /// <summary>Largest <c>sdp</c> or <c>candidate</c> of an <c>rtc.*</c> message, as JSON text.</summary>
    public int MaxSdpBytes { get; init; } = 16 * 1024;

    /// <summary>How long a host may be without any signaling connection before the sweeper ends their sessions.</summary>
    public TimeSpan HostGracePeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How far back the first sweep of an instance looks for revoked logins whose sockets it must close.</summary>
    public TimeSpan RevocationLookback { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest a session may stay active; older ones are ended as stale by the sweeper.</summary>
    public TimeSpan MaxSessionAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The media relay's base URL, sent to admitted viewers with their grant (<c>RELAY_URL</c>); optional.</summary>
    public Uri? RelayUrl { get; init; }
}
