namespace Lilium.Data.Sessions;

/// <summary>A limited-use, expiring invitation to a session. The code itself is never stored, only its SHA-256.</summary>
public sealed record Invite(Guid Id, Guid SessionId, Guid CreatedBy, DateTimeOffset ExpiresAt, int MaxUses, int Uses, DateTimeOffset CreatedAt)
{
    public const int MaxUsesLimit = 1000;
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);
}
