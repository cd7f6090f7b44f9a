using System.Net;
using System.Security.Cryptography;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Http;

/// <summary>Turns a parsed offer into an answer plus a registered <see cref="MediaPeer"/> (WHIP or WHEP).</summary>
internal sealed class PeerFactory(SessionRegistry registry, DtlsCertificate certificate, MediaSocket media, RelayAdvertisement advertisement)
{
    private static SdpLocalTransport NewTransport(IceCredentials ice, DtlsCertificate certificate, RelayAdvertisement advertisement, MediaSocket media) =>
        new(ice.Ufrag, ice.Password, certificate.Fingerprint, new IPEndPoint(
            advertisement.Address ?? throw new InvalidOperationException("The relay is not ready: it has no address to advertise."), media.LocalEndPoint.Port))
        {
            TcpPort = media.TcpEndPoint?.Port,
        };

    public bool TryCreatePublisher(RelaySession session, RelayGrantClaims grant, IPAddress source, SdpSession offer, out MediaPeer? peer, out string? answer, out string? error)
    {
        peer = null;
        answer = null;
        var ice = IceCredentials.Generate();
        if (!SdpAnswerBuilder.TryAnswerIngest(offer, NewTransport(ice, certificate, advertisement, media), out var built, out error))
        {
            return false;
        }

        peer = Create(PeerRole.Publisher, session, grant, source, offer, ice, built!, impairable: false);
        if (!session.TrySetPublisher(peer))
        {
            error = "conflict";
            peer = null;
            return false;
        }

        registry.Add(peer);
        answer = built!.Text;
        return true;
    }

    /// <summary>Answers a viewer with the publisher's tracks, each under a fresh subscriber-side SSRC.</summary>
    public bool TryCreateSubscriber(RelaySession session, RelayGrantClaims grant, IPAddress source, MediaPeer publisher, SdpSession offer, bool impairable, out MediaPeer? peer, out string? answer, out string? error)
    {
        peer = null;
        answer = null;
        var ice = IceCredentials.Generate();
        var cname = "lilium-" + session.Id.ToString("N")[..8];
        var streamId = session.Id.ToString("N");
        var tracks = publisher.Streams
            .Where(s => s.Layer == 0) // simulcast: one track for all layers of a section
            .Select(s => new SdpEgressTrack(s.Kind, s.Media.Codec, RandomSsrc(), cname, streamId, $"{s.Kind}-{s.Media.Mid}")
            {
                RtxSsrc = s.IsVideo ? RandomSsrc() : null, // used only if the viewer offers rtx (RFC 4588)
            })
            .ToList();
        if (!SdpAnswerBuilder.TryAnswerEgress(offer, NewTransport(ice, certificate, advertisement, media), tracks, out var built, out error))
        {
            return false;
        }

        peer = Create(PeerRole.Subscriber, session, grant, source, offer, ice, built!, impairable);
        session.AddSubscriber(peer);
        registry.Add(peer);
        answer = built!.Text;
        return true;
    }

    // The first accepted m-section carries the bundle transport (RFC 9143): its ufrag and fingerprint.
    private static MediaPeer Create(PeerRole role, RelaySession session, RelayGrantClaims grant, IPAddress source, SdpSession offer, IceCredentials ice, SdpAnswer answer, bool impairable)
    {
        var first = offer.Media.First(m => m.Mid == answer.TransportMid);
        return new MediaPeer(Guid.NewGuid(), role, session, ice, first.IceUfrag, first.Fingerprint!, answer.Media, impairable)
        {
            User = grant.Subject,
            GrantIssuedMs = Sessions.RevocationList.IssuedMs(grant),
            SourceAddress = source,
            RemoteIce = first.IceUfrag is { } ufrag && first.IcePwd is { } pwd ? new IceCredentials(ufrag, pwd) : null,
            GrantPermissions = grant.Permissions,
            DataChannelMedia = answer.DataChannel,
        };
    }

    private static uint RandomSsrc() => (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
}
