namespace Lilium.WebRtc.Srtp;

/// <summary>
/// Replay protection over packet indices (RFC 3711 §3.3.2): a 128-packet sliding window behind the
/// highest authenticated index. Check before, accept only after authentication.
/// </summary>
internal sealed class SrtpReplayWindow
{
    private const int Size = 128;
    private ulong _highest;
    private UInt128 _seen; // bit i: index (_highest - i) arrived
    private bool _any;

    public bool IsFresh(ulong index) =>
        !_any || index > _highest || (_highest - index < Size && (_seen & (UInt128.One << (int)(_highest - index))) == 0);

    public void Accept(ulong index)
    {
        if (!_any)
        {
            (_any, _highest, _seen) = (true, index, UInt128.One);
        }
        else if (index > _highest)
        {
            var shift = index - _highest;
            _seen = shift >= Size ? UInt128.One : (_seen << (int)shift) | UInt128.One;
            _highest = index;
        }
        else
        {
            _seen |= UInt128.One << (int)(_highest - index);
        }
    }
}
