namespace Lilium.Data.Friends;

/// <summary>The one row of an unordered pair of users; <see cref="RequesterId"/> asked (or blocked).</summary>
public sealed record Friendship(Guid RequesterId, Guid AddresseeId, FriendshipStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public Guid Other(Guid me) => RequesterId == me ? AddresseeId : RequesterId;
}
