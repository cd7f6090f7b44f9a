using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtp;

/// <summary>
/// RTP header extension elements (RFC 8285 §4.2–4.3).
/// <code>
/// one-byte  (profile 0xBEDE): | ID (4) | L (4) | data (L+1 bytes) | ...   ID 15 stops parsing; 0 is padding
/// two-byte (profile 0x100X): | ID (8) | length (8) | data (length bytes) | ...   ID 0 is padding
/// </code>
/// </summary>
public static class RtpExtensions
{
    public const ushort OneByteProfile = 0xBEDE;
    public const ushort TwoByteProfileMask = 0xFFF0;
    public const ushort TwoByteProfile = 0x1000;

    /// <summary>Finds extension element <paramref name="id"/>; false if absent or the block is malformed.</summary>
    public static bool TryGet(ReadOnlySpan<byte> packet, in RtpHeader header, byte id, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!header.HasExtension || id == 0)
        {
            return false;
        }

        var block = packet.Slice(header.ExtensionOffset, header.ExtensionLength);
        var oneByte = header.ExtensionProfile == OneByteProfile;
        if (!oneByte && (header.ExtensionProfile & TwoByteProfileMask) != TwoByteProfile)
        {
            return false; // some other profile's extension: not RFC 8285 elements
        }

        for (var at = 0; at < block.Length;)
        {
            if (block[at] == 0)
            {
                at++; // padding
                continue;
            }

            int elementId, length, dataAt;
            if (oneByte)
            {
                elementId = block[at] >> 4;
                if (elementId == 15)
                {
                    return false;
                }

                length = (block[at] & 0x0F) + 1;
                dataAt = at + 1;
            }
            else
            {
                if (at + 2 > block.Length)
                {
                    return false;
                }

                elementId = block[at];
                length = block[at + 1];
                dataAt = at + 2;
            }

            if (dataAt + length > block.Length)
            {
                return false;
            }

            if (elementId == id)
            {
                value = block.Slice(dataAt, length);
                return true;
            }

            at = dataAt + length;
        }

        return false;
    }

    /// <summary>
    /// Writes an extension block (profile, length and elements, padded to 32 bits) for the given
    /// elements, in the one-byte form when every id ≤ 14 and every value is 1–16 bytes, else two-byte.
    /// Returns the bytes written after the 12-byte fixed header and CSRCs.
    /// </summary>
    public static int Write(Span<byte> destination, IReadOnlyList<(byte Id, byte[] Value)> elements)
    {
        var oneByte = elements.All(e => e.Id is >= 1 and <= 14 && e.Value.Length is >= 1 and <= 16);
        var at = 4;
        foreach (var (id, value) in elements)
        {
            if (oneByte)
            {
                destination[at++] = (byte)((id << 4) | (value.Length - 1));
            }
            else
            {
                destination[at++] = id;
                destination[at++] = checked((byte)value.Length);
            }

            value.CopyTo(destination[at..]);
            at += value.Length;
        }

        var padded = (at + 3) & ~3;
        destination[at..padded].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination, oneByte ? OneByteProfile : TwoByteProfile);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((padded - 4) / 4));
        return padded;
    }

    // ---- Transport-wide CC, RID and MID elements (issue 25: congestion control and simulcast). ----
    // Kept in one block so that other additions to this file merge cleanly.

    /// <summary>The size of a transport-wide sequence number element's data (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).</summary>
    public const int TransportSequenceSize = 2;

    /// <summary>Reads the transport-wide sequence number (a big-endian 16-bit value) from element <paramref name="id"/>.</summary>
    public static bool TryGetTransportSequence(ReadOnlySpan<byte> packet, in RtpHeader header, byte id, out ushort sequence)
    {
        sequence = 0;
        if (!TryGet(packet, header, id, out var value) || value.Length != TransportSequenceSize)
        {
            return false;
        }

        sequence = BinaryPrimitives.ReadUInt16BigEndian(value);
        return true;
    }

    /// <summary>
    /// Overwrites, in place, the transport-wide sequence number of element <paramref name="id"/> (an SFU numbers
    /// each subscriber's packets itself). False, and nothing written, when the packet carries no such element.
    /// </summary>
    public static bool TrySetTransportSequence(Span<byte> packet, in RtpHeader header, byte id, ushort sequence)
    {
        if (!TryGet(packet, header, id, out var value) || value.Length != TransportSequenceSize
            || !((ReadOnlySpan<byte>)packet).Overlaps(value, out var offset))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[offset..], sequence);
        return true;
    }

    /// <summary>
    /// Reads an SDES item element: the MID (<c>urn:ietf:params:rtp-hdrext:sdes:mid</c>, RFC 9143 §15.2), the RID
    /// (<c>…sdes:rtp-stream-id</c>) or the repaired RID (<c>…sdes:repaired-rtp-stream-id</c>, RFC 8852 §3). The value is
    /// the element's bytes without trailing NULs (some senders pad them); false when absent, empty, or holding
    /// anything but visible ASCII (RIDs are alphanumeric, MIDs SDP tokens).
    /// </summary>
    public static bool TryGetSdesItem(ReadOnlySpan<byte> packet, in RtpHeader header, byte id, out ReadOnlySpan<byte> item)
    {
        item = default;
        if (!TryGet(packet, header, id, out var value))
        {
            return false;
        }

        var end = value.Length;
        while (end > 0 && value[end - 1] == 0)
        {
            end--;
        }

        if (end == 0)
        {
            return false;
        }

        foreach (var b in value[..end])
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        item = value[..end];
        return true;
    }
}
