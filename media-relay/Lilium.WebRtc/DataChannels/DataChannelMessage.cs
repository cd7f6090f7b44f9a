using System.Text;

namespace Lilium.WebRtc.DataChannels;

/// <summary>A received message: text (UTF-8) or binary.</summary>
public readonly record struct DataChannelMessage(bool IsText, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);
}
