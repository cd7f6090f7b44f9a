using System.Buffers.Binary;

namespace Lilium.Client.Chat;

/// <summary>
/// The three chat payloads as bytes (sent base64 inside signaling messages; the server sees only these):
/// <code>
/// hello: | 1 | 0x01 | session id (16) | eph len u16 | ephemeral SPKI | signature (64, P-1363) |
/// ack:   | 1 | 0x02 | session id (16) | eph len u16 | ephemeral SPKI | signature (64, P-1363) |
/// msg:   | 1 | 0x03 | session id (16) | counter u64 | AES-256-GCM ciphertext | tag (16) |
/// </code>
/// </summary>
public enum ChatPayloadType : byte
{
    /// <summary>The initiator's signed ephemeral key.</summary>
    Hello = 1,
    /// <summary>The responder's signed ephemeral key.</summary>
    Ack = 2,
    /// <summary>An encrypted message.</summary>
    Message = 3,
}

/// <summary>A handshake payload: hello (initiator) or ack (responder).</summary>
/// <param name="Type">Hello or ack.</param>
/// <param name="SessionId">Random, chosen by the initiator.</param>
/// <param name="EphemeralKey">The sender's ephemeral ECDH P-256 public key (SPKI).</param>
/// <param name="Signature">The sender's identity signature over the transcript.</param>
public sealed record ChatHandshake(ChatPayloadType Type, byte[] SessionId, byte[] EphemeralKey, byte[] Signature)
{
    private const int SignatureSize = 64;
    private const int MaxKeySize = 512;

    /// <summary>The payload's bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[2 + ChatCrypto.SessionIdSize + 2 + EphemeralKey.Length + SignatureSize];
        bytes[0] = ChatCrypto.Version;
        bytes[1] = (byte)Type;
        SessionId.CopyTo(bytes, 2);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), (ushort)EphemeralKey.Length);
        EphemeralKey.CopyTo(bytes, 20);
        Signature.CopyTo(bytes, 20 + EphemeralKey.Length);
        return bytes;
    }

    /// <summary>Parses a handshake payload of the <paramref name="expected"/> type; false (never an exception) on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, ChatPayloadType expected, out ChatHandshake? handshake)
    {
        handshake = null;
        if (bytes.Length < 20 || bytes[0] != ChatCrypto.Version || bytes[1] != (byte)expected)
        {
            return false;
        }

        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[18..]);
        if (keyLength is 0 or > MaxKeySize || bytes.Length != 20 + keyLength + SignatureSize)
        {
            return false;
        }

        handshake = new ChatHandshake(expected, bytes[2..18].ToArray(), bytes.Slice(20, keyLength).ToArray(), bytes[(20 + keyLength)..].ToArray());
        return true;
    }
}
