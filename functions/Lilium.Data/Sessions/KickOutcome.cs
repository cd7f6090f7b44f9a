namespace Lilium.Data.Sessions;

public enum KickOutcome
{
    Kicked,
    NotFound,
    NotHost,
    SessionEnded,

    /// <summary>The user is not an active viewer of the session.</summary>
    NotParticipant,
}
