/**
 * Every message that crosses a process boundary, in one module: the REST API's JSON bodies
 * (functions/Lilium.Api/Contracts, docs/api.md), the WebSocket signaling protocol version 1
 * (functions/Lilium.Signaling/Protocol, docs/signaling.md) and the host's and viewer's control data
 * channel (docs/input.md). Kept together so it can be checked against the generated JSON Schema of
 * `Lilium.Protocol`. Field names are the servers' camelCase JSON names; UUIDs are strings; times
 * are ISO 8601 strings (REST) or Unix seconds (signaling `expiresAt`), as the servers send them.
 */

/** A UUID in canonical string form. */
export type Uuid = string;
/** An ISO 8601 date-time string as ASP.NET Core writes a `DateTimeOffset`. */
export type IsoDateTime = string;

// ───────────────────────────── REST: identity and users ─────────────────────────────

/** `POST /v1/users` body. `publicKey` is base64 SubjectPublicKeyInfo (DER); `signature` proves the key (see `ApiClient.register`). */
export interface CreateUserRequest { publicKey: string; nickname: string; timestamp: number; signature: string }

/** A user as the API shows it (`UserResponse`). */
export interface UserInfo {
  id: Uuid;
  nickname: string;
  /** Lower-case hex SHA-256 of the SPKI public key. */
  fingerprint: string;
  /** Base64 SubjectPublicKeyInfo. */
  publicKey: string;
  createdAt: IsoDateTime;
}

/** `POST /v1/auth/challenge` body: by user id or by public key (base64 SPKI). */
export interface ChallengeRequest { userId?: Uuid | null; publicKey?: string | null }

/** `POST /v1/auth/challenge` reply; sign the bytes of base64 `signedData`. */
export interface ChallengeResponse { challengeId: Uuid; userId: Uuid; nonce: string; signedData: string; expiresAt: IsoDateTime }

/** `POST /v1/auth/token` body: the P-1363 signature (r‖s, 64 bytes) in base64. */
export interface TokenRequest { challengeId: Uuid; signature: string }

/** `POST /v1/auth/refresh` body. */
export interface RefreshRequest { refreshToken: string }

/** `POST /v1/auth/token` and `/refresh` reply. */
export interface TokenResponse {
  tokenType: string;
  accessToken: string;
  accessTokenExpiresAt: IsoDateTime;
  refreshToken: string;
  refreshTokenExpiresAt: IsoDateTime;
  userId: Uuid;
}

// ───────────────────────────── REST: friends and grants ─────────────────────────────

/** A friendship's state. */
export type FriendStatus = "pending" | "accepted" | "declined" | "blocked";
/** Who asked. */
export type FriendDirection = "outgoing" | "incoming";

/** `POST /v1/friends/requests` body. */
export interface FriendRequestBody { userId: Uuid }

/** A friend, a request either way, or a block the caller placed (`FriendResponse`). */
export interface FriendInfo {
  userId: Uuid;
  nickname: string;
  fingerprint: string;
  status: FriendStatus;
  direction: FriendDirection;
  online: boolean;
  updatedAt: IsoDateTime;
}

/** Reply to friend request / accept / decline / block (`FriendshipResponse`). */
export interface FriendshipResponse { userId: Uuid; status: FriendStatus }

/** The input a host lets a viewer use (`GrantsBody`; also signaling `permissions`). */
export interface InputPermissions { keyboard: boolean; mouse: boolean; controller: boolean; immersion: boolean }

/** No input at all. */
export const NO_PERMISSIONS: Readonly<InputPermissions> = Object.freeze({ keyboard: false, mouse: false, controller: false, immersion: false });

// ───────────────────────────── REST: sessions, invites, relay grants ─────────────────────────────

/** `POST /v1/sessions` body (1–64 viewers, default 8). */
export interface CreateSessionRequest { maxViewers?: number | null }

/** A screen-sharing session (`SessionResponse`). */
export interface SessionInfo {
  id: Uuid;
  hostId: Uuid;
  state: "active" | "ended";
  maxViewers: number;
  createdAt: IsoDateTime;
  endedAt: IsoDateTime | null;
  /** Relay fleet only (on creation): where the session's media relay stands. */
  relay?: RelayInfo;
}

