/**
 * A user's identity: an ECDSA P-256 key pair (C#: `LiliumIdentity`). The API stores the public key
 * (SubjectPublicKeyInfo DER, base64); logging in signs the server's challenge (SHA-256, IEEE
 * P-1363 r‖s); the fingerprint is the lower-case hex SHA-256 of the SPKI bytes, exactly as the
 * server and the C# SDK compute it. Chat signs its handshakes with the same key.
 *
 * Storage: the private key lives in WebCrypto as a **non-extractable** `CryptoKey`, persisted in
 * an {@link IdentityStore} (IndexedDB in browsers). A non-extractable key can never be exported,
 * so a backup has to be made while the key bytes still exist: {@link LiliumIdentity.create},
 * {@link LiliumIdentity.importPem} and {@link LiliumIdentity.importBackup} generate or import an
 * extractable key, seal its PKCS#8 bytes into a password-protected backup (PBKDF2-SHA256 →
 * AES-256-GCM) when a password is given, then re-import the key non-extractable, drop the bytes,
 * and keep the sealed backup next to the key. {@link LiliumIdentity.exportBackup} returns that
 * sealed backup (it never needs the key's bytes). An identity created without a password has no
 * backup and can never get one; apps should ask for the backup password at creation.
 */

import { BackupError, LiliumError } from "./errors.js";
import { buf, concat, toBase64, toHex, tryFromBase64, utf8 } from "./encoding.js";
import { MemoryStore, type KeyValueStore, IndexedDbStore } from "./storage.js";

const ECDSA_P256: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGN_PARAMS: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** What an {@link IdentityStore} keeps for one identity. */
export interface StoredIdentity {
  /** The non-extractable ECDSA P-256 private key (usage `sign`). */
  privateKey: CryptoKey;
  /** SubjectPublicKeyInfo DER of the public key. */
  publicKey: Uint8Array;
  /** The password-protected backup (JSON text), if one was made. */
  backup: string | null;
}

/** Where identities persist, by profile name. */
export interface IdentityStore {
  /** The identity saved under `profile`, or null. */
  load(profile: string): Promise<StoredIdentity | null>;
  /** Saves (replacing) the identity under `profile`. */
  save(profile: string, identity: StoredIdentity): Promise<void>;
  /** Forgets the identity under `profile`. */
  remove(profile: string): Promise<void>;
}

/** An {@link IdentityStore} over any {@link KeyValueStore} (`IndexedDbStore("identity")` in browsers, `MemoryStore` in tests). */
export class KeyValueIdentityStore implements IdentityStore {
  /** @param store Where to keep the records. */
  constructor(private readonly store: KeyValueStore) {}
  /** @inheritdoc */
  async load(profile: string): Promise<StoredIdentity | null> {
    const value = await this.store.get<StoredIdentity>(profile);
    return value ?? null;
  }
  /** @inheritdoc */
  async save(profile: string, identity: StoredIdentity): Promise<void> {
    await this.store.set(profile, identity);
  }
  /** @inheritdoc */
  async remove(profile: string): Promise<void> {
    await this.store.delete(profile);
  }
}

/** The browser default: IndexedDB database `lilium`, object store `identity`. */
export function indexedDbIdentityStore(databaseName = "lilium"): IdentityStore {
  return new KeyValueIdentityStore(new IndexedDbStore("identity", databaseName));
}

/** A store that forgets everything with the process (tests, Node tools). */
export function memoryIdentityStore(): IdentityStore {
  return new KeyValueIdentityStore(new MemoryStore());
}

/** Options for making or importing an identity. */
export interface IdentityOptions {
  /** Where to persist it (omit to keep it only in memory). */
  store?: IdentityStore;
  /** The profile name in the store (default `default`). */
  profile?: string;
  /** Seal a password-protected backup with this password (only possible now: the key becomes non-extractable). */
  backupPassword?: string;
  /** PBKDF2 iterations for a new backup (default {@link BACKUP_ITERATIONS}). */
  backupIterations?: number;
}

