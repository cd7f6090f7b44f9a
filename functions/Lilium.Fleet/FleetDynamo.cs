namespace Lilium.Fleet;

/// <summary>
/// The <see cref="RelayRegistry"/> over the environment's DynamoDB (<see cref="DynamoDbClients.Create"/>: without
/// arguments the SDK resolves endpoint, credentials and region itself).
/// </summary>
public static class FleetDynamo
{
    /// <summary>A registry over the environment's DynamoDB (<see cref="DynamoDbClients.Create"/>) and <see cref="FleetSettings.Table"/>; null without a table.</summary>
    public static RelayRegistry? RegistryFrom(FleetSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Table is { } table ? new RelayRegistry(DynamoDbClients.Create(), table, time, settings.LiveWindow) : null;
    }
}
