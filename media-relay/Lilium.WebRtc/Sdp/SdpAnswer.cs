namespace Lilium.WebRtc.Sdp;

/// <summary>
/// An answer's text and the per-m-section decisions the media path needs: the RTP sections in
/// <see cref="Media"/>, the data-channel section (if one was accepted) in <see cref="DataChannel"/>.
/// </summary>
public sealed record SdpAnswer(string Text, IReadOnlyList<SdpNegotiatedMedia> Media)
{
    /// <summary>The accepted <c>m=application … webrtc-datachannel</c> section, if any.</summary>
    public SdpDataChannelMedia? DataChannel { get; init; }

    /// <summary>The mid of the first accepted m-section: the one whose transport the bundle uses (RFC 9143).</summary>
    public required string TransportMid { get; init; }
}

/// <summary>
/// A negotiated SCTP-over-DTLS section (RFC 8841): the remote SCTP port and the largest message the
/// remote accepts (<c>a=max-message-size</c>; 64 KiB when absent, RFC 8841 §6.1 says "assume 64K").
/// </summary>
public sealed record SdpDataChannelMedia(string Mid, int RemoteSctpPort, long RemoteMaxMessageSize)
{
    /// <summary>
    /// True for the pre-RFC 8841 form (<c>m=application 9 DTLS/SCTP 5000</c> with <c>a=sctpmap</c>),
    /// which aiortc and older browsers still offer; the answer then uses the same form.
    /// </summary>
    public bool Legacy { get; init; }

    /// <summary>The SCTP port WebRTC stacks use on both sides.</summary>
    public const int DefaultSctpPort = 5000;

    /// <summary>What we announce in <c>a=max-message-size</c>: our reassembly limit.</summary>
    public const int LocalMaxMessageSize = 65536;

    /// <summary>
    /// Reads a data-channel section: RFC 8841 (<c>UDP/DTLS/SCTP webrtc-datachannel</c> with
    /// <c>a=sctp-port</c>) or the legacy form (<c>DTLS/SCTP 5000</c> with
    /// <c>a=sctpmap:5000 webrtc-datachannel …</c>); false for anything else.
    /// </summary>
    public static bool TryRead(SdpMedia m, out SdpDataChannelMedia? media)
    {
        media = null;
        if (m.Kind != "application" || m.Mid is null || m.Port == 0 || !m.Protocol.EndsWith("DTLS/SCTP", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!m.Formats.Contains("webrtc-datachannel"))
        {
            return TryReadLegacy(m, out media);
        }

        var port = DefaultSctpPort;
        long maxMessage = 65536;
        foreach (var a in m.Attributes)
        {
            if (a.Name == "sctp-port" && (!int.TryParse(a.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            {
                return false;
            }

            if (a.Name == "max-message-size" && (!long.TryParse(a.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out maxMessage) || maxMessage < 0))
            {
                return false;
            }
        }

        // 0 means "no limit" (RFC 8841 §6); keep a sane ceiling for what we send.
        media = new SdpDataChannelMedia(m.Mid, port, maxMessage == 0 ? int.MaxValue : maxMessage);
        return true;
    }

    private static bool TryReadLegacy(SdpMedia m, out SdpDataChannelMedia? media)
    {
        media = null;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (m.Formats.Count != 1 || !int.TryParse(m.Formats[0], System.Globalization.NumberStyles.None, invariant, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var map = m.Attributes.FirstOrDefault(a => a.Name == "sctpmap" && a.Value is not null && a.Value.StartsWith(m.Formats[0] + " ", StringComparison.Ordinal));
        if (map.Value is null || map.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [_, "webrtc-datachannel", ..])
        {
            return false;
        }

        long maxMessage = 65536;
        var size = m.Attributes.FirstOrDefault(a => a.Name == "max-message-size");
        if (size.Value is not null && (!long.TryParse(size.Value, System.Globalization.NumberStyles.None, invariant, out maxMessage) || maxMessage < 0))
        {
            return false;
        }

        media = new SdpDataChannelMedia(m.Mid!, port, maxMessage == 0 ? int.MaxValue : maxMessage) { Legacy = true };
        return true;
    }
}
