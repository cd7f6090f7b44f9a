using Lilium.Protocol;

namespace Lilium.Api.Infrastructure;

/// <summary>The <c>code</c> of a problem the framework produced without one of ours.</summary>
internal static class ProblemCodes
{
    public static string ForStatus(int status) => (status switch
    {
        StatusCodes.Status400BadRequest => ErrorCode.MalformedRequest,
        StatusCodes.Status401Unauthorized => ErrorCode.Unauthenticated,
        StatusCodes.Status403Forbidden => ErrorCode.Forbidden,
        StatusCodes.Status404NotFound => ErrorCode.NotFound,
        StatusCodes.Status405MethodNotAllowed => ErrorCode.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => ErrorCode.TooLarge,
        StatusCodes.Status415UnsupportedMediaType => ErrorCode.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => ErrorCode.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ErrorCode.Unavailable,
        >= 500 => ErrorCode.InternalError,
        _ => ErrorCode.BadRequest,
    }).WireName();
}
