/**
 * The WebSocket API client (C#: `SignalingClient`; protocol in docs/signaling.md). It connects with
 * a fresh access token (query `?token=`, or the `lilium.v1, token.<jwt>` subprotocols), keeps the
 * connection alive (`ping` every 30 s; a missing `pong` counts as a drop), reconnects after a drop
 * with exponential backoff and full jitter (0.5 s, 1 s, 2 s … ≤ 30 s, a new token each time),
 * correlates requests with their replies by `id`, and emits typed events per `action`.
 */

import { LiliumError, LiliumUnavailableError, SignalingError, SignalingTimeoutError } from "./errors.js";
import { Emitter } from "./events.js";
import {
  grantUpdateMessage, parseServerMessage, SIGNALING_SUBPROTOCOL, SIGNALING_VERSION,
  type ClientMessage, type InputPermissions, type JoinAcceptedMessage, type JoinDeniedMessage, type JoinPendingMessage,
  type RtcCandidate, type ServerAction, type ServerMessage, type ServerMessageOf, type Uuid,
} from "./protocol.js";

/** The part of the WebSocket interface the client uses (browsers' `WebSocket`, or the `ws` package in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Connection state, as {@link SignalingClient.state} and the `state` event show it. */
export type SignalingState = "connecting" | "open" | "reconnecting" | "closed";

/** Payload of the `state` event. */
export interface SignalingStateChange {
  state: SignalingState;
  /** Why the connection went down (close code and reason, or an error), for `reconnecting` / `closed`. */
  reason?: string;
  /** For `reconnecting`: the attempt number (1, 2, …) and the delay before it in ms. */
  attempt?: number;
  delayMs?: number;
}

/** Events of {@link SignalingClient}: one per server `action`, plus connection events. */
export type SignalingEvents = { [A in ServerAction]: ServerMessageOf<A> } & {
  /** Every message pushed by the server (not replies to {@link SignalingClient.request}). */
  message: ServerMessage;
  /** The connection state changed. */
  state: SignalingStateChange;
  /** A connection was re-established after a drop (re-announce state here, e.g. chat handshakes); the payload counts connects. */
  reconnected: number;
};

/** Options of {@link SignalingClient.connect}. */
export interface SignalingClientOptions {
  /** The WebSocket API, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/prod` or `ws://127.0.0.1:5081/local`. */
  url: string;
  /** A valid access token (usually `() => api.getAccessToken()`); called for every (re)connect. */
  accessToken: () => Promise<string>;
  /** The WebSocket class (default `globalThis.WebSocket`; in Node 20 pass the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  /** Where the token travels: `query` (`?token=`, default) or `subprotocol` (`lilium.v1, token.<jwt>`; keeps it out of URLs and logs). */
  tokenTransport?: "query" | "subprotocol";
  /** The first connection must open within this long (default 15 000 ms). */
  connectTimeoutMs?: number;
  /** Send `ping` this often (default 30 000 ms; API Gateway drops connections idle for 10 min). */
  keepAliveMs?: number;
  /** Treat the connection as dead when a `ping` has no `pong` after this long (default 10 000 ms). */
  pongTimeoutMs?: number;
  /** Default reply timeout of {@link SignalingClient.request} (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** Backoff ceiling (default 30 000 ms). */
  maxBackoffMs?: number;
  /** Backoff base (default 500 ms). */
  baseBackoffMs?: number;
}

