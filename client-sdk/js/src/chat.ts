/**
 * End-to-end encrypted chat, wire-compatible with `Lilium.Client.Chat` (docs/chat-e2e.md):
 *
 * ```
 * hello: | 1 | 0x01 | sid (16) | eph len u16 | ephemeral SPKI | signature (64, P-1363) |
 * ack:   | 1 | 0x02 | sid (16) | eph len u16 | ephemeral SPKI | signature (64, P-1363) |
 * msg:   | 1 | 0x03 | sid (16) | counter u64 | AES-256-GCM ciphertext | tag (16) |
 * ```
 *
 * Hello signs `L("lilium-chat-hello-v1") ‖ L(sid) ‖ L(initiator) ‖ L(responder) ‖ L(ephI)`, ack signs
 * the same with `"lilium-chat-ack-v1"` and `L(ephR)` appended (L = 4-byte big-endian length prefix;
 * user ids as 16 big-endian UUID bytes). Keys: HKDF-SHA256(ECDH x-coordinate, salt = SHA-256(ack
 * transcript), info = `"lilium-chat-v1 initiator->responder"` / `"… responder->initiator"`, 32 bytes).
 * Messages: nonce = 0⁴ ‖ counter (u64 BE), AAD = `L("lilium-chat-msg-v1") ‖ L(sid) ‖ L(counter)`.
 *
 * Friends' identity keys are pinned on first use ({@link KeyPinStore}); a key that differs from
 * the pin raises {@link KeyChangedError} (and the `keyChanged` event) instead of being trusted.
 */

import { KeyChangedError, LiliumError } from "./errors.js";
import { buf, bytesEqual, concat, fromUtf8, toBase64, toHex, tryFromBase64, utf8, uuidToBytes } from "./encoding.js";
import { Emitter } from "./events.js";
import { fingerprintOf, verifySignature, type LiliumIdentity } from "./identity.js";
import type { ChatHelloMessage, ChatMsgMessage, Uuid } from "./protocol.js";
import type { SignalingClient } from "./signaling.js";
import { MemoryStore, IndexedDbStore, type KeyValueStore } from "./storage.js";

/** Chat protocol version byte. */
export const CHAT_VERSION = 1;
const SESSION_ID_SIZE = 16;
const SIGNATURE_SIZE = 64;
const TAG_SIZE = 16;
const MAX_KEY_SIZE = 512;
const HEADER_SIZE = 2 + SESSION_ID_SIZE + 8;
const HELLO_CONTEXT = utf8("lilium-chat-hello-v1");
const ACK_CONTEXT = utf8("lilium-chat-ack-v1");
const MESSAGE_CONTEXT = utf8("lilium-chat-msg-v1");
const INFO_I2R = utf8("lilium-chat-v1 initiator->responder");
const INFO_R2I = utf8("lilium-chat-v1 responder->initiator");
const ECDH_P256: EcKeyImportParams = { name: "ECDH", namedCurve: "P-256" };

/** The three chat payload types. */
export enum ChatPayloadType {
  /** The initiator's signed ephemeral key. */
  Hello = 1,
  /** The responder's signed ephemeral key. */
  Ack = 2,
  /** An encrypted message. */
  Message = 3,
}

/** A handshake payload (hello or ack). */
export interface ChatHandshake {
  type: ChatPayloadType.Hello | ChatPayloadType.Ack;
  sessionId: Uint8Array;
  /** The sender's ephemeral ECDH P-256 public key (SPKI). */
  ephemeralKey: Uint8Array;
  /** The sender's identity signature (P-1363) over the transcript. */
  signature: Uint8Array;
}

/** Why a received chat message was refused (C#: `ChatOpenResult`). */
export type ChatOpenResult = "ok" | "malformed" | "other-session" | "replayed" | "forged";

/** Length-prefixed concatenation (4-byte big-endian lengths), as `ChatCrypto.Concat`. */
export function chatConcat(...parts: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, p.length);
    out.push(len, p);
  }
  return concat(...out);
}

