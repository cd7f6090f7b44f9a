using Microsoft.AspNetCore.Http.Features;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// Caps request bodies at <see cref="ApiSettings.MaxRequestBodyBytes"/> on any server: a declared
/// Content-Length above it is refused at once; otherwise the server's own limit feature (Kestrel)
/// stops a chunked body while it is read (surfacing as a 413 BadHttpRequestException).
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > ApiSettings.MaxRequestBodyBytes)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = ApiSettings.MaxRequestBodyBytes;
        }

        return next(context);
    }
}