interface Pending {
  resolve: (m: ServerMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/** The WebSocket signaling client. Create it with {@link SignalingClient.connect}. */
export class SignalingClient extends Emitter<SignalingEvents> {
  private readonly options: Required<Omit<SignalingClientOptions, "WebSocket">> & { WebSocket: WebSocketConstructor };
  private socket: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private connectsCount = 0;
  private currentState: SignalingState = "connecting";
  private stopped = false;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;

  private constructor(options: SignalingClientOptions) {
    super();
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (ctor === undefined) throw new LiliumError("No WebSocket available; pass options.WebSocket (e.g. the ws package in Node).");
    this.options = {
      url: options.url,
      accessToken: options.accessToken,
      WebSocket: ctor,
      tokenTransport: options.tokenTransport ?? "query",
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      keepAliveMs: options.keepAliveMs ?? 30_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      baseBackoffMs: options.baseBackoffMs ?? 500,
    };
  }

  /**
   * Connects to the WebSocket API. The first connection must succeed within `connectTimeoutMs`
   * ({@link LiliumUnavailableError} otherwise); later drops are retried in the background.
   */
  static async connect(options: SignalingClientOptions): Promise<SignalingClient> {
    const client = new SignalingClient(options);
    try {
      await client.open(client.options.connectTimeoutMs);
    } catch (cause) {
      client.close();
      throw cause instanceof LiliumError ? cause : new LiliumUnavailableError(`The WebSocket API at ${options.url} cannot be reached: ${String(cause)}`, { cause });
    }
    return client;
  }

  /** The connection state. */
  get state(): SignalingState {
    return this.currentState;
  }

  /** True while a connection is open. */
  get isConnected(): boolean {
    return this.socket?.readyState === OPEN && this.currentState === "open";
  }

  /** How many times a connection was established. */
  get connects(): number {
    return this.connectsCount;
  }

  /**
   * Sends a message, fire and forget (adds `v`; keeps an `id` you set). Throws
   * {@link LiliumUnavailableError} while the connection is down (it is reconnecting).
   */
  send(message: ClientMessage & { id?: string }): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== OPEN) {
      throw new LiliumUnavailableError(this.stopped ? "The signaling client is closed." : "The WebSocket connection is down (reconnecting).");
    }
    socket.send(JSON.stringify({ v: SIGNALING_VERSION, ...message }));
  }

