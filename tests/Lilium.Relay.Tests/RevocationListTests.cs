using Lilium.Auth;
using Lilium.Relay.Sessions;

namespace Lilium.Relay.Tests;

/// <summary>
/// The relay's revocation list compares a removal with the grant's issue time in milliseconds: a grant issued before a
/// removal is refused, and one issued after it — a viewer who left and was admitted again within the same second — passes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RevocationListTests
{
    private static readonly Guid Session = Guid.NewGuid();
    private static readonly Guid Viewer = Guid.NewGuid();

    private static RelayGrantClaims Grant(DateTimeOffset issued, bool withMs = true) => new()
    {
        Subject = Viewer,
        IssuedAt = issued.ToUnixTimeSeconds(),
        IssuedAtMs = withMs ? issued.ToUnixTimeMilliseconds() : 0,
        ExpiresAt = (issued + TimeSpan.FromMinutes(5)).ToUnixTimeSeconds(),
        SessionId = Session,
        Role = RelayRole.Viewer,
    };

    [Fact]
    public void A_grant_from_before_the_removal_is_refused_and_one_from_after_it_passes_within_the_same_second()
    {
        var list = new RevocationList(TimeProvider.System);
        var second = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var removedAt = second.AddMilliseconds(400);
        list.Removed(Session, Viewer, removedAt);

        Assert.NotNull(list.Refusal(Grant(second.AddMilliseconds(100))));
        Assert.NotNull(list.Refusal(Grant(removedAt)));
        Assert.Null(list.Refusal(Grant(second.AddMilliseconds(700))));
        Assert.Null(list.Refusal(Grant(second.AddSeconds(1))));

        // A grant without iat_ms counts from the start of its second: refused when in doubt.
        Assert.NotNull(list.Refusal(Grant(second.AddMilliseconds(700), withMs: false)));
        Assert.Null(list.Refusal(Grant(second.AddSeconds(1), withMs: false)));
    }

    [Fact]
    public void A_revoked_login_refuses_earlier_grants_only()
    {
        var list = new RevocationList(TimeProvider.System);
        var at = DateTimeOffset.UtcNow;
        list.UserRevoked(Viewer, at);
        Assert.NotNull(list.Refusal(Grant(at.AddMilliseconds(-1))));
        Assert.Null(list.Refusal(Grant(at.AddMilliseconds(1))));
    }
}
