using System.Text.Json;
using Lilium.Protocol.Signaling;

namespace Lilium.Client;

/// <summary>The base of every error the SDK raises on purpose.</summary>
public class LiliumException : Exception
{
    /// <summary>Creates an error with a message.</summary>
    public LiliumException(string message) : base(message)
    {
    }

    /// <summary>Creates an error with a message and its cause.</summary>
    public LiliumException(string message, Exception? inner) : base(message, inner)
    {
    }
}

/// <summary>A service endpoint (API, WebSocket or relay) could not be reached at all.</summary>
public class LiliumUnavailableException : LiliumException
{
    /// <summary>Creates an error with a message and its cause.</summary>
    public LiliumUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>The media relay cannot be reached or did not complete ICE/DTLS.</summary>
public sealed class RelayUnavailableException : LiliumUnavailableException
{
    /// <summary>Creates an error with a message and its cause.</summary>
    public RelayUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// The session is over for this client — the host removed them, the session ended, or they are no longer admitted —
/// so its media stopped and will not resume; the message says which, in a sentence for a person.
/// </summary>
public sealed class SessionOverException : LiliumException
{
    /// <summary>Creates an error with a message and its cause.</summary>
    public SessionOverException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>The session ended (<c>session.ended</c>), with its wire reason said for a person.</summary>
    internal static SessionOverException Ended(string? reason) => new(!EndReasons.TryParse(reason, out var known) ? "The session ended." : known switch
    {
        EndReason.HostGone => "The session ended: the host went offline.",
        EndReason.PublisherGone => "The session ended: the host stopped sharing.",
        EndReason.Stale => "The session ended: it ran longer than a session may.",
        _ => "The host ended the session.",
    });
}

/// <summary>
/// A service answered with an RFC 9457 problem: <see cref="Status"/>, a machine-readable
/// <see cref="Code"/> (the problem's <c>code</c> member, else the last segment of its <c>type</c>),
/// and its <c>title</c> / <c>detail</c> in the message.
/// </summary>
public class LiliumProblemException : LiliumException
{
    /// <summary>Creates an error from a problem's parts.</summary>
    public LiliumProblemException(int status, string code, string message) : base(message)
    {
        Status = status;
        Code = code;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The machine-readable problem code, e.g. <c>not-friends</c>.</summary>
    public string Code { get; }

    /// <summary>The problem's <c>etaSeconds</c> (relay fleet: <c>relay-starting</c>), when it has one.</summary>
    public int? EtaSeconds { get; init; }

    /// <summary>The problem's <c>etaSeconds</c> member; null when absent or not a small integer (never throws).</summary>
    internal static int? ReadEta(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("etaSeconds", out var eta)
                && eta.ValueKind == JsonValueKind.Number && eta.TryGetInt32(out var seconds) && seconds is >= 0 and <= 3600 ? seconds : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static (string Code, string Message) Read(int status, string? body, string fallbackTitle)
    {
        var code = status switch
        {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            409 => "conflict",
            429 => "rate-limited",
            _ => "http-" + status,
        };
        var message = fallbackTitle;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String)
                    {
                        code = c.GetString()!;
                    }
                    else if (root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } type && type != "about:blank")
                    {
                        code = type[(type.LastIndexOfAny(['/', ':']) + 1)..];
                    }

                    var title = root.TryGetProperty("title", out var ti) && ti.ValueKind == JsonValueKind.String ? ti.GetString() : null;
                    var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    message = (title, detail) switch
                    {
                        ({ } a, { } b) => $"{a}: {b}",
                        ({ } a, null) => a,
                        (null, { } b) => b,
                        _ => fallbackTitle,
                    };
                }
            }
            catch (JsonException)
            {
            }
        }

        return (code, $"{message} (HTTP {status}, {code})");
    }
}

/// <summary>The relay refused an offer (bad or expired grant, no publisher yet, draining, bad SDP).</summary>
public sealed class RelayRejectedException : LiliumProblemException
{
    /// <summary>Creates an error from a problem's parts.</summary>
    public RelayRejectedException(int status, string code, string message) : base(status, code, message)
    {
    }

    /// <summary>The relay's <c>Retry-After</c> (e.g. 409 <c>no-publisher</c>, 503 <c>draining</c> or <c>relay-unavailable</c>), when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    internal static RelayRejectedException From(HttpResponseMessage response, string body)
    {
        var (code, message) = Read((int)response.StatusCode, body, "The relay refused the connection");
        var retry = response.Headers.RetryAfter;
        var after = retry?.Delta ?? (retry?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return new RelayRejectedException((int)response.StatusCode, code, message)
        {
            RetryAfter = after is { } a && a >= TimeSpan.Zero && a <= TimeSpan.FromHours(1) ? a : null,
            EtaSeconds = ReadEta(body),
        };
    }
}
