using System.Security.Cryptography;
using System.Text;

namespace Lilium.Client.Chat;

/// <summary>Constants and primitives of the chat protocol, version 1 (docs/chat-e2e.md).</summary>
internal static class ChatCrypto
{
    public const byte Version = 1;
    public const int SessionIdSize = 16;
    public const int TagSize = 16;
    public const int KeySize = 32;

    public static ReadOnlySpan<byte> HelloContext => "lilium-chat-hello-v1"u8;
    public static ReadOnlySpan<byte> AckContext => "lilium-chat-ack-v1"u8;
    public static ReadOnlySpan<byte> MessageContext => "lilium-chat-msg-v1"u8;

    public static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        var result = new byte[parts.ToArray().Sum(p => 4 + p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            // Length-prefixed, so that no two different part lists concatenate to the same bytes.
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(at), p.Length);
            p.CopyTo(result, at + 4);
            at += 4 + p.Length;
        }

        return result;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Both directions' keys from the ECDH secret, salted with the transcript hash.</summary>
    public static (byte[] InitiatorToResponder, byte[] ResponderToInitiator) DeriveKeys(byte[] sharedSecret, byte[] transcriptHash)
    {
        var i2r = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, KeySize, transcriptHash, "lilium-chat-v1 initiator->responder"u8.ToArray());
        var r2i = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, KeySize, transcriptHash, "lilium-chat-v1 responder->initiator"u8.ToArray());
        CryptographicOperations.ZeroMemory(sharedSecret);
        return (i2r, r2i);
    }
}
