namespace Lilium.Relay.Media;

/// <summary>Runs work as if it were a received packet: under the media loop's lock, the sender flushed after it.</summary>
internal interface IMediaLoop
{
    /// <summary>Runs <paramref name="work"/> on the calling thread while no packet is being handled; false before the loop runs.</summary>
    bool Invoke(Action work);
}
