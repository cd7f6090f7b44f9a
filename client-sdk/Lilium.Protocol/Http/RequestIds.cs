using System.Diagnostics;

namespace Lilium.Protocol.Http;

/// <summary>
/// The request id every HTTP response of the API and the relay carries (docs/observability.md): in the
/// <see cref="Header"/> response header and, on an RFC 9457 problem, as the <see cref="ProblemMember"/> extension member,
/// so a person's error report can be matched to the server's logs and traces.
/// </summary>
public static class RequestIds
{
    /// <summary>The request and response header.</summary>
    public const string Header = "X-Request-Id";

    /// <summary>The problem-details extension member.</summary>
    public const string ProblemMember = "requestId";

    /// <summary>The longest incoming id that is echoed.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// The id of a request: the caller's <c>X-Request-Id</c> when it is a valid one (a proxy's or a client's id keeps
    /// following the request), else the W3C trace id of the request's activity (the id its spans and logs carry), else
    /// a new random one in the same format (32 lowercase hex digits).
    /// </summary>
    public static string Choose(string? incoming, Activity? activity) =>
        incoming is not null && IsValid(incoming) ? incoming
        : activity is not null && activity.IdFormat == ActivityIdFormat.W3C ? activity.TraceId.ToHexString()
        : ActivityTraceId.CreateRandom().ToHexString();

    /// <summary>
    /// 1 to <see cref="MaxLength"/> characters from <c>A–Z a–z 0–9 - _ . : = + / @</c>: what request-id conventions
    /// use (UUIDs, trace ids, <c>Root=1-…</c>), and nothing that could break a log line or a header.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '=' or '+' or '/' or '@'))
            {
                return false;
            }
        }

        return true;
    }
}
