using System.Net;
using System.Security.Cryptography;
using System.Text;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class IceLiteAgentTests
{
    private static readonly IPEndPoint Browser = new(IPAddress.Parse("198.51.100.7"), 54321);
    private static readonly IceCredentials Local = new("rlyU", "relaypasswordrelaypass1");

    /// <summary>A Binding request as a full agent (browser) sends it.</summary>
    private static byte[] Check(string username, string password, bool useCandidate = false, bool fingerprint = true, ushort? extraAttribute = null)
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMessageType.BindingRequest, RandomNumberGenerator.GetBytes(12));
        w.AddString(StunAttributeType.Username, username);
        w.AddUInt32(StunAttributeType.Priority, 1853824767);
        w.AddUInt64(StunAttributeType.IceControlling, 0x1122334455667788);
        if (useCandidate)
        {
            w.Add(StunAttributeType.UseCandidate, []);
        }

        if (extraAttribute is { } t)
        {
            w.Add((StunAttributeType)t, [1, 2, 3, 4]);
        }

        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(password));
        if (fingerprint)
        {
            w.AddFingerprint();
        }

        return w.Written.ToArray();
    }

    private static (IceCheckOutcome Outcome, byte[] Response) Handle(IceLiteAgent agent, byte[] request, long now = 1000)
    {
        var response = new byte[IceLiteAgent.MaxResponseSize];
        var outcome = agent.Handle(request, Browser, now, response, out var n);
        return (outcome, response[..n]);
    }

    [Fact]
    public void A_valid_check_gets_an_authenticated_success_naming_the_source()
    {
        var agent = new IceLiteAgent(Local, "brws");
        var request = Check("rlyU:brws", Local.Password);
        var (outcome, response) = Handle(agent, request);

        Assert.Equal(IceCheckOutcome.Accepted, outcome);
        Assert.True(StunMessage.TryParse(response, out var m));
        Assert.Equal(StunMessageType.BindingSuccess, m.Type);
        Assert.Equal(request.AsSpan(8, 12).ToArray(), m.TransactionId.ToArray());
        Assert.Equal(Browser, m.XorMappedAddress());
        Assert.True(m.VerifyMessageIntegrity(Local.Key));
        Assert.True(m.VerifyFingerprint());
        Assert.False(m.TryGetAttribute(StunAttributeType.Username, out _));
        Assert.Null(agent.Selected);
        Assert.Equal(1000, agent.LastConsentMs);
    }

    [Fact]
    public void Use_candidate_nominates_the_pair()
    {
        var agent = new IceLiteAgent(Local);
        Assert.Equal(IceCheckOutcome.Nominated, Handle(agent, Check("rlyU:anything", Local.Password, useCandidate: true)).Outcome);
        Assert.Equal(Browser, agent.Selected);
    }

    [Theory]
    [InlineData("rlyU:brws", "wrongpasswordwrongpass1", 401)]
    [InlineData("xxxx:brws", "relaypasswordrelaypass1", 401)]
    [InlineData("rlyU:evil", "relaypasswordrelaypass1", 401)]
    [InlineData("rlyU", "relaypasswordrelaypass1", 401)]
    public void Bad_credentials_get_401_without_integrity(string username, string password, int code)
    {
        var agent = new IceLiteAgent(Local, "brws");
        var (outcome, response) = Handle(agent, Check(username, password));
        Assert.Equal(IceCheckOutcome.Rejected, outcome);
        Assert.True(StunMessage.TryParse(response, out var m));
        Assert.Equal(StunMessageType.BindingError, m.Type);
        Assert.Equal(code, m.ErrorCode());
        Assert.False(m.HasMessageIntegrity);
        Assert.True(m.VerifyFingerprint());
        Assert.Null(agent.LastConsentMs);
    }

    [Fact]
    public void Missing_username_or_integrity_gets_400_and_unknown_required_attributes_420()
    {
        var agent = new IceLiteAgent(Local);
        var buffer = new byte[64];
        var w = new StunWriter(buffer, StunMessageType.BindingRequest, new byte[12]);
        w.AddFingerprint();
        var (outcome, response) = Handle(agent, w.Written.ToArray());
        Assert.Equal(IceCheckOutcome.Rejected, outcome);
        Assert.True(StunMessage.TryParse(response, out var m));
        Assert.Equal(400, m.ErrorCode());

        (outcome, response) = Handle(agent, Check("rlyU:x", Local.Password, extraAttribute: 0x0031));
        Assert.Equal(IceCheckOutcome.Rejected, outcome);
        Assert.True(StunMessage.TryParse(response, out m));
        Assert.Equal(420, m.ErrorCode());
        Assert.True(m.TryGetAttribute(StunAttributeType.UnknownAttributes, out var list));
        Assert.Equal(new byte[] { 0x00, 0x31 }, list.ToArray());

        // Comprehension-optional attributes (>= 0x8000) are ignored.
        Assert.Equal(IceCheckOutcome.Accepted, Handle(agent, Check("rlyU:x", Local.Password, extraAttribute: 0x8031)).Outcome);
    }

    [Fact]
    public void Indications_responses_and_bad_fingerprints_are_dropped_silently()
    {
        var agent = new IceLiteAgent(Local);
        var buffer = new byte[64];
        var indication = new StunWriter(buffer, StunMessageType.BindingIndication, new byte[12]);
        indication.AddFingerprint();
        Assert.Equal(IceCheckOutcome.Ignored, Handle(agent, indication.Written.ToArray()).Outcome);
        Assert.Equal(IceCheckOutcome.Ignored, Handle(agent, StunVectorTests.SampleIPv4Response).Outcome);

        var request = Check("rlyU:x", Local.Password);
        request[^1] ^= 1;
        Assert.Equal(IceCheckOutcome.Ignored, Handle(agent, request).Outcome);
    }

    [Fact]
    public void Consent_expires_thirty_seconds_after_the_last_good_check()
    {
        var agent = new IceLiteAgent(Local);
        Assert.False(agent.ConsentExpired(1_000_000)); // no check yet: the owner applies its own setup timeout
        Handle(agent, Check("rlyU:x", Local.Password), now: 1_000);
        Assert.False(agent.ConsentExpired(31_000));
        Assert.True(agent.ConsentExpired(31_001));
        Handle(agent, Check("rlyU:x", Local.Password), now: 31_001);
        Assert.False(agent.ConsentExpired(40_000));
    }

    [Fact]
    public void The_local_ufrag_routes_a_datagram_to_its_peer()
    {
        Assert.True(IceLiteAgent.TryReadLocalUfrag(Check("rlyU:brws", "whatever-whatever-whatever"), out var ufrag));
        Assert.Equal("rlyU", ufrag);
        Assert.True(IceLiteAgent.TryReadLocalUfrag(StunVectorTests.SampleRequest, out ufrag));
        Assert.Equal("evtj", ufrag);
        Assert.False(IceLiteAgent.TryReadLocalUfrag(StunVectorTests.SampleIPv4Response, out _));
        Assert.False(IceLiteAgent.TryReadLocalUfrag(Check(":brws", "x"), out _));
    }

    [Fact]
    public void Generated_credentials_meet_rfc_8839()
    {
        var c = IceCredentials.Generate();
        Assert.True(IceCredentials.IsValidUfrag(c.Ufrag));
        Assert.True(IceCredentials.IsValidPassword(c.Password));
        Assert.NotEqual(c, IceCredentials.Generate());
        Assert.False(IceCredentials.IsValidUfrag("ab:"));
        Assert.Equal("candidate:1 1 udp 2130706431 203.0.113.7 7882 typ host", IceCandidate.HostUdp(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882)));
    }

    [Fact]
    public void Random_and_mutated_datagrams_never_throw_and_never_grant_consent()
    {
        var agent = new IceLiteAgent(Local, "brws");
        var rng = new Random(11);
        var valid = Check("rlyU:brws", Local.Password, useCandidate: true);
        var response = new byte[IceLiteAgent.MaxResponseSize];
        for (var i = 0; i < 50_000; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[rng.Next(0, 200)];
                rng.NextBytes(datagram);
                if (datagram.Length >= 8 && rng.Next(2) == 0)
                {
                    datagram[0] = 0; datagram[1] = 1; datagram[4] = 0x21; datagram[5] = 0x12; datagram[6] = 0xa4; datagram[7] = 0x42;
                }
            }
            else
            {
                // Only bytes MESSAGE-INTEGRITY covers: what follows it (FINGERPRINT) may legitimately be
                // damaged into an ignorable attribute without making the request any less authentic.
                datagram = (byte[])valid.Clone();
                datagram[rng.Next(datagram.Length - 8)] ^= (byte)rng.Next(1, 256);
            }

            agent.Handle(datagram, Browser, 5, response, out _);
            IceLiteAgent.TryReadLocalUfrag(datagram, out _);
        }

        Assert.Null(agent.LastConsentMs);
        Assert.Null(agent.Selected);
    }
}