/**
 * Where a session's media relay stands (`RelayBody`; relay fleet only, absent with a single relay):
 * `ready` with the owning `relayId`, or `starting` with `etaSeconds`. `url` is the one shared relay
 * base URL (the load balancer) when the deployment names it.
 */
export interface RelayInfo { state: "ready" | "starting"; relayId: string | null; url: string | null; etaSeconds: number | null }

/** One participant (`ParticipantResponse`). */
export interface ParticipantInfo { userId: Uuid; nickname: string; role: "host" | "viewer"; joinedAt: IsoDateTime; leftAt: IsoDateTime | null }

/** `POST /v1/sessions/{id}/invites` body: 60 s – 7 days (default 1 day), 1–1000 uses (default 1). */
export interface CreateInviteRequest { expiresInSeconds?: number | null; maxUses?: number | null }

/** An invite; `code` is shown once (`InviteResponse`). */
export interface InviteInfo { id: Uuid; sessionId: Uuid; code: string; expiresAt: IsoDateTime; maxUses: number }

/** `POST /v1/invites/redeem` body. */
export interface RedeemInviteRequest { code: string }

/** `POST /v1/invites/redeem` reply. */
export interface RedeemInviteResponse { sessionId: Uuid; outcome: "joined" | "alreadyJoined" }

/** A signed, expiring grant for the media relay (`RelayGrantResponse`). */
export interface RelayGrant { token: string; sessionId: Uuid; role: "host" | "viewer"; permissions: InputPermissions; expiresAt: IsoDateTime; relay?: RelayInfo }

/** `GET /health` reply. */
export interface HealthResponse { status: string }

/**
 * Every REST route the SDK calls, as `METHOD /path` with `{param}` placeholders in the
 * OpenAPI document's spelling (tests compare this list with the API's `/openapi/v1.json`).
 */
export const API_ROUTES = [
  "GET /health",
  "POST /v1/users",
  "GET /v1/users/me",
  "GET /v1/users/{id}",
  "GET /v1/users",
  "POST /v1/auth/challenge",
  "POST /v1/auth/token",
  "POST /v1/auth/refresh",
  "POST /v1/auth/logout",
  "GET /v1/friends",
  "POST /v1/friends/requests",
  "POST /v1/friends/{userId}/accept",
  "POST /v1/friends/{userId}/decline",
  "POST /v1/friends/{userId}/block",
  "DELETE /v1/friends/{userId}",
  "GET /v1/friends/{userId}/grants",
  "PUT /v1/friends/{userId}/grants",
  "POST /v1/sessions",
  "GET /v1/sessions/{id}",
  "GET /v1/sessions/{id}/participants",
  "POST /v1/sessions/{id}/participants",
  "DELETE /v1/sessions/{id}/participants/{userId}",
  "POST /v1/sessions/{id}/end",
  "POST /v1/sessions/{id}/invites",
  "POST /v1/sessions/{id}/relay-grants",
  "POST /v1/sessions/{id}/relay-check",
  "POST /v1/invites/redeem",
] as const;

/** One of {@link API_ROUTES}. */
export type ApiRoute = (typeof API_ROUTES)[number];

// ───────────────────────────── Signaling (WebSocket, version 1) ─────────────────────────────

/** The protocol version every message carries as `v`. */
export const SIGNALING_VERSION = 1;
/** The WebSocket subprotocol the server echoes when offered. */
export const SIGNALING_SUBPROTOCOL = "lilium.v1";

/**
 * The shared error table (`ErrorCodes` in client-sdk/Lilium.Protocol; `$defs.ErrorCode` of
 * client-sdk/protocol/lilium-protocol.schema.json): the `code` of every REST and relay problem
 * details document, every signaling `error` and every control-channel `error`, in the table's
 * order. The unit test `protocol-schema.test.ts` fails while this list and the schema differ.
 */
