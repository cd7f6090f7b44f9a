/**
 * The REST API, typed (C#: `LiliumApiClient`): registration and challenge login with the identity
 * key, then users, friends, grants, sessions, invites and relay grants. Tokens are kept here and
 * renewed transparently: before they expire (30 s ahead), and once more when a call comes back
 * 401 (refresh token, else a new login). Errors are {@link LiliumProblemError} (the API's RFC 9457
 * problem with its `code`) or {@link LiliumUnavailableError} (the API cannot be reached).
 */

import { LiliumError, LiliumProblemError, LiliumUnavailableError } from "./errors.js";
import { fromBase64, toBase64 } from "./encoding.js";
import type { LiliumIdentity } from "./identity.js";
import type {
  ChallengeResponse, CreateInviteRequest, FriendInfo, FriendshipResponse, HealthResponse, InputPermissions, InviteInfo,
  ParticipantInfo, RedeemInviteResponse, RelayGrant, RelayInfo, SessionInfo, TokenResponse, UserInfo, Uuid,
} from "./protocol.js";

/** A `fetch`-compatible function. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Options of {@link LiliumApiClient}. */
export interface LiliumApiClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:5080` or `https://d123.cloudfront.net` (a path prefix is kept). */
  baseUrl: string;
  /** The user's key pair. */
  identity: LiliumIdentity;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** The clock in ms since the epoch (tests; default `Date.now`). */
  now?: () => number;
  /** Renew the access token this long before it expires (default 30 000 ms). */
  renewBeforeMs?: number;
  /** Abort a request after this long (default 30 000 ms). */
  timeoutMs?: number;
}

/** A wait for a starting relay (relay fleet), as {@link LiliumApiClient.issueRelayGrant} reports it. */
export interface RelayStartProgress {
  /** The server's estimate of the whole start, in seconds. */
  etaSeconds: number;
  /** How long this client has waited so far, in seconds. */
  waitedSeconds: number;
  /** The sentence to show, e.g. "Starting a relay… ~4 s". */
  message: string;
}

/** Options of {@link LiliumApiClient.issueRelayGrant}. */
export interface RelayGrantOptions {
  /** Called on each wait for a starting relay. */
  onProgress?: (progress: RelayStartProgress) => void;
  /** Wait for a starting relay this long at most (default 120 000 ms). */
  maxWaitMs?: number;
}

interface Tokens {
  accessToken: string;
  accessExpires: number;
  refreshToken: string;
  refreshExpires: number;
  userId: Uuid;
}

/** The REST API client. */
export class LiliumApiClient {
  /** The API's base URL, without a trailing slash. */
  readonly baseUrl: string;
  private readonly identity: LiliumIdentity;
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private readonly renewBeforeMs: number;
  private readonly timeoutMs: number;
  private tokens: Tokens | null = null;
  private renewing: Promise<string> | null = null;

