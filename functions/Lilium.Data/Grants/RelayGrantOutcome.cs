namespace Lilium.Data.Grants;

public enum RelayGrantOutcome
{
    Issued,
    SessionNotFound,
    SessionEnded,

    /// <summary>Neither the host, an active participant (e.g. an invitee), nor an accepted friend of the host.</summary>
    Forbidden,

    /// <summary>A friend who is not yet a participant, and the session has no free viewer place.</summary>
    SessionFull,
}
