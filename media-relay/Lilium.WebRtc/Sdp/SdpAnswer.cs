namespace Lilium.WebRtc.Sdp;

/// <summary>An answer's text and the per-m-section decisions the media path needs.</summary>
public sealed record SdpAnswer(string Text, IReadOnlyList<SdpNegotiatedMedia> Media);
