namespace Lilium.WebRtc.Sdp;

/// <summary>The codecs the relay forwards (VP8, VP9, AV1, H.264 with packetization-mode 1, Opus; <see cref="CodecMatcher"/>) and the feedback it negotiates.</summary>
public static class SdpCodecs
{
    /// <summary>
    /// Feedback types we act on (NACK, PLI, FIR, transport-cc from subscribers) or send (REMB to publishers: the lowest
    /// of the subscribers' estimates; transport-cc to publishers: transport feedback for their send-side estimators).
    /// </summary>
    public static readonly IReadOnlyList<string> SupportedFeedback = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"];

    public static bool IsSupported(string kind, SdpRtpMap map) => CodecMatcher.IsForwardable(kind, map);

    /// <summary>True when <paramref name="offered"/> can carry a stream encoded as <paramref name="source"/>.</summary>
    public static bool CanCarry(SdpRtpMap offered, SdpRtpMap source) => CodecMatcher.CanCarry(offered, source);
}
