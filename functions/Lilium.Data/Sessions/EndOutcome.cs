namespace Lilium.Data.Sessions;

public enum EndOutcome
{
    Ended,
    AlreadyEnded,
    NotFound,
    NotHost,
}
