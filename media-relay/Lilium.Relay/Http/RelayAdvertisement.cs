using System.Net;

namespace Lilium.Relay.Http;

/// <summary>Where the relay stands before it may take sessions (<c>/health</c>; FLEET-CONTRACT §3).</summary>
internal enum Readiness
{
    /// <summary>Learning its address (task metadata, EC2, STUN).</summary>
    Starting,
    /// <summary>It knows the address its ICE candidates advertise.</summary>
    Ready,
    /// <summary>No source gave an address: it takes no session and never registers.</summary>
    NoAddress,
}

/// <summary>
/// Who this relay is and the IP address its ICE candidates advertise, learned once at start by
/// <see cref="Fleet.AddressDiscoveryService"/>; until then (or when nothing gave one) the relay is not ready.
/// </summary>
internal sealed class RelayAdvertisement
{
    private volatile Readiness _state = Readiness.Starting;
    private volatile Learned? _learned;

    public RelayAdvertisement(string relayId) => RelayId = relayId;

    /// <summary>A relay already ready (tests, and the address given up front).</summary>
    public RelayAdvertisement(IPAddress address, string relayId = "relay")
        : this(relayId) => MarkReady(address, "configured", null, null);

    public Readiness State => _state;

    /// <summary>The advertised address; null unless <see cref="Readiness.Ready"/>.</summary>
    public IPAddress? Address => _learned?.Address;

    /// <summary>Where the address came from: <c>ecs-metadata</c>, <c>configured</c>, <c>bind-address</c> or <c>stun</c>.</summary>
    public string? Source => _learned?.Source;

    /// <summary>The registry's id: the ECS task id when there is task metadata, else <c>RELAY_ID</c>, else random.</summary>
    public string RelayId { get; private set; }

    public string? TaskArn => _learned?.TaskArn;

    /// <summary>The task's private IP (ECS task metadata), for the URL other relays reach it on.</summary>
    public IPAddress? PrivateIp => _learned?.PrivateIp;

    public void MarkReady(IPAddress address, string source, string? taskArn, IPAddress? privateIp, string? relayId = null)
    {
        if (relayId is not null)
        {
            RelayId = relayId;
        }

        _learned = new Learned(address, source, taskArn, privateIp);
        _state = Readiness.Ready;
    }

    public void MarkNoAddress() => _state = Readiness.NoAddress;

    private sealed record Learned(IPAddress Address, string Source, string? TaskArn, IPAddress? PrivateIp);
}
