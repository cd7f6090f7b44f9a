namespace Lilium.Data.Friends;

public enum FriendRequestOutcome
{
    /// <summary>A new pending request (or a declined one renewed).</summary>
    Requested,

    /// <summary>The caller had already asked; nothing changed.</summary>
    AlreadyPending,

    /// <summary>The other user had asked the caller: asking back accepts.</summary>
    Accepted,

    AlreadyFriends,

    /// <summary>One of the two blocked the other.</summary>
    Blocked,

    UserNotFound,

    /// <summary>A user cannot befriend themselves.</summary>
    Self,
}
