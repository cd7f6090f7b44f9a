using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Net;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// The controlling agent against the relay's own ICE-lite responder, sans-I/O on a manual clock: pacing, RFC 8445
/// retransmission timing, regular nomination, failure, consent freshness (RFC 7675) and answering the peer's checks.
/// </summary>
[Trait("Category", "Unit")]
public sealed class IceControllingAgentTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.10"), 50000);
    private static readonly IPEndPoint Relay = new(IPAddress.Parse("203.0.113.7"), 7882);
    private static readonly IceCredentials ClientIce = new("clnt", "clientpasswordclientpw1");
    private static readonly IceCredentials RelayIce = new("rlay", "relaypasswordrelaypass1");

    /// <summary>A clock the test moves (Stopwatch-style timestamps in milliseconds).</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Ms { get; set; }

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Ms;
    }

    /// <summary>The agent wired to a lite responder; datagrams are delivered only when <see cref="Deliver"/> runs.</summary>
    private sealed class Harness
    {
        public Harness(IReadOnlyList<IceRemoteCandidate>? candidates = null, IceCredentials? liteCredentials = null)
        {
            Lite = new IceLiteAgent(liteCredentials ?? RelayIce, ClientIce.Ufrag);
            Agent = new IceControllingAgent(ClientIce, RelayIce, candidates ?? [new(Relay, IceCandidate.HostPriority)], (d, to) => Sent.Add((Time.Ms, d.ToArray(), to)), Time);
        }

        public ManualTime Time { get; } = new();

        public IceLiteAgent Lite { get; }

        public IceControllingAgent Agent { get; }

        public List<(long At, byte[] Datagram, IPEndPoint To)> Sent { get; } = [];

        public bool Answering { get; set; } = true;

        /// <summary>Moves the clock to <paramref name="ms"/> in 10 ms steps, polling, and lets the lite agent answer what was sent.</summary>
        public void RunTo(long ms)
        {
            while (Time.Ms < ms)
            {
                Agent.Poll();
                Deliver();
                Time.Ms += 10;
            }

            Agent.Poll();
            Deliver();
        }

        private int _delivered;

        public void Deliver()
        {
            for (; _delivered < Sent.Count; _delivered++)
            {
                var (_, datagram, to) = Sent[_delivered];
                if (!Answering || !to.Equals(Relay))
                {
                    continue;
                }

                var response = new byte[IceLiteAgent.MaxResponseSize];
                var outcome = Lite.Handle(datagram, Client, Time.Ms, response, out var n);
                if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated or IceCheckOutcome.Rejected)
                {
                    Agent.Receive(response.AsSpan(0, n), Relay);
                }
            }
        }
    }

    private static bool HasUseCandidate(byte[] request) =>
        StunMessage.TryParse(request, out var m) && m.TryGetAttribute(StunAttributeType.UseCandidate, out _);

    [Fact]
    public async Task A_check_then_a_nomination_with_use_candidate_connects_the_pair()
    {
        var h = new Harness();
        h.RunTo(20);

        Assert.Equal(IceAgentState.Connected, h.Agent.State);
        Assert.Equal(Relay, await h.Agent.Connected);
        Assert.Equal(Client, h.Lite.Selected); // the lite side took the pair our nomination named
        Assert.Equal(2, h.Sent.Count);
        Assert.False(HasUseCandidate(h.Sent[0].Datagram)); // regular nomination: the check first
        Assert.True(HasUseCandidate(h.Sent[1].Datagram));
        Assert.True(StunMessage.TryParse(h.Sent[0].Datagram, out var check));
        Assert.True(check.TryGetAttribute(StunAttributeType.IceControlling, out _));
        Assert.True(check.VerifyMessageIntegrity(RelayIce.Key));
    }

    [Fact]
    public async Task Unanswered_checks_back_off_from_500_ms_and_fail_after_seven_transmissions()
    {
        var h = new Harness { Answering = false };
        h.RunTo(39_490);
        Assert.Equal(IceAgentState.Checking, h.Agent.State);
        h.RunTo(39_500); // 16 RTOs after the seventh transmission
        Assert.Equal(IceAgentState.Failed, h.Agent.State);
        h.RunTo(60_000);

        Assert.Equal([0L, 500, 1500, 3500, 7500, 15500, 31500], h.Sent.Select(s => s.At));
        Assert.Equal(IceAgentState.Failed, h.Agent.State);
        var failure = await Assert.ThrowsAsync<IceFailedException>(() => h.Agent.Connected);
        Assert.Contains("No ICE answer", failure.Message, StringComparison.Ordinal);
        Assert.Equal(-1, h.Agent.Poll());
    }

    [Fact]
    public void New_checks_are_paced_by_ta_in_pair_priority_order()
    {
        var low = new IPEndPoint(IPAddress.Parse("203.0.113.8"), 443);
        var mid = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 7882);
        var h = new Harness([new(low, 100), new(Relay, IceCandidate.HostPriority), new(mid, 1000)]) { Answering = false };
        h.RunTo(120);

        Assert.Equal([(0L, Relay), (50L, mid), (100L, low)], h.Sent.Select(s => (s.At, s.To)));
    }

    [Fact]
    public async Task A_peer_that_refuses_our_credentials_fails_the_pair_at_once()
    {
        var h = new Harness(liteCredentials: new IceCredentials("rlay", "anotherpasswordanother1"));
        h.RunTo(100);

        Assert.Equal(IceAgentState.Failed, h.Agent.State);
        var failure = await Assert.ThrowsAsync<IceFailedException>(() => h.Agent.Connected);
        Assert.Contains("401", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_success_that_does_not_verify_is_ignored_and_the_check_retransmitted()
    {
        var h = new Harness { Answering = false };
        h.RunTo(0);
        var transaction = h.Sent[0].Datagram.AsSpan(8, 12).ToArray();
        var forged = new byte[128];
        var w = new StunWriter(forged, StunMessageType.BindingSuccess, transaction);
        w.AddXorMappedAddress(Client);
        w.AddMessageIntegrity(ClientIce.Key); // the wrong password: only the relay's proves the answer
        w.AddFingerprint();

        Assert.False(h.Agent.Receive(forged.AsSpan(0, w.Length), Relay));
        h.RunTo(600);
        Assert.Equal(IceAgentState.Checking, h.Agent.State);
        Assert.Equal(2, h.Sent.Count);
    }

    [Fact]
    public void An_answer_from_another_address_does_not_count()
    {
        var h = new Harness { Answering = false };
        h.RunTo(0);
        var response = new byte[IceLiteAgent.MaxResponseSize];
        Assert.Equal(IceCheckOutcome.Accepted, h.Lite.Handle(h.Sent[0].Datagram, Client, 0, response, out var n));

        Assert.False(h.Agent.Receive(response.AsSpan(0, n), new IPEndPoint(IPAddress.Parse("198.51.100.1"), 7882)));
        Assert.True(h.Agent.Receive(response.AsSpan(0, n), Relay));
    }

    [Fact]
    public async Task Consent_is_refreshed_every_four_to_six_seconds_and_lost_thirty_seconds_after_the_last_answer()
    {
        var h = new Harness();
        h.RunTo(60_000);
        Assert.Equal(IceAgentState.Connected, h.Agent.State);
        var consent = h.Sent.Skip(2).Select(s => s.At).ToList();
        Assert.InRange(consent.Count, 10, 15);
        foreach (var (a, b) in consent.Zip(consent.Skip(1)))
        {
            Assert.InRange(b - a, 4000, 6010);
        }

        Assert.All(h.Sent.Skip(2), s => Assert.False(HasUseCandidate(s.Datagram)));

        h.Answering = false;
        var lastAnswered = consent[^1];
        h.RunTo(lastAnswered + 29_000);
        Assert.Equal(IceAgentState.Connected, h.Agent.State);
        h.RunTo(lastAnswered + 30_020);
        Assert.Equal(IceAgentState.Failed, h.Agent.State);
        Assert.Contains("consent expired", await h.Agent.Ended, StringComparison.Ordinal);
        var sent = h.Sent.Count;
        h.RunTo(lastAnswered + 60_000);
        Assert.Equal(sent, h.Sent.Count); // nothing more after consent is lost
    }

    [Fact]
    public async Task An_error_answer_to_a_consent_check_ends_consent_at_once()
    {
        var h = new Harness();
        h.RunTo(20);
        h.Answering = false;
        h.RunTo(7000);
        var consentCheck = h.Sent[^1].Datagram;
        var forgetful = new IceLiteAgent(new IceCredentials("rlay", "relaywasrestartedrelay1"));
        var response = new byte[IceLiteAgent.MaxResponseSize];
        Assert.Equal(IceCheckOutcome.Rejected, forgetful.Handle(consentCheck, Client, 7000, response, out var n));

        Assert.True(h.Agent.Receive(response.AsSpan(0, n), Relay));
        Assert.Equal(IceAgentState.Failed, h.Agent.State);
        Assert.Contains("revoked", await h.Agent.Ended, StringComparison.Ordinal);
    }

    [Fact]
    public void The_peers_checks_are_answered_with_our_password_and_bad_ones_refused()
    {
        var h = new Harness();
        var transaction = IceCheck.NewTransactionId();
        var probe = new byte[IceCheck.MaxRequestSize];
        var length = IceCheck.WriteRequest(probe, transaction, ClientIce, RelayIce.Ufrag, controlling: false, 7, IceCandidate.HostPriority, useCandidate: false);

        Assert.True(h.Agent.Receive(probe.AsSpan(0, length), Relay));
        Assert.True(IceCheck.IsAuthenticatedSuccess(h.Sent[^1].Datagram, transaction, ClientIce));

        length = IceCheck.WriteRequest(probe, transaction, new IceCredentials("clnt", "notthepasswordnotthepw1"), RelayIce.Ufrag, controlling: false, 7, IceCandidate.HostPriority, useCandidate: false);
        Assert.True(h.Agent.Receive(probe.AsSpan(0, length), Relay));
        Assert.True(StunMessage.TryParse(h.Sent[^1].Datagram, out var refusal));
        Assert.Equal(401, refusal.ErrorCode());
    }

    [Fact]
    public void Pair_priority_follows_rfc8445()
    {
        Assert.Equal((1ul << 32) * 100 + (2 * 200ul) + 0, IceControllingAgent.PairPriority(100, 200));
        Assert.Equal((1ul << 32) * 100 + (2 * 200ul) + 1, IceControllingAgent.PairPriority(200, 100));
    }
}

/// <summary>The agent and an ICE-lite responder on two loopback UDP sockets, on the system clock.</summary>
[Trait("Category", "Integration")]
public sealed class IceControllingAgentLoopbackTests
{
    [Fact]
    public async Task Connects_over_loopback_and_loses_consent_when_the_peer_goes_silent()
    {
        var clientIce = IceCredentials.Generate();
        var relayIce = IceCredentials.Generate();
        using var relaySocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relaySocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        clientSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var relayEndPoint = (IPEndPoint)relaySocket.LocalEndPoint!;
        var lite = new IceLiteAgent(relayIce, clientIce.Ufrag);
        var answering = true;
        var checksSeen = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Both ends receive on threads of their own (as the relay and the SDK do): an awaited receive waits for a pool
        // worker, and a test host on a loaded two-core machine can hold the pool past the 1.5 s consent timeout.
        var response = new byte[IceLiteAgent.MaxResponseSize];
        var relayLoop = DatagramReceiveThread.Start(relaySocket, "test-relay", 1500, (datagram, from) =>
        {
            Assert.Equal(PacketKind.Stun, PacketDemux.Classify(datagram.Span));
            Interlocked.Increment(ref checksSeen);
            var outcome = lite.Handle(datagram.Span, from, Environment.TickCount64, response, out var n);
            if (Volatile.Read(ref answering) && outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated)
            {
                relaySocket.SendTo(response.AsSpan(0, n), SocketFlags.None, from);
            }
        }, onFailed: null, stop.Token);

        var options = new IceAgentOptions { ConsentInterval = TimeSpan.FromMilliseconds(200), ConsentTimeout = TimeSpan.FromSeconds(1.5) };
        var agent = new IceControllingAgent(clientIce, relayIce, [new(relayEndPoint, IceCandidate.HostPriority)],
            (d, to) => clientSocket.SendTo(d, SocketFlags.None, to), TimeProvider.System, options);
        var clientLoop = DatagramReceiveThread.Start(clientSocket, "test-client", 1500, (datagram, from) => agent.Receive(datagram.Span, from), onFailed: null, stop.Token);
        var run = agent.RunAsync(stop.Token);

        Assert.Equal(relayEndPoint, await agent.Connected.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(clientSocket.LocalEndPoint, lite.Selected);
        // Check, nomination, then consent every ~200 ms (RFC 7675: randomised 0.8–1.2×): at least three consents come,
        // and never faster than the interval allows (a loaded machine only makes them later, so wait for them).
        var connectedAt = Environment.TickCount64;
        for (var i = 0; i < 100 && Volatile.Read(ref checksSeen) < 5; i++)
        {
            await Task.Delay(50);
        }

        var elapsedMs = Environment.TickCount64 - connectedAt;
        Assert.Equal(IceAgentState.Connected, agent.State);
        Assert.InRange(Volatile.Read(ref checksSeen), 5, 6 + (int)(elapsedMs / 160));

        Volatile.Write(ref answering, false);
        var silentAt = Environment.TickCount64;
        var reason = await agent.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("consent expired", reason, StringComparison.Ordinal);
        Assert.InRange(Environment.TickCount64 - silentAt, 900, 2500);
        await run.WaitAsync(TimeSpan.FromSeconds(2)); // the run loop ends with the agent
        await stop.CancelAsync();
        await Task.WhenAll(relayLoop, clientLoop).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