/** The bytes of a handshake payload. */
export function encodeHandshake(h: ChatHandshake): Uint8Array {
  const bytes = new Uint8Array(2 + SESSION_ID_SIZE + 2 + h.ephemeralKey.length + SIGNATURE_SIZE);
  bytes[0] = CHAT_VERSION;
  bytes[1] = h.type;
  bytes.set(h.sessionId, 2);
  new DataView(bytes.buffer).setUint16(18, h.ephemeralKey.length);
  bytes.set(h.ephemeralKey, 20);
  bytes.set(h.signature, 20 + h.ephemeralKey.length);
  return bytes;
}

/** Parses a handshake payload of the `expected` type; null (never an exception) on anything else. */
export function parseHandshake(bytes: Uint8Array, expected: ChatPayloadType.Hello | ChatPayloadType.Ack): ChatHandshake | null {
  if (bytes.length < 20 || bytes[0] !== CHAT_VERSION || bytes[1] !== expected) return null;
  const keyLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(18);
  if (keyLength === 0 || keyLength > MAX_KEY_SIZE || bytes.length !== 20 + keyLength + SIGNATURE_SIZE) return null;
  return {
    type: expected,
    sessionId: bytes.slice(2, 18),
    ephemeralKey: bytes.slice(20, 20 + keyLength),
    signature: bytes.slice(20 + keyLength),
  };
}

/** The bytes the initiator signs in a hello. */
export function helloTranscript(sid: Uint8Array, initiator: Uuid, responder: Uuid, ephI: Uint8Array): Uint8Array {
  return chatConcat(HELLO_CONTEXT, sid, uuidToBytes(initiator), uuidToBytes(responder), ephI);
}

/** The bytes the responder signs in an ack; its SHA-256 salts the key derivation. */
export function ackTranscript(sid: Uint8Array, initiator: Uuid, responder: Uuid, ephI: Uint8Array, ephR: Uint8Array): Uint8Array {
  return chatConcat(ACK_CONTEXT, sid, uuidToBytes(initiator), uuidToBytes(responder), ephI, ephR);
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf(data)));
}

/** HKDF-SHA256 of the ECDH secret into the two direction keys (raw, 32 bytes each). */
export async function deriveChatKeys(sharedSecret: Uint8Array, transcriptHash: Uint8Array): Promise<{ initiatorToResponder: Uint8Array; responderToInitiator: Uint8Array }> {
  const ikm = await crypto.subtle.importKey("raw", buf(sharedSecret), "HKDF", false, ["deriveBits"]);
  const derive = async (info: Uint8Array) =>
    new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: buf(transcriptHash), info: buf(info) }, ikm, 256));
  return { initiatorToResponder: await derive(INFO_I2R), responderToInitiator: await derive(INFO_R2I) };
}

async function agree(mine: CryptoKey, theirSpki: Uint8Array): Promise<Uint8Array | null> {
  try {
    const theirs = await crypto.subtle.importKey("spki", buf(theirSpki), ECDH_P256, false, []);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: theirs }, mine, 256));
  } catch {
    return null;
  }
}

async function newEphemeral(): Promise<{ privateKey: CryptoKey; spki: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey(ECDH_P256, false, ["deriveBits"])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)) };
}

/** Who is speaking in a handshake: this user's id and identity. */
export interface ChatParty {
  userId: Uuid;
  identity: Pick<LiliumIdentity, "sign">;
}

/** An initiator's half-open handshake, waiting for the responder's ack (C#: `ChatHandshakes.Pending`). */
export class PendingChatHandshake {
  private constructor(
    private readonly me: Uuid,
    /** The peer's user id. */
    readonly peer: Uuid,
    private readonly peerIdentityKey: Uint8Array,
    private ephemeral: CryptoKey | null,
    /** The hello to send (base64 of {@link encodeHandshake} in `chat.hello`). */
    readonly hello: ChatHandshake,
  ) {}

  /** Starts a session with `peer`, whose identity key (SPKI) the app has pinned. */
  static async initiate(me: ChatParty, peer: Uuid, peerIdentityKey: Uint8Array): Promise<PendingChatHandshake> {
    const eph = await newEphemeral();
    const sid = crypto.getRandomValues(new Uint8Array(SESSION_ID_SIZE));
    const signature = await me.identity.sign(helloTranscript(sid, me.userId, peer, eph.spki));
    return new PendingChatHandshake(me.userId, peer, peerIdentityKey, eph.privateKey, { type: ChatPayloadType.Hello, sessionId: sid, ephemeralKey: eph.spki, signature });
  }

