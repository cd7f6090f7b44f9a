namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The SRTP master keys and salts a DTLS-SRTP handshake exported (RFC 5764 §4.2).
/// The exporter output is laid out as
/// <code>
/// client_write_SRTP_master_key | server_write_SRTP_master_key |
/// client_write_SRTP_master_salt | server_write_SRTP_master_salt
/// </code>
/// The client's keys protect what the DTLS client sends; the server's what the server sends.
/// </summary>
public sealed class SrtpKeyingMaterial
{
    private SrtpKeyingMaterial(SrtpProtectionProfile profile, byte[] clientKey, byte[] serverKey, byte[] clientSalt, byte[] serverSalt, DtlsRole localRole)
    {
        Profile = profile;
        ClientKey = clientKey;
        ServerKey = serverKey;
        ClientSalt = clientSalt;
        ServerSalt = serverSalt;
        LocalRole = localRole;
    }

    public SrtpProtectionProfile Profile { get; }

    public DtlsRole LocalRole { get; }

    public ReadOnlyMemory<byte> ClientKey { get; }

    public ReadOnlyMemory<byte> ServerKey { get; }

    public ReadOnlyMemory<byte> ClientSalt { get; }

    public ReadOnlyMemory<byte> ServerSalt { get; }

    /// <summary>The master key protecting what we send.</summary>
    public ReadOnlyMemory<byte> LocalKey => LocalRole == DtlsRole.Client ? ClientKey : ServerKey;

    /// <summary>The master salt protecting what we send.</summary>
    public ReadOnlyMemory<byte> LocalSalt => LocalRole == DtlsRole.Client ? ClientSalt : ServerSalt;

    /// <summary>The master key protecting what the peer sends (we unprotect with it).</summary>
    public ReadOnlyMemory<byte> RemoteKey => LocalRole == DtlsRole.Client ? ServerKey : ClientKey;

    /// <summary>The master salt protecting what the peer sends.</summary>
    public ReadOnlyMemory<byte> RemoteSalt => LocalRole == DtlsRole.Client ? ServerSalt : ClientSalt;

    /// <summary>Splits the raw exporter output for <paramref name="profile"/>.</summary>
    public static SrtpKeyingMaterial FromExporter(SrtpProtectionProfile profile, ReadOnlySpan<byte> material, DtlsRole localRole)
    {
        var keyLength = profile.KeyLength();
        var saltLength = profile.SaltLength();
        if (material.Length != profile.KeyingMaterialLength())
        {
            throw new ArgumentException($"dtls: {profile} needs {profile.KeyingMaterialLength()} bytes of keying material, got {material.Length}", nameof(material));
        }

        var clientKey = material[..keyLength].ToArray();
        var serverKey = material.Slice(keyLength, keyLength).ToArray();
        var clientSalt = material.Slice(2 * keyLength, saltLength).ToArray();
        var serverSalt = material.Slice((2 * keyLength) + saltLength, saltLength).ToArray();
        return new SrtpKeyingMaterial(profile, clientKey, serverKey, clientSalt, serverSalt, localRole);
    }
}
