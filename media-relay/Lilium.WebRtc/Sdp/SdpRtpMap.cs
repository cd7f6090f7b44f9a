namespace Lilium.WebRtc.Sdp;

/// <summary>
/// One payload format of an RTP m-section: <c>a=rtpmap:PT name/clock[/channels]</c> with its
/// <c>a=fmtp</c> parameters and <c>a=rtcp-fb</c> values (RFC 8866 §6.6, RFC 4585 §4.2).
/// </summary>
public sealed record SdpRtpMap(int PayloadType, string EncodingName, int ClockRate, int Channels)
{
    /// <summary>The raw <c>a=fmtp</c> value, or null.</summary>
    public string? Fmtp { get; init; }

    /// <summary>The <c>a=rtcp-fb</c> values for this payload type (and for <c>*</c>), e.g. <c>nack</c>, <c>nack pli</c>, <c>ccm fir</c>.</summary>
    public IReadOnlyList<string> Feedback { get; init; } = [];

    /// <summary>The fmtp as <c>key=value</c> pairs (keys lower-cased); bare tokens map to an empty value.</summary>
    public IReadOnlyDictionary<string, string> FmtpParameters => ParseFmtp(Fmtp);

    public bool Is(string encodingName) => string.Equals(EncodingName, encodingName, StringComparison.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, string> ParseFmtp(string? fmtp)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(fmtp))
        {
            return result;
        }

        foreach (var part in fmtp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
            var value = eq < 0 ? string.Empty : part[(eq + 1)..].Trim();
            result.TryAdd(key, value);
        }

        return result;
    }

    /// <summary>For an <c>rtx</c> format (RFC 4588 §8.6), the payload type it repairs (<c>apt=</c>); else null.</summary>
    public int? AssociatedPayloadType =>
        Is("rtx") && FmtpParameters.TryGetValue("apt", out var apt)
        && int.TryParse(apt, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pt) && pt <= 127
            ? pt
            : null;

    /// <summary>True when <c>a=rtcp-fb</c> offers <paramref name="feedback"/> (e.g. <c>transport-cc</c>, <c>nack</c>, <c>goog-remb</c>) for this format.</summary>
    public bool HasFeedback(string feedback) => Feedback.Contains(feedback, StringComparer.Ordinal);

    public bool SupportsTransportCc => HasFeedback("transport-cc");
}