export const ERROR_CODES = [
  "bad-json", "bad-request", "too-large", "rate-limited", "internal-error", "unauthenticated", "forbidden",
  "not-found", "unavailable", "unknown-action", "unsupported-version", "impersonation", "not-friends",
  "friend-offline", "peer-offline", "not-member", "not-host", "unknown-request", "join-failed", "unknown-type",
  "malformed-request", "invalid-request", "method-not-allowed", "unsupported-media-type", "client-closed-request",
  "database-unavailable", "invalid-token", "token-expired", "refresh-reused", "refresh-revoked", "invalid-challenge",
  "invalid-signature", "invalid-public-key", "clock-skew", "invalid-nickname", "invalid-fingerprint",
  "invalid-max-viewers", "invalid-max-uses", "invalid-expiry", "missing-query", "self-request", "self-block",
  "user-not-found", "request-not-found", "friend-not-found", "friendship-not-found", "session-not-found",
  "session-ended", "session-full", "not-allowed", "blocked", "self-admit", "not-admitted", "participant-not-found",
  "invalid-departure", "invalid-relay-credential", "invalid-since", "invite-not-found", "invite-expired",
  "invite-exhausted", "bad-sdp", "bad-sdp-fragment", "already-publishing", "no-publisher", "precondition-required",
  "precondition-failed", "ice-restart-unsupported", "draining", "relay-full", "too-many-peers", "codec-unsupported",
  "signaling-unavailable", "relay-unavailable", "relay-starting",
] as const;

/** One code of the shared error table ({@link ERROR_CODES}). */
export type ErrorCode = (typeof ERROR_CODES)[number];

const ERROR_CODE_SET: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/** True when `code` is in the shared error table. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && ERROR_CODE_SET.has(code);
}

/** The code of a signaling `{"action":"error"}`: any code of the shared table (docs/signaling.md lists the usual ones). */
export type SignalingErrorCode = ErrorCode;

/** The `reason` of `join.denied`, in the order the server checks them (`DenialReason`). */
export const JOIN_DENIAL_REASONS = ["no-session", "session-full", "host-offline", "declined"] as const;

/** Why a join was denied. */
export type JoinDenialReason = (typeof JOIN_DENIAL_REASONS)[number];

/** An ICE candidate as relayed by `rtc.ice`: a string, an `RTCIceCandidateInit`-like object, or null (end of candidates). */
export type RtcCandidate = string | { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } | null;

interface Envelope { v?: number; id?: string }

/** Messages a client sends (without `v`/`id`, which the client adds). */
export type ClientMessage =
  | { action: "ping" }
  | { action: "presence.list" }
  | { action: "chat.hello"; to: Uuid; key: string }
  | { action: "chat.msg"; to: Uuid; ciphertext: string }
  | { action: "chat.ack"; to: Uuid; msgId: string }
  | { action: "join.request"; session: Uuid; to?: Uuid }
  | { action: "join.accept"; requestId: string }
  | { action: "join.decline"; requestId: string }
  | { action: "rtc.offer"; to: Uuid; session: Uuid; sdp: string }
  | { action: "rtc.answer"; to: Uuid; session: Uuid; sdp: string }
  | { action: "rtc.ice"; to: Uuid; session: Uuid; candidate: RtcCandidate }
  | { action: "grant.update"; viewer: Uuid; session?: Uuid; permissions: InputPermissions }
  | { action: "session.end"; session: Uuid }
  | { action: "session.kick"; session: Uuid; viewer: Uuid };

/** The `grant.update` a host sends: the viewer, the grant under `permissions`, and `session` when given. */
export function grantUpdateMessage(viewer: Uuid, permissions: InputPermissions, session?: Uuid): Extract<ClientMessage, { action: "grant.update" }> {
  return session === undefined
    ? { action: "grant.update", viewer, permissions: permissionsToWire(permissions) }
    : { action: "grant.update", viewer, session, permissions: permissionsToWire(permissions) };
}

/** The `action` of a client message. */
export type ClientAction = ClientMessage["action"];

