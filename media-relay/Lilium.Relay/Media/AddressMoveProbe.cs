using System.Net;

namespace Lilium.Relay.Media;

/// <summary>A Binding request sent to <paramref name="Candidate"/>; the media address moves there only on its answer.</summary>
internal sealed record AddressMoveProbe(IPEndPoint Candidate, byte[] TransactionId, long SentMs);
