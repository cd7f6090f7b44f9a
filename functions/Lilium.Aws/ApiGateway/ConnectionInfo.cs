namespace Lilium.Aws.ApiGateway;

/// <summary>What <c>GET @connections/{id}</c> tells about a WebSocket connection.</summary>
public sealed record ConnectionInfo(DateTimeOffset? ConnectedAt, DateTimeOffset? LastActiveAt, string? SourceIp, string? UserAgent);
