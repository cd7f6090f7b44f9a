using System.Net;

namespace Lilium.Aws.Protocol;

/// <summary>A successful (2xx) answer, body read in full.</summary>
internal sealed record AwsResponse(HttpStatusCode StatusCode, byte[] Body);