  /**
   * Rebuilds a pending handshake from its parts (interop tests replay recorded handshakes with the
   * initiator's recorded ephemeral key). @internal
   */
  static restore(me: Uuid, peer: Uuid, peerIdentityKey: Uint8Array, ephemeralPrivateKey: CryptoKey, hello: ChatHandshake): PendingChatHandshake {
    return new PendingChatHandshake(me, peer, peerIdentityKey, ephemeralPrivateKey, hello);
  }

  /** Verifies the ack and derives the session; null if the ack is not the peer's answer to this hello. */
  async complete(ack: ChatHandshake): Promise<ChatSession | null> {
    const h = this.hello;
    if (this.ephemeral === null || ack.type !== ChatPayloadType.Ack || !bytesEqual(ack.sessionId, h.sessionId)) return null;
    const transcript = ackTranscript(h.sessionId, this.me, this.peer, h.ephemeralKey, ack.ephemeralKey);
    if (!(await verifySignature(this.peerIdentityKey, transcript, ack.signature))) return null;
    const secret = await agree(this.ephemeral, ack.ephemeralKey);
    if (secret === null) return null;
    const keys = await deriveChatKeys(secret, await sha256(transcript));
    secret.fill(0);
    this.ephemeral = null; // forward secrecy: the ephemeral key is dropped
    return ChatSession.create(h.sessionId, this.peer, keys.initiatorToResponder, keys.responderToInitiator);
  }
}

/**
 * Answers a hello from `peer` (C#: `ChatHandshakes.Respond`). Resolves with the ack to send and the
 * session, or null when the hello is not signed by the peer's pinned key.
 */
export async function respondToHello(me: ChatParty, peer: Uuid, peerIdentityKey: Uint8Array, hello: ChatHandshake): Promise<{ ack: ChatHandshake; session: ChatSession } | null> {
  if (hello.type !== ChatPayloadType.Hello) return null;
  if (!(await verifySignature(peerIdentityKey, helloTranscript(hello.sessionId, peer, me.userId, hello.ephemeralKey), hello.signature))) return null;
  const eph = await newEphemeral();
  const secret = await agree(eph.privateKey, hello.ephemeralKey);
  if (secret === null) return null;
  const transcript = ackTranscript(hello.sessionId, peer, me.userId, hello.ephemeralKey, eph.spki);
  const signature = await me.identity.sign(transcript);
  const keys = await deriveChatKeys(secret, await sha256(transcript));
  secret.fill(0);
  const session = await ChatSession.create(hello.sessionId, peer, keys.responderToInitiator, keys.initiatorToResponder);
  return { ack: { type: ChatPayloadType.Ack, sessionId: hello.sessionId, ephemeralKey: eph.spki, signature }, session };
}

/** Accepts each counter once, and none more than 64 behind the highest seen. */
class ReplayWindow {
  private highest = 0n;
  private bitmap = 0n; // bit i: counter (highest - i) seen
  private any = false;

  canAccept(counter: bigint): boolean {
    if (!this.any || counter > this.highest) return true;
    const age = this.highest - counter;
    return age < 64n && (this.bitmap & (1n << age)) === 0n;
  }

  accept(counter: bigint): void {
    const mask = (1n << 64n) - 1n;
    if (!this.any) {
      this.any = true;
      this.highest = counter;
      this.bitmap = 1n;
    } else if (counter > this.highest) {
      const shift = counter - this.highest;
      this.bitmap = shift >= 64n ? 1n : ((this.bitmap << shift) | 1n) & mask;
      this.highest = counter;
    } else {
      this.bitmap |= 1n << (this.highest - counter);
    }
  }
}

/**
 * An established chat session (C#: `ChatSession`): AES-256-GCM with one key per direction, a 64-bit
 * counter as the nonce, and a 64-message replay window on receipt.
 */
