namespace Lilium.Api.Web;

/// <summary>
/// Where the web app lives and how it reaches signaling and the relay (docs/web.md).
/// <list type="bullet">
/// <item><c>WEB_ROOT</c>: the built app (<c>client-sdk/web/dist</c>); unset, the API serves no app but still <c>/config.json</c>.</item>
/// <item><c>WEB_SIGNALING_URL</c> (default <c>/ws</c>) and <c>WEB_RELAY_URL</c> (default <c>/</c>): what <c>/config.json</c> tells
/// the app; a path is relative to the app's origin (CloudFront on AWS, this API locally), or an absolute URL.</item>
/// <item><c>WEB_PROXY_SIGNALING</c> (<c>ws://127.0.0.1:5081/local</c>) and <c>WEB_PROXY_RELAY</c> (<c>http://127.0.0.1:8080/</c>):
/// local only — the API forwards <c>/ws</c> and <c>/whip</c>, <c>/whep</c> there, so the app has one origin as behind CloudFront.</item>
/// </list>
/// </summary>
public sealed record WebAppSettings(string? Root, string SignalingUrl, string RelayUrl, Uri? ProxySignaling, Uri? ProxyRelay)
{
    public static WebAppSettings From(Func<string, string?> variable)
    {
        var root = variable("WEB_ROOT") is { Length: > 0 } r ? Path.GetFullPath(r) : null;
        return new WebAppSettings(
            root is not null && File.Exists(Path.Combine(root, "index.html")) ? root : null,
            variable("WEB_SIGNALING_URL") is { Length: > 0 } s ? s : "/ws",
            variable("WEB_RELAY_URL") is { Length: > 0 } rl ? rl : "/",
            Absolute(variable("WEB_PROXY_SIGNALING"), "ws", "wss"),
            Absolute(variable("WEB_PROXY_RELAY"), "http", "https"));
    }

    /// <summary>The origins other than the app's own that the app may connect to (for the CSP's connect-src).</summary>
    public IEnumerable<string> ExternalOrigins()
    {
        foreach (var url in new[] { SignalingUrl, RelayUrl })
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" or "ws" or "wss")
            {
                yield return u.GetLeftPart(UriPartial.Authority);
            }
        }
    }

    private static Uri? Absolute(string? value, params string[] schemes) =>
        Uri.TryCreate(value, UriKind.Absolute, out var u) && schemes.Contains(u.Scheme) ? u : null;
}
