using Lilium.Auth;
using Lilium.Data.Configuration;

namespace Lilium.Api.Infrastructure;

/// <summary>Everything the API needs from its environment, resolved once at start.</summary>
internal sealed record ApiSettings(
    string ConnectionString,
    DatabaseSettingsSource DatabaseSource,
    TokenKeys TokenKeys,
    RateLimitSettings RateLimits)
{
    /// <summary>Largest request body accepted (HTTP 413 above).</summary>
    public const int MaxRequestBodyBytes = 16 * 1024;

    public static async Task<ApiSettings> ResolveAsync(IConfiguration configuration, bool isDevelopment, CancellationToken cancellationToken = default)
    {
        string? Variable(string name) => configuration[name];
        var secrets = new LazySecretReader();
        var (connectionString, source) = await DatabaseSettings.ResolveAsync(Variable, secrets, cancellationToken);
        var keys = await TokenKeysSettings.ResolveAsync(Variable, secrets, allowGenerated: isDevelopment, cancellationToken);
        return new ApiSettings(connectionString, source, keys, RateLimitSettings.From(Variable));
    }
}