  /**
   * Sends a request with a fresh `id` and resolves with the reply carrying it; an `error` reply
   * rejects with {@link SignalingError}, no reply in time with {@link SignalingTimeoutError}, a
   * drop meanwhile with {@link LiliumUnavailableError}.
   */
  request(message: ClientMessage, timeoutMs = this.options.requestTimeoutMs): Promise<ServerMessage> {
    const id = `c${++this.nextId}`;
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingTimeoutError(`No reply to ${message.action} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (reply) => {
          if (reply.action === "error") reject(new SignalingError(reply.code, reply.message));
          else resolve(reply);
        },
        reject,
        timer,
      });
      try {
        this.send({ ...message, id });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /**
   * Resolves with the next pushed message that `match` accepts (messages that arrived before the call
   * are not considered); {@link SignalingTimeoutError} after `timeoutMs`.
   */
  waitFor<M extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => m is M, timeoutMs?: number): Promise<M>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs = this.options.requestTimeoutMs): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const off = this.on("message", (m) => {
        if (!match(m)) return;
        clearTimeout(timer);
        off();
        resolve(m);
      });
      const timer = setTimeout(() => {
        off();
        reject(new SignalingTimeoutError(`No matching signaling message within ${timeoutMs} ms.`));
      }, timeoutMs);
    });
  }

  // ───── convenience requests (each is `request` with the action's fields) ─────

  /** Friends online now. */
  async presenceList(): Promise<Uuid[]> {
    const reply = await this.request({ action: "presence.list" });
    return reply.action === "presence.list" ? reply.online : [];
  }

  /**
   * Asks to join a session. Resolves with `join.pending` (the host was asked; wait for the
   * `join.accepted` / `join.denied` events) or `join.denied` (refused at once, with a reason).
   */
  async requestJoin(session: Uuid, host?: Uuid): Promise<JoinPendingMessage | JoinDeniedMessage> {
    const reply = await this.request(host === undefined ? { action: "join.request", session } : { action: "join.request", session, to: host });
    if (reply.action === "join.pending" || reply.action === "join.denied") return reply;
    throw new LiliumError(`Unexpected reply to join.request: ${reply.action}`);
  }

  /**
   * Joins a session end to end: asks, waits for the host's answer, and resolves with the viewer's
   * `join.accepted` (relay grant in `grant`) or `join.denied`.
   */
  async join(session: Uuid, options: { host?: Uuid; timeoutMs?: number } = {}): Promise<JoinAcceptedMessage | JoinDeniedMessage> {
    let requestId: string | null = null;
    const early: ServerMessage[] = [];
    const off = this.on("message", (m) => early.push(m));
    try {
      const first = await this.requestJoin(session, options.host);
      if (first.action === "join.denied") return first;
      requestId = first.requestId;
      const decided = (m: ServerMessage): m is JoinAcceptedMessage | JoinDeniedMessage =>
        (m.action === "join.accepted" && m.requestId === requestId) || (m.action === "join.denied" && m.session === session && m.id === undefined);
      const seen = early.find(decided);
      if (seen !== undefined) return seen as JoinAcceptedMessage | JoinDeniedMessage;
      off();
      return await this.waitFor(decided, options.timeoutMs ?? 120_000);
    } finally {
      off();
    }
  }

  /** Host: admits a viewer; resolves with the host's `join.accepted` (viewer, nick, permissions). */
  async acceptJoin(requestId: string): Promise<JoinAcceptedMessage> {
    const reply = await this.request({ action: "join.accept", requestId });
    if (reply.action !== "join.accepted") throw new LiliumError(`Unexpected reply to join.accept: ${reply.action}`);
    return reply;
  }

  /** Host: refuses a viewer. */
  async declineJoin(requestId: string): Promise<void> {
    await this.request({ action: "join.decline", requestId });
  }

  /** Host: persists a friend's input grant and tells the viewer's devices (`grant.updated`); returns how many were reached. */
  async updateGrant(viewer: Uuid, permissions: InputPermissions, session?: Uuid): Promise<number> {
    const reply = await this.request(grantUpdateMessage(viewer, permissions, session));
    return reply.action === "grant.updated" ? reply.delivered ?? 0 : 0;
  }

  /** Host: removes a viewer from the session (`session.kick`); returns how many of the viewer's devices heard `session.kicked`. */
  async kick(session: Uuid, viewer: Uuid): Promise<number> {
    const reply = await this.request({ action: "session.kick", session, viewer });
    return reply.action === "session.kicked" ? reply.delivered ?? 0 : 0;
  }

  /** Host: ends the session; every member hears `session.ended`. */
  async endSession(session: Uuid): Promise<void> {
    await this.request({ action: "session.end", session });
  }

  /** Relays an SDP offer or answer to another member of the session. */
  async sendSdp(kind: "rtc.offer" | "rtc.answer", to: Uuid, session: Uuid, sdp: string): Promise<void> {
    await this.request({ action: kind, to, session, sdp });
  }

  /** Relays an ICE candidate (null: end of candidates) to another member of the session. */
  async sendIce(to: Uuid, session: Uuid, candidate: RtcCandidate): Promise<void> {
    await this.request({ action: "rtc.ice", to, session, candidate });
  }

  /** Closes the connection and stops reconnecting. Pending requests reject. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      detach(socket);
      try {
        socket.close(1000, "bye");
      } catch {
        // already closing
      }
    }
    this.failPending(new LiliumUnavailableError("The signaling client was closed."));
    this.setState({ state: "closed", reason: "closed by the app" });
  }

  /** Tests: drops the connection as a network failure would (the client then reconnects). @internal */
  dropConnectionForTests(): void {
    this.socket?.close(4000, "test drop");
  }

  private async open(timeoutMs: number): Promise<void> {
    const token = await this.options.accessToken();
    if (this.stopped) throw new LiliumUnavailableError("The signaling client was closed.");
    let url = this.options.url;
    let protocols: string[] | undefined;
    if (this.options.tokenTransport === "query") {
      const u = new URL(url);
      u.searchParams.set("token", token);
      url = u.toString();
    } else {
      protocols = [SIGNALING_SUBPROTOCOL, `token.${token}`];
    }
    const socket = protocols === undefined ? new this.options.WebSocket(url) : new this.options.WebSocket(url, protocols);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        detach(socket);
        try {
          socket.close();
        } catch {
          // ignore
        }
        reject(new LiliumUnavailableError(`The WebSocket API at ${this.options.url} did not open within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onerror = () => undefined; // the close event follows and carries the reason
      socket.onclose = (e) => {
        clearTimeout(timer);
        detach(socket);
        reject(new LiliumUnavailableError(`The WebSocket API at ${this.options.url} refused the connection (close ${e.code}${e.reason ? `: ${e.reason}` : ""}; a bad or expired token is refused with 401).`));
      };
    });
    if (this.stopped) {
      detach(socket);
      socket.close(1000, "bye");
      throw new LiliumUnavailableError("The signaling client was closed.");
    }
    this.attach(socket);
  }

  private attach(socket: WebSocketLike): void {
    this.socket = socket;
    this.attempt = 0;
    this.connectsCount++;
    socket.onmessage = (e) => this.deliver(e.data);
    socket.onerror = () => undefined;
    socket.onclose = (e) => this.dropped(socket, `close ${e.code}${e.reason ? `: ${e.reason}` : ""}`);
    this.startKeepAlive();
    this.setState({ state: "open" });
    if (this.connectsCount > 1) this.emit("reconnected", this.connectsCount);
  }

  private deliver(data: unknown): void {
    const text = typeof data === "string" ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : ArrayBuffer.isView(data) ? new TextDecoder().decode(data) : null;
    if (text === null) return;
    const message = parseServerMessage(text);
    if (message === null) return;
    if (message.action === "pong") {
      if (this.pongTimer !== null) clearTimeout(this.pongTimer);
      this.pongTimer = null;
      if (message.id === undefined || !this.pending.has(message.id)) return;
    }
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      if (waiter !== undefined) {
        this.pending.delete(message.id);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
        return;
      }
    }
    this.emit("message", message);
    this.emit(message.action, message as never);
  }

  private startKeepAlive(): void {
    this.clearTimers();
    this.pingTimer = setInterval(() => {
      try {
        this.send({ action: "ping" });
      } catch {
        return;
      }
      if (this.pongTimer === null) {
        const socket = this.socket;
        this.pongTimer = setTimeout(() => {
          this.pongTimer = null;
          if (socket !== null && socket === this.socket) this.dropped(socket, "no pong (connection dead)");
        }, this.options.pongTimeoutMs);
      }
    }, this.options.keepAliveMs);
  }

  private clearTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  private dropped(socket: WebSocketLike, reason: string): void {
    if (socket !== this.socket) return;
    detach(socket);
    try {
      socket.close();
    } catch {
      // ignore
    }
    this.socket = null;
    this.clearTimers();
    this.failPending(new LiliumUnavailableError(`The WebSocket connection dropped (${reason}).`));
    if (this.stopped) return;
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    // Exponential backoff with full jitter (0.5 s, 1 s, 2 s … ≤ 30 s).
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** this.attempt);
    this.attempt++;
    const delayMs = Math.round(Math.random() * ceiling);
    this.setState({ state: "reconnecting", reason, attempt: this.attempt, delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.open(this.options.connectTimeoutMs).catch((error: unknown) => {
        if (!this.stopped) this.scheduleReconnect(error instanceof Error ? error.message : String(error));
      });
    }, delayMs);
  }

  private failPending(error: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.pending.delete(id);
    }
  }

  private setState(change: SignalingStateChange): void {
    this.currentState = change.state;
    this.emit("state", change);
  }
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}

