using System.Net;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Tests;

/// <summary>RFC 5769 "Test Vectors for STUN", §2.1–2.3, byte for byte.</summary>
[Trait("Category", "Unit")]
public sealed class StunVectorTests
{
    private const string Password = "VOkJxbRl1RmTxUk/WvJxBt";

    // §2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY 0x6e0001ff, ICE-CONTROLLED,
    // USERNAME "evtj:h6vY" (padded with spaces, as the RFC does), MESSAGE-INTEGRITY, FINGERPRINT.
    public static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "802200105354554e207465737420636c69656e74" +
        "002400046e0001ff" +
        "80290008932ff9b151263b36" +
        "000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004e57a3bcf");

    // §2.2 Sample IPv4 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS 192.0.2.1:32853.
    public static readonly byte[] SampleIPv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000080001a147e112a643" +
        "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004c07d4c96");

    // §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    public static readonly byte[] SampleIPv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004c8fb0b4c");

    [Fact]
    public void Sample_request_parses_and_authenticates()
    {
        Assert.True(StunMessage.TryParse(SampleRequest, out var m));
        Assert.Equal(StunMessageType.BindingRequest, m.Type);
        Assert.Equal(Convert.FromHexString("b7e7a701bc34d686fa87dfae"), m.TransactionId.ToArray());
        Assert.True(m.TryGetAttribute(StunAttributeType.Username, out var user));
        Assert.Equal("evtj:h6vY"u8.ToArray(), user.ToArray());
        Assert.True(m.TryGetAttribute(StunAttributeType.Priority, out var priority));
        Assert.Equal(new byte[] { 0x6e, 0x00, 0x01, 0xff }, priority.ToArray());
        Assert.True(m.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBt"u8));
        Assert.False(m.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBT"u8));
        Assert.True(m.VerifyFingerprint());
    }

    [Theory]
    [InlineData(false, "192.0.2.1")]
    [InlineData(true, "2001:db8:1234:5678:11:2233:4455:6677")]
    public void Sample_responses_parse_and_authenticate(bool v6, string address)
    {
        var bytes = v6 ? SampleIPv6Response : SampleIPv4Response;
        Assert.True(StunMessage.TryParse(bytes, out var m));
        Assert.Equal(StunMessageType.BindingSuccess, m.Type);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), 32853), m.XorMappedAddress());
        Assert.True(m.VerifyMessageIntegrity(System.Text.Encoding.UTF8.GetBytes(Password)));
        Assert.True(m.VerifyFingerprint());
    }

    [Fact]
    public void Any_flipped_bit_fails_integrity_or_fingerprint_or_parsing()
    {
        for (var bit = 0; bit < SampleRequest.Length * 8; bit++)
        {
            var copy = (byte[])SampleRequest.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var ok = StunMessage.TryParse(copy, out var m) && m.VerifyFingerprint() && m.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBt"u8);
            Assert.False(ok, $"bit {bit}");
        }
    }

    [Fact]
    public void Writer_output_is_verified_by_the_reader()
    {
        var buffer = new byte[128];
        var txid = Convert.FromHexString("b7e7a701bc34d686fa87dfae");
        var writer = new StunWriter(buffer, StunMessageType.BindingSuccess, txid);
        writer.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853));
        writer.AddMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBt"u8);
        writer.AddFingerprint();
        var bytes = writer.Written.ToArray();

        // The XOR-MAPPED-ADDRESS attribute is the RFC's, byte for byte.
        Assert.Equal(Convert.FromHexString("002000080001a147e112a643"), bytes[20..32]);
        Assert.True(StunMessage.TryParse(bytes, out var m));
        Assert.True(m.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBt"u8));
        Assert.True(m.VerifyFingerprint());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0001000021")]                                                  // short header
    [InlineData("000100002112a443b7e7a701bc34d686fa87dfae")]                    // wrong cookie
    [InlineData("c00100002112a442b7e7a701bc34d686fa87dfae")]                    // top bits set (RTP-like)
    [InlineData("000100042112a442b7e7a701bc34d686fa87dfae")]                    // length beyond the data
    [InlineData("000100082112a442b7e7a701bc34d686fa87dfae00060009656565650000")] // attribute overruns
    [InlineData("000100062112a442b7e7a701bc34d686fa87dfae000600026565")]        // length not a multiple of 4
    [InlineData("000100102112a442b7e7a701bc34d686fa87dfae80280004000000000006000165000000")] // data after FINGERPRINT
    public void Malformed_messages_are_refused(string hex)
    {
        Assert.False(StunMessage.TryParse(Convert.FromHexString(hex), out _));
    }
}
