namespace Lilium.Data.Grants;

public enum RelayGrantOutcome
{
    Issued,

    /// <summary>
    /// No such session, or one the caller may not know about (not the host, never a participant, not an accepted friend,
    /// or in a blocked pair with the host): the same answer either way, so neither a session nor a block is revealed.
    /// </summary>
    SessionNotFound,

    SessionEnded,

    /// <summary>The caller may see the session (an accepted friend of the host, or a former participant) but the host has not admitted them.</summary>
    NotAdmitted,

    /// <summary>Admitting the viewer would exceed the session's viewer cap.</summary>
    SessionFull,
}
