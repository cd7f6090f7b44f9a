using System.Security.Cryptography;

namespace Lilium.Client.Chat;

/// <summary>
/// A user's long-term identity: the ECDSA P-256 key pair that also logs in to the API. In chat it
/// signs each side's ephemeral key, so a server relaying the handshake cannot substitute its own.
/// </summary>
public sealed class ChatIdentity : IDisposable
{
    private readonly ECDsa _key;

    /// <summary>Wraps the user's key pair; the identity does not own <paramref name="key"/>'s lifetime beyond <see cref="Dispose"/>.</summary>
    /// <param name="userId">The user's id in the API.</param>
    /// <param name="key">The user's ECDSA P-256 key pair.</param>
    public ChatIdentity(Guid userId, ECDsa key)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException("Identity keys are ECDSA P-256.", nameof(key));
        }

        UserId = userId;
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The user's id in the API; signed into every handshake.</summary>
    public Guid UserId { get; }

    /// <summary>SubjectPublicKeyInfo (DER): what the API stores and what friends pin.</summary>
    public byte[] PublicKey { get; }

    internal byte[] Sign(byte[] data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Verifies a signature by the holder of <paramref name="publicKey"/> (SPKI); false on anything malformed.</summary>
    internal static bool Verify(byte[] publicKey, byte[] data, byte[] signature)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(publicKey, out _);
            return key.KeySize == 256
                && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Disposes the key pair.</summary>
    public void Dispose() => _key.Dispose();
}