/** `error`: a refused request (echoes `id`); never closes the connection. */
export interface ErrorMessage extends Envelope { action: "error"; code: SignalingErrorCode | (string & {}); message: string }
/** `pong`: reply to `ping`. */
export interface PongMessage extends Envelope { action: "pong" }
/** `presence`: a friend's first device came up or last went down. */
export interface PresenceMessage extends Envelope { action: "presence"; user: Uuid; online: boolean }
/** `presence.list` reply: friends online now. */
export interface PresenceListMessage extends Envelope { action: "presence.list"; online: Uuid[] }
/** `chat.hello` from a friend: a handshake payload (hello or ack), base64. */
export interface ChatHelloMessage extends Envelope { action: "chat.hello"; from: Uuid; key: string; msgId?: string }
/** `chat.msg` from a friend: ciphertext, base64. */
export interface ChatMsgMessage extends Envelope { action: "chat.msg"; from: Uuid; ciphertext: string; msgId?: string }
/** `chat.ack` from a friend: they decrypted message `msgId`. */
export interface ChatAckMessage extends Envelope { action: "chat.ack"; from: Uuid; msgId?: string }
/** `chat.receipt`: the sender's message reached `delivered` devices (the reply to `chat.msg`, echoing `id`). */
export interface ChatReceiptMessage extends Envelope { action: "chat.receipt"; to: Uuid; delivered: number }
/** `join.pending`: the viewer's request reached the host. */
export interface JoinPendingMessage extends Envelope { action: "join.pending"; requestId: string; session: Uuid; host: Uuid }
/** `join.incoming` (to the host): a viewer asks to join; `expiresAt` is Unix seconds. */
export interface JoinIncomingMessage extends Envelope { action: "join.incoming"; requestId: string; session: Uuid; from: Uuid; nick: string; expiresAt: number }
/**
 * `join.accepted`. To the viewer: `host`, the relay `grant` (for WHEP), `expiresAt` (Unix s),
 * `permissions`, and `relayUrl` when the server knows it. To the host (reply to `join.accept`):
 * `viewer`, `nick`, `permissions`, `delivered`.
 */
export interface JoinAcceptedMessage extends Envelope {
  action: "join.accepted"; requestId: string; session: Uuid;
  host?: Uuid; grant?: string; expiresAt?: number; relayUrl?: string;
  viewer?: Uuid; nick?: string; delivered?: number;
  permissions: InputPermissions;
}
/** `join.declined` (to the host, reply to `join.decline`). */
export interface JoinDeclinedMessage extends Envelope { action: "join.declined"; requestId: string; session: Uuid; viewer: Uuid }
/** `join.denied` (to the viewer). */
export interface JoinDeniedMessage extends Envelope { action: "join.denied"; session: Uuid; reason: JoinDenialReason | (string & {}) }
/** `rtc.offer` / `rtc.answer` from a session member. */
export interface RtcSdpMessage extends Envelope { action: "rtc.offer" | "rtc.answer"; from: Uuid; session: Uuid; sdp: string }
/** `rtc.ice` from a session member. */
export interface RtcIceMessage extends Envelope { action: "rtc.ice"; from: Uuid; session: Uuid; candidate: RtcCandidate }
/** `rtc.sent`: the reply to an `rtc.*` the client sent. */
export interface RtcSentMessage extends Envelope { action: "rtc.sent"; to: Uuid; session: Uuid }
/** `grant.updated`. To the viewer: `host` (and `session`). To the host (reply): `viewer`, `delivered`. */
export interface GrantUpdatedMessage extends Envelope { action: "grant.updated"; host?: Uuid; session?: Uuid; viewer?: Uuid; delivered?: number; permissions: InputPermissions }
/**
 * `session.ended`: the session is over (`reason` `host`: the host ended it; otherwise e.g. the host
 * was gone past the grace period). The reply to the host's `session.end` carries only `session`.
 */
export interface SessionEndedMessage extends Envelope { action: "session.ended"; session: Uuid; host?: Uuid; reason?: string }
/** `session.kicked`. To the viewer: `host` removed it. To the host (reply to `session.kick`): `viewer`, `delivered`. */
export interface SessionKickedMessage extends Envelope { action: "session.kicked"; session: Uuid; host?: Uuid; viewer?: Uuid; delivered?: number }
/** `session.left` (to the host): a viewer's last connection is gone. */
export interface SessionLeftMessage extends Envelope { action: "session.left"; session: Uuid; viewer: Uuid; reason?: string }