/** PBKDF2-SHA256 iterations of new backups (OWASP 2023 guidance for PBKDF2-HMAC-SHA256). */
export const BACKUP_ITERATIONS = 600_000;
/** The `format` member of a backup file. */
export const BACKUP_FORMAT = "lilium-identity-backup";

/**
 * A password-protected identity backup (JSON). The PKCS#8 DER of the private key is encrypted
 * with AES-256-GCM under a key from PBKDF2-HMAC-SHA256(password, salt, iterations); the AAD is
 * `"lilium-identity-backup-v1" ‖ fingerprint` so the fingerprint in the file cannot be swapped.
 */
export interface IdentityBackup {
  format: typeof BACKUP_FORMAT;
  v: 1;
  kdf: "PBKDF2-SHA256";
  iterations: number;
  /** base64, 16 bytes. */
  salt: string;
  /** base64, 12 bytes. */
  iv: string;
  /** base64: AES-256-GCM ciphertext ‖ 16-byte tag of the PKCS#8 DER. */
  ciphertext: string;
  /** The identity's fingerprint (hex SHA-256 of SPKI), to show before unlocking. */
  fingerprint: string;
}

/** A user's key pair, ready to sign. */
export class LiliumIdentity {
  private constructor(
    /** The non-extractable private key (ECDSA P-256, usage `sign`). */
    readonly privateKey: CryptoKey,
    /** SubjectPublicKeyInfo DER, as the API stores it. */
    readonly publicKey: Uint8Array,
    /** Lower-case hex SHA-256 of {@link publicKey}: what friends compare out of band. */
    readonly fingerprint: string,
    private backupText: string | null,
  ) {}

  /** Base64 of {@link publicKey}, as the API's `publicKey` fields carry it. */
  get publicKeyBase64(): string {
    return toBase64(this.publicKey);
  }

  /** True when a password-protected backup exists for this identity. */
  get hasBackup(): boolean {
    return this.backupText !== null;
  }

  /** A fresh key pair; persisted if `store` is given, with a backup if `backupPassword` is given. */
  static async create(options: IdentityOptions = {}): Promise<LiliumIdentity> {
    const pair = (await crypto.subtle.generateKey(ECDSA_P256, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    try {
      return await LiliumIdentity.fromPkcs8(pkcs8, options);
    } finally {
      pkcs8.fill(0);
    }
  }

  /** Loads the identity saved under `profile`, or null when there is none. */
  static async load(store: IdentityStore, profile = "default"): Promise<LiliumIdentity | null> {
    const stored = await store.load(profile);
    if (stored === null) return null;
    return new LiliumIdentity(stored.privateKey, stored.publicKey, await fingerprintOf(stored.publicKey), stored.backup);
  }

  /** Loads the saved identity, or creates (and saves) one. */
  static async loadOrCreate(store: IdentityStore, options: Omit<IdentityOptions, "store"> = {}): Promise<LiliumIdentity> {
    return (await LiliumIdentity.load(store, options.profile)) ?? (await LiliumIdentity.create({ ...options, store }));
  }

  /**
   * Imports the CLI's `identity.pem` (`lilium id new` writes PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`;
   * SEC1 `-----BEGIN EC PRIVATE KEY-----` is accepted too), so one person can use the CLI and the web app
   * as the same user. Throws {@link LiliumError} when it is not an ECDSA P-256 private key.
   */
  static async importPem(pem: string, options: IdentityOptions = {}): Promise<LiliumIdentity> {
    const pkcs8 = pemToPkcs8(pem);
    try {
      return await LiliumIdentity.fromPkcs8(pkcs8, options);
    } finally {
      pkcs8.fill(0);
    }
  }

  /** Opens a backup made by {@link exportBackup}; {@link BackupError} on a wrong password or a damaged file. */
  static async importBackup(backup: string, password: string, options: Omit<IdentityOptions, "backupPassword"> = {}): Promise<LiliumIdentity> {
    const pkcs8 = await openBackup(backup, password);
    try {
      const identity = await LiliumIdentity.fromPkcs8(pkcs8, options);
      if (identity.backupText === null) {
        identity.backupText = backup; // the file we opened is this identity's backup
        if (options.store !== undefined) await identity.persist(options.store, options.profile ?? "default");
      }
      return identity;
    } finally {
      pkcs8.fill(0);
    }
  }

  /**
   * Converts a backup into the CLI's `identity.pem` (PKCS#8 PEM), so a browser identity can be used by
   * `lilium` too. The key bytes exist only inside this call.
   */
  static async backupToPem(backup: string, password: string): Promise<string> {
    const pkcs8 = await openBackup(backup, password);
    try {
      return pkcs8ToPem(pkcs8);
    } finally {
      pkcs8.fill(0);
    }
  }

  /** The password-protected backup (JSON text) sealed when this identity was made or imported. */
  exportBackup(): string {
    if (this.backupText === null) {
      throw new LiliumError("This identity has no backup: a backup can only be sealed when the key is created or imported (the stored key is non-extractable).");
    }
    return this.backupText;
  }

  /** Signs bytes (ECDSA P-256, SHA-256, IEEE P-1363 r‖s, 64 bytes), e.g. a login challenge. */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign(SIGN_PARAMS, this.privateKey, buf(data)));
  }

