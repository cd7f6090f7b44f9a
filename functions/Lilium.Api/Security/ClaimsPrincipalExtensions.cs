using System.Security.Claims;

namespace Lilium.Api.Security;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The authenticated user's id (the endpoint requires authorization, so it is present).</summary>
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("The endpoint is missing RequireAuthorization().");
}
