/**
 * Every message that crosses a process boundary, in one module: the REST API's JSON bodies
 * (functions/Lilium.Api/Contracts, docs/api.md), the WebSocket signaling protocol version 1
 * (functions/Lilium.Signaling/Protocol, docs/signaling.md) and the host's control data channel
 * (docs/input.md). Kept together so it can be checked against the generated JSON Schema of
 * `Lilium.Protocol`. Field names are the servers' camelCase JSON names; UUIDs are strings; times
 * are ISO 8601 strings (REST) or Unix seconds (signaling `expiresAt`), as the servers send them.
 */

/** A UUID in canonical string form. */
export type Uuid = string;
/** An ISO 8601 date-time string as ASP.NET Core writes a `DateTimeOffset`. */
export type IsoDateTime = string;

// ───────────────────────────── REST: identity and users ─────────────────────────────

/** `POST /v1/users` body. `publicKey` is base64 SubjectPublicKeyInfo (DER). */
export interface CreateUserRequest { publicKey: string; nickname: string }

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
}

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
export interface RelayGrant { token: string; sessionId: Uuid; role: "host" | "viewer"; permissions: InputPermissions; expiresAt: IsoDateTime }

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
  "POST /v1/invites/redeem",
] as const;

/** One of {@link API_ROUTES}. */
export type ApiRoute = (typeof API_ROUTES)[number];

// ───────────────────────────── Signaling (WebSocket, version 1) ─────────────────────────────

/** The protocol version every message carries as `v`. */
export const SIGNALING_VERSION = 1;
/** The WebSocket subprotocol the server echoes when offered. */
export const SIGNALING_SUBPROTOCOL = "lilium.v1";

/** Error codes of `{"action":"error"}` (functions/Lilium.Signaling/Protocol/ErrorCode.cs). */
export type SignalingErrorCode =
  | "bad-json" | "bad-request" | "unknown-action" | "unsupported-version" | "too-large" | "impersonation"
  | "not-friends" | "friend-offline" | "peer-offline" | "not-member" | "not-host" | "unknown-request"
  | "join-failed" | "rate-limited" | "internal";

/** Why a join was denied. */
export type JoinDenialReason = "no-session" | "blocked" | "not-friends" | "session-full" | "host-offline" | "declined";

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
  | ({ action: "grant.update"; viewer: Uuid; session?: Uuid } & InputPermissions)
  | { action: "session.end"; session: Uuid };

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
/** `session.ended`: the host ended the session. */
export interface SessionEndedMessage extends Envelope { action: "session.ended"; session: Uuid; host: Uuid; reason?: string }
/** `session.kicked`. To the removed viewer (no `id`): `session`, `host`. To the host (reply): `session`, `viewer`, `delivered`. */
export interface SessionKickedMessage extends Envelope { action: "session.kicked"; session: Uuid; host?: Uuid; viewer?: Uuid; delivered?: number }
/** `session.left`: to the host, a viewer left the session (`reason`). */
export interface SessionLeftMessage extends Envelope { action: "session.left"; session: Uuid; viewer: Uuid; reason?: string }

/** Every message the server sends. */
export type ServerMessage =
  | ErrorMessage | PongMessage | PresenceMessage | PresenceListMessage
  | ChatHelloMessage | ChatMsgMessage | ChatAckMessage | ChatReceiptMessage
  | JoinPendingMessage | JoinIncomingMessage | JoinAcceptedMessage | JoinDeclinedMessage | JoinDeniedMessage
  | RtcSdpMessage | RtcIceMessage | RtcSentMessage | GrantUpdatedMessage | SessionEndedMessage
  | SessionKickedMessage | SessionLeftMessage;

/** The `action` of a server message. */
export type ServerAction = ServerMessage["action"];

/** The server message type for an action. */
export type ServerMessageOf<A extends ServerAction> = Extract<ServerMessage, { action: A }>;

