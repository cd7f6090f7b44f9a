using System.Security.Cryptography;
using System.Text;

namespace Lilium.Client;

/// <summary>
/// A user's identity: an ECDSA P-256 key pair. The API knows the public key; logging in means
/// signing the server's challenge. Stored as a PKCS#8 PEM file readable only by its owner.
/// </summary>
public sealed class LiliumIdentity : IDisposable
{
    private LiliumIdentity(ECDsa key)
    {
        Key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(PublicKey));
    }

    /// <summary>The key pair (for chat handshakes; see <see cref="Chat.ChatIdentity"/>).</summary>
    public ECDsa Key { get; }

    /// <summary>SubjectPublicKeyInfo DER, as the API stores it.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Lower-case hex SHA-256 of <see cref="PublicKey"/>: what friends compare out of band.</summary>
    public string Fingerprint { get; }

    /// <summary>A fresh key pair.</summary>
    public static LiliumIdentity Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads an identity file written by <see cref="Save"/>; throws <see cref="LiliumException"/> when it is missing or not a P-256 key.</summary>
    public static LiliumIdentity Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new LiliumException($"No identity at {path}; create one first (lilium id new).");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path, Encoding.ASCII));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new LiliumException($"{path} is not an identity file (PKCS#8 PEM of an ECDSA P-256 key).", ex);
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new LiliumException($"{path} holds a {key.KeySize}-bit key; identities are ECDSA P-256.");
        }

        return new LiliumIdentity(key);
    }

    /// <summary>Writes the private key (PKCS#8 PEM), creating the folder; owner read/write only on Unix.</summary>
    public void Save(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(Key.ExportPkcs8PrivateKeyPem()));
    }

    /// <summary>Signs a login challenge's bytes (ECDSA P-256, SHA-256, IEEE P1363).</summary>
    public byte[] Sign(byte[] data) => Key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Disposes the key pair.</summary>
    public void Dispose() => Key.Dispose();
}
