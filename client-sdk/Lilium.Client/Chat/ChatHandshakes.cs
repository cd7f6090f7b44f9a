using System.Security.Cryptography;

namespace Lilium.Client.Chat;

/// <summary>
/// The chat key agreement (docs/chat-e2e.md): each side makes an ephemeral ECDH P-256 key and signs
/// it with its identity key over a transcript naming both users and the session; keys come from
/// HKDF-SHA256 over the ECDH secret salted with the transcript hash. Ephemeral keys are discarded
/// once the session keys exist (forward secrecy).
/// </summary>
public static class ChatHandshakes
{
    /// <summary>An initiator's half-open handshake, waiting for the responder's ack.</summary>
    public sealed class Pending : IDisposable
    {
        private readonly ChatIdentity _me;
        private readonly Guid _peer;
        private readonly byte[] _peerIdentityKey;
        private readonly ECDiffieHellman _ephemeral;

        internal Pending(ChatIdentity me, Guid peer, byte[] peerIdentityKey)
        {
            _me = me;
            _peer = peer;
            _peerIdentityKey = peerIdentityKey;
            _ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var sessionId = RandomNumberGenerator.GetBytes(ChatCrypto.SessionIdSize);
            var eph = _ephemeral.PublicKey.ExportSubjectPublicKeyInfo();
            Hello = new ChatHandshake(ChatPayloadType.Hello, sessionId, eph, me.Sign(HelloTranscript(sessionId, me.UserId, peer, eph)));
        }

        /// <summary>A recorded handshake's initiator (tests replaying another implementation's vectors): its ephemeral key and hello.</summary>
        internal Pending(ChatIdentity me, Guid peer, byte[] peerIdentityKey, ECDiffieHellman ephemeral, ChatHandshake hello)
        {
            _me = me;
            _peer = peer;
            _peerIdentityKey = peerIdentityKey;
            _ephemeral = ephemeral;
            Hello = hello;
        }

        /// <summary>The hello to send to the peer (base64 of <see cref="ChatHandshake.ToBytes"/> in <c>chat.hello</c>).</summary>
        public ChatHandshake Hello { get; }

        /// <summary>Verifies the ack and derives the session; null if the ack is not the peer's answer to this hello.</summary>
        public ChatSession? Complete(ChatHandshake ack)
        {
            if (ack.Type != ChatPayloadType.Ack || !ack.SessionId.AsSpan().SequenceEqual(Hello.SessionId)
                || !ChatIdentity.Verify(_peerIdentityKey, AckTranscript(Hello.SessionId, _me.UserId, _peer, Hello.EphemeralKey, ack.EphemeralKey), ack.Signature)
                || !TryAgree(_ephemeral, ack.EphemeralKey, out var secret))
            {
                return null;
            }

            var (i2r, r2i) = ChatCrypto.DeriveKeys(secret, TranscriptHash(Hello.SessionId, _me.UserId, _peer, Hello.EphemeralKey, ack.EphemeralKey));
            _ephemeral.Dispose();
            return new ChatSession(Hello.SessionId, _peer, sendKey: i2r, receiveKey: r2i);
        }

        /// <summary>Discards the ephemeral key of an abandoned handshake.</summary>
        public void Dispose() => _ephemeral.Dispose();
    }

    /// <summary>Starts a session with <paramref name="peer"/>, whose identity key the app has pinned.</summary>
    public static Pending Initiate(ChatIdentity me, Guid peer, byte[] peerIdentityKey) => new(me, peer, peerIdentityKey);

    /// <summary>
    /// Answers a hello from <paramref name="peer"/>. Returns the ack to send and the session, or null
    /// when the hello is not signed by the peer's pinned identity key (a substituted key, a replay
    /// naming other users, or garbage).
    /// </summary>
    public static (ChatHandshake Ack, ChatSession Session)? Respond(ChatIdentity me, Guid peer, byte[] peerIdentityKey, ChatHandshake hello)
    {
        if (hello.Type != ChatPayloadType.Hello
            || !ChatIdentity.Verify(peerIdentityKey, HelloTranscript(hello.SessionId, peer, me.UserId, hello.EphemeralKey), hello.Signature))
        {
            return null;
        }

        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var eph = ephemeral.PublicKey.ExportSubjectPublicKeyInfo();
        if (!TryAgree(ephemeral, hello.EphemeralKey, out var secret))
        {
            return null;
        }

        var ack = new ChatHandshake(ChatPayloadType.Ack, hello.SessionId, eph, me.Sign(AckTranscript(hello.SessionId, peer, me.UserId, hello.EphemeralKey, eph)));
        var (i2r, r2i) = ChatCrypto.DeriveKeys(secret, TranscriptHash(hello.SessionId, peer, me.UserId, hello.EphemeralKey, eph));
        return (ack, new ChatSession(hello.SessionId, peer, sendKey: r2i, receiveKey: i2r));
    }

    private static bool TryAgree(ECDiffieHellman mine, byte[] theirSpki, out byte[] secret)
    {
        secret = [];
        try
        {
            using var theirs = ECDiffieHellman.Create();
            theirs.ImportSubjectPublicKeyInfo(theirSpki, out _);
            if (theirs.KeySize != 256)
            {
                return false;
            }

            secret = mine.DeriveRawSecretAgreement(theirs.PublicKey);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static byte[] HelloTranscript(byte[] sid, Guid initiator, Guid responder, byte[] ephI) =>
        ChatCrypto.Concat(ChatCrypto.HelloContext.ToArray(), sid, initiator.ToByteArray(true), responder.ToByteArray(true), ephI);

    private static byte[] AckTranscript(byte[] sid, Guid initiator, Guid responder, byte[] ephI, byte[] ephR) =>
        ChatCrypto.Concat(ChatCrypto.AckContext.ToArray(), sid, initiator.ToByteArray(true), responder.ToByteArray(true), ephI, ephR);

    internal static byte[] TranscriptHash(byte[] sid, Guid initiator, Guid responder, byte[] ephI, byte[] ephR) =>
        SHA256.HashData(AckTranscript(sid, initiator, responder, ephI, ephR));
}
