using Lilium.Api.Contracts;
using Lilium.Data.Friends;
using Lilium.Data.Sessions;
using Lilium.Data.Users;
using Lilium.Auth;
using Lilium.Protocol;

namespace Lilium.Api.Endpoints;

/// <summary>Domain records to wire shapes; enum names on the wire are lower-case words.</summary>
internal static class Mapping
{
    public static UserResponse ToResponse(this User u) =>
        new(u.Id, u.Nickname, u.Fingerprint, Convert.ToBase64String(u.PublicKey), u.CreatedAt);

    public static string ToWire(this FriendshipStatus s) => s switch
    {
        FriendshipStatus.Pending => "pending",
        FriendshipStatus.Accepted => "accepted",
        FriendshipStatus.Declined => "declined",
        _ => "blocked",
    };

    public static FriendResponse ToResponse(this FriendEntry f) =>
        new(f.UserId, f.Nickname, f.Fingerprint, f.Status.ToWire(), f.Outgoing ? "outgoing" : "incoming", Online: false, f.UpdatedAt);

    public static SessionResponse ToResponse(this Session s) =>
        new(s.Id, s.HostId, s.State == SessionState.Active ? "active" : "ended", s.MaxViewers, s.CreatedAt, s.EndedAt);

    public static ParticipantResponse ToResponse(this SessionParticipant p) =>
        new(p.UserId, p.Nickname, p.Role == ParticipantRole.Host ? "host" : "viewer", p.JoinedAt, p.LeftAt);

    public static GrantsBody ToBody(this InputPermissions p) => new(
        p.HasFlag(InputPermissions.Keyboard),
        p.HasFlag(InputPermissions.Mouse),
        p.HasFlag(InputPermissions.Controller),
        p.HasFlag(InputPermissions.Immersion));

    public static InputPermissions ToPermissions(this GrantsBody b) =>
        (b.Keyboard ? InputPermissions.Keyboard : 0)
        | (b.Mouse ? InputPermissions.Mouse : 0)
        | (b.Controller ? InputPermissions.Controller : 0)
        | (b.Immersion ? InputPermissions.Immersion : 0);
}
