using Lilium.Data.Fleet;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// The relay fleet as the API sees it: <see cref="Control"/> is null in single-relay setups (no <c>RELAY_CLUSTER</c>),
/// where nothing is placed and grants carry no <c>rid</c>, exactly as before the fleet.
/// </summary>
/// <param name="Control">Placement and scaling; null without a fleet.</param>
/// <param name="RelayUrl">The shared relay base URL (<c>RELAY_URL</c>) the answers name; optional.</param>
public sealed record FleetAccess(FleetControl? Control, Uri? RelayUrl)
{
    /// <summary>No fleet.</summary>
    public static FleetAccess None { get; } = new(null, null);
}
