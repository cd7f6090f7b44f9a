namespace Lilium.Relay.Media;

/// <summary>
/// The last <see cref="Capacity"/> plaintext RTP packets of one publisher stream, by sequence
/// number, to answer subscriber NACKs (RFC 4585 §6.2.1). The slots (1.5 MB) are allocated at the
/// stream's first packet, not when the offer is answered, so an offer that never sends media costs
/// nothing; after that, storing copies bytes and never allocates. Used from the media loop only.
/// </summary>
internal sealed class PacketCache
{
    public const int Capacity = 1024;
    private const int SlotSize = 1500;

    private byte[]? _slots;
    private int[] _lengths = [];
    private int[] _sequences = [];

    /// <summary>Whether the slots exist yet (the stream has sent media).</summary>
    public bool IsAllocated => _slots is not null;

    public void Store(ushort sequence, ReadOnlySpan<byte> packet)
    {
        if (packet.Length > SlotSize)
        {
            return;
        }

        if (_slots is null)
        {
            _slots = new byte[Capacity * SlotSize];
            _lengths = new int[Capacity];
            _sequences = new int[Capacity];
            Array.Fill(_sequences, -1);
        }

        var slot = sequence % Capacity;
        packet.CopyTo(_slots.AsSpan(slot * SlotSize, SlotSize));
        _lengths[slot] = packet.Length;
        _sequences[slot] = sequence;
    }

    /// <summary>The stored packet with this sequence number, or empty if it was never seen or was overwritten.</summary>
    public ReadOnlySpan<byte> Get(ushort sequence)
    {
        if (_slots is null)
        {
            return default;
        }

        var slot = sequence % Capacity;
        return _sequences[slot] == sequence ? _slots.AsSpan(slot * SlotSize, _lengths[slot]) : default;
    }
}