export class ChatSession {
  private nextCounter = 0n;
  private readonly window = new ReplayWindow();

  private constructor(
    /** The random id both handshake messages and every message carry. */
    readonly sessionId: Uint8Array,
    /** The friend at the other end. */
    readonly peer: Uuid,
    private readonly sendKey: CryptoKey,
    private readonly receiveKey: CryptoKey,
  ) {}

  /** Builds a session from raw direction keys (the raw bytes are zeroed). */
  static async create(sessionId: Uint8Array, peer: Uuid, sendKey: Uint8Array, receiveKey: Uint8Array): Promise<ChatSession> {
    const imp = (k: Uint8Array, usage: KeyUsage) => crypto.subtle.importKey("raw", buf(k), { name: "AES-GCM" }, false, [usage]);
    const session = new ChatSession(sessionId.slice(), peer, await imp(sendKey, "encrypt"), await imp(receiveKey, "decrypt"));
    sendKey.fill(0);
    receiveKey.fill(0);
    return session;
  }

  /** The session id as hex (for logs and maps). */
  get id(): string {
    return toHex(this.sessionId);
  }

  /** Encrypts one message into the bytes of a chat "msg" payload. */
  async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const counter = this.nextCounter++;
    const sealed = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: buf(nonce(counter)), additionalData: buf(this.aad(counter)), tagLength: 128 }, this.sendKey, buf(plaintext)));
    const out = new Uint8Array(HEADER_SIZE + sealed.length);
    out[0] = CHAT_VERSION;
    out[1] = ChatPayloadType.Message;
    out.set(this.sessionId, 2);
    new DataView(out.buffer).setBigUint64(18, counter);
    out.set(sealed, HEADER_SIZE);
    return out;
  }

  /** Decrypts a received chat "msg" payload; never throws on hostile bytes. */
  async open(payload: Uint8Array): Promise<{ result: ChatOpenResult; plaintext?: Uint8Array }> {
    if (payload.length < HEADER_SIZE + TAG_SIZE || payload[0] !== CHAT_VERSION || payload[1] !== ChatPayloadType.Message) return { result: "malformed" };
    if (!bytesEqual(payload.subarray(2, 18), this.sessionId)) return { result: "other-session" };
    const counter = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getBigUint64(18);
    if (!this.window.canAccept(counter)) return { result: "replayed" };
    let plaintext: Uint8Array;
    try {
      plaintext = new Uint8Array(await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: buf(nonce(counter)), additionalData: buf(this.aad(counter)), tagLength: 128 }, this.receiveKey, buf(payload.subarray(HEADER_SIZE))));
    } catch {
      return { result: "forged" };
    }
    if (!this.window.canAccept(counter)) return { result: "replayed" }; // a concurrent open of the same counter won
    this.window.accept(counter); // only after authentication, so forgeries cannot move the window
    return { result: "ok", plaintext };
  }

  private aad(counter: bigint): Uint8Array {
    const c = new Uint8Array(8);
    new DataView(c.buffer).setBigUint64(0, counter);
    return chatConcat(MESSAGE_CONTEXT, this.sessionId, c);
  }
}

function nonce(counter: bigint): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, counter);
  return n;
}

/** The session id of a chat "msg" payload (hex), or null if it is not one. */
export function messageSessionId(payload: Uint8Array): string | null {
  return payload.length >= HEADER_SIZE + TAG_SIZE && payload[0] === CHAT_VERSION && payload[1] === ChatPayloadType.Message ? toHex(payload.subarray(2, 18)) : null;
}

// ───────────────────────────── key pinning ─────────────────────────────

/** A pinned friend identity key. */
export interface PinnedKey {
  /** SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
  /** Its fingerprint. */
  fingerprint: string;
  /** When it was pinned (ms since the epoch). */
  pinnedAt: number;
}

/** Where friends' identity keys are pinned (trust on first use). */
export interface KeyPinStore {
  /** The pin for `userId`, or null. */
  get(userId: Uuid): Promise<PinnedKey | null>;
  /** Pins (or re-pins, after the user accepted a change) `userId`'s key. */
  set(userId: Uuid, pin: PinnedKey): Promise<void>;
}

