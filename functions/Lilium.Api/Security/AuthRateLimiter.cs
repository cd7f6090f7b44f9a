using System.Globalization;
using System.Threading.RateLimiting;
using Lilium.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Lilium.Protocol;

namespace Lilium.Api.Security;

/// <summary>
/// The per-user half of the auth rate limit: attempts to log in as one user, from any address.
/// (The per-address half is the ASP.NET Core rate limiter policy <see cref="IpPolicy"/>.) The user
/// is only known once the body is read, hence a limiter the handlers call.
/// </summary>
internal sealed class AuthRateLimiter(RateLimitSettings settings) : IDisposable
{
    public const string IpPolicy = "auth-per-ip";

    private readonly PartitionedRateLimiter<Guid> _perUser = PartitionedRateLimiter.Create<Guid, Guid>(user =>
        RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.PerUserPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>Null when allowed; otherwise a 429 problem with Retry-After.</summary>
    public ProblemHttpResult? TryAcquire(HttpContext context, Guid userId)
    {
        using var lease = _perUser.AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            return null;
        }

        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.Of(ErrorCode.RateLimited, "Too many login attempts for this user; retry later.");
    }

    public void Dispose() => _perUser.Dispose();
}
