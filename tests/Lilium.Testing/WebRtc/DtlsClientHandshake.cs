using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc;

namespace Lilium.Testing.WebRtc;

/// <summary>
/// Our DTLS client role over a connected-by-ICE UDP socket: a receive pump feeds DTLS records (first byte 20–63,
/// RFC 7983) to the handshake and hands every other datagram to <paramref name="other"/> (e.g. the remote's own ICE
/// checks), until the SRTP keys are derived.
/// </summary>
public static class DtlsClientHandshake
{
    public static async Task<SrtpKeyingMaterial> RunAsync(Socket socket, IPEndPoint remote, DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, DatagramSender? other = null)
    {
        using var dtls = new DtlsConnection(DtlsRole.Client, certificate, remoteFingerprint, d => socket.SendTo(d, SocketFlags.None, remote), handshakeTimeout: TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            var b = new byte[2048];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var k = await socket.ReceiveAsync(b, SocketFlags.None, stop.Token);
                    if (PacketDemux.Classify(b.AsSpan(0, k)) == PacketKind.Dtls)
                    {
                        dtls.Feed(b.AsSpan(0, k));
                    }
                    else
                    {
                        other?.Invoke(b.AsSpan(0, k));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        try
        {
            return await dtls.HandshakeAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await stop.CancelAsync();
            await pump;
        }
    }
}
