namespace Lilium.Data.Sessions;

public enum SessionState
{
    Active,
    Ended,
}
