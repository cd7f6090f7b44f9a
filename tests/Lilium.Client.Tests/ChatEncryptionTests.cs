using System.Security.Cryptography;
using System.Text;
using Lilium.Client.Chat;

namespace Lilium.Client.Tests;

[Trait("Category", "Unit")]
public sealed class ChatEncryptionTests
{
    private static ChatIdentity NewIdentity() => new(Guid.NewGuid(), ECDsa.Create(ECCurve.NamedCurves.nistP256));

    private static (ChatSession Alice, ChatSession Bob) Handshake(ChatIdentity alice, ChatIdentity bob)
    {
        using var pending = ChatHandshakes.Initiate(alice, bob.UserId, bob.PublicKey);
        Assert.True(ChatHandshake.TryParse(pending.Hello.ToBytes(), ChatPayloadType.Hello, out var hello));
        var answer = ChatHandshakes.Respond(bob, alice.UserId, alice.PublicKey, hello!);
        Assert.NotNull(answer);
        Assert.True(ChatHandshake.TryParse(answer.Value.Ack.ToBytes(), ChatPayloadType.Ack, out var ack));
        var aliceSession = pending.Complete(ack!);
        Assert.NotNull(aliceSession);
        return (aliceSession, answer.Value.Session);
    }

    [Fact]
    public void Messages_flow_both_ways_and_the_ciphertext_hides_the_plaintext()
    {
        using var alice = NewIdentity();
        using var bob = NewIdentity();
        var (a, b) = Handshake(alice, bob);

        var secret = "meet at the usual server, password hunter2";
        var wire = a.Seal(Encoding.UTF8.GetBytes(secret));
        Assert.DoesNotContain("hunter2", Encoding.UTF8.GetString(wire), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", Convert.ToBase64String(wire), StringComparison.Ordinal);
        Assert.Equal(ChatOpenResult.Ok, b.TryOpen(wire, out var plain));
        Assert.Equal(secret, Encoding.UTF8.GetString(plain));

        Assert.Equal(ChatOpenResult.Ok, a.TryOpen(b.Seal("ok"u8), out plain));
        Assert.Equal("ok", Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public void A_server_substituting_its_own_keys_is_detected()
    {
        // The relaying server (mallory) intercepts alice's hello and sends bob its own, signed with
        // its identity: bob checks against alice's pinned key and refuses.
        using var alice = NewIdentity();
        using var bob = NewIdentity();
        using var mallory = new ChatIdentity(alice.UserId, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var forged = ChatHandshakes.Initiate(mallory, bob.UserId, bob.PublicKey);
        Assert.Null(ChatHandshakes.Respond(bob, alice.UserId, alice.PublicKey, forged.Hello));

        // Swapping only the ephemeral key inside alice's genuine hello breaks her signature.
        using var genuine = ChatHandshakes.Initiate(alice, bob.UserId, bob.PublicKey);
        using var malloryEph = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var tampered = genuine.Hello with { EphemeralKey = malloryEph.PublicKey.ExportSubjectPublicKeyInfo() };
        Assert.Null(ChatHandshakes.Respond(bob, alice.UserId, alice.PublicKey, tampered));

        // And an ack not signed by bob is refused by alice.
        var bobsAnswer = ChatHandshakes.Respond(bob, alice.UserId, alice.PublicKey, genuine.Hello)!.Value;
        var fakeAck = bobsAnswer.Ack with { EphemeralKey = malloryEph.PublicKey.ExportSubjectPublicKeyInfo() };
        Assert.Null(genuine.Complete(fakeAck));
    }

    [Fact]
    public void A_hello_meant_for_someone_else_is_refused()
    {
        using var alice = NewIdentity();
        using var bob = NewIdentity();
        using var carol = NewIdentity();
        using var toCarol = ChatHandshakes.Initiate(alice, carol.UserId, carol.PublicKey);
        Assert.Null(ChatHandshakes.Respond(bob, alice.UserId, alice.PublicKey, toCarol.Hello));
    }

    [Fact]
    public void Replays_are_refused_and_reordering_within_the_window_is_accepted()
    {
        using var alice = NewIdentity();
        using var bob = NewIdentity();
        var (a, b) = Handshake(alice, bob);
        var messages = Enumerable.Range(0, 100).Select(i => a.Seal(BitConverter.GetBytes(i))).ToArray();

        Assert.Equal(ChatOpenResult.Ok, b.TryOpen(messages[99], out _));
        Assert.Equal(ChatOpenResult.Replayed, b.TryOpen(messages[99], out _));
        Assert.Equal(ChatOpenResult.Ok, b.TryOpen(messages[40], out _));   // 59 behind: inside the window
        Assert.Equal(ChatOpenResult.Replayed, b.TryOpen(messages[40], out _));
        Assert.Equal(ChatOpenResult.Replayed, b.TryOpen(messages[10], out _)); // 89 behind: too old to tell
    }

    [Fact]
    public void Tampering_other_sessions_and_garbage_are_refused_without_exceptions()
    {
        using var alice = NewIdentity();
        using var bob = NewIdentity();
        var (a, b) = Handshake(alice, bob);
        var (other, _) = Handshake(alice, bob);
        var wire = a.Seal("hello"u8);

        for (var i = 0; i < wire.Length; i++)
        {
            var copy = (byte[])wire.Clone();
            copy[i] ^= 0x01;
            Assert.NotEqual(ChatOpenResult.Ok, b.TryOpen(copy, out _));
        }

        Assert.Equal(ChatOpenResult.OtherSession, b.TryOpen(other.Seal("x"u8), out _));
        Assert.Equal(ChatOpenResult.Malformed, b.TryOpen(wire.AsSpan(0, 20), out _));
        Assert.Equal(ChatOpenResult.Ok, b.TryOpen(wire, out _)); // the forgeries did not burn the counter

        var rng = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var junk = new byte[rng.Next(0, 200)];
            rng.NextBytes(junk);
            b.TryOpen(junk, out _);
            ChatHandshake.TryParse(junk, ChatPayloadType.Hello, out _);
            ChatHandshake.TryParse(junk, ChatPayloadType.Ack, out _);
        }
    }
}
