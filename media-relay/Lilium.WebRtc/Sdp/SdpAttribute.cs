namespace Lilium.WebRtc.Sdp;

/// <summary>One <c>a=name[:value]</c> line (RFC 8866 §5.13). <see cref="Value"/> is null for property attributes.</summary>
public readonly record struct SdpAttribute(string Name, string? Value)
{
    public override string ToString() => Value is null ? $"a={Name}" : $"a={Name}:{Value}";
}
