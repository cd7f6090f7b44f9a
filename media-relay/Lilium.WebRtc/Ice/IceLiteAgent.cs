using System.Net;
using System.Text;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Ice;

/// <summary>
/// The ICE-lite side of one peer (RFC 8445 §2.5): it never sends checks; it answers the full
/// agent's Binding requests, takes the pair its USE-CANDIDATE nominates, and tracks consent
/// freshness (RFC 7675). Sans-I/O: the owner routes datagrams in and sends the response it writes.
/// </summary>
public sealed class IceLiteAgent(IceCredentials local, string? remoteUfrag = null)
{
    /// <summary>RFC 7675 §5.1: consent is lost 30 s after the last successful check.</summary>
    public const int ConsentTimeoutMs = 30_000;

    /// <summary>Enough for any response we write (IPv6 XOR-MAPPED-ADDRESS, MI, FINGERPRINT, a reason).</summary>
    public const int MaxResponseSize = 160;

    private static readonly HashSet<ushort> Understood =
    [
        (ushort)StunAttributeType.Username, (ushort)StunAttributeType.MessageIntegrity, (ushort)StunAttributeType.Priority,
        (ushort)StunAttributeType.UseCandidate, (ushort)StunAttributeType.ErrorCode, (ushort)StunAttributeType.XorMappedAddress,
    ];

    public IceCredentials Local { get; } = local;

    /// <summary>The peer's ufrag from its SDP; when known, the USERNAME's second half must match it.</summary>
    public string? RemoteUfrag { get; } = remoteUfrag;

    /// <summary>The remote address of the nominated pair; media may flow only to it (RFC 8445 §12.1.1).</summary>
    public IPEndPoint? Selected { get; private set; }

    /// <summary>When the last authenticated check arrived (the owner's clock, ms), or null before any.</summary>
    public long? LastConsentMs { get; private set; }

    public bool ConsentExpired(long nowMs) => LastConsentMs is { } last && nowMs - last > ConsentTimeoutMs;

    /// <summary>
    /// The local ufrag a Binding request is addressed to (the USERNAME's first half), so the owner
    /// can find the agent for a datagram from an address it has not seen yet.
    /// </summary>
    public static bool TryReadLocalUfrag(ReadOnlySpan<byte> datagram, out string ufrag)
    {
        ufrag = "";
        if (!StunMessage.TryParse(datagram, out var message) || message.Type != StunMessageType.BindingRequest
            || !message.TryGetAttribute(StunAttributeType.Username, out var username))
        {
            return false;
        }

        var colon = username.IndexOf((byte)':');
        if (colon <= 0 || colon > 256)
        {
            return false;
        }

        ufrag = Encoding.ASCII.GetString(username[..colon]);
        return true;
    }

    /// <summary>
    /// Handles one datagram from <paramref name="source"/>; when the outcome is Rejected, Accepted or
    /// Nominated, <paramref name="response"/> holds <paramref name="responseLength"/> bytes to send
    /// back to <paramref name="source"/> from the address the request arrived on.
    /// </summary>
    public IceCheckOutcome Handle(ReadOnlySpan<byte> datagram, IPEndPoint source, long nowMs, Span<byte> response, out int responseLength)
    {
        responseLength = 0;
        if (!StunMessage.TryParse(datagram, out var request))
        {
            return IceCheckOutcome.Malformed;
        }

        if (request.Type != StunMessageType.BindingRequest || (request.HasFingerprint && !request.VerifyFingerprint()))
        {
            return IceCheckOutcome.Ignored; // indications are keepalives (RFC 8445 §11); a lite agent sends no requests
        }

        var unknown = request.UnknownRequiredAttributes(Understood.Contains);
        if (unknown.Count > 0)
        {
            responseLength = Error(request.TransactionId, 420, "Unknown Attribute", response, unknown);
            return IceCheckOutcome.Rejected;
        }

        if (!request.TryGetAttribute(StunAttributeType.Username, out var username) || !request.HasMessageIntegrity)
        {
            responseLength = Error(request.TransactionId, 400, "Bad Request", response);
            return IceCheckOutcome.Rejected;
        }

        if (!UsernameMatches(username) || !request.VerifyMessageIntegrity(Local.Key))
        {
            responseLength = Error(request.TransactionId, 401, "Unauthorized", response);
            return IceCheckOutcome.Rejected;
        }

        var writer = new StunWriter(response, StunMessageType.BindingSuccess, request.TransactionId);
        writer.AddXorMappedAddress(source);
        writer.AddMessageIntegrity(Local.Key);
        writer.AddFingerprint();
        responseLength = writer.Length;
        LastConsentMs = nowMs;

        if (request.TryGetAttribute(StunAttributeType.UseCandidate, out _))
        {
            Selected = source;
            return IceCheckOutcome.Nominated;
        }

        return IceCheckOutcome.Accepted;
    }

    private bool UsernameMatches(ReadOnlySpan<byte> username)
    {
        var colon = username.IndexOf((byte)':');
        if (colon <= 0 || !username[..colon].SequenceEqual(Encoding.ASCII.GetBytes(Local.Ufrag)))
        {
            return false;
        }

        return RemoteUfrag is null || username[(colon + 1)..].SequenceEqual(Encoding.ASCII.GetBytes(RemoteUfrag));
    }

    /// <summary>An error response: no MESSAGE-INTEGRITY (RFC 5389 §10.1.2), FINGERPRINT for ICE.</summary>
    private static int Error(ReadOnlySpan<byte> transactionId, int code, string reason, Span<byte> response, IReadOnlyList<ushort>? unknown = null)
    {
        var writer = new StunWriter(response, StunMessageType.BindingError, transactionId);
        writer.AddErrorCode(code, reason);
        if (unknown is not null)
        {
            writer.AddUnknownAttributes(unknown.Take(8).ToList());
        }

        writer.AddFingerprint();
        return writer.Length;
    }
}
