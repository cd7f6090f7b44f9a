using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc;

/// <summary>
/// A connected synthetic peer of either SFU under test: its UDP socket, its SRTP keys, the SFU's media address, and
/// the ICE consent check (RFC 7675) to repeat every few seconds, and, towards an SFU whose ICE agent also sends
/// checks (libnice does, even in lite mode), the agent that answers them. A subscriber with a
/// <see cref="TransportCcId"/> (the negotiated transport-wide sequence number extension) sends transport feedback; a
/// simulcast publisher names each layer's first packets with the RID extension <see cref="RidId"/>.
/// </summary>
internal sealed record BenchPeer(Socket Socket, SrtpKeyingMaterial Keys, IPEndPoint Remote, Func<byte[]> ConsentCheck, IceLiteAgent? Answerer = null, byte TransportCcId = 0, byte RidId = 0)
{
    /// <summary>Answers a Binding request from the SFU, if this peer has an answerer and the datagram is one.</summary>
    public void AnswerIfCheck(ReadOnlySpan<byte> datagram)
    {
        if (Answerer is null || PacketDemux.Classify(datagram) != PacketKind.Stun)
        {
            return;
        }

        Span<byte> response = stackalloc byte[IceLiteAgent.MaxResponseSize];
        var outcome = Answerer.Handle(datagram, Remote, Environment.TickCount64, response, out var length);
        if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated or IceCheckOutcome.Rejected)
        {
            Socket.SendTo(response[..length], SocketFlags.None, Remote);
        }
    }
}

/// <summary>An SFU under test: a process pinned to the relay core, a way to publish one stream (or its simulcast layers) and to add subscribers.</summary>
internal interface ISfuUnderTest : IAsyncDisposable
{
    /// <summary>The name used in the JSON result (<c>lilium</c>, <c>janus</c>).</summary>
    string Name { get; }

    /// <summary>The SFU's process id (its CPU time is read from /proc).</summary>
    int ProcessId { get; }

    /// <summary>True if the publisher sends three simulcast layers (q/h/f) instead of the full layer alone (<see cref="BenchLayers"/>).</summary>
    bool Simulcast { get; }

    /// <summary>True if the subscribers negotiate transport-wide CC and send feedback every 50 ms.</summary>
    bool Feedback { get; }

    Task<BenchPeer> PublishAsync();

    /// <summary>
    /// What the SFU itself reports after a step, beside what the generator measured (our relay: its simulcast metrics),
    /// or null. Read after the step's CPU window.
    /// </summary>
    Task<Dictionary<string, object>?> SelfReportAsync() => Task.FromResult<Dictionary<string, object>?>(null);

    Task<BenchPeer> SubscribeAsync();
}