/** A {@link KeyPinStore} over any {@link KeyValueStore}. */
export class KeyValuePinStore implements KeyPinStore {
  /** @param store Where to keep pins (`IndexedDbStore("pins")` in browsers). */
  constructor(private readonly store: KeyValueStore = new MemoryStore()) {}
  /** @inheritdoc */
  async get(userId: Uuid): Promise<PinnedKey | null> {
    return (await this.store.get<PinnedKey>(userId)) ?? null;
  }
  /** @inheritdoc */
  async set(userId: Uuid, pin: PinnedKey): Promise<void> {
    await this.store.set(userId, pin);
  }
}

/** The browser default pin store: IndexedDB database `lilium`, object store `pins:<own user id>`. */
export function indexedDbPinStore(ownUserId: Uuid, databaseName = "lilium"): KeyPinStore {
  return new KeyValuePinStore(new IndexedDbStore(`pins:${ownUserId}`, databaseName));
}

/** Checks `current` (the key the API reports now) against the pin; pins it on first use. */
export async function checkPinnedKey(pins: KeyPinStore, userId: Uuid, current: Uint8Array, now = Date.now()): Promise<PinnedKey> {
  const pinned = await pins.get(userId);
  if (pinned === null) {
    const pin = { publicKey: current.slice(), fingerprint: await fingerprintOf(current), pinnedAt: now };
    await pins.set(userId, pin);
    return pin;
  }
  if (!bytesEqual(pinned.publicKey, current)) {
    throw new KeyChangedError(userId, pinned.fingerprint, await fingerprintOf(current));
  }
  return pinned;
}

// ───────────────────────────── the client ─────────────────────────────

/** One decrypted chat message. */
export interface ChatMessage {
  /** The friend who sent it. */
  from: Uuid;
  /** The plaintext. */
  text: string;
  /** The sender's message id (their request id; echoed in `chat.ack`). */
  msgId: string | null;
  /** When it was decrypted (ms since the epoch). */
  receivedAt: number;
}

/** What {@link ChatClient.send} resolves with. */
export interface ChatSendResult {
  /** How many of the friend's devices received it. */
  delivered: number;
  /** The message id the friend will acknowledge with `chat.ack`. */
  msgId: string;
}

/** Why an incoming chat payload was dropped. */
export interface ChatRejection {
  from: Uuid;
  reason: ChatOpenResult | "bad-base64" | "no-session" | "bad-handshake" | "key-changed";
}

/** Events of {@link ChatClient}. */
export interface ChatEvents {
  /** A decrypted message. */
  message: ChatMessage;
  /** A friend's key differs from the pin: show "this friend's key changed" (handshakes with them fail until {@link ChatClient.acceptKeyChange}). */
  keyChanged: KeyChangedError;
  /** The friend decrypted message `msgId`. */
  ack: { from: Uuid; msgId: string };
  /** An incoming payload did not verify (forged, replayed, unknown session, changed key). */
  rejected: ChatRejection;
  /** An encrypted session with the friend is ready. */
  session: { peer: Uuid; sessionId: string };
}

/** Options of {@link ChatClient}. */
export interface ChatClientOptions {
  /** The connected signaling client. */
  signaling: SignalingClient;
  /** This user's identity. */
  identity: LiliumIdentity;
  /** This user's id (the API's `userId` after login). */
  userId: Uuid;
  /** The identity key (SPKI) the API reports for a user now; usually `async id => fromBase64((await api.getUser(id)).publicKey)`. */
  lookupKey: (userId: Uuid) => Promise<Uint8Array>;
  /** Where keys are pinned (default: in memory). */
  pins?: KeyPinStore;
  /** How long {@link ChatClient.open} waits for the friend's ack (default 10 000 ms). */
  handshakeTimeoutMs?: number;
}

interface Opening {
  pending: PendingChatHandshake;
  resolve: (s: ChatSession) => void;
}

/**
 * End-to-end encrypted chat over the WebSocket API (C#: `ChatClient`). Sessions are per friend and
 * per connection: a reconnect forgets them, and the next {@link send} makes a new one.
 */
