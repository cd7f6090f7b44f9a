import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LiliumIdentity, memoryIdentityStore, verifySignature, BackupError, LiliumError, parseBackup, pemToPkcs8, pkcs8ToPem, fingerprintOf,
} from "../src/index.js";

const fast = { backupIterations: 1000 };

test("a new identity signs verifiably, its key is non-extractable, its fingerprint is SHA-256(SPKI)", async () => {
  const id = await LiliumIdentity.create();
  assert.equal(id.privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("pkcs8", id.privateKey));
  assert.equal(id.publicKey.length, 91, "P-256 SPKI DER");
  assert.match(id.fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(id.fingerprint, await fingerprintOf(id.publicKey));
  const data = crypto.getRandomValues(new Uint8Array(40));
  const sig = await id.sign(data);
  assert.equal(sig.length, 64);
  assert.equal(await verifySignature(id.publicKey, data, sig), true);
  assert.equal(id.hasBackup, false);
  assert.throws(() => id.exportBackup(), LiliumError);
});

test("identities persist in a store by profile and load back as the same key", async () => {
  const store = memoryIdentityStore();
  assert.equal(await LiliumIdentity.load(store), null);
  const made = await LiliumIdentity.loadOrCreate(store, { profile: "alice", ...fast, backupPassword: "pw" });
  const again = await LiliumIdentity.loadOrCreate(store, { profile: "alice" });
  assert.equal(again.fingerprint, made.fingerprint);
  assert.equal(again.hasBackup, true);
  const data = new Uint8Array([1, 2, 3]);
  assert.equal(await verifySignature(made.publicKey, data, await again.sign(data)), true);
  assert.equal(await LiliumIdentity.load(store, "bob"), null);
  await store.remove("alice");
  assert.equal(await LiliumIdentity.load(store, "alice"), null);
});

test("a password backup restores the same identity; a wrong password or damage is a BackupError", async () => {
  const id = await LiliumIdentity.create({ backupPassword: "correct horse", ...fast });
  const backup = id.exportBackup();
  const parsed = parseBackup(backup);
  assert.ok(parsed);
  assert.equal(parsed.fingerprint, id.fingerprint);
  assert.equal(parsed.iterations, 1000);
  assert.ok(!backup.includes("PRIVATE"), "no key material in clear");

  const store = memoryIdentityStore();
  const restored = await LiliumIdentity.importBackup(backup, "correct horse", { store });
  assert.equal(restored.fingerprint, id.fingerprint);
  assert.equal(restored.privateKey.extractable, false);
  assert.equal(restored.exportBackup(), backup, "the opened backup stays this identity's backup");
  assert.equal((await LiliumIdentity.load(store))?.fingerprint, id.fingerprint);

  await assert.rejects(LiliumIdentity.importBackup(backup, "wrong"), BackupError);
  const swapped = JSON.stringify({ ...JSON.parse(backup), fingerprint: "00".repeat(32) });
  await assert.rejects(LiliumIdentity.importBackup(swapped, "correct horse"), BackupError, "the fingerprint is bound by the AAD");
  await assert.rejects(LiliumIdentity.importBackup("{}", "x"), BackupError);
  await assert.rejects(LiliumIdentity.importBackup("not json", "x"), BackupError);
  await assert.rejects(LiliumIdentity.create({ backupPassword: "" }), LiliumError);
});

test("a backup converts to the CLI's identity.pem and back", async () => {
  const id = await LiliumIdentity.create({ backupPassword: "pw", ...fast });
  const pem = await LiliumIdentity.backupToPem(id.exportBackup(), "pw");
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----$/);
  const fromPem = await LiliumIdentity.importPem(pem, { backupPassword: "pw2", ...fast });
  assert.equal(fromPem.fingerprint, id.fingerprint);
  assert.equal((await LiliumIdentity.importBackup(fromPem.exportBackup(), "pw2")).fingerprint, id.fingerprint);
  assert.deepEqual(pemToPkcs8(pkcs8ToPem(new Uint8Array([1, 2, 3]))), new Uint8Array([1, 2, 3]));
});

test("PEM that is not a P-256 private key is refused with a sentence", async () => {
  await assert.rejects(LiliumIdentity.importPem("hello"), /Not a PEM file/);
  await assert.rejects(LiliumIdentity.importPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), /not an identity key/);
  await assert.rejects(LiliumIdentity.importPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"), /Encrypted/);
  await assert.rejects(LiliumIdentity.importPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"), LiliumError);
  const p384 = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign"])) as CryptoKeyPair;
  const pem = pkcs8ToPem(new Uint8Array(await crypto.subtle.exportKey("pkcs8", p384.privateKey)));
  await assert.rejects(LiliumIdentity.importPem(pem), LiliumError);
});
