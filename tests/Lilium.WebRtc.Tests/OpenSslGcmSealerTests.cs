using System.Security.Cryptography;
using Lilium.WebRtc.Srtp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// The OpenSSL sealer that SRTP uses for AES-GCM on Linux must produce exactly what <see cref="AesGcm"/> produces
/// (the RFC 7714 vectors in <see cref="SrtpVectorTests"/> go through it too), and must really be in use here.
/// </summary>
[Trait("Category", "Unit")]
public sealed class OpenSslGcmSealerTests
{
    [Fact]
    public void Is_available_on_linux()
    {
        using var sealer = OpenSslGcmSealer.TryCreate(new byte[16], 16);
        Assert.Equal(OperatingSystem.IsLinux(), sealer is not null);
    }

    [Theory]
    [InlineData(0, 12)]
    [InlineData(1, 12)]
    [InlineData(15, 0)]
    [InlineData(16, 12)]
    [InlineData(17, 20)]
    [InlineData(1200, 12)]
    [InlineData(1500, 16)]
    public void Seals_like_AesGcm(int length, int aadLength)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var key = RandomNumberGenerator.GetBytes(16);
        using var sealer = OpenSslGcmSealer.TryCreate(key, 16)!;
        using var reference = new AesGcm(key, 16);
        for (var round = 0; round < 3; round++) // the context is re-used: each packet only sets a new IV
        {
            var nonce = RandomNumberGenerator.GetBytes(12);
            var aad = RandomNumberGenerator.GetBytes(aadLength);
            var plain = RandomNumberGenerator.GetBytes(length);
            var expected = new byte[length];
            var expectedTag = new byte[16];
            reference.Encrypt(nonce, plain, expected, expectedTag, aad);

            var data = plain.ToArray();
            var tag = new byte[16];
            sealer.Seal(nonce, data, tag, aad);

            Assert.Equal(expected, data);
            Assert.Equal(expectedTag, tag);
        }
    }

    [Fact]
    public void Refuses_a_wrong_nonce_or_tag_size()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var sealer = OpenSslGcmSealer.TryCreate(new byte[16], 16)!;
        Assert.Throws<ArgumentException>(() => sealer.Seal(new byte[8], new byte[4], new byte[16], default));
        Assert.Throws<ArgumentException>(() => sealer.Seal(new byte[12], new byte[4], new byte[8], default));
    }
}
