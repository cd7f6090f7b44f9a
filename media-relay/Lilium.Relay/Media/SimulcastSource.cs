using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// A publisher's simulcast video section (docs/relay.md, "Simulcast"): one <see cref="PublisherStream"/> per accepted
/// RID — each with its own SSRC, NACK cache, keyframe run and measured rate — ordered low → high as the offer listed
/// them (Chromium's <c>sendEncodings</c> order). Browsers announce no SSRCs for simulcast, so a layer's SSRC is learnt
/// from the first packet whose RID header extension names it; a repair packet (repaired RID, RTX) never binds a layer.
/// </summary>
internal sealed class SimulcastSource
{
    private readonly byte _ridId;
    private readonly byte _repairedRidId;

    private SimulcastSource(PublisherStream[] layers, SdpNegotiatedMedia media)
    {
        Layers = layers;
        _ridId = (byte)(media.RidExtensionId ?? 0);
        _repairedRidId = (byte)(media.RepairedRidExtensionId ?? 0);
    }

    /// <summary>The layers, low → high.</summary>
    public PublisherStream[] Layers { get; }

    /// <summary>The streams for one negotiated m-section: one per RID with simulcast, else one.</summary>
    public static IEnumerable<PublisherStream> StreamsFor(SdpNegotiatedMedia media, int index)
    {
        if (media.Rids.Count == 0 || media.RidExtensionId is null)
        {
            return [new PublisherStream(media, index)];
        }

        var layers = media.Rids.Select((rid, layer) => new PublisherStream(media, index, rid, layer)).ToArray();
        var source = new SimulcastSource(layers, media);
        foreach (var layer in layers)
        {
            layer.Simulcast = source;
        }

        return layers;
    }

    /// <summary>The layer an unknown SSRC's packet belongs to, by its RID extension (and records the SSRC); null if none.</summary>
    public PublisherStream? Learn(uint ssrc, ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        if (_ridId == 0 || !header.HasExtension
            || (_repairedRidId != 0 && RtpExtensions.TryGetSdesItem(packet, header, _repairedRidId, out _))
            || !RtpExtensions.TryGetSdesItem(packet, header, _ridId, out var rid))
        {
            return null;
        }

        foreach (var layer in Layers)
        {
            if (layer.Ssrc == 0 && System.Text.Ascii.Equals(rid, layer.Rid!))
            {
                layer.Ssrc = ssrc;
                return layer;
            }
        }

        return null;
    }

    /// <summary>
    /// The layer an unknown SSRC's RTX packet repairs, by its repaired-RID extension (RFC 8852 §3), and records that RTX
    /// SSRC on it; null without the extension or for a layer whose RTX SSRC is already known.
    /// </summary>
    public PublisherStream? LearnRepair(uint ssrc, ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        if (_repairedRidId == 0 || !header.HasExtension || !RtpExtensions.TryGetSdesItem(packet, header, _repairedRidId, out var rid))
        {
            return null;
        }

        foreach (var layer in Layers)
        {
            if (layer.RtxSsrc == 0 && layer.Ssrc != ssrc && System.Text.Ascii.Equals(rid, layer.Rid!))
            {
                layer.RtxSsrc = ssrc;
                return layer;
            }
        }

        return null;
    }

    /// <summary>Each layer's measured rate (bits/s) into <paramref name="rates"/>; 0 for a layer not sending.</summary>
    public void Rates(Span<ulong> rates)
    {
        for (var i = 0; i < Layers.Length && i < rates.Length; i++)
        {
            var layer = Layers[i];
            rates[i] = layer.Received == 0 ? 0 : layer.HasRate ? layer.IncomingBps : 1; // sending but not yet measured: counts as tiny
        }
    }
}
