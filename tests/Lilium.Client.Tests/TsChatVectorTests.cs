using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lilium.Client.Chat;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// Replays client-sdk/js/fixtures/ts-chat-vectors.json, made by the TypeScript SDK's WebCrypto code, through this
/// SDK's chat crypto (client-sdk/js/fixtures/README.md): both identities load and give the recorded fingerprints, the
/// signature verifies, the hello passes the responder's checks, the ack completes the recorded initiator, and every
/// message opens in both directions — so a browser and a C# client agree on every byte of the protocol.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TsChatVectorTests : IDisposable
{
    private readonly JsonElement _v;
    private readonly string _dir = Directory.CreateTempSubdirectory("lilium-ts-vectors-").FullName;

    public TsChatVectorTests()
    {
        var path = Path.Combine(RepoPaths.Root, "client-sdk", "js", "fixtures", "ts-chat-vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        _v = doc.RootElement.Clone();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Str(string a, string b) => _v.GetProperty(a).GetProperty(b).GetString()!;

    private LiliumIdentity Load(string who)
    {
        var file = Path.Combine(_dir, who + ".pem");
        File.WriteAllText(file, Str(who, "pem"));
        return LiliumIdentity.Load(file);
    }

    private ChatIdentity Chat(string who, LiliumIdentity identity) => new(Guid.Parse(Str(who, "userId")), identity.Key);

    [Fact]
    public void Identities_load_with_the_recorded_fingerprints_and_the_signature_verifies()
    {
        foreach (var who in new[] { "a", "b" })
        {
            using var identity = Load(who);
            Assert.Equal(Str(who, "fingerprint"), identity.Fingerprint, ignoreCase: true);
            Assert.Equal(Str(who, "publicKey"), Convert.ToBase64String(identity.PublicKey));
        }

        var signer = Str("signature", "signer");
        var data = Convert.FromBase64String(Str("signature", "data"));
        var signature = Convert.FromBase64String(Str("signature", "signature"));
        var key = Convert.FromBase64String(Str(signer, "publicKey"));
        Assert.True(ChatIdentity.Verify(key, data, signature));
        var tampered = data.ToArray();
        tampered[0] ^= 1;
        Assert.False(ChatIdentity.Verify(key, tampered, signature));
    }

    [Fact]
    public void The_typescript_handshake_and_messages_replay_through_the_csharp_chat_crypto()
    {
        var chat = _v.GetProperty("chat");
        var initiator = chat.GetProperty("initiator").GetString()!;
        var responder = initiator == "a" ? "b" : "a";
        using var iKey = Load(initiator);
        using var rKey = Load(responder);
        var i = Chat(initiator, iKey);
        var r = Chat(responder, rKey);

        Assert.True(ChatHandshake.TryParse(Convert.FromBase64String(chat.GetProperty("hello").GetString()!), ChatPayloadType.Hello, out var hello));
        Assert.True(ChatHandshake.TryParse(Convert.FromBase64String(chat.GetProperty("ack").GetString()!), ChatPayloadType.Ack, out var ack));

        // The responder's checks accept the TypeScript hello (and reject it under another sender's key).
        var answer = ChatHandshakes.Respond(r, i.UserId, i.PublicKey, hello!);
        Assert.NotNull(answer);
        answer.Value.Session.Dispose();
        Assert.Null(ChatHandshakes.Respond(r, i.UserId, r.PublicKey, hello!));

        // The recorded initiator completes with the TypeScript ack.
        var ephemeral = ECDiffieHellman.Create();
        ephemeral.ImportPkcs8PrivateKey(Convert.FromBase64String(chat.GetProperty("initiatorEphemeralPkcs8").GetString()!), out _);
        Assert.Equal(hello!.EphemeralKey, ephemeral.PublicKey.ExportSubjectPublicKeyInfo());
        using var pending = new ChatHandshakes.Pending(i, r.UserId, r.PublicKey, ephemeral, hello);
        using var initiatorSession = pending.Complete(ack!);
        Assert.NotNull(initiatorSession);

        // The responder's session, from the same secret and transcript (its ephemeral private key stays in TypeScript).
        using var again = ECDiffieHellman.Create();
        again.ImportPkcs8PrivateKey(Convert.FromBase64String(chat.GetProperty("initiatorEphemeralPkcs8").GetString()!), out _);
        using var theirs = ECDiffieHellman.Create();
        theirs.ImportSubjectPublicKeyInfo(ack!.EphemeralKey, out _);
        var (i2r, r2i) = ChatCrypto.DeriveKeys(
            again.DeriveRawSecretAgreement(theirs.PublicKey),
            ChatHandshakes.TranscriptHash(hello.SessionId, i.UserId, r.UserId, hello.EphemeralKey, ack.EphemeralKey));
        using var responderSession = new ChatSession(hello.SessionId, i.UserId, sendKey: r2i, receiveKey: i2r);

        var iToR = chat.GetProperty(initiator + "To" + responder.ToUpperInvariant());
        var rToI = chat.GetProperty(responder + "To" + initiator.ToUpperInvariant());
        Assert.True(iToR.GetArrayLength() > 0 && rToI.GetArrayLength() > 0);
        Assert.All(rToI.EnumerateArray(), m => AssertOpens(initiatorSession, m));
        Assert.All(iToR.EnumerateArray(), m => AssertOpens(responderSession, m));

        // A replayed message is refused.
        var first = Convert.FromBase64String(iToR[0].GetProperty("payload").GetString()!);
        Assert.NotEqual(ChatOpenResult.Ok, responderSession.TryOpen(first, out _));
    }

    private static void AssertOpens(ChatSession session, JsonElement message)
    {
        var payload = Convert.FromBase64String(message.GetProperty("payload").GetString()!);
        Assert.Equal(ChatOpenResult.Ok, session.TryOpen(payload, out var plaintext));
        Assert.Equal(message.GetProperty("text").GetString(), Encoding.UTF8.GetString(plaintext));
    }
}
