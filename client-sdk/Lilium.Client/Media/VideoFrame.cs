namespace Lilium.Client.Media;

/// <summary>One depacketized, complete video frame as the host encoded it.</summary>
/// <param name="Codec">The encoding name, e.g. <c>VP8</c>.</param>
/// <param name="Data">The encoded frame (for VP8 an RFC 6386 frame, ready for a decoder).</param>
/// <param name="RtpTimestamp">The sender's 90 kHz media timestamp.</param>
/// <param name="IsKeyframe">True for a frame a decoder can start from.</param>
/// <param name="ReceivedAt">When the last packet of the frame arrived (local clock).</param>
public sealed record VideoFrame(string Codec, ReadOnlyMemory<byte> Data, uint RtpTimestamp, bool IsKeyframe, DateTimeOffset ReceivedAt);

/// <summary>One encoded audio packet (Opus) as received.</summary>
/// <param name="Data">The Opus packet.</param>
/// <param name="RtpTimestamp">The sender's 48 kHz media timestamp.</param>
public sealed record AudioPacket(ReadOnlyMemory<byte> Data, uint RtpTimestamp);
