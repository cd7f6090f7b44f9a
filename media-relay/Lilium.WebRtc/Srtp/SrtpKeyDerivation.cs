using System.Security.Cryptography;

namespace Lilium.WebRtc.Srtp;

/// <summary>
/// The SRTP key derivation function (RFC 3711 §4.3) with key derivation rate 0, as DTLS-SRTP fixes
/// it (RFC 5764 §4.1.2): the PRF is AES-CM keyed with the master key, started at
/// <c>IV = (label ‖ 0⁴⁸ XOR master_salt) · 2¹⁶</c>. The label lands in byte 7 of the IV for both the
/// 112-bit salts of AES-CM and the 96-bit salts of AES-GCM (RFC 7714 §11).
/// </summary>
public static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0;
    public const byte RtpAuthentication = 1;
    public const byte RtpSalt = 2;
    public const byte RtcpEncryption = 3;
    public const byte RtcpAuthentication = 4;
    public const byte RtcpSalt = 5;

    public static byte[] Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, int length)
    {
        if (masterSalt.Length > 14)
        {
            throw new ArgumentException("An SRTP master salt has at most 14 bytes.", nameof(masterSalt));
        }

        using var aes = Aes.Create();
        aes.Key = masterKey.ToArray();
        var blocks = (length + 15) / 16;
        var counters = new byte[blocks * 16];
        for (var b = 0; b < blocks; b++)
        {
            var iv = counters.AsSpan(b * 16, 16);
            masterSalt.CopyTo(iv);
            iv[7] ^= label;
            iv[14] = (byte)(b >> 8);
            iv[15] = (byte)b;
        }

        var output = aes.EncryptEcb(counters, PaddingMode.None);
        return output[..length];
    }
}
