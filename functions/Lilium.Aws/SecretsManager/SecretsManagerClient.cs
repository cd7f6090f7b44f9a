using System.Collections.Concurrent;
using Lilium.Aws.Protocol;

namespace Lilium.Aws.SecretsManager;

/// <summary>
/// Secrets Manager <c>GetSecretValue</c> over the JSON 1.1 protocol, with a small TTL cache so a warm
/// Lambda does not call the service on every request. Concurrent readers of one secret share a single
/// call; a failed call is not cached.
/// </summary>
public sealed class SecretsManagerClient
{
    /// <summary>The cache lifetime when none is given: short enough that a rotation is seen soon.</summary>
    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromMinutes(5);

    private readonly AwsJsonProtocol _protocol;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly ConcurrentDictionary<(string SecretId, string? Stage), CacheEntry> _cache = new();

    /// <param name="context">Shared AWS context.</param>
    /// <param name="cacheTtl">How long a value is reused; <see cref="TimeSpan.Zero"/> disables the cache.</param>
    public SecretsManagerClient(AwsContext context, TimeSpan? cacheTtl = null)
    {
        _protocol = new AwsJsonProtocol(context, AwsService.SecretsManager, "secretsmanager");
        _time = context.Time;
        _ttl = cacheTtl ?? DefaultCacheTtl;
    }

    /// <summary>The secret's current value (or the version with <paramref name="versionStage"/>).</summary>
    /// <exception cref="AwsServiceException">E.g. <c>ResourceNotFoundException</c>, <c>AccessDeniedException</c>.</exception>
    public Task<SecretValue> GetSecretValueAsync(string secretId, string? versionStage = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretId);
        if (_ttl <= TimeSpan.Zero)
        {
            return FetchAsync(secretId, versionStage, cancellationToken);
        }

        var key = (secretId, versionStage);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var entry) && entry.ExpiresAt > now && !entry.Value.IsFaulted && !entry.Value.IsCanceled)
        {
            return entry.Value;
        }

        // The shared fetch is not tied to one caller's token; each caller may still stop waiting.
        var fresh = new CacheEntry(FetchAsync(secretId, versionStage, CancellationToken.None), now + _ttl);
        var winner = _cache.AddOrUpdate(key, fresh, (_, old) => old.ExpiresAt > now && !old.Value.IsFaulted && !old.Value.IsCanceled ? old : fresh);
        _ = winner.Value.ContinueWith(t => _cache.TryRemove(new KeyValuePair<(string, string?), CacheEntry>(key, winner)), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return winner.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets cached values of <paramref name="secretId"/> (e.g. after a signature check failed with a rotated key).</summary>
    public void Invalidate(string secretId)
    {
        foreach (var key in _cache.Keys.Where(k => k.SecretId == secretId))
        {
            _cache.TryRemove(key, out _);
        }
    }

    private async Task<SecretValue> FetchAsync(string secretId, string? versionStage, CancellationToken cancellationToken)
    {
        var r = await _protocol.InvokeAsync(
            "GetSecretValue",
            new GetSecretValueRequest(secretId, versionStage),
            SecretsManagerJsonContext.Default.GetSecretValueRequest,
            SecretsManagerJsonContext.Default.GetSecretValueResponse,
            cancellationToken);

        return new SecretValue(
            r.Arn ?? "",
            r.Name ?? secretId,
            r.VersionId ?? "",
            r.SecretString,
            r.SecretBinary,
            r.VersionStages ?? [],
            r.CreatedDate is { } epoch ? DateTimeOffset.FromUnixTimeMilliseconds((long)(epoch * 1000)) : null);
    }

    private sealed record CacheEntry(Task<SecretValue> Value, DateTimeOffset ExpiresAt);
}
