using System.Net;

namespace Lilium.Relay.Http;

/// <summary>The IP address our ICE candidate advertises, resolved once at start.</summary>
internal sealed record RelayAdvertisement(IPAddress Address);
