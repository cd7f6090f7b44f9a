using System.Globalization;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// Which payload formats the relay forwards and which of a viewer's formats can carry a publisher's stream, by codec:
/// VP8; VP9 by <c>profile-id</c> (RFC 9628 §6.1, absent = 0); AV1 by <c>profile</c> (AV1 RTP spec §7.2, absent = 0);
/// H.264 with <c>packetization-mode=1</c> by profile (<see cref="H264ProfileLevelId"/>: <c>profile_idc</c> and the
/// constraint flags, the level left to the answer); Opus (48 kHz, 2 channels in SDP). The relay forwards the
/// publisher's bitstream untouched, so a viewer gets a stream only in a format of the same codec and profile.
/// </summary>
public static class CodecMatcher
{
    public static bool IsForwardable(string kind, SdpRtpMap map) => kind switch
    {
        "video" => map.ClockRate == 90000 && (map.Is("VP8")
            || (map.Is("VP9") && ProfileNumber(map, "profile-id") is >= 0 and <= 3)
            || (map.Is("AV1") && ProfileNumber(map, "profile") is >= 0 and <= 2)
            || (map.Is("H264") && PacketizationMode(map) == "1" && H264ProfileLevelId.TryFromFmtp(map.FmtpParameters, out _))),
        "audio" => map.Is("opus") && map.ClockRate == 48000 && map.Channels == 2,
        _ => false,
    };

    /// <summary>True when a receiver of <paramref name="offered"/> can decode a stream sent as <paramref name="source"/>.</summary>
    public static bool CanCarry(SdpRtpMap offered, SdpRtpMap source)
    {
        if (!offered.Is(source.EncodingName) || offered.ClockRate != source.ClockRate || offered.Channels != source.Channels)
        {
            return false;
        }

        if (source.Is("VP9"))
        {
            return ProfileNumber(offered, "profile-id") == ProfileNumber(source, "profile-id");
        }

        if (source.Is("AV1"))
        {
            return ProfileNumber(offered, "profile") == ProfileNumber(source, "profile");
        }

        if (source.Is("H264"))
        {
            return PacketizationMode(offered) == PacketizationMode(source)
                && H264ProfileLevelId.TryFromFmtp(offered.FmtpParameters, out var o)
                && H264ProfileLevelId.TryFromFmtp(source.FmtpParameters, out var s)
                && o.Profile == s.Profile;
        }

        return true;
    }

    /// <summary>
    /// The format as the relay answers a viewer that offered <paramref name="offered"/> for a stream sent as
    /// <paramref name="source"/>: the viewer's payload type, feedback and parameters, except H.264's level — the level
    /// the publisher sends at when both sides allow level asymmetry (RFC 6184 §8.2.2, <c>level-asymmetry-allowed=1</c>),
    /// else the lower of the two levels — in the profile both share.
    /// </summary>
    public static SdpRtpMap AnswerFor(SdpRtpMap offered, SdpRtpMap source)
    {
        if (!source.Is("H264") || !offered.FmtpParameters.ContainsKey("profile-level-id")
            || !H264ProfileLevelId.TryFromFmtp(offered.FmtpParameters, out var o) || !H264ProfileLevelId.TryFromFmtp(source.FmtpParameters, out var s))
        {
            return offered;
        }

        var asymmetric = LevelAsymmetryAllowed(offered) && LevelAsymmetryAllowed(source);
        var level = asymmetric ? s.Level : H264ProfileLevelId.MinLevel(o.Level, s.Level);
        return offered with { Fmtp = WithParameter(offered.Fmtp, "profile-level-id", new H264ProfileLevelId(o.Profile, level).ToString()) };
    }

    /// <summary>A short description for error messages, e.g. <c>H264 (profile-level-id=42e01f, packetization-mode=1)</c>.</summary>
    public static string Describe(SdpRtpMap map) =>
        string.IsNullOrEmpty(map.Fmtp) ? map.EncodingName : $"{map.EncodingName} ({map.Fmtp.Replace(";", ", ", StringComparison.Ordinal)})";

    /// <summary>
    /// For a viewer's offer and the publisher's streams (kind, format): the first stream of a kind the viewer asked to
    /// receive (an m-section of that kind, bundled, receiving) that none of those m-sections can carry; null when every
    /// requested kind can be served. A viewer that offers no video section asks for no video.
    /// </summary>
    public static (string Kind, SdpRtpMap Codec)? FindUncarried(SdpSession offer, IEnumerable<(string Kind, SdpRtpMap Codec)> streams)
    {
        foreach (var (kind, codec) in streams)
        {
            var wanted = offer.Media.Where(m => m.Kind == kind && m.IsRtp && m.Port != 0 && m.Direction.Receives()).ToList();
            if (wanted.Count > 0 && !wanted.Any(m => m.RtpMaps.Any(c => CanCarry(c, codec))))
            {
                return (kind, codec);
            }
        }

        return null;
    }

    private static bool LevelAsymmetryAllowed(SdpRtpMap map) => map.FmtpParameters.GetValueOrDefault("level-asymmetry-allowed") == "1";

    private static string PacketizationMode(SdpRtpMap map) => map.FmtpParameters.GetValueOrDefault("packetization-mode", "0");

    // A numeric profile parameter; absent = 0, unparseable = -1 (matches nothing).
    private static int ProfileNumber(SdpRtpMap map, string name) =>
        !map.FmtpParameters.TryGetValue(name, out var text) ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 255 ? n : -1;

    private static string WithParameter(string? fmtp, string name, string value)
    {
        var parts = (fmtp ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var at = parts.FindIndex(p => p.StartsWith(name + "=", StringComparison.OrdinalIgnoreCase));
        if (at >= 0)
        {
            parts[at] = $"{name}={value}";
        }
        else
        {
            parts.Add($"{name}={value}");
        }

        return string.Join(';', parts);
    }
}
