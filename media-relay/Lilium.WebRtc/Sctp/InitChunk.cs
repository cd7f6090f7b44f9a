using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// INIT and INIT ACK (RFC 4960 §3.3.2–3.3.3), which share a layout.
/// <code>
/// |                         Initiate Tag                          |
/// |           Advertised Receiver Window Credit (a_rwnd)          |
/// |  Number of Outbound Streams   |  Number of Inbound Streams    |
/// |                          Initial TSN                          |
/// \              Optional/Variable-Length Parameters              /
/// </code>
/// </summary>
public readonly ref struct InitChunk
{
    public const int FixedSize = 16;

    // Parameter types (RFC 4960 §3.3.3, RFC 3758 §3.1, RFC 5061 §4.2.7).
    public const ushort StateCookieParam = 7;
    public const ushort ForwardTsnSupportedParam = 0xC000;
    public const ushort SupportedExtensionsParam = 0x8008;

    public uint InitiateTag { get; private init; }
    public uint AdvertisedWindow { get; private init; }
    public ushort OutboundStreams { get; private init; }
    public ushort InboundStreams { get; private init; }
    public uint InitialTsn { get; private init; }
    public ReadOnlySpan<byte> StateCookie { get; private init; }
    public bool ForwardTsnSupported { get; private init; }
    public bool ReConfigSupported { get; private init; }

    public static bool TryRead(in SctpChunk chunk, out InitChunk init)
    {
        init = default;
        var v = chunk.Value;
        if (v.Length < FixedSize)
        {
            return false;
        }

        var tag = BinaryPrimitives.ReadUInt32BigEndian(v);
        var os = BinaryPrimitives.ReadUInt16BigEndian(v[8..]);
        var mis = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
        if (tag == 0 || os == 0 || mis == 0)
        {
            return false; // RFC 4960 §3.3.2: each MUST NOT be 0.
        }

        ReadOnlySpan<byte> cookie = default;
        bool forwardTsn = false, reconfig = false;
        var reader = new SctpParameterReader(v[FixedSize..]);
        while (reader.TryNext(out var type, out var value))
        {
            switch (type)
            {
                case StateCookieParam:
                    cookie = value;
                    break;
                case ForwardTsnSupportedParam:
                    forwardTsn = true;
                    break;
                case SupportedExtensionsParam:
                    forwardTsn |= value.Contains((byte)SctpChunkType.ForwardTsn);
                    reconfig |= value.Contains((byte)SctpChunkType.ReConfig);
                    break;
            }
        }

        init = new InitChunk
        {
            InitiateTag = tag,
            AdvertisedWindow = BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            OutboundStreams = os,
            InboundStreams = mis,
            InitialTsn = BinaryPrimitives.ReadUInt32BigEndian(v[12..]),
            StateCookie = cookie,
            ForwardTsnSupported = forwardTsn,
            ReConfigSupported = reconfig,
        };
        return true;
    }

    public static int Write(
        Span<byte> destination, SctpChunkType type, uint initiateTag, uint window, ushort outbound, ushort inbound, uint initialTsn, ReadOnlySpan<byte> cookie)
    {
        ReadOnlySpan<byte> extensions = [(byte)SctpChunkType.ReConfig, (byte)SctpChunkType.ForwardTsn];
        var v = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, initiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], window);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], outbound);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], inbound);
        BinaryPrimitives.WriteUInt32BigEndian(v[12..], initialTsn);
        var n = FixedSize;
        n += SctpParameterReader.Write(v[n..], ForwardTsnSupportedParam, []);
        n += SctpParameterReader.Write(v[n..], SupportedExtensionsParam, extensions);
        if (type == SctpChunkType.InitAck)
        {
            n += SctpParameterReader.Write(v[n..], StateCookieParam, cookie);
        }

        return SctpChunk.WriteHeader(destination, type, 0, n);
    }
}
