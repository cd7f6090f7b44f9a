namespace Lilium.Signaling.Connections;

/// <summary>A token bucket: <c>capacity</c> tokens, refilled at <c>ratePerSecond</c>. Thread-safe.</summary>
public sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public TokenBucket(double capacity, double ratePerSecond, TimeProvider time)
    {
        _capacity = capacity;
        _ratePerSecond = ratePerSecond;
        _time = time;
        _tokens = capacity;
        _last = time.GetTimestamp();
    }

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _ratePerSecond));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
