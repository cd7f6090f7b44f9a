namespace Lilium.WebRtc.Sdp;

/// <summary>The codecs the relay forwards: VP8, H.264 with packetization-mode 1, and Opus.</summary>
public static class SdpCodecs
{
    /// <summary>
    /// Feedback types we act on (NACK, PLI, FIR, transport-cc from subscribers) or send (REMB to publishers: the lowest
    /// of the subscribers' estimates; transport-cc to publishers: transport feedback for their send-side estimators).
    /// </summary>
    public static readonly IReadOnlyList<string> SupportedFeedback = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"];

    public static bool IsSupported(string kind, SdpRtpMap map) => kind switch
    {
        "video" => (map.Is("VP8") && map.ClockRate == 90000)
            || (map.Is("H264") && map.ClockRate == 90000 && map.FmtpParameters.GetValueOrDefault("packetization-mode") == "1"),
        "audio" => map.Is("opus") && map.ClockRate == 48000 && map.Channels == 2,
        _ => false,
    };

    /// <summary>True when <paramref name="offered"/> can carry a stream encoded as <paramref name="source"/>.</summary>
    public static bool CanCarry(SdpRtpMap offered, SdpRtpMap source)
    {
        if (!offered.Is(source.EncodingName) || offered.ClockRate != source.ClockRate || offered.Channels != source.Channels)
        {
            return false;
        }

        if (!source.Is("H264"))
        {
            return true;
        }

        var o = offered.FmtpParameters;
        var s = source.FmtpParameters;
        return o.GetValueOrDefault("packetization-mode") == s.GetValueOrDefault("packetization-mode")
            && ProfileOf(o) == ProfileOf(s);
    }

    // profile_idc from profile-level-id (RFC 6184 §8.1); constraint flags and level may differ
    // (a simplification: a 42e0 stream is decodable by a 4200 decoder and vice versa in practice).
    private static string ProfileOf(IReadOnlyDictionary<string, string> fmtp) =>
        fmtp.TryGetValue("profile-level-id", out var id) && id.Length == 6 ? id[..2].ToLowerInvariant() : "42";
}
