using System.Net;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Stun;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// STUN (RFC 8489) as the relay meets it on its UDP port: the message parser, every attribute
/// accessor, the integrity and fingerprint checks, and the ICE-lite agent's answer to a check.
/// The agent's credentials are RFC 5769's, so the seed vectors authenticate.
/// </summary>
internal sealed class StunTarget : IFuzzTarget
{
    private static readonly IPEndPoint Source = new(IPAddress.Loopback, 50000);
    private static readonly StunAttributeType[] Attributes = Enum.GetValues<StunAttributeType>();

    private readonly IceCredentials _local = new("evtj", "VOkJxbRl1RmTxUk/WvJxBt");
    private readonly byte[] _response = new byte[IceLiteAgent.MaxResponseSize];
    private IceLiteAgent _agent;
    private long _now = 1_000;

    public StunTarget() => _agent = new IceLiteAgent(_local, "h6vY");

    public void Run(ReadOnlySpan<byte> input)
    {
        if (StunMessage.TryParse(input, out var message))
        {
            foreach (var type in Attributes)
            {
                message.TryGetAttribute(type, out _);
            }

            message.UnknownRequiredAttributes(static t => t < 0x0030);
            message.VerifyFingerprint();
            message.VerifyMessageIntegrity(_local.Key);
            message.XorMappedAddress();
            message.ErrorCode();
        }

        IceLiteAgent.TryReadLocalUfrag(input, out _);
        _now += 20;
        _agent.Handle(input, Source, _now, _response, out _);
        if (_agent.ConsentExpired(_now))
        {
            _agent = new IceLiteAgent(_local, "h6vY");
        }
    }
}
