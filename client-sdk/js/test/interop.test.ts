/**
 * Interop with the C# SDK through recorded vectors: fixtures/csharp-chat-vectors.json was made by
 * Lilium.Client itself (identity files, signatures, a chat handshake, sealed messages); this file
 * replays it with @lilium/sdk. fixtures/ts-chat-vectors.json is the reverse direction (made by
 * scripts/make-ts-vectors.ts, checked by C#); here it is only checked for self-consistency.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LiliumIdentity, fromBase64, toBase64, verifySignature, parseHandshake, ChatPayloadType, respondToHello,
  PendingChatHandshake, ChatSession, deriveChatKeys, ackTranscript, fromUtf8, fingerprintOf,
} from "../src/index.js";
import { fixture, type ChatVectors } from "./fixtures.js";

async function replay(v: ChatVectors) {
  const a = await LiliumIdentity.importPem(v.a.pem);
  const b = await LiliumIdentity.importPem(v.b.pem);
  const hello = parseHandshake(fromBase64(v.chat.hello), ChatPayloadType.Hello);
  const ack = parseHandshake(fromBase64(v.chat.ack), ChatPayloadType.Ack);
  assert.ok(hello && ack, "hello and ack parse");
  const ephA = await crypto.subtle.importKey("pkcs8", fromBase64(v.chat.initiatorEphemeralPkcs8), { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  return { a, b, hello, ack, ephA };
}

async function responderSession(v: ChatVectors, ephA: CryptoKey, hello: { sessionId: Uint8Array; ephemeralKey: Uint8Array }, ack: { ephemeralKey: Uint8Array }) {
  const ephB = await crypto.subtle.importKey("spki", ack.ephemeralKey, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const secret = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: ephB }, ephA, 256));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", ackTranscript(hello.sessionId, v.a.userId, v.b.userId, hello.ephemeralKey, ack.ephemeralKey)));
  const keys = await deriveChatKeys(secret, hash);
  return ChatSession.create(hello.sessionId, v.a.userId, keys.responderToInitiator, keys.initiatorToResponder);
}

for (const [file, origin] of [["csharp-chat-vectors.json", "C#"], ["ts-chat-vectors.json", "TS"]] as const) {
  const v = fixture<ChatVectors>(file);

  test(`${origin} identity.pem imports with the same SPKI and fingerprint`, async () => {
    const a = await LiliumIdentity.importPem(v.a.pem);
    assert.equal(toBase64(a.publicKey), v.a.publicKey);
    assert.equal(a.fingerprint, v.a.fingerprint);
    assert.equal(await fingerprintOf(fromBase64(v.b.publicKey)), v.b.fingerprint);
    if (v.a.sec1Pem !== undefined) {
      assert.match(v.a.sec1Pem, /BEGIN EC PRIVATE KEY/);
      assert.equal((await LiliumIdentity.importPem(v.a.sec1Pem)).fingerprint, v.a.fingerprint, "SEC1 PEM of the same key");
    }
  });

  test(`${origin} login signature (P-1363) verifies; a changed byte does not`, async () => {
    const data = fromBase64(v.signature.data);
    const sig = fromBase64(v.signature.signature);
    assert.equal(sig.length, 64);
    assert.equal(await verifySignature(fromBase64(v.a.publicKey), data, sig), true);
    data[0]! ^= 1;
    assert.equal(await verifySignature(fromBase64(v.a.publicKey), data, sig), false);
  });

  test(`${origin} chat hello verifies for the responder; ack completes the initiator; messages open both ways`, async () => {
    const { a, b, hello, ack, ephA } = await replay(v);
    // B checks A's hello as ChatHandshakes.Respond does (its own answer uses a new ephemeral key).
    assert.ok(await respondToHello({ userId: v.b.userId, identity: b }, v.a.userId, a.publicKey, hello));
    assert.equal(await respondToHello({ userId: v.b.userId, identity: b }, v.b.userId, a.publicKey, hello), null, "a hello naming other users fails");
    // A completes with the recorded ack: B's signature and the key derivation.
    const sessionA = await PendingChatHandshake.restore(v.a.userId, v.b.userId, b.publicKey, ephA, hello).complete(ack);
    assert.ok(sessionA);
    for (const m of v.chat.bToA) {
      const opened = await sessionA.open(fromBase64(m.payload));
      assert.equal(opened.result, "ok", m.text);
      assert.equal(fromUtf8(opened.plaintext!), m.text);
    }
    const sessionB = await responderSession(v, ephA, hello, ack);
    const first = fromBase64(v.chat.aToB[0]!.payload);
    for (const m of v.chat.aToB) {
      const opened = await sessionB.open(fromBase64(m.payload));
      assert.equal(opened.result, "ok", m.text);
      assert.equal(fromUtf8(opened.plaintext!), m.text);
    }
    assert.equal((await sessionB.open(first)).result, "replayed");
    const forged = fromBase64(v.chat.aToB[1]!.payload);
    forged[forged.length - 1]! ^= 0x80;
    const fresh = await responderSession(v, ephA, hello, ack);
    assert.equal((await fresh.open(forged)).result, "forged");
    assert.equal((await fresh.open(fromBase64(v.chat.aToB[1]!.payload))).result, "ok", "a forgery does not burn the counter");
    const other = fromBase64(v.chat.aToB[0]!.payload);
    other[5]! ^= 1;
    assert.equal((await fresh.open(other)).result, "other-session");
  });

  test(`${origin} ack signed over another ephemeral key is refused`, async () => {
    const { b, hello, ack, ephA } = await replay(v);
    const tampered = { ...ack, signature: ack.signature.slice() };
    tampered.signature[10]! ^= 1;
    assert.equal(await PendingChatHandshake.restore(v.a.userId, v.b.userId, b.publicKey, ephA, hello).complete(tampered), null);
    const wrongKey = await PendingChatHandshake.restore(v.a.userId, v.b.userId, fromBase64(v.a.publicKey), ephA, hello).complete(ack);
    assert.equal(wrongKey, null, "an ack that is not by the pinned key fails");
  });
}