/** The `state` of `session.relay` and of the REST answers' `relay` object (`RelayStates`). */
export const RELAY_STATES = ["starting", "ready", "moved"] as const;
/** Where a session's media relay stands. */
export type RelayState = (typeof RELAY_STATES)[number];
/**
 * `session.relay` (to the host and admitted viewers): `starting` — no relay is live yet, one is
 * starting (about `etaSeconds`); `ready` — a relay took the session; `moved` — its relay died or is
 * draining and another took it. On `ready` / `moved`, fetch a new relay grant and publish /
 * subscribe again through the same relay base URL.
 */
export interface SessionRelayMessage extends Envelope { action: "session.relay"; session: Uuid; state: RelayState | (string & {}); relayId?: string; etaSeconds?: number }

/** Every message the server sends. */
export type ServerMessage =
  | ErrorMessage | PongMessage | PresenceMessage | PresenceListMessage
  | ChatHelloMessage | ChatMsgMessage | ChatAckMessage | ChatReceiptMessage
  | JoinPendingMessage | JoinIncomingMessage | JoinAcceptedMessage | JoinDeclinedMessage | JoinDeniedMessage
  | RtcSdpMessage | RtcIceMessage | RtcSentMessage | GrantUpdatedMessage | SessionEndedMessage
  | SessionKickedMessage | SessionLeftMessage | SessionRelayMessage;

/** The `action` of a server message. */
export type ServerAction = ServerMessage["action"];

/** The server message type for an action. */
export type ServerMessageOf<A extends ServerAction> = Extract<ServerMessage, { action: A }>;

// Each a record over the action union, so the compiler refuses a list that misses or invents one.
const CLIENT_ACTION_KEYS: { readonly [A in ClientAction]: true } = {
  "ping": true, "presence.list": true, "chat.hello": true, "chat.msg": true, "chat.ack": true,
  "join.request": true, "join.accept": true, "join.decline": true, "rtc.offer": true, "rtc.answer": true, "rtc.ice": true,
  "grant.update": true, "session.end": true, "session.kick": true,
};
const SERVER_ACTION_KEYS: { readonly [A in ServerAction]: true } = {
  "error": true, "pong": true, "presence": true, "presence.list": true, "chat.hello": true, "chat.msg": true, "chat.ack": true,
  "chat.receipt": true, "join.pending": true, "join.incoming": true, "join.accepted": true, "join.declined": true,
  "join.denied": true, "rtc.offer": true, "rtc.answer": true, "rtc.ice": true, "rtc.sent": true, "grant.updated": true,
  "session.ended": true, "session.kicked": true, "session.left": true, "session.relay": true,
};

/** Every action the SDK sends (client → server). */
export const CLIENT_ACTIONS: readonly ClientAction[] = Object.freeze(Object.keys(CLIENT_ACTION_KEYS) as ClientAction[]);
/** Every action the SDK understands from the server (server → client). */
export const SERVER_ACTIONS: readonly ServerAction[] = Object.freeze(Object.keys(SERVER_ACTION_KEYS) as ServerAction[]);

const SERVER_ACTION_SET: ReadonlySet<string> = new Set<string>(SERVER_ACTIONS);

