using System.Security.Cryptography;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Ice;

/// <summary>
/// An ICE connectivity check we send (RFC 8445 §7.2.2) and the test of its answer (§7.2.5): a Binding request with
/// USERNAME <c>{their ufrag}:{our ufrag}</c>, PRIORITY, our role and tie-breaker, MESSAGE-INTEGRITY keyed with the
/// receiver's password and FINGERPRINT; only a success response with the same transaction ID whose
/// MESSAGE-INTEGRITY verifies with that password counts, which only the holder of the password can produce. Used by
/// the SDK's controlling agent and by the relay's move probe.
/// </summary>
public static class IceCheck
{
    /// <summary>Enough for a check with a 256-character USERNAME half on each side.</summary>
    public const int MaxRequestSize = 20 + 4 + 516 + 8 + 12 + 4 + 24 + 8;

    /// <summary>Writes a check into <paramref name="buffer"/> and returns its length.</summary>
    public static int WriteRequest(Span<byte> buffer, ReadOnlySpan<byte> transactionId, IceCredentials remote, string localUfrag, bool controlling, ulong tieBreaker, uint priority, bool useCandidate)
    {
        var writer = new StunWriter(buffer, StunMessageType.BindingRequest, transactionId);
        writer.AddString(StunAttributeType.Username, $"{remote.Ufrag}:{localUfrag}");
        writer.AddUInt32(StunAttributeType.Priority, priority);
        writer.AddUInt64(controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, tieBreaker);
        if (useCandidate)
        {
            writer.Add(StunAttributeType.UseCandidate, []);
        }

        writer.AddMessageIntegrity(remote.Key);
        writer.AddFingerprint();
        return writer.Length;
    }

    /// <summary>A fresh random transaction ID (96 bits).</summary>
    public static byte[] NewTransactionId() => RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);

    /// <summary>True when <paramref name="datagram"/> is the authenticated success response to the check <paramref name="transactionId"/>.</summary>
    public static bool IsAuthenticatedSuccess(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> transactionId, IceCredentials remote) =>
        StunMessage.TryParse(datagram, out var message)
        && message.Type == StunMessageType.BindingSuccess
        && CryptographicOperations.FixedTimeEquals(message.TransactionId, transactionId)
        && message.HasMessageIntegrity
        && message.VerifyMessageIntegrity(remote.Key);
}
