using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Sdp;

/// <summary>A parsed session description (RFC 8866): session-level lines plus the m-sections in order.</summary>
public sealed class SdpSession
{
    public string Origin { get; init; } = "- 0 0 IN IP4 0.0.0.0";

    public string SessionName { get; init; } = "-";

    public IReadOnlyList<SdpAttribute> Attributes { get; init; } = [];

    public IReadOnlyList<SdpMedia> Media { get; init; } = [];

    public bool IceLite { get; init; }

    /// <summary>The mids of the first <c>a=group:BUNDLE</c>, or empty (RFC 9143).</summary>
    public IReadOnlyList<string> BundleMids { get; init; } = [];

    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public DtlsFingerprint? Fingerprint { get; init; }

    public SdpSetup? Setup { get; init; }

    /// <summary>Every candidate of every m-section.</summary>
    public IEnumerable<SdpCandidate> Candidates => Media.SelectMany(m => m.Candidates);
}