/** One text frame as a JSON object; null (never an exception) for anything else. */
function parseJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * Parses one text frame from the server; null (never an exception) when it is not a JSON object
 * with a known `action` and the fields that action needs.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  const m = parseJsonObject(text);
  if (m === null) return null;
  if (typeof m.action !== "string" || !SERVER_ACTION_SET.has(m.action)) return null;
  if (m.id !== undefined && typeof m.id !== "string") return null;
  const str = (k: string) => typeof m[k] === "string";
  const ok = (() => {
    switch (m.action as ServerAction) {
      case "error": return str("code") && str("message");
      case "pong": return true;
      case "presence": return str("user") && typeof m.online === "boolean";
      case "presence.list": return Array.isArray(m.online) && m.online.every((u) => typeof u === "string");
      case "chat.hello": return str("from") && str("key");
      case "chat.msg": return str("from") && str("ciphertext");
      case "chat.ack": return str("from");
      case "chat.receipt": return typeof m.delivered === "number";
      case "join.pending": return str("requestId") && str("session");
      case "join.incoming": return str("requestId") && str("session") && str("from");
      case "join.accepted": return str("requestId") && str("session") && normalizePermissions(m);
      case "join.declined": return str("requestId") && str("session");
      case "join.denied": return str("session") && str("reason");
      case "rtc.offer": case "rtc.answer": return str("from") && str("session") && str("sdp");
      case "rtc.ice": return str("from") && str("session") && "candidate" in m;
      case "rtc.sent": return true;
      case "grant.updated": return normalizePermissions(m);
      case "session.ended": return str("session");
      case "session.kicked": return str("session");
      case "session.left": return str("session") && str("viewer");
      case "session.relay": return str("session") && str("state") && (m.etaSeconds === undefined || typeof m.etaSeconds === "number");
    }
  })();
  return ok ? (m as unknown as ServerMessage) : null;
}

/**
 * True for a permissions object in the one JSON form (`PermissionSet`): an object whose grant
 * flags, where present, are booleans; an absent flag means false ({@link readPermissions}).
 */
export function isPermissions(value: unknown): value is InputPermissions {
  return readPermissions(value) !== null;
}

/**
 * Reads the one JSON form of a grant, `{"keyboard":bool,"mouse":bool,"controller":bool,"immersion":bool}`,
 * with absent flags false; null when it is not an object or a flag present is not a boolean.
 */
export function readPermissions(value: unknown): InputPermissions | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const p = value as Record<string, unknown>;
  const flag = (k: keyof InputPermissions): boolean | null => (p[k] === undefined ? false : typeof p[k] === "boolean" ? (p[k] as boolean) : null);
  const keyboard = flag("keyboard"), mouse = flag("mouse"), controller = flag("controller"), immersion = flag("immersion");
  if (keyboard === null || mouse === null || controller === null || immersion === null) return null;
  return { keyboard, mouse, controller, immersion };
}

/** The wire form of a grant the SDK sends: exactly the four flags (extra properties of the caller's object dropped). */
export function permissionsToWire(permissions: InputPermissions): InputPermissions {
  const { keyboard, mouse, controller, immersion } = permissions;
  return { keyboard: keyboard === true, mouse: mouse === true, controller: controller === true, immersion: immersion === true };
}

/** Replaces `m.permissions` with its full four-flag form; false when it is missing or malformed. */
function normalizePermissions(m: Record<string, unknown>): boolean {
  const p = readPermissions(m.permissions);
  if (p === null) return false;
  m.permissions = p;
  return true;
}

// ───────────────────────────── Data channels (docs/input.md) ─────────────────────────────

/** The input data channel's label and protocol. */
export const INPUT_CHANNEL = { label: "input", protocol: "lilium-input/1" } as const;
/** The control data channel's label and protocol (a host's: grants; a viewer's: its video hint). */
export const CONTROL_CHANNEL = { label: "control", protocol: "lilium-control/1" } as const;

/** The `type` of every message on `control` (`ControlTypes`): host ↔ relay, and viewer ↔ relay. */
export const CONTROL_TYPES = {
  toRelay: ["grant"],
  toHost: ["grant.applied", "viewer.joined", "viewer.left", "error"],
  fromViewer: ["video"],
  toViewer: ["video.applied", "error"],
} as const;

/** The largest `maxWidth` / `maxHeight` of a video hint (`ControlMessage.MaxVideoSide`). */
export const MAX_VIDEO_SIDE = 16_384;

/**
 * How a viewer shows the video (docs/input.md): `paused` (default false) stops the video, audio goes on; `maxWidth` ×
 * `maxHeight` is the box it is shown in, in device pixels (absent: no limit), which caps the simulcast layer.
 */
export interface VideoHint { paused?: boolean; maxWidth?: number | null; maxHeight?: number | null }

