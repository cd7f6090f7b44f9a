/**
 * Writes fixtures/ts-chat-vectors.json: identities, a signature, a chat handshake and messages made
 * by THIS library, for the C# side to check (decrypt, verify). Run once after a change of the chat
 * or identity code: `npm run build:test && node build/scripts/make-ts-vectors.js`. The file's
 * `provenance` says how it was made; a C# test can replay it exactly as test/interop.test.ts replays
 * fixtures/csharp-chat-vectors.json.
 */

import { writeFileSync } from "node:fs";
import { LiliumIdentity, pkcs8ToPem, toBase64, PendingChatHandshake, respondToHello, encodeHandshake, helloTranscript, ChatPayloadType, utf8 } from "../src/index.js";

async function newIdentity(): Promise<{ pem: string; identity: LiliumIdentity }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pem = pkcs8ToPem(new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)));
  return { pem, identity: await LiliumIdentity.importPem(pem) };
}

const a = await newIdentity();
const b = await newIdentity();
const aId = crypto.randomUUID();
const bId = crypto.randomUUID();

const challenge = crypto.getRandomValues(new Uint8Array(48));
const signature = await a.identity.sign(challenge);

const ephA = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
const ephASpki = new Uint8Array(await crypto.subtle.exportKey("spki", ephA.publicKey));
const ephAPkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", ephA.privateKey));
const sid = crypto.getRandomValues(new Uint8Array(16));
const hello = { type: ChatPayloadType.Hello as const, sessionId: sid, ephemeralKey: ephASpki, signature: await a.identity.sign(helloTranscript(sid, aId, bId, ephASpki)) };
const answer = await respondToHello({ userId: bId, identity: b.identity }, aId, a.identity.publicKey, hello);
if (answer === null) throw new Error("own hello did not verify");
const sessionA = await PendingChatHandshake.restore(aId, bId, b.identity.publicKey, ephA.privateKey, hello).complete(answer.ack);
if (sessionA === null) throw new Error("own ack did not verify");

const aToB = ["hello from TypeScript", "", "ünïcødé ✓ 🎉", "x".repeat(1000)];
const bToA = ["reply from TypeScript", "second"];
const vectors = {
  provenance: "Made by client-sdk/js/scripts/make-ts-vectors.ts with @lilium/sdk's own WebCrypto code (Node " + process.version + "). Replay: import both PEMs, check fingerprints, verify `signature`, verify `hello` as the responder, complete `ack` as the initiator with `initiatorEphemeralPkcs8`, open `bToA` with the initiator's session and `aToB` with keys derived the same way in reverse.",
  a: { userId: aId, pem: a.pem, publicKey: toBase64(a.identity.publicKey), fingerprint: a.identity.fingerprint },
  b: { userId: bId, pem: b.pem, publicKey: toBase64(b.identity.publicKey), fingerprint: b.identity.fingerprint },
  signature: { signer: "a", data: toBase64(challenge), signature: toBase64(signature) },
  chat: {
    initiator: "a",
    hello: toBase64(encodeHandshake(hello)),
    ack: toBase64(encodeHandshake(answer.ack)),
    initiatorEphemeralPkcs8: toBase64(ephAPkcs8),
    aToB: await Promise.all(aToB.map(async (text) => ({ text, payload: toBase64(await sessionA.seal(utf8(text))) }))),
    bToA: [] as { text: string; payload: string }[],
  },
};
for (const text of bToA) vectors.chat.bToA.push({ text, payload: toBase64(await answer.session.seal(utf8(text))) });
writeFileSync(new URL("../../fixtures/ts-chat-vectors.json", import.meta.url), JSON.stringify(vectors, null, 2) + "\n");
console.log("wrote fixtures/ts-chat-vectors.json");