  /** Saves this identity under `profile`. */
  async persist(store: IdentityStore, profile = "default"): Promise<void> {
    await store.save(profile, { privateKey: this.privateKey, publicKey: this.publicKey, backup: this.backupText });
  }

  private static async fromPkcs8(pkcs8: Uint8Array, options: IdentityOptions): Promise<LiliumIdentity> {
    let extractable: CryptoKey;
    try {
      extractable = await crypto.subtle.importKey("pkcs8", buf(pkcs8), ECDSA_P256, true, ["sign"]);
    } catch (cause) {
      throw new LiliumError("Not an identity key (PKCS#8 of an ECDSA P-256 private key).", { cause });
    }
    const jwk = await crypto.subtle.exportKey("jwk", extractable);
    if (jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string") {
      throw new LiliumError("Identities are ECDSA P-256 keys.");
    }
    const publicKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true }, ECDSA_P256, true, ["verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
    const fingerprint = await fingerprintOf(spki);
    const backup = options.backupPassword !== undefined
      ? await sealBackup(pkcs8, fingerprint, options.backupPassword, options.backupIterations ?? BACKUP_ITERATIONS)
      : null;
    const privateKey = await crypto.subtle.importKey("pkcs8", buf(pkcs8), ECDSA_P256, false, ["sign"]);
    const identity = new LiliumIdentity(privateKey, spki, fingerprint, backup);
    if (options.store !== undefined) await identity.persist(options.store, options.profile ?? "default");
    return identity;
  }
}

/** Lower-case hex SHA-256 of SubjectPublicKeyInfo bytes: the fingerprint the API and the C# SDK show. */
export async function fingerprintOf(spki: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", buf(spki))));
}

/** Verifies an ECDSA P-256 / SHA-256 / P-1363 signature by the holder of `spki`; false on anything malformed. */
export async function verifySignature(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("spki", buf(spki), ECDSA_P256, false, ["verify"]);
    return await crypto.subtle.verify(SIGN_PARAMS, key, buf(signature), buf(data));
  } catch {
    return false;
  }
}

// ───────────── backup ─────────────

const BACKUP_AAD = utf8("lilium-identity-backup-v1");

