using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lilium.Client.Chat;

/// <summary>Why a received chat message was refused.</summary>
public enum ChatOpenResult
{
    /// <summary>Authentic and new: the plaintext is valid.</summary>
    Ok,
    /// <summary>Not a chat message of this protocol version.</summary>
    Malformed,
    /// <summary>A message of another session (open it with that session).</summary>
    OtherSession,
    /// <summary>Seen before, or too far behind the newest message to tell.</summary>
    Replayed,
    /// <summary>The tag did not verify: tampered, or not from this session's peer.</summary>
    Forged,
}

/// <summary>
/// An established chat session: AES-256-GCM with one key per direction, a 64-bit message counter
/// as the nonce, and a 64-message replay window on receipt.
/// </summary>
public sealed class ChatSession : IDisposable
{
    private const int HeaderSize = 2 + ChatCrypto.SessionIdSize + 8;
    private readonly AesGcm _send;
    private readonly AesGcm _receive;
    private readonly ReplayWindow _window = new();
    private ulong _nextCounter;

    internal ChatSession(byte[] sessionId, Guid peer, byte[] sendKey, byte[] receiveKey)
    {
        SessionId = sessionId;
        Peer = peer;
        _send = new AesGcm(sendKey, ChatCrypto.TagSize);
        _receive = new AesGcm(receiveKey, ChatCrypto.TagSize);
        CryptographicOperations.ZeroMemory(sendKey);
        CryptographicOperations.ZeroMemory(receiveKey);
    }

    /// <summary>The random id both handshake messages and every message carry.</summary>
    public byte[] SessionId { get; }

    /// <summary>The friend at the other end.</summary>
    public Guid Peer { get; }

    /// <summary>Encrypts one message into the bytes of a chat "msg" payload.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var counter = _nextCounter++;
        var output = new byte[HeaderSize + plaintext.Length + ChatCrypto.TagSize];
        output[0] = ChatCrypto.Version;
        output[1] = (byte)ChatPayloadType.Message;
        SessionId.CopyTo(output, 2);
        BinaryPrimitives.WriteUInt64BigEndian(output.AsSpan(18), counter);
        _send.Encrypt(
            Nonce(counter),
            plaintext,
            output.AsSpan(HeaderSize, plaintext.Length),
            output.AsSpan(HeaderSize + plaintext.Length),
            Aad(counter));
        return output;
    }

    /// <summary>Decrypts a received chat "msg" payload; never throws on hostile bytes.</summary>
    public ChatOpenResult TryOpen(ReadOnlySpan<byte> payload, out byte[] plaintext)
    {
        plaintext = [];
        if (payload.Length < HeaderSize + ChatCrypto.TagSize || payload[0] != ChatCrypto.Version || payload[1] != (byte)ChatPayloadType.Message)
        {
            return ChatOpenResult.Malformed;
        }

        if (!payload[2..18].SequenceEqual(SessionId))
        {
            return ChatOpenResult.OtherSession;
        }

        var counter = BinaryPrimitives.ReadUInt64BigEndian(payload[18..]);
        if (!_window.CanAccept(counter))
        {
            return ChatOpenResult.Replayed;
        }

        var length = payload.Length - HeaderSize - ChatCrypto.TagSize;
        var result = new byte[length];
        try
        {
            _receive.Decrypt(Nonce(counter), payload.Slice(HeaderSize, length), payload[(HeaderSize + length)..], result, Aad(counter));
        }
        catch (AuthenticationTagMismatchException)
        {
            return ChatOpenResult.Forged;
        }

        _window.Accept(counter); // only after authentication, so forgeries cannot move the window
        plaintext = result;
        return ChatOpenResult.Ok;
    }

    /// <summary>Disposes the session keys.</summary>
    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
    }

    private static byte[] Nonce(ulong counter)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), counter);
        return nonce;
    }

    private byte[] Aad(ulong counter)
    {
        var c = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(c, counter);
        return ChatCrypto.Concat(ChatCrypto.MessageContext.ToArray(), SessionId, c);
    }

    /// <summary>Accepts each counter once, and none more than 64 behind the highest seen (RFC 4303 §3.4.3 style).</summary>
    private sealed class ReplayWindow
    {
        private const int Size = 64;
        private ulong _highest;
        private ulong _bitmap; // bit i: counter (_highest - i) seen
        private bool _any;

        public bool CanAccept(ulong counter)
        {
            if (!_any || counter > _highest)
            {
                return true;
            }

            var age = _highest - counter;
            return age < Size && (_bitmap & (1UL << (int)age)) == 0;
        }

        public void Accept(ulong counter)
        {
            if (!_any)
            {
                _any = true;
                _highest = counter;
                _bitmap = 1;
            }
            else if (counter > _highest)
            {
                var shift = counter - _highest;
                _bitmap = shift >= Size ? 1 : (_bitmap << (int)shift) | 1;
                _highest = counter;
            }
            else
            {
                _bitmap |= 1UL << (int)(_highest - counter);
            }
        }
    }
}
