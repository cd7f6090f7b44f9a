namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The DTLS-SRTP protection profiles we negotiate in the <c>use_srtp</c> extension
/// (RFC 5764 §4.1.2; RFC 7714 §14.2). The values are the IANA code points.
/// </summary>
public enum SrtpProtectionProfile : ushort
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80: 128-bit key, 112-bit salt, 80-bit tag.</summary>
    Aes128CmHmacSha1_80 = 0x0001,

    /// <summary>SRTP_AEAD_AES_128_GCM: 128-bit key, 96-bit salt, 128-bit tag.</summary>
    AeadAes128Gcm = 0x0007,
}

/// <summary>Key and salt lengths per profile, which size the exporter output.</summary>
public static class SrtpProtectionProfileExtensions
{
    public static int KeyLength(this SrtpProtectionProfile profile) => profile switch
    {
        SrtpProtectionProfile.Aes128CmHmacSha1_80 => 16,
        SrtpProtectionProfile.AeadAes128Gcm => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile"),
    };

    public static int SaltLength(this SrtpProtectionProfile profile) => profile switch
    {
        SrtpProtectionProfile.Aes128CmHmacSha1_80 => 14,
        SrtpProtectionProfile.AeadAes128Gcm => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile"),
    };

    /// <summary>Bytes to pull from the exporter: 2·(key+salt) (RFC 5764 §4.2).</summary>
    public static int KeyingMaterialLength(this SrtpProtectionProfile profile) =>
        2 * (profile.KeyLength() + profile.SaltLength());
}
