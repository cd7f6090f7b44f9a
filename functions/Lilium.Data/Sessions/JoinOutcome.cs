namespace Lilium.Data.Sessions;

public enum JoinOutcome
{
    Joined,

    /// <summary>Already an active participant (or the host): nothing changed.</summary>
    AlreadyJoined,

    /// <summary>The session has <see cref="Session.MaxViewers"/> active viewers.</summary>
    Full,

    Ended,
    NotFound,
}
