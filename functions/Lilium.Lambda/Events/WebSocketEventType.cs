namespace Lilium.Lambda.Events;

/// <summary>The values of <see cref="WebSocketRequestContext.EventType"/>.</summary>
public static class WebSocketEventType
{
    public const string Connect = "CONNECT";
    public const string Message = "MESSAGE";
    public const string Disconnect = "DISCONNECT";
}