/** Viewer → relay on `control`: the video hint, replacing the previous one. */
export interface ControlVideoMessage { type: "video"; paused: boolean; maxWidth?: number; maxHeight?: number }
/** Relay → viewer: the hint in force (null: no limit). */
export interface ControlVideoAppliedMessage { type: "video.applied"; paused: boolean; maxWidth: number | null; maxHeight: number | null }

/** Host → relay on `control`: set a viewer's grant now. */
export interface ControlGrantMessage { type: "grant"; viewer: Uuid; permissions: InputPermissions }
/** Relay → host: the grant is in force; `released` releases were sent first. */
export interface ControlGrantAppliedMessage { type: "grant.applied"; viewer: Uuid; permissions: InputPermissions; peers: number; released: number }
/** Relay → host: a viewer opened its input channel, with the grant in force for it. */
export interface ControlViewerJoinedMessage { type: "viewer.joined"; viewer: Uuid; peer: Uuid; permissions: InputPermissions }
/** Relay → host: a viewer's connection ended. */
export interface ControlViewerLeftMessage { type: "viewer.left"; viewer: Uuid; peer: Uuid }
/** Relay → host: the host's message was refused (`bad-json`, `bad-request`, `unknown-type`, ...). */
export interface ControlErrorMessage { type: "error"; code: ErrorCode | (string & {}); detail?: string }

/** Every message the relay sends on `control`. */
export type ControlServerMessage = ControlGrantAppliedMessage | ControlViewerJoinedMessage | ControlViewerLeftMessage | ControlVideoAppliedMessage | ControlErrorMessage;

/** The host's `grant` message for the control channel (one JSON text message). */
export function controlGrantMessage(viewer: Uuid, permissions: InputPermissions): ControlGrantMessage {
  return { type: "grant", viewer, permissions: permissionsToWire(permissions) };
}

/**
 * The viewer's `video` message for the control channel. Sides are rounded to whole pixels and clamped to
 * 1–{@link MAX_VIDEO_SIDE}; a side that is absent, null, not finite or not positive is left out (no limit).
 */
export function controlVideoMessage(hint: VideoHint): ControlVideoMessage {
  const side = (v: number | null | undefined): number | undefined =>
    typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(MAX_VIDEO_SIDE, Math.max(1, Math.round(v))) : undefined;
  const maxWidth = side(hint.maxWidth), maxHeight = side(hint.maxHeight);
  return {
    type: "video",
    paused: hint.paused === true,
    ...(maxWidth !== undefined ? { maxWidth } : {}),
    ...(maxHeight !== undefined ? { maxHeight } : {}),
  };
}

/** Parses one relay → host or relay → viewer control message; null when malformed. */
export function parseControlMessage(text: string): ControlServerMessage | null {
  const m = parseJsonObject(text);
  if (m === null) return null;
  // An absent `permissions` is the empty grant; a malformed one makes the message malformed.
  const permissions = m.permissions === undefined || m.permissions === null ? { ...NO_PERMISSIONS } : readPermissions(m.permissions);
  switch (m.type) {
    case "grant.applied":
      return typeof m.viewer === "string" && permissions !== null ? { type: "grant.applied", viewer: m.viewer, permissions, peers: num(m.peers), released: num(m.released) } : null;
    case "viewer.joined":
      return typeof m.viewer === "string" && typeof m.peer === "string" && permissions !== null ? { type: "viewer.joined", viewer: m.viewer, peer: m.peer, permissions } : null;
    case "viewer.left":
      return typeof m.viewer === "string" && typeof m.peer === "string" ? { type: "viewer.left", viewer: m.viewer, peer: m.peer } : null;
    case "video.applied":
      return typeof (m.paused ?? false) === "boolean" && optionalSide(m.maxWidth) && optionalSide(m.maxHeight)
        ? { type: "video.applied", paused: m.paused === true, maxWidth: (m.maxWidth as number | undefined) ?? null, maxHeight: (m.maxHeight as number | undefined) ?? null }
        : null;
    case "error":
      return typeof m.code === "string" ? { type: "error", code: m.code, ...(typeof m.detail === "string" ? { detail: m.detail } : {}) } : null;
    default:
      return null;
  }
}

function optionalSide(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_VIDEO_SIDE);
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
