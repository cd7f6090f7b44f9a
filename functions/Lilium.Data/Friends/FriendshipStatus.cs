namespace Lilium.Data.Friends;

public enum FriendshipStatus
{
    Pending,
    Accepted,
    Declined,
    Blocked,
}

internal static class FriendshipStatusText
{
    public static string ToDb(this FriendshipStatus s) => s switch
    {
        FriendshipStatus.Pending => "pending",
        FriendshipStatus.Accepted => "accepted",
        FriendshipStatus.Declined => "declined",
        FriendshipStatus.Blocked => "blocked",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static FriendshipStatus FromDb(string s) => s switch
    {
        "pending" => FriendshipStatus.Pending,
        "accepted" => FriendshipStatus.Accepted,
        "declined" => FriendshipStatus.Declined,
        "blocked" => FriendshipStatus.Blocked,
        _ => throw new InvalidOperationException($"Unknown friendship status '{s}' in the database."),
    };
}
