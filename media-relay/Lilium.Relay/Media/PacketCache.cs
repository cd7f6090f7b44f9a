namespace Lilium.Relay.Media;

/// <summary>
/// The last <see cref="Capacity"/> plaintext RTP packets of one publisher stream, by sequence
/// number, to answer subscriber NACKs (RFC 4585 §6.2.1). Slots are preallocated; storing copies
/// bytes, never allocates. Used from the media loop only.
/// </summary>
internal sealed class PacketCache
{
    public const int Capacity = 1024;
    private const int SlotSize = 1500;

    private readonly byte[] _slots = new byte[Capacity * SlotSize];
    private readonly int[] _lengths = new int[Capacity];
    private readonly int[] _sequences = new int[Capacity];

    public PacketCache() => Array.Fill(_sequences, -1);

    public void Store(ushort sequence, ReadOnlySpan<byte> packet)
    {
        if (packet.Length > SlotSize)
        {
            return;
        }

        var slot = sequence % Capacity;
        packet.CopyTo(_slots.AsSpan(slot * SlotSize, SlotSize));
        _lengths[slot] = packet.Length;
        _sequences[slot] = sequence;
    }

    /// <summary>The stored packet with this sequence number, or empty if it was never seen or was overwritten.</summary>
    public ReadOnlySpan<byte> Get(ushort sequence)
    {
        var slot = sequence % Capacity;
        return _sequences[slot] == sequence ? _slots.AsSpan(slot * SlotSize, _lengths[slot]) : default;
    }
}