  /** Talks to the API at `options.baseUrl` as `options.identity`. */
  constructor(options: LiliumApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.identity = options.identity;
    this.fetchFn = resolveFetch(options.fetch);
    this.now = options.now ?? Date.now;
    this.renewBeforeMs = options.renewBeforeMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The logged-in user's id, or null before {@link login}. */
  get userId(): Uuid | null {
    return this.tokens?.userId ?? null;
  }

  /** True once logged in (tokens held; they may still need renewal). */
  get isLoggedIn(): boolean {
    return this.tokens !== null;
  }

  /** `GET /health`: the API and its database answer. */
  health(): Promise<HealthResponse> {
    return this.send("GET", "/health", undefined, false);
  }

  /**
   * Registers the identity's public key with a nickname (idempotent for the same key), with the proof that this
   * identity holds the key: a signature over `lilium-register\n{publicKey}\n{nickname}\n{timestamp}` (the C#
   * `RegistrationProof`), timestamp in Unix seconds from this machine's clock.
   */
  async register(nickname: string): Promise<UserInfo> {
    const publicKey = toBase64(this.identity.publicKey);
    const timestamp = Math.floor(Date.now() / 1000);
    const proof = new TextEncoder().encode(`lilium-register\n${publicKey}\n${nickname}\n${timestamp}`);
    const signature = toBase64(await this.identity.sign(proof));
    return this.send("POST", "/v1/users", { publicKey, nickname, timestamp, signature }, false);
  }

  /** Logs in: asks for a challenge by public key and signs it. */
  async login(): Promise<void> {
    const run = this.loginCore().then((t) => {
      this.tokens = t;
      return t.accessToken;
    });
    this.renewing = run;
    try {
      await run;
    } finally {
      if (this.renewing === run) this.renewing = null;
    }
  }

  /** Registers (if new) and logs in. Returns the user. */
  async registerAndLogin(nickname: string): Promise<UserInfo> {
    const user = await this.register(nickname);
    await this.login();
    return user;
  }

  /** Forgets the tokens (a later call logs in again). */
  logout(): void {
    this.tokens = null;
  }

  /** A valid access token (renewed if it is about to expire), e.g. for the WebSocket API. */
  async getAccessToken(): Promise<string> {
    const t = this.tokens;
    if (t !== null && t.accessExpires - this.now() > this.renewBeforeMs) return t.accessToken;
    return this.renew(t?.accessToken ?? null);
  }

  /** The caller. */
  me(): Promise<UserInfo> {
    return this.send("GET", "/v1/users/me");
  }

  /** A user by id (e.g. to pin a friend's identity key for chat). */
  getUser(userId: Uuid): Promise<UserInfo> {
    return this.send("GET", `/v1/users/${encodeURIComponent(userId)}`);
  }

  /** Users whose nickname starts with `nickname` (case-insensitive, max 20). */
  searchByNickname(nickname: string): Promise<UserInfo[]> {
    return this.send("GET", `/v1/users?nickname=${encodeURIComponent(nickname)}`);
  }

  /** The user with this key fingerprint (empty if none). */
  searchByFingerprint(fingerprint: string): Promise<UserInfo[]> {
    return this.send("GET", `/v1/users?fingerprint=${encodeURIComponent(fingerprint)}`);
  }

  /** Friends, requests both ways, and blocks the caller placed. */
  listFriends(): Promise<FriendInfo[]> {
    return this.send("GET", "/v1/friends");
  }

  /** Asks a user to be friends (asking back accepts); returns the pair's status. */
  async requestFriend(userId: Uuid): Promise<FriendshipResponse> {
    return this.send("POST", "/v1/friends/requests", { userId });
  }

  /** Accepts a pending request from the user. */
  acceptFriend(userId: Uuid): Promise<FriendshipResponse> {
    return this.friendAction(userId, "accept");
  }

  /** Declines a pending request from the user. */
  declineFriend(userId: Uuid): Promise<FriendshipResponse> {
    return this.friendAction(userId, "decline");
  }

  /** Blocks the user (grants both ways are removed). */
  blockUser(userId: Uuid): Promise<FriendshipResponse> {
    return this.friendAction(userId, "block");
  }

  /** Removes a friend, withdraws a request or lifts a block the caller placed. */
  async removeFriend(userId: Uuid): Promise<void> {
    await this.send<unknown>("DELETE", `/v1/friends/${encodeURIComponent(userId)}`);
  }

  /** The input the caller (as host) lets this friend use. */
  getGrants(friendId: Uuid): Promise<InputPermissions> {
    return this.send("GET", `/v1/friends/${encodeURIComponent(friendId)}/grants`);
  }

  /** Sets the input the caller lets this friend use (persisted; see also signaling `grant.update`). */
  setGrants(friendId: Uuid, permissions: InputPermissions): Promise<InputPermissions> {
    const { keyboard, mouse, controller, immersion } = permissions;
    return this.send("PUT", `/v1/friends/${encodeURIComponent(friendId)}/grants`, { keyboard, mouse, controller, immersion });
  }

  /** Starts hosting a session (1–64 viewers, default 8). */
  createSession(maxViewers?: number): Promise<SessionInfo> {
    return this.send("POST", "/v1/sessions", { maxViewers: maxViewers ?? null });
  }

  /** A session the caller hosts, is in, or whose host is a friend. */
  getSession(sessionId: Uuid): Promise<SessionInfo> {
    return this.send("GET", `/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  /** Everyone who joined the session. */
  listParticipants(sessionId: Uuid): Promise<ParticipantInfo[]> {
    return this.send("GET", `/v1/sessions/${encodeURIComponent(sessionId)}/participants`);
  }

  /** The host admits an accepted friend as a viewer (as accepting their join request does); only then can they get a viewer grant. */
  async admitViewer(sessionId: Uuid, userId: Uuid): Promise<void> {
    await this.send("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/participants`, { userId });
  }

  /** The host removes (kicks) a viewer, or a viewer passes their own id to leave; the relay drops their peer within a second. */
  async removeParticipant(sessionId: Uuid, userId: Uuid): Promise<void> {
    await this.send("DELETE", `/v1/sessions/${encodeURIComponent(sessionId)}/participants/${encodeURIComponent(userId)}`);
  }

  /** Ends this login on the server (POST /v1/auth/logout): revokes its refresh family and closes the user's sockets; the client forgets its tokens. */
  async revokeLogin(): Promise<void> {
    const current = this.tokens;
    if (current === null) return;
    await this.send("POST", "/v1/auth/logout", { refreshToken: current.refreshToken });
    this.tokens = null;
  }

  /** Ends a session the caller hosts. */
  endSession(sessionId: Uuid): Promise<SessionInfo> {
    return this.send("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/end`, {});
  }

  /** Creates an invite to a session the caller hosts (the code is returned once). */
  createInvite(sessionId: Uuid, options: CreateInviteRequest = {}): Promise<InviteInfo> {
    return this.send("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/invites`, {
      expiresInSeconds: options.expiresInSeconds ?? null,
      maxUses: options.maxUses ?? null,
    });
  }

  /** Joins a session with an invite code. */
  redeemInvite(code: string): Promise<RedeemInviteResponse> {
    return this.send("POST", "/v1/invites/redeem", { code });
  }

  /**
   * A relay grant for the session: host for its host, viewer (with the host's input grant) for a
   * participant or friend. With a relay fleet, while no relay is live yet (503 `relay-starting`)
   * this waits — retrying after `Retry-After`, calling `onProgress` with the estimate ("Starting a
   * relay… ~5 s") — for at most `maxWaitMs` (default 120 000).
   */
  async issueRelayGrant(sessionId: Uuid, options: RelayGrantOptions = {}): Promise<RelayGrant> {
    const started = this.now();
    const limit = options.maxWaitMs ?? 120_000;
    for (;;) {
      try {
        return await this.send<RelayGrant>("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/relay-grants`, {});
      } catch (error) {
        if (!(error instanceof LiliumProblemError) || error.code !== "relay-starting" || this.now() - started >= limit) throw error;
        const eta = typeof error.problem?.etaSeconds === "number" ? error.problem.etaSeconds : 5;
        const waited = (this.now() - started) / 1000;
        options.onProgress?.({ etaSeconds: eta, waitedSeconds: waited, message: `Starting a relay… ~${Math.max(1, Math.round(eta - waited))} s` });
        await new Promise((resolve) => setTimeout(resolve, Math.max(250, (error.retryAfter ?? 1) * 1000)));
      }
    }
  }

  /**
   * The caller's media stopped (relay fleet): the control plane re-places the session now if its
   * relay is gone. Fetch a new grant after it.
   */
  relayCheck(sessionId: Uuid): Promise<RelayInfo> {
    return this.send("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/relay-check`, {});
  }

  private friendAction(userId: Uuid, action: "accept" | "decline" | "block"): Promise<FriendshipResponse> {
    return this.send("POST", `/v1/friends/${encodeURIComponent(userId)}/${action}`, {});
  }

  private async send<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      let token: string | null = null;
      if (authenticated) {
        token = await this.getAccessToken();
        headers.authorization = `Bearer ${token}`;
      }
      const response = await this.raw(method, path, headers, body);
      if (response.status === 401 && authenticated && attempt === 0) {
        await response.body?.cancel().catch(() => undefined);
        await this.renew(token); // expired or revoked: renew once, retry
        continue;
      }
      return this.read<T>(response, `${method} ${path}`);
    }
  }

  private async raw(method: string, path: string, headers: Record<string, string>, body: unknown): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await this.fetchFn(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (cause) {
      const timedOut = controller.signal.aborted;
      throw new LiliumUnavailableError(timedOut ? `The API at ${this.baseUrl} did not answer in time.` : `The API at ${this.baseUrl} cannot be reached: ${String(cause)}`, { cause });
    } finally {
      clearTimeout(timer);
    }
  }

  private async read<T>(response: Response, what: string): Promise<T> {
    const text = await response.text();
    if (!response.ok) throw LiliumProblemError.fromBody(response.status, text, `${what} failed`, response.headers.get("retry-after"));
    if (response.status === 204 || text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new LiliumError(`${what} returned a body that is not JSON.`, { cause });
    }
  }

  // One renewal at a time: refresh if the refresh token is still good, else log in again.
  private renew(rejected: string | null): Promise<string> {
    const current = this.tokens;
    if (current !== null && current.accessToken !== rejected && current.accessExpires - this.now() > this.renewBeforeMs) {
      return Promise.resolve(current.accessToken); // someone else renewed meanwhile
    }
    if (this.renewing !== null) return this.renewing;
    const run = (async () => {
      try {
        let next: Tokens | null = null;
        if (current !== null && current.refreshExpires > this.now()) {
          const response = await this.raw("POST", "/v1/auth/refresh", { "content-type": "application/json" }, { refreshToken: current.refreshToken });
          if (response.ok) next = toTokens(await this.read<TokenResponse>(response, "refresh"));
          else await response.body?.cancel().catch(() => undefined);
        }
        next ??= await this.loginCore();
        this.tokens = next;
        return next.accessToken;
      } finally {
        this.renewing = null;
      }
    })();
    this.renewing = run;
    return run;
  }

  private async loginCore(): Promise<Tokens> {
    const json = { "content-type": "application/json" };
    const challenge = await this.read<ChallengeResponse>(
      await this.raw("POST", "/v1/auth/challenge", json, { publicKey: toBase64(this.identity.publicKey) }),
      "login challenge");
    const signature = await this.identity.sign(fromBase64(challenge.signedData));
    const reply = await this.read<TokenResponse>(
      await this.raw("POST", "/v1/auth/token", json, { challengeId: challenge.challengeId, signature: toBase64(signature) }),
      "login");
    return toTokens(reply);
  }

  /** Tests: replaces the access token as if the server had revoked it. @internal */
  corruptAccessTokenForTests(): void {
    if (this.tokens !== null) this.tokens = { ...this.tokens, accessToken: this.tokens.accessToken.slice(0, -4) + "AAAA" };
  }
}

/**
 * The given fetch, else the global one, wrapped so it is always called as a plain function: a
 * browser's `fetch` stored on an object and called as `obj.fetch(...)` throws "Illegal invocation".
 */
export function resolveFetch(fetchFn?: FetchLike): FetchLike {
  const f = fetchFn ?? (globalThis.fetch as FetchLike | undefined);
  if (f === undefined) throw new LiliumError("No fetch available; pass options.fetch.");
  return (input, init) => f(input, init);
}

function toTokens(t: TokenResponse): Tokens {
  return {
    accessToken: t.accessToken,
    accessExpires: Date.parse(t.accessTokenExpiresAt),
    refreshToken: t.refreshToken,
    refreshExpires: Date.parse(t.refreshTokenExpiresAt),
    userId: t.userId,
  };
}
