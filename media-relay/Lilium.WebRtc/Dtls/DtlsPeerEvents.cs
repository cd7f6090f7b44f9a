using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>Turns alerts (BouncyCastle's callbacks during the handshake, ours after it) into a task that completes when the association ends.</summary>
internal sealed class DtlsPeerEvents
{
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the reason once the peer closed, or a fatal alert ended the association.</summary>
    public Task<string> Closed => _closed.Task;

    public string? LastError { get; private set; }

    public void AlertReceived(short level, short description)
    {
        if (description == AlertDescription.close_notify)
        {
            _closed.TrySetResult("peer sent close_notify");
        }
        else if (level == AlertLevel.fatal)
        {
            _closed.TrySetResult("peer sent fatal alert " + AlertDescription.GetText(description));
        }
    }

    public void AlertRaised(short level, short description, string? message)
    {
        if (level == AlertLevel.fatal)
        {
            LastError = $"{AlertDescription.GetText(description)}: {message}";
        }
    }

    public void Close(string reason) => _closed.TrySetResult(reason);
}
