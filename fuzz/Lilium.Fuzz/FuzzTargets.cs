using Lilium.Fuzz.Targets;

namespace Lilium.Fuzz;

/// <summary>The targets by the name used on the command line, in fuzz/corpus/ and in bench/results/fuzz.json.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["stun", "dtls", "rtp", "rtcp", "srtp", "sctp", "sdp", "input", "signaling"];

    public static IFuzzTarget Create(string name) => name switch
    {
        "stun" => new StunTarget(),
        "dtls" => new DtlsTarget(),
        "rtp" => new RtpTarget(),
        "rtcp" => new RtcpTarget(),
        "srtp" => new SrtpTarget(),
        "sctp" => new SctpTarget(),
        "sdp" => new SdpTarget(),
        "input" => new InputTarget(),
        "signaling" => new SignalingTarget(),
        _ => throw new ArgumentException($"fuzz: unknown target '{name}' (one of: {string.Join(", ", Names)})", nameof(name)),
    };
}
