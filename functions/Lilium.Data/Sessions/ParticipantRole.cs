namespace Lilium.Data.Sessions;

public enum ParticipantRole
{
    Host,
    Viewer,
}