const SERVER_ACTIONS: ReadonlySet<string> = new Set<ServerAction>([
  "error", "pong", "presence", "presence.list", "chat.hello", "chat.msg", "chat.ack", "chat.receipt",
  "join.pending", "join.incoming", "join.accepted", "join.declined", "join.denied",
  "rtc.offer", "rtc.answer", "rtc.ice", "rtc.sent", "grant.updated", "session.ended",
  "session.kicked", "session.left",
]);

/**
 * Parses one text frame from the server; null (never an exception) when it is not a JSON object
 * with a known `action` and the fields that action needs.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const m = value as Record<string, unknown>;
  if (typeof m.action !== "string" || !SERVER_ACTIONS.has(m.action)) return null;
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
      case "join.accepted": return str("requestId") && str("session") && isPermissions(m.permissions);
      case "join.declined": return str("requestId") && str("session");
      case "join.denied": return str("session") && str("reason");
      case "rtc.offer": case "rtc.answer": return str("from") && str("session") && str("sdp");
      case "rtc.ice": return str("from") && str("session") && "candidate" in m;
      case "rtc.sent": return true;
      case "grant.updated": return isPermissions(m.permissions);
      case "session.ended": return str("session");
      case "session.kicked": return str("session");
      case "session.left": return str("session") && str("viewer");
    }
  })();
  return ok ? (m as unknown as ServerMessage) : null;
}

/** True for an object with the four boolean grant flags. */
export function isPermissions(value: unknown): value is InputPermissions {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.keyboard === "boolean" && typeof p.mouse === "boolean" && typeof p.controller === "boolean" && typeof p.immersion === "boolean";
}

// ───────────────────────────── Data channels (docs/input.md) ─────────────────────────────

/** The input data channel's label and protocol. */
export const INPUT_CHANNEL = { label: "input", protocol: "lilium-input/1" } as const;
/** The host's control data channel's label and protocol. */
export const CONTROL_CHANNEL = { label: "control", protocol: "lilium-control/1" } as const;

/** Host → relay on `control`: set a viewer's grant now. */
export interface ControlGrantMessage extends InputPermissions { type: "grant"; viewer: Uuid }
/** Relay → host: the grant is in force; `released` releases were sent first. */
export interface ControlGrantAppliedMessage extends InputPermissions { type: "grant.applied"; viewer: Uuid; peers: number; released: number }
/** Relay → host: a viewer opened its input channel. */
export interface ControlViewerJoinedMessage extends InputPermissions { type: "viewer.joined"; viewer: Uuid; peer: Uuid }
/** Relay → host: a viewer's connection ended. */
export interface ControlViewerLeftMessage { type: "viewer.left"; viewer: Uuid; peer: Uuid }
/** Relay → host: the host's message was refused. */
export interface ControlErrorMessage { type: "error"; code: "malformed" | "unknown-type" | (string & {}); detail?: string }

/** Every message the relay sends on `control`. */
export type ControlServerMessage = ControlGrantAppliedMessage | ControlViewerJoinedMessage | ControlViewerLeftMessage | ControlErrorMessage;

/** Parses one relay → host control message; null when malformed. */
export function parseControlMessage(text: string): ControlServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case "grant.applied":
      return typeof m.viewer === "string" ? ({ ...defaultFlags(m), type: "grant.applied", viewer: m.viewer, peers: num(m.peers), released: num(m.released) }) : null;
    case "viewer.joined":
      return typeof m.viewer === "string" && typeof m.peer === "string" ? ({ ...defaultFlags(m), type: "viewer.joined", viewer: m.viewer, peer: m.peer }) : null;
    case "viewer.left":
      return typeof m.viewer === "string" && typeof m.peer === "string" ? { type: "viewer.left", viewer: m.viewer, peer: m.peer } : null;
    case "error":
      return typeof m.code === "string" ? { type: "error", code: m.code, ...(typeof m.detail === "string" ? { detail: m.detail } : {}) } : null;
    default:
      return null;
  }
}

function defaultFlags(m: Record<string, unknown>): InputPermissions {
  return { keyboard: m.keyboard === true, mouse: m.mouse === true, controller: m.controller === true, immersion: m.immersion === true };
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
