using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Lilium.WebRtc.Stun;

/// <summary>
/// Builds a STUN message into a caller's buffer, keeping the header's length current.
/// MESSAGE-INTEGRITY and FINGERPRINT, when used, go last and in that order.
/// </summary>
public ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public StunWriter(Span<byte> buffer, StunMessageType type, ReadOnlySpan<byte> transactionId)
    {
        if (buffer.Length < StunMessage.HeaderSize || transactionId.Length != StunMessage.TransactionIdSize)
        {
            throw new ArgumentException("A STUN message needs a 20-byte header and a 12-byte transaction id.");
        }

        _buffer = buffer;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)type);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunMessage.HeaderSize;
        SetLength();
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void Add(StunAttributeType type, scoped ReadOnlySpan<byte> value)
    {
        var padded = (value.Length + 3) & ~3;
        if (_length + 4 + padded > _buffer.Length)
        {
            throw new InvalidOperationException("The STUN buffer is too small.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)value.Length);
        value.CopyTo(_buffer[(_length + 4)..]);
        _buffer.Slice(_length + 4 + value.Length, padded - value.Length).Clear();
        _length += 4 + padded;
        SetLength();
    }

    public void AddString(StunAttributeType type, string value) => Add(type, Encoding.UTF8.GetBytes(value));

    public void AddUInt32(StunAttributeType type, uint value)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v, value);
        Add(type, v);
    }

    public void AddUInt64(StunAttributeType type, ulong value)
    {
        Span<byte> v = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(v, value);
        Add(type, v);
    }

    public void AddXorMappedAddress(IPEndPoint endpoint)
    {
        Span<byte> v = stackalloc byte[20];
        var n = StunAddress.WriteXor(v, endpoint, _buffer.Slice(8, StunMessage.TransactionIdSize));
        Add(StunAttributeType.XorMappedAddress, v[..n]);
    }

    /// <summary>ERROR-CODE (RFC 5389 §15.6) with a reason phrase.</summary>
    public void AddErrorCode(int code, string reason)
    {
        var text = Encoding.UTF8.GetBytes(reason);
        Span<byte> v = stackalloc byte[4 + text.Length];
        v[..2].Clear();
        v[2] = (byte)(code / 100);
        v[3] = (byte)(code % 100);
        text.CopyTo(v[4..]);
        Add(StunAttributeType.ErrorCode, v);
    }

    public void AddUnknownAttributes(IReadOnlyList<ushort> types)
    {
        Span<byte> v = stackalloc byte[2 * types.Count];
        for (var i = 0; i < types.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(2 * i)..], types[i]);
        }

        Add(StunAttributeType.UnknownAttributes, v);
    }

    /// <summary>MESSAGE-INTEGRITY over everything written so far (RFC 5389 §15.4).</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        Span<byte> mac = stackalloc byte[20];
        StunMessage.ComputeIntegrity(_buffer[.._length], key, mac);
        Add(StunAttributeType.MessageIntegrity, mac);
    }

    /// <summary>FINGERPRINT over everything written so far (RFC 5389 §15.5); must be last.</summary>
    public void AddFingerprint()
    {
        // The CRC covers the header with its length already including FINGERPRINT.
        _length += 8;
        SetLength();
        _length -= 8;
        AddUInt32(StunAttributeType.Fingerprint, StunMessage.ComputeFingerprint(_buffer[.._length]));
    }

    private readonly void SetLength() =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderSize));
}
