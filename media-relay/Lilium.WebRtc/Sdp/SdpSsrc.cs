namespace Lilium.WebRtc.Sdp;

/// <summary><c>a=ssrc:SSRC attribute[:value]</c> (RFC 5576 §4.1), e.g. <c>cname</c> or <c>msid</c>.</summary>
public sealed record SdpSsrc(uint Ssrc, string Attribute, string? Value);

/// <summary><c>a=ssrc-group:SEMANTICS SSRC…</c> (RFC 5576 §4.2), e.g. <c>FID</c> pairing a stream with its RTX.</summary>
public sealed record SdpSsrcGroup(string Semantics, IReadOnlyList<uint> Ssrcs);