async function backupKey(password: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", buf(utf8(password)), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: buf(salt), iterations }, material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

async function sealBackup(pkcs8: Uint8Array, fingerprint: string, password: string, iterations: number): Promise<string> {
  if (password.length === 0) throw new LiliumError("A backup password cannot be empty.");
  if (!Number.isInteger(iterations) || iterations < 1) throw new LiliumError("PBKDF2 iterations must be a positive integer.");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await backupKey(password, salt, iterations);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: buf(iv), additionalData: buf(concat(BACKUP_AAD, utf8(fingerprint))) }, key, buf(pkcs8)));
  const backup: IdentityBackup = { format: BACKUP_FORMAT, v: 1, kdf: "PBKDF2-SHA256", iterations, salt: toBase64(salt), iv: toBase64(iv), ciphertext: toBase64(ciphertext), fingerprint };
  return JSON.stringify(backup);
}

/** Reads a backup's public fields (format, fingerprint, iterations) without the password; null if it is not one. */
export function parseBackup(text: string): IdentityBackup | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const b = value as Record<string, unknown>;
  if (b.format !== BACKUP_FORMAT || b.v !== 1 || b.kdf !== "PBKDF2-SHA256") return null;
  if (typeof b.iterations !== "number" || !Number.isInteger(b.iterations) || b.iterations < 1 || b.iterations > 10_000_000) return null;
  for (const k of ["salt", "iv", "ciphertext", "fingerprint"]) if (typeof b[k] !== "string") return null;
  return b as unknown as IdentityBackup;
}

async function openBackup(text: string, password: string): Promise<Uint8Array> {
  const backup = parseBackup(text);
  if (backup === null) throw new BackupError("This is not a LiliumShare identity backup.");
  const salt = tryFromBase64(backup.salt);
  const iv = tryFromBase64(backup.iv);
  const ciphertext = tryFromBase64(backup.ciphertext);
  if (salt === null || iv === null || iv.length !== 12 || ciphertext === null || ciphertext.length < 17) {
    throw new BackupError("The identity backup is damaged.");
  }
  const key = await backupKey(password, salt, backup.iterations);
  let pkcs8: Uint8Array;
  try {
    pkcs8 = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: buf(iv), additionalData: buf(concat(BACKUP_AAD, utf8(backup.fingerprint))) }, key, buf(ciphertext)));
  } catch {
    throw new BackupError("Wrong password, or the identity backup is damaged.");
  }
  return pkcs8;
}

// ───────────── PEM / PKCS#8 ─────────────

/** PKCS#8 DER → PEM (`-----BEGIN PRIVATE KEY-----`, 64-character lines, as .NET writes it). */
export function pkcs8ToPem(pkcs8: Uint8Array): string {
  const b64 = toBase64(pkcs8);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----`;
}

/** PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`) → PKCS#8 DER; {@link LiliumError} otherwise. */
export function pemToPkcs8(pem: string): Uint8Array {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (match === null) throw new LiliumError("Not a PEM file (expected -----BEGIN PRIVATE KEY-----).");
  const label = match[1]!;
  const der = tryFromBase64(match[2]!);
  if (der === null || der.length === 0) throw new LiliumError("The PEM body is not base64.");
  if (label === "PRIVATE KEY") return der;
  if (label === "EC PRIVATE KEY") return sec1ToPkcs8(der);
  if (label === "ENCRYPTED PRIVATE KEY") throw new LiliumError("Encrypted PEM keys are not supported; export it unencrypted (lilium writes identity.pem unencrypted).");
  throw new LiliumError(`A PEM "${label}" is not an identity key (expected PRIVATE KEY).`);
}

// PKCS#8 PrivateKeyInfo { version 0, AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey } }.
const EC_ALGORITHM = new Uint8Array([0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);

function derLength(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  if (n < 0x100) return new Uint8Array([0x81, n]);
  return new Uint8Array([0x82, n >> 8, n & 0xff]);
}

function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  const octet = concat(new Uint8Array([0x04]), derLength(sec1.length), sec1);
  const body = concat(new Uint8Array([0x02, 0x01, 0x00]), EC_ALGORITHM, octet);
  return concat(new Uint8Array([0x30]), derLength(body.length), body);
}
