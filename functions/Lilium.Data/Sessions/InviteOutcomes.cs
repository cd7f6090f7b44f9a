namespace Lilium.Data.Sessions;

public enum CreateInviteOutcome
{
    Created,
    SessionNotFound,
    NotHost,
    SessionEnded,
}

public enum RedeemOutcome
{
    /// <summary>The caller joined the session as a viewer; one use was spent.</summary>
    Joined,

    /// <summary>The caller was already in the session; no use was spent.</summary>
    AlreadyJoined,

    /// <summary>Unknown code (also for codes that were never issued: no oracle for guessing).</summary>
    NotFound,

    Expired,
    Exhausted,
    SessionEnded,
    SessionFull,
}
