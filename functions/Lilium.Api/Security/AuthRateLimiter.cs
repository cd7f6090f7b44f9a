using System.Globalization;
using System.Threading.RateLimiting;
using Lilium.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Lilium.Protocol;

namespace Lilium.Api.Security;

/// <summary>
/// The per-user half of the auth rate limit: <b>failed</b> proofs for one user, from any address, and refreshes.
/// Asking for a challenge is anonymous and costs the user nothing (else anyone could lock a user out by asking for
/// challenges in their name); the per-address half is the ASP.NET Core rate limiter policy <see cref="IpPolicy"/>.
/// The user is only known once the body is read, hence a limiter the handlers call.
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

    /// <summary>Null while the user has budget left (nothing is spent); otherwise a 429 problem with Retry-After.</summary>
    public ProblemHttpResult? Check(HttpContext context, Guid userId) => Acquire(context, userId, 0);

    /// <summary>Spends one unit of the user's budget (a failed proof, a refresh); null when it was there, else a 429.</summary>
    public ProblemHttpResult? TryAcquire(HttpContext context, Guid userId) => Acquire(context, userId, 1);

    private ProblemHttpResult? Acquire(HttpContext context, Guid userId, int permits)
    {
        using var lease = _perUser.AttemptAcquire(userId, permits);
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
