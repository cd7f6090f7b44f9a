namespace Lilium.Data.Friends;

/// <summary>One line of a user's friend list: the other user and the state of the pair.</summary>
/// <param name="Outgoing">True when the listing user sent the request (or placed the block).</param>
public sealed record FriendEntry(Guid UserId, string Nickname, string Fingerprint, FriendshipStatus Status, bool Outgoing, DateTimeOffset UpdatedAt);
