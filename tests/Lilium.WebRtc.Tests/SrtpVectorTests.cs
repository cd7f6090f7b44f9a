using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

namespace Lilium.WebRtc.Tests;

/// <summary>SRTP/SRTCP against RFC 3711 Appendix B and RFC 7714 §16–17.</summary>
[Trait("Category", "Unit")]
public sealed class SrtpVectorTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void Key_derivation_matches_rfc3711_b3()
    {
        var key = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
        var salt = Hex("0EC675AD498AFEEBB6960B3AABE6");
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"), SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpEncryption, 16));
        Assert.Equal(Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"), SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpAuthentication, 20));
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"), SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpSalt, 14));
    }

    [Fact]
    public void Aes_cm_keystream_matches_rfc3711_b2()
    {
        // Session key and salt as given; SSRC 0, ROC 0, SEQ 0, so the packet's payload (zeros) becomes the keystream.
        using var session = new SrtpSession(SrtpProtectionProfile.Aes128CmHmacSha1_80, Hex("2B7E151628AED2A6ABF7158809CF4F3C"), new byte[20], Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
        var buffer = new byte[12 + 48 + 10];
        buffer[0] = 0x80;
        Assert.True(session.TryProtectRtp(buffer, 60, out var n));
        Assert.Equal(70, n);
        Assert.Equal(
            Hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0"),
            buffer[12..60]);
    }

    // RFC 7714 §16.1.1 (AEAD_AES_128_GCM, session key and salt given directly).
    private static readonly byte[] GcmKey = Hex("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] GcmSalt = Hex("517569642070726f2071756f");
    private static readonly byte[] GcmRtpPlain = Hex(
        "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
    private static readonly byte[] GcmRtpProtected = Hex(
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833" +
        "899d7f27 beb16a91 52cf765e e4390cce");

    [Fact]
    public void Aes_gcm_rtp_matches_rfc7714_16_1_1()
    {
        using var sender = new SrtpSession(SrtpProtectionProfile.AeadAes128Gcm, GcmKey, null, GcmSalt);
        var buffer = new byte[128];
        GcmRtpPlain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, GcmRtpPlain.Length, out var n));
        Assert.Equal(GcmRtpProtected, buffer[..n]);

        using var receiver = new SrtpSession(SrtpProtectionProfile.AeadAes128Gcm, GcmKey, null, GcmSalt);
        Assert.True(receiver.TryUnprotectRtp(buffer, n, out var plain));
        Assert.Equal(GcmRtpPlain, buffer[..plain]);
    }

    [Fact]
    public void Aes_gcm_srtcp_matches_rfc7714_17_2()
    {
        // §17.2 uses a 256-bit key; the transform is the same for both key sizes. SRTCP index 0x5d4.
        var key = Hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f");
        var plain = Hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
        var protectedPacket = Hex(
            "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047" +
            "6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4");
        using var receiver = new SrtpSession(SrtpProtectionProfile.AeadAes128Gcm, key, null, GcmSalt);
        var buffer = (byte[])protectedPacket.Clone();
        Assert.True(receiver.TryUnprotectRtcp(buffer, buffer.Length, out var n));
        Assert.Equal(plain, buffer[..n]);

        // Replayed: refused.
        buffer = (byte[])protectedPacket.Clone();
        Assert.False(receiver.TryUnprotectRtcp(buffer, buffer.Length, out _));
    }

    [Theory]
    [InlineData((ushort)0x0000, (ushort)0x0001, 0u, 0u)]
    [InlineData((ushort)0xFFF0, (ushort)0x0002, 5u, 6u)]   // wrapped forward
    [InlineData((ushort)0x0005, (ushort)0xFFF0, 6u, 5u)]   // a late packet from before the wrap
    [InlineData((ushort)0x8000, (ushort)0x7FFF, 3u, 3u)]
    public void Roc_estimation_follows_rfc3711_3_3_1(ushort highest, ushort seq, uint roc, uint expected)
    {
        Assert.Equal(expected, SrtpSession.EstimateRoc(roc, highest, seq));
    }
}
