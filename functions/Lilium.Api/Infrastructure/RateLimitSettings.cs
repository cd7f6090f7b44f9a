using System.Globalization;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// Limits on the unauthenticated endpoints (register, challenge, token, refresh), per minute:
/// <c>RATE_LIMIT_AUTH_PER_IP</c> (default 60) per client address and <c>RATE_LIMIT_AUTH_PER_USER</c>
/// (default 20) per user being logged in, whatever address the attempts come from.
/// </summary>
internal sealed record RateLimitSettings(int PerIpPerMinute, int PerUserPerMinute)
{
    public static RateLimitSettings From(Func<string, string?> variable) => new(
        Read(variable, "RATE_LIMIT_AUTH_PER_IP", 60),
        Read(variable, "RATE_LIMIT_AUTH_PER_USER", 20));

    private static int Read(Func<string, string?> variable, string name, int fallback) =>
        variable(name) is not { Length: > 0 } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new Data.Configuration.ConfigurationException($"{name} must be a positive integer, not '{text}'.");
}
