using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.WebRtc;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Srtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Tests;

/// <summary>A peer driven by the test itself (<see cref="RelayTestPeer"/>) against the in-process relay.</summary>
internal static class SyntheticPeer
{
    /// <summary>WHIP-publishes a synthetic offer, runs ICE with our STUN checks and DTLS with our client role.</summary>
    public static async Task<(Guid Session, MediaPeer Peer, Socket Socket, string Password)> ConnectAsync(RelayFixture relay)
    {
        var c = await ConnectAsync(relay, Guid.NewGuid(), RelayRole.Host);
        return (c.Session, c.Peer, c.Socket, c.Password);
    }

    /// <summary>Connects a synthetic publisher (Host → WHIP) or subscriber (Viewer → WHEP) and waits until the relay has secured it.</summary>
    public static async Task<Connected> ConnectAsync(RelayFixture relay, Guid session, RelayRole role, Func<string, string>? editOffer = null)
    {
        var host = role == RelayRole.Host;
        var c = await RelayTestPeer.ConnectAsync(relay.Http, host ? relay.Whip(session) : relay.Whep(session), relay.Grant(session, role), relay.MediaEndPoint, host, editOffer);
        var peer = relay.Registry.FindByUfrag(c.Ufrag)!;
        for (var i = 0; i < 50 && peer.State != PeerState.Secured; i++)
        {
            await Task.Delay(20);
        }

        return new Connected(session, peer, c.Socket, c.Password, c.Keys, c.Answer) { Early = c.Early };
    }

    internal sealed record Connected(Guid Session, MediaPeer Peer, Socket Socket, string Password, SrtpKeyingMaterial Keys, SdpSession Answer)
    {
        /// <summary>Datagrams that arrived before the handshake pump stopped (<see cref="RelayTestPeer.Connected.Early"/>).</summary>
        public IReadOnlyList<byte[]> Early { get; init; } = [];

        /// <summary>
        /// Hands every RTCP packet the relay sends this peer (each of a compound, after SRTCP) to <paramref name="onPacket"/>
        /// until <paramref name="stop"/>; RTP and what does not authenticate are skipped.
        /// </summary>
        public async Task ReadRtcpAsync(RtcpPacketHandler onPacket, CancellationToken stop)
        {
            using var srtcp = SrtpSession.ForReceiving(Keys);
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    var n = await Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                    if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtcp || !srtcp.TryUnprotectRtcp(buffer, n, out var plain))
                    {
                        continue;
                    }

                    var reader = new RtcpCompoundReader(buffer.AsSpan(0, plain));
                    while (reader.TryNext(out _, out var packet))
                    {
                        onPacket(packet);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>One RTCP packet of a compound the relay sent.</summary>
    internal delegate void RtcpPacketHandler(ReadOnlySpan<byte> packet);

    public static Task<int> ReceiveAsync(Socket socket, byte[] buffer) => RelayTestPeer.ReceiveAsync(socket, buffer);
}
