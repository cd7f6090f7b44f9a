using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Lilium.WebRtc.Stun;

/// <summary>
/// A parsed STUN message (RFC 5389 §6), a view over the datagram valid while that buffer is.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |0 0|     STUN Message Type     |         Message Length        |
/// |                         Magic Cookie                          |
/// |                     Transaction ID (96 bits)                  |
/// |                  attributes: type16 | length16 | value, padded to 4 bytes ...
/// </code>
/// Attributes after MESSAGE-INTEGRITY, other than FINGERPRINT, are not authenticated, so
/// <see cref="TryGetAttribute"/> never returns them (RFC 5389 §15.4).
/// </summary>
public readonly ref struct StunMessage
{
    public const int HeaderSize = 20;
    public const uint MagicCookie = 0x2112A442;
    public const int TransactionIdSize = 12;
    private const uint FingerprintXor = 0x5354554E;
    private const int IntegritySize = 20;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _integrityOffset;   // offset of the MESSAGE-INTEGRITY attribute header, or -1
    private readonly int _fingerprintOffset; // offset of the FINGERPRINT attribute header, or -1

    private StunMessage(ReadOnlySpan<byte> data, int integrityOffset, int fingerprintOffset)
    {
        _data = data;
        _integrityOffset = integrityOffset;
        _fingerprintOffset = fingerprintOffset;
    }

    public StunMessageType Type => (StunMessageType)BinaryPrimitives.ReadUInt16BigEndian(_data);

    public ReadOnlySpan<byte> TransactionId => _data.Slice(8, TransactionIdSize);

    public bool HasMessageIntegrity => _integrityOffset >= 0;

    public bool HasFingerprint => _fingerprintOffset >= 0;

    /// <summary>The cheap sniff: first two bits zero and the magic cookie (RFC 5389 §6; RFC 7983 §7).</summary>
    public static bool IsStun(ReadOnlySpan<byte> data) =>
        data.Length >= HeaderSize && (data[0] & 0xC0) == 0 && BinaryPrimitives.ReadUInt32BigEndian(data[4..]) == MagicCookie;

    /// <summary>Parses and checks the framing of every attribute; false (never an exception) on malformed input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out StunMessage message)
    {
        message = default;
        if (!IsStun(data))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length % 4 != 0 || HeaderSize + length != data.Length)
        {
            return false;
        }

        int integrity = -1, fingerprint = -1;
        for (var at = HeaderSize; at < data.Length;)
        {
            if (at + 4 > data.Length || fingerprint >= 0)
            {
                return false; // a truncated header, or anything after FINGERPRINT (it must be last)
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
            var next = at + 4 + ((valueLength + 3) & ~3);
            if (next > data.Length)
            {
                return false;
            }

            if (type == (ushort)StunAttributeType.MessageIntegrity && integrity < 0)
            {
                if (valueLength != IntegritySize)
                {
                    return false;
                }

                integrity = at;
            }
            else if (type == (ushort)StunAttributeType.Fingerprint)
            {
                if (valueLength != 4)
                {
                    return false;
                }

                fingerprint = at;
            }

            at = next;
        }

        message = new StunMessage(data, integrity, fingerprint);
        return true;
    }

    /// <summary>The first attribute of this type that MESSAGE-INTEGRITY covers (or any, when there is none).</summary>
    public bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value)
    {
        value = default;
        var end = _integrityOffset >= 0 ? _integrityOffset : _fingerprintOffset >= 0 ? _fingerprintOffset : _data.Length;
        for (var at = HeaderSize; at < end;)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(_data[at..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(_data[(at + 2)..]);
            if (t == (ushort)type)
            {
                value = _data.Slice(at + 4, valueLength);
                return true;
            }

            at += 4 + ((valueLength + 3) & ~3);
        }

        return false;
    }

    /// <summary>Comprehension-required attribute types (&lt; 0x8000) that <paramref name="known"/> does not list.</summary>
    public List<ushort> UnknownRequiredAttributes(Func<ushort, bool> known)
    {
        var unknown = new List<ushort>();
        for (var at = HeaderSize; at < _data.Length;)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(_data[at..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(_data[(at + 2)..]);
            if (t < 0x8000 && !known(t) && !unknown.Contains(t))
            {
                unknown.Add(t);
            }

            at += 4 + ((valueLength + 3) & ~3);
        }

        return unknown;
    }

    /// <summary>RFC 5389 §15.5: CRC-32 of everything before FINGERPRINT, XORed with 0x5354554E.</summary>
    public bool VerifyFingerprint()
    {
        if (_fingerprintOffset < 0)
        {
            return false;
        }

        var expected = BinaryPrimitives.ReadUInt32BigEndian(_data[(_fingerprintOffset + 4)..]);
        return (Crc32.Compute(_data[.._fingerprintOffset]) ^ FingerprintXor) == expected;
    }

    /// <summary>
    /// RFC 5389 §15.4: HMAC-SHA1 keyed with <paramref name="key"/> over the message up to
    /// MESSAGE-INTEGRITY, with the header's length as if the message ended right after it.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityOffset < 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[IntegritySize];
        ComputeIntegrity(_data[.._integrityOffset], key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, _data.Slice(_integrityOffset + 4, IntegritySize));
    }

    /// <summary>XOR-MAPPED-ADDRESS (RFC 5389 §15.2), or null if absent or malformed.</summary>
    public IPEndPoint? XorMappedAddress() =>
        TryGetAttribute(StunAttributeType.XorMappedAddress, out var v) ? StunAddress.TryReadXor(v, TransactionId) : null;

    /// <summary>ERROR-CODE (RFC 5389 §15.6): class × 100 + number, or null.</summary>
    public int? ErrorCode() =>
        TryGetAttribute(StunAttributeType.ErrorCode, out var v) && v.Length >= 4 && (v[2] & 0x7) is >= 3 and <= 6 && v[3] < 100
            ? ((v[2] & 0x7) * 100) + v[3]
            : null;

    /// <summary>HMAC-SHA1 over <paramref name="prefix"/> (header + attributes before MI) with the length patched to cover MI.</summary>
    internal static void ComputeIntegrity(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        prefix[..HeaderSize].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(prefix.Length - HeaderSize + 4 + IntegritySize));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        hmac.AppendData(header);
        hmac.AppendData(prefix[HeaderSize..]);
        hmac.GetHashAndReset(mac);
    }

    internal static uint ComputeFingerprint(ReadOnlySpan<byte> prefix) => Crc32.Compute(prefix) ^ FingerprintXor;
}
