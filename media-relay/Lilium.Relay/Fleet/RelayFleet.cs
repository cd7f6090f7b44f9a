using Lilium.Fleet;

namespace Lilium.Relay.Fleet;

/// <summary>The relay's fleet membership: its registry (null when <c>CONNECTIONS_TABLE</c> is unset: a lone relay) and settings.</summary>
internal sealed class RelayFleet(RelayRegistry? registry, FleetEnvironment environment)
{
    public RelayRegistry? Registry => registry;

    public FleetEnvironment Environment => environment;
}
