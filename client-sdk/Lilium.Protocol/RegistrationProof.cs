using System.Text;

namespace Lilium.Protocol;

/// <summary>
/// What a client signs to register a key (<c>POST /v1/users</c>): proof that it holds the private key of the public key
/// it registers, so nobody can register someone else's key under a nickname of their choosing. The signed text is
/// <c>lilium-register\n{publicKey}\n{nickname}\n{timestamp}</c> (UTF-8; the public key and nickname exactly as sent,
/// the timestamp in Unix seconds), signed with ECDSA P-256 / SHA-256; the signature is base64 of r‖s (IEEE P1363) or
/// DER. The server accepts timestamps within <see cref="MaxSkew"/> of its clock.
/// </summary>
public static class RegistrationProof
{
    /// <summary>How far the timestamp may be from the server's clock, either way.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The bytes to sign.</summary>
    public static byte[] Message(string publicKey, string nickname, long timestamp) =>
        Encoding.UTF8.GetBytes($"lilium-register\n{publicKey}\n{nickname}\n{timestamp}");
}
