namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The anti-replay window of RFC 6347 §4.1.2.6 for one epoch: the highest sequence number that
/// authenticated and a 64-bit bitmap of the ones below it. A record is checked before it is
/// decrypted (<see cref="IsFresh"/>) and marked only after it authenticated (<see cref="Mark"/>),
/// so a forged record cannot move the window.
/// </summary>
internal struct DtlsReplayWindow
{
    public const int Size = 64;

    private ulong _highest;
    private ulong _bitmap; // bit i: _highest - i was received
    private bool _any;

    /// <summary>False if <paramref name="sequenceNumber"/> was already received or lies left of the window.</summary>
    public readonly bool IsFresh(ulong sequenceNumber)
    {
        if (!_any || sequenceNumber > _highest)
        {
            return true;
        }

        var offset = _highest - sequenceNumber;
        return offset < Size && (_bitmap & (1UL << (int)offset)) == 0;
    }

    /// <summary>Records an authenticated sequence number (call only after <see cref="IsFresh"/> returned true).</summary>
    public void Mark(ulong sequenceNumber)
    {
        if (!_any)
        {
            _any = true;
            _highest = sequenceNumber;
            _bitmap = 1;
            return;
        }

        if (sequenceNumber > _highest)
        {
            var shift = sequenceNumber - _highest;
            _bitmap = shift >= Size ? 1 : (_bitmap << (int)shift) | 1;
            _highest = sequenceNumber;
            return;
        }

        var offset = _highest - sequenceNumber;
        if (offset < Size)
        {
            _bitmap |= 1UL << (int)offset;
        }
    }
}