export class ChatClient extends Emitter<ChatEvents> {
  private readonly signaling: SignalingClient;
  private readonly me: ChatParty;
  private readonly lookupKey: (userId: Uuid) => Promise<Uint8Array>;
  /** Where friends' keys are pinned. */
  readonly pins: KeyPinStore;
  private readonly handshakeTimeoutMs: number;
  private readonly sending = new Map<Uuid, ChatSession>();
  private readonly receiving = new Map<Uuid, Map<string, ChatSession>>();
  private readonly opening = new Map<Uuid, Opening>();
  private readonly openingPromises = new Map<Uuid, Promise<void>>();
  private readonly offs: (() => void)[] = [];
  private rejectedCount = 0;

  /** Starts handling `chat.*` messages of `options.signaling`. */
  constructor(options: ChatClientOptions) {
    super();
    this.signaling = options.signaling;
    this.me = { userId: options.userId, identity: options.identity };
    this.lookupKey = options.lookupKey;
    this.pins = options.pins ?? new KeyValuePinStore();
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.offs.push(
      this.signaling.on("chat.hello", (m) => void this.onHandshake(m)),
      this.signaling.on("chat.msg", (m) => void this.onCiphertext(m)),
      this.signaling.on("chat.ack", (m) => {
        if (m.msgId !== undefined) this.emit("ack", { from: m.from, msgId: m.msgId });
      }),
      this.signaling.on("reconnected", () => this.forgetSessions()), // a new connection gets new session keys
    );
  }

  /** Messages dropped because they did not verify. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** True when a session with the friend is open. */
  hasSession(friend: Uuid): boolean {
    return this.sending.has(friend);
  }

  /**
   * The friend's pinned key, checking it against the API (pinned on first use). Rejects with
   * {@link KeyChangedError} (and emits `keyChanged`) when the API reports another key.
   */
  async verifiedKey(friend: Uuid): Promise<Uint8Array> {
    const current = await this.lookupKey(friend);
    try {
      return (await checkPinnedKey(this.pins, friend, current)).publicKey;
    } catch (error) {
      if (error instanceof KeyChangedError) this.emit("keyChanged", error);
      throw error;
    }
  }

  /** The user accepted a friend's new key (after comparing fingerprints): pins the key the API reports now. */
  async acceptKeyChange(friend: Uuid): Promise<PinnedKey> {
    const current = await this.lookupKey(friend);
    const pin = { publicKey: current.slice(), fingerprint: await fingerprintOf(current), pinnedAt: Date.now() };
    await this.pins.set(friend, pin);
    this.sending.delete(friend);
    this.receiving.delete(friend);
    return pin;
  }

  /** Opens (or reuses) an encrypted session with the friend; the friend must be online. */
  open(friend: Uuid): Promise<void> {
    if (this.sending.has(friend)) return Promise.resolve();
    const existing = this.openingPromises.get(friend);
    if (existing !== undefined) return existing;
    const run = this.openCore(friend).finally(() => this.openingPromises.delete(friend));
    this.openingPromises.set(friend, run);
    return run;
  }

  /** Encrypts and sends a message; resolves with the devices reached and the message id. */
  async send(friend: Uuid, text: string): Promise<ChatSendResult> {
    await this.open(friend);
    const session = this.sending.get(friend);
    if (session === undefined) throw new LiliumError("The chat session closed before the message was sent (reconnected); send again.");
    const ciphertext = toBase64(await session.seal(utf8(text)));
    const reply = await this.signaling.request({ action: "chat.msg", to: friend, ciphertext });
    if (reply.action !== "chat.receipt") throw new LiliumError(`Unexpected reply to chat.msg: ${reply.action}`);
    return { delivered: reply.delivered, msgId: reply.id ?? "" };
  }

  /** Stops handling chat messages and forgets every session key. */
  close(): void {
    for (const off of this.offs) off();
    this.offs.length = 0;
    this.forgetSessions();
  }

  private forgetSessions(): void {
    this.sending.clear();
    this.receiving.clear();
  }

