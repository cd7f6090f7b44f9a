using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Stun;
using Lilium.Testing.WebRtc;

/// <summary>
/// The synthetic peer's transport towards an ICE-lite SFU (Janus with <c>ice_lite</c>, or ours): controlling ICE
/// checks with USE-CANDIDATE (and answers to the SFU's own checks), then our DTLS client role.
/// </summary>
internal static class IceDtlsClient
{
    // The highest tie-breaker: an SFU that also believes it controls yields (RFC 8445 §7.3.1.1).
    private const ulong TieBreaker = ulong.MaxValue;

    public static async Task<BenchPeer> ConnectAsync(Socket socket, IPEndPoint remote, IceCredentials local, IceCredentials remoteIce, DtlsCertificate certificate, DtlsFingerprint remoteFingerprint)
    {
        var peer = new BenchPeer(socket, null!, remote, () => Check(local, remoteIce), new IceLiteAgent(local, remoteIce.Ufrag));
        var buffer = new byte[2048];
        var answered = false;
        for (var attempt = 0; attempt < 50 && !answered; attempt++)
        {
            socket.SendTo(Check(local, remoteIce), remote);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                while (!answered)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    peer.AnswerIfCheck(buffer.AsSpan(0, n));
                    answered = StunMessage.TryParse(buffer.AsSpan(0, n), out var response) && response.Type == StunMessageType.BindingSuccess;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (!answered)
        {
            throw new TimeoutException($"no ICE binding response from {remote}");
        }

        var keys = await DtlsClientHandshake.RunAsync(socket, remote, certificate, remoteFingerprint, peer.AnswerIfCheck);
        return peer with { Keys = keys };
    }

    /// <summary>A controlling connectivity check with USE-CANDIDATE (also serves as the RFC 7675 consent refresh).</summary>
    public static byte[] Check(IceCredentials local, IceCredentials remote)
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunMessageType.BindingRequest, RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize));
        writer.AddString(StunAttributeType.Username, $"{remote.Ufrag}:{local.Ufrag}");
        writer.AddUInt32(StunAttributeType.Priority, IceCandidate.HostPriority);
        writer.AddUInt64(StunAttributeType.IceControlling, TieBreaker);
        writer.Add(StunAttributeType.UseCandidate, []);
        writer.AddMessageIntegrity(remote.Key);
        writer.AddFingerprint();
        return buffer[..writer.Length];
    }
}
