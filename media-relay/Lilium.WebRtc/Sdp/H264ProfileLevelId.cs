using System.Globalization;

namespace Lilium.WebRtc.Sdp;

/// <summary>The H.264 profiles an SDP <c>profile-level-id</c> can name (RFC 6184 §8.1, Table 5).</summary>
public enum H264Profile
{
    ConstrainedBaseline,
    Baseline,
    Main,
    Extended,
    High,
    ConstrainedHigh,
    PredictiveHigh444,
}

/// <summary>
/// An H.264 <c>profile-level-id</c> (RFC 6184 §8.1): three octets, <c>profile_idc</c>, <c>profile-iop</c> (the
/// constraint_set0..5 flags and two reserved zero bits) and <c>level_idc</c>. The profile is decided by
/// <c>profile_idc</c> and the constraint flags together — 42e01f, 42c01f and 4de01f all mean Constrained Baseline
/// (a Main-profile stream with constraint_set0 conforms to Baseline too), while 42001f is Baseline — as RFC 6184's
/// Table 5 and libwebrtc's <c>H264ProfileLevelId</c> read it. Level 1b is <c>level_idc</c> 11 with constraint_set3 in the
/// Baseline, Constrained Baseline, Main and Extended profiles (and <c>level_idc</c> 9 in the High ones).
/// </summary>
public readonly record struct H264ProfileLevelId(H264Profile Profile, int Level)
{
    /// <summary>The value that stands for level 1b (below 1.1, above 1.0), as libwebrtc numbers it.</summary>
    public const int Level1b = 0;

    /// <summary>What an absent <c>profile-level-id</c> means in WebRTC: Constrained Baseline, level 3.1 (RFC 6184 says 420010; browsers use 42e01f).</summary>
    public static readonly H264ProfileLevelId Default = new(H264Profile.ConstrainedBaseline, 31);

    // One row per (profile_idc, profile-iop pattern): 'x' any bit, '1'/'0' that bit; most significant bit (constraint_set0) first.
    private static readonly (byte Idc, string Iop, H264Profile Profile)[] Patterns =
    [
        (0x42, "x1xx0000", H264Profile.ConstrainedBaseline),
        (0x4D, "1xxx0000", H264Profile.ConstrainedBaseline),
        (0x58, "11xx0000", H264Profile.ConstrainedBaseline),
        (0x42, "x0xx0000", H264Profile.Baseline),
        (0x58, "10xx0000", H264Profile.Baseline),
        (0x4D, "0x0x0000", H264Profile.Main),
        (0x64, "00000000", H264Profile.High),
        (0x64, "00001100", H264Profile.ConstrainedHigh),
        (0xF4, "00000000", H264Profile.PredictiveHigh444),
        (0x58, "00xx0000", H264Profile.Extended),
    ];

    /// <summary>Parses six hex digits; false for anything else, an unknown profile or a level H.264 does not define.</summary>
    public static bool TryParse(string? text, out H264ProfileLevelId value)
    {
        value = default;
        if (text is not { Length: 6 } || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }

        var idc = (byte)(bits >> 16);
        var iop = (byte)(bits >> 8);
        var levelIdc = (byte)bits;
        int level;
        if (levelIdc == 11 && (iop & 0x10) != 0)
        {
            level = Level1b; // constraint_set3 with level_idc 11 (Baseline/Main/Extended)
        }
        else if (levelIdc == 9)
        {
            level = Level1b; // the High profiles' way of writing 1b
        }
        else if (levelIdc is 10 or 11 or 12 or 13 or 20 or 21 or 22 or 30 or 31 or 32 or 40 or 41 or 42 or 50 or 51 or 52 or 60 or 61 or 62)
        {
            level = levelIdc;
        }
        else
        {
            return false;
        }

        foreach (var (patternIdc, pattern, profile) in Patterns)
        {
            if (patternIdc == idc && Matches(pattern, iop))
            {
                value = new H264ProfileLevelId(profile, level);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The profile-level-id of an fmtp: parsed from <c>profile-level-id</c>, <see cref="Default"/> when absent, false when
    /// present but unusable.
    /// </summary>
    public static bool TryFromFmtp(IReadOnlyDictionary<string, string> fmtp, out H264ProfileLevelId value)
    {
        if (!fmtp.TryGetValue("profile-level-id", out var text))
        {
            value = Default;
            return true;
        }

        return TryParse(text, out value);
    }

    /// <summary>Six lower-case hex digits, in the canonical form of the profile (42e0 for Constrained Baseline, 4200 Baseline, 4d00 Main, …).</summary>
    public override string ToString()
    {
        var (idc, iop) = Profile switch
        {
            H264Profile.ConstrainedBaseline => (0x42, 0xE0),
            H264Profile.Baseline => (0x42, 0x00),
            H264Profile.Main => (0x4D, 0x00),
            H264Profile.Extended => (0x58, 0x00),
            H264Profile.High => (0x64, 0x00),
            H264Profile.ConstrainedHigh => (0x64, 0x0C),
            _ => (0xF4, 0x00),
        };
        var levelIdc = Level;
        if (Level == Level1b)
        {
            if (Profile is H264Profile.ConstrainedBaseline or H264Profile.Baseline or H264Profile.Main or H264Profile.Extended)
            {
                iop |= 0x10;
                levelIdc = 11;
            }
            else
            {
                levelIdc = 9;
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{idc:x2}{iop:x2}{levelIdc:x2}");
    }

    /// <summary>True when <paramref name="a"/> is a lower level than <paramref name="b"/> (1b lies between 1.0 and 1.1).</summary>
    public static bool IsLowerLevel(int a, int b) => a == Level1b ? b is not (10 or Level1b) : b == Level1b ? a == 10 : a < b;

    public static int MinLevel(int a, int b) => IsLowerLevel(a, b) ? a : b;

    private static bool Matches(string pattern, byte iop)
    {
        for (var i = 0; i < 8; i++)
        {
            var bit = (iop >> (7 - i)) & 1;
            if (pattern[i] != 'x' && pattern[i] - '0' != bit)
            {
                return false;
            }
        }

        return true;
    }
}
