namespace Lilium.Data.Auth;

public enum RefreshRotation
{
    /// <summary>The presented token was the family's newest; the new one replaces it.</summary>
    Rotated,

    /// <summary>An older token of the family was presented (a replay): the family is now revoked.</summary>
    ReuseDetected,

    /// <summary>The family is unknown or already revoked.</summary>
    Revoked,
}