  private async openCore(friend: Uuid): Promise<void> {
    const key = await this.verifiedKey(friend);
    const pending = await PendingChatHandshake.initiate(this.me, friend, key);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<ChatSession>((resolve, reject) => {
      this.opening.set(friend, { pending, resolve });
      timer = setTimeout(() => reject(new LiliumError("The friend did not answer the chat handshake (offline, or their key is not the one pinned).")), this.handshakeTimeoutMs);
    });
    try {
      // The server's errors (friend-offline, not-friends) reject here as SignalingError.
      await this.signaling.request({ action: "chat.hello", to: friend, key: toBase64(encodeHandshake(pending.hello)) });
      this.addSession(await done, true);
    } finally {
      clearTimeout(timer);
      if (this.opening.get(friend)?.pending === pending) this.opening.delete(friend);
    }
  }

  private addSession(session: ChatSession, forSending: boolean): void {
    let byId = this.receiving.get(session.peer);
    if (byId === undefined) {
      byId = new Map();
      this.receiving.set(session.peer, byId);
    }
    byId.set(session.id, session);
    while (byId.size > 4) byId.delete(byId.keys().next().value as string); // keep the newest few (both ends may open at once)
    // The newest session sends: a hello means the friend dropped the old keys (reconnected); if both ends
    // opened at once, each sends on its own and receives on both.
    if (forSending || !this.opening.has(session.peer)) this.sending.set(session.peer, session);
    this.emit("session", { peer: session.peer, sessionId: session.id });
  }

  private reject(from: Uuid, reason: ChatRejection["reason"]): void {
    this.rejectedCount++;
    this.emit("rejected", { from, reason });
  }

  private async onHandshake(m: ChatHelloMessage): Promise<void> {
    const bytes = tryFromBase64(m.key);
    if (bytes === null) return this.reject(m.from, "bad-base64");
    const ack = parseHandshake(bytes, ChatPayloadType.Ack);
    const opening = this.opening.get(m.from);
    if (ack !== null && opening !== undefined) {
      const session = await opening.pending.complete(ack);
      if (session === null) return this.reject(m.from, "bad-handshake");
      opening.resolve(session);
      return;
    }
    const hello = parseHandshake(bytes, ChatPayloadType.Hello);
    if (hello === null) return this.reject(m.from, "bad-handshake");
    let peerKey: Uint8Array;
    try {
      peerKey = await this.verifiedKey(m.from);
    } catch {
      return this.reject(m.from, "key-changed");
    }
    const answer = await respondToHello(this.me, m.from, peerKey, hello);
    if (answer === null) return this.reject(m.from, "bad-handshake");
    this.addSession(answer.session, false);
    try {
      this.signaling.send({ action: "chat.hello", to: m.from, key: toBase64(encodeHandshake(answer.ack)) });
    } catch {
      // the connection dropped; the friend's open() times out and retries
    }
  }

  private async onCiphertext(m: ChatMsgMessage): Promise<void> {
    const bytes = tryFromBase64(m.ciphertext);
    if (bytes === null) return this.reject(m.from, "bad-base64");
    const sid = messageSessionId(bytes);
    if (sid === null) return this.reject(m.from, "malformed");
    const session = this.receiving.get(m.from)?.get(sid);
    if (session === undefined) return this.reject(m.from, "no-session");
    const opened = await session.open(bytes);
    if (opened.result !== "ok" || opened.plaintext === undefined) return this.reject(m.from, opened.result);
    this.emit("message", { from: m.from, text: fromUtf8(opened.plaintext), msgId: m.msgId ?? null, receivedAt: Date.now() });
    if (m.msgId !== undefined) {
      try {
        this.signaling.send({ action: "chat.ack", to: m.from, msgId: m.msgId });
      } catch {
        // best effort
      }
    }
  }
}

/** Convenience: the `lookupKey` for {@link ChatClientOptions} from an API client. */
export function apiKeyLookup(api: { getUser(id: Uuid): Promise<{ publicKey: string }> }): (userId: Uuid) => Promise<Uint8Array> {
  return async (userId) => {
    const bytes = tryFromBase64((await api.getUser(userId)).publicKey);
    if (bytes === null) throw new LiliumError(`The API returned a malformed public key for ${userId}.`);
    return bytes;
  };
}

