using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Amazon.Util;

namespace Lilium.Aws.Signing;

/// <summary>
/// Signs an <see cref="HttpRequestMessage"/> with AWS Signature Version 4 by driving AWSSDK.Core's own
/// <see cref="AWS4Signer"/> (the signer every AWS .NET client uses), so canonicalisation, double path
/// encoding and header pruning follow the SDK exactly; nothing of SigV4 is re-implemented here.
/// </summary>
/// <remarks>
/// The request URI's path is handed to the SDK decoded, as the SDK's marshallers do; the SDK encodes it
/// (twice for every service but S3) into the canonical URI. The caller must therefore build the wire
/// URI with single RFC 3986 encoding (<see cref="Uri.EscapeDataString(string)"/> per segment).
/// </remarks>
public sealed class SigV4Signer
{
    private readonly AWS4Signer _signer = new();

    /// <summary>
    /// Adds <c>Host</c>-bound <c>X-Amz-Date</c>, <c>X-Amz-Content-SHA256</c>, <c>X-Amz-Security-Token</c>
    /// (with session credentials) and <c>Authorization</c> to <paramref name="request"/>.
    /// </summary>
    /// <param name="request">The request; its content headers and <c>x-amz-*</c> headers are signed.</param>
    /// <param name="body">The exact bytes that will be sent as the body (empty for none).</param>
    /// <param name="credentials">Resolved credentials.</param>
    /// <param name="scope">Region and signing service name.</param>
    /// <param name="signedAt">The signing time (normally now).</param>
    /// <returns>The details of the signature, for logging and tests.</returns>
    public SigV4Signature Sign(HttpRequestMessage request, ReadOnlyMemory<byte> body, ImmutableCredentials credentials, SigningScope scope, DateTimeOffset signedAt)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("The request URI must be absolute.", nameof(request));
        }

        using var sdkRequest = new DefaultRequest(OpaqueSdkRequest.Instance, scope.Service)
        {
            HttpMethod = request.Method.Method,
            Endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority)),
            Content = body.IsEmpty ? null : body.ToArray(),
            AuthenticationRegion = scope.Region,
            OverrideSigningServiceName = scope.Service,
        };

        SetResourcePath(sdkRequest, uri.AbsolutePath);

        foreach (var (name, value) in QueryString.Parse(uri.Query))
        {
            sdkRequest.ParameterCollection.Add(name, value);
            sdkRequest.UseQueryString = true;
        }

        foreach (var header in request.Headers)
        {
            sdkRequest.Headers[header.Key] = string.Join(",", header.Value);
        }

        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers)
            {
                sdkRequest.Headers[header.Key] = string.Join(",", header.Value);
            }
        }

        if (credentials.UseToken)
        {
            sdkRequest.Headers[HeaderKeys.XAmzSecurityTokenHeader] = credentials.Token;
        }

        var config = new SdkSigningConfig(scope);
        var result = _signer.SignRequest(sdkRequest, config, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey, signedAt.UtcDateTime);

        // Copy back what the signer added; content headers are already on the content.
        foreach (var (name, value) in sdkRequest.Headers.ToArray())
        {
            if (string.Equals(name, HeaderKeys.HostHeader, StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
                || request.Headers.Contains(name)
                || (request.Content?.Headers.Contains(name) ?? false))
            {
                continue;
            }

            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation(HeaderKeys.AuthorizationHeader, result.ForAuthorizationHeader);
        return new SigV4Signature(result.Signature, result.ForAuthorizationHeader);
    }

    /// <summary>
    /// Hands the path to the SDK as one path resource per segment, the way its generated marshallers pass
    /// <c>{ConnectionId}</c>: the SDK then encodes every reserved character of a segment (<c>=</c> too),
    /// where a literal resource path would leave sub-delimiters such as <c>=</c> unencoded and the
    /// signature would not match the one API Gateway computes.
    /// </summary>
    private static void SetResourcePath(DefaultRequest sdkRequest, string encodedPath)
    {
        var segments = encodedPath.Split('/');
        var template = new System.Text.StringBuilder();
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                template.Append('/');
            }

            if (segments[i].Length == 0)
            {
                continue;
            }

            var key = "{s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
            template.Append(key);
            sdkRequest.AddPathResource(key, Uri.UnescapeDataString(segments[i]));
        }

        sdkRequest.ResourcePath = template.ToString();
    }
}
