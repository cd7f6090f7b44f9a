using System.Security.Cryptography;
using Lilium.Protocol;

namespace Lilium.Testing;

/// <summary>A <c>POST /v1/users</c> body as a client sends it, proof of key ownership included (for raw-HTTP tests).</summary>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo.</param>
/// <param name="Nickname">The nickname as sent (and signed).</param>
/// <param name="Timestamp">Unix seconds.</param>
/// <param name="Signature">Base64 P1363 signature of <see cref="RegistrationProof.Message"/>.</param>
public sealed record Registration(string PublicKey, string Nickname, long Timestamp, string Signature)
{
    /// <summary>The body <paramref name="key"/> signs for <paramref name="nickname"/>, at <paramref name="at"/> (default now).</summary>
    public static Registration For(ECDsa key, string nickname, DateTimeOffset? at = null, ECDsa? signer = null)
    {
        var publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var signature = (signer ?? key).SignData(RegistrationProof.Message(publicKey, nickname, timestamp), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new Registration(publicKey, nickname, timestamp, Convert.ToBase64String(signature));
    }
}
