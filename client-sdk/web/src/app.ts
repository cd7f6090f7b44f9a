/**
 * The app's state and actions, on top of the SDK: identity, friends and presence, end-to-end chat,
 * hosting a screen, watching one. Components read {@link App.state} and call its methods; every change
 * calls the listeners. Tokens live in the SDK's memory only; the identity key is a non-extractable
 * CryptoKey in IndexedDB; no key or token ever goes into a URL.
 */
import {
  ChatClient, isErrorCode, LiliumApiClient, LiliumIdentity, LiliumProblemError, RelayUnavailableError, SignalingClient, StorageUnavailableError, apiKeyLookup, indexedDbIdentityStore,
  indexedDbPinStore, publish, subscribe, followRelay, watchMediaFlow, NO_PERMISSIONS, type MediaPublisher, type MediaViewer,
  type ErrorCode, type FriendInfo, type InputPermissions, type JoinIncomingMessage, type SessionInfo, type SignalingState, type UserInfo, type Uuid,
} from "@lilium/sdk";
import type { AppConfig } from "./config";
import { InputCapture, type InputCounters } from "./input";
import { watchVideoHint } from "./visibility";
import { QUALITIES, StatsSampler, setVideoBitrate, type Quality, type ViewerStats } from "./media";

export type Route = { page: "home" } | { page: "session"; sessionId: string } | { page: "invite"; code: string };

export interface ChatLine {
  id: string;
  mine: boolean;
  text: string;
  at: number;
  state: "sending" | "sent" | "delivered" | "read" | "failed" | "received";
  note?: string;
  /** A session link in the text (`/s/{id}`): shown as a card with "Ask to join". */
  session?: string;
}

export interface Friend extends FriendInfo {
  unread: number;
  /** The session the friend announced they are sharing, if any. */
  sharing: string | null;
}

export interface HostViewer { userId: Uuid; nick: string; permissions: InputPermissions; connected: boolean }

export interface HostState {
  session: SessionInfo;
  stream: MediaStream;
  quality: Quality;
  bitrate: number;
  status: "connecting" | "live" | "failed";
  error?: string;
  /** What the connection is doing while not live ("Starting a relay… ~5 s", "Moving to another relay…"). */
  notice?: string;
  hasAudio: boolean;
  inviteUrl: string | null;
  viewers: HostViewer[];
  requests: (JoinIncomingMessage & { draft: InputPermissions })[];
}

export type ViewerPhase =
  | "asking" | "waiting" | "connecting" | "watching" | "reconnecting"
  | "denied" | "removed" | "ended" | "host-left" | "failed";

export interface ViewerState {
  session: string;
  host: Uuid | null;
  hostNick: string;
  phase: ViewerPhase;
  message: string;
  permissions: InputPermissions;
  stream: MediaStream | null;
  stats: ViewerStats | null;
  input: InputCounters | null;
  retryable: boolean;
  /** From asking to join to the first frame on screen (ms), once shown. */
  joinMs: number | null;
}

export interface Toast { id: number; text: string; kind: "ok" | "bad" | "info" }

export interface State {
  screen: "loading" | "welcome" | "home";
  bootError: string | null;
  me: UserInfo | null;
  fingerprint: string;
  connection: SignalingState | "offline";
  connectionNote: string;
  friends: Friend[];
  active: Uuid | null;
  chats: Record<Uuid, ChatLine[]>;
  host: HostState | null;
  viewer: ViewerState | null;
  toasts: Toast[];
  panel: "chat" | "friends" | "host";
}

/** window.fetch called as a method of another object throws "Illegal invocation" (see client-sdk/web/NEEDS.md). */
const boundFetch = (input: string, init?: RequestInit) => fetch(input, init);

const SESSION_LINK = /\/s\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

const DENIALS: Record<string, string> = {
  "no-session": "That session has ended or does not exist.",
  "session-full": "The session is full. Ask the host to make room, then try again.",
  "host-offline": "The host is offline right now.",
  declined: "The host declined your request.",
};

export class App {
  state: State = {
    screen: "loading", bootError: null, me: null, fingerprint: "", connection: "offline", connectionNote: "",
    friends: [], active: null, chats: {}, host: null, viewer: null, toasts: [], panel: "friends",
  };

  private readonly listeners = new Set<() => void>();
  private identity: LiliumIdentity | null = null;
  api: LiliumApiClient | null = null;
  signaling: SignalingClient | null = null;
  private chat: ChatClient | null = null;
  private publisher: MediaPublisher | null = null;
  private publisherRelayId: string | null = null;
  private republishing = false;
  private unfollowHostRelay: (() => void) | null = null;
  private viewerRelayId: string | null = null;
  private unfollowViewerRelay: (() => void) | null = null;
  private stopMediaWatch: (() => void) | null = null;
  private watching: MediaViewer | null = null;
  private capture: InputCapture | null = null;
  /** Stops reporting the video element's visibility and size to the relay (visibility.ts). */
  private stopVideoHint: (() => void) | null = null;
  /** The viewer's video is paused by its hint (hidden): no video arrives, which is no sign of a dead relay. */
  private videoPaused = false;
  private sampler: StatsSampler | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private viewerTimer: ReturnType<typeof setInterval> | null = null;
  private toastId = 0;
  private lineId = 0;
  private readonly store = indexedDbIdentityStore();
  videoElement: HTMLVideoElement | null = null;

  constructor(readonly config: AppConfig) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }

  toast(text: string, kind: Toast["kind"] = "info"): void {
    const id = ++this.toastId;
    this.set({ toasts: [...this.state.toasts, { id, text, kind }] });
    setTimeout(() => this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) }), 5000);
  }

  // ───────────── identity ─────────────

  /** Loads the identity and signs in; never throws: a failure shows the welcome screen with the reason. */
  async boot(): Promise<void> {
    try {
      this.identity = await LiliumIdentity.load(this.store);
      if (this.identity === null) {
        this.set({ screen: "welcome" });
        return;
      }
      await this.signIn(null);
    } catch (error) {
      // Storage that does not open, or a service that does not answer: say which, never spin forever.
      const reason = error instanceof StorageUnavailableError
        ? error.message
        : `Could not sign in: the service did not answer (${error instanceof Error ? error.message : String(error)}). Reload to try again.`;
      this.set({ screen: "welcome", bootError: reason });
      this.toast(reason, "bad");
    }
  }

  async createIdentity(nickname: string, password: string): Promise<void> {
    this.identity = await LiliumIdentity.create(password.length > 0 ? { store: this.store, backupPassword: password } : { store: this.store });
    await this.signIn(nickname);
  }

  private importing = false;
  private joinStartedAt = 0;

  /** The viewer's video presented its first frame (requestVideoFrameCallback). */
  firstFrameShown(): void {
    if (this.state.viewer !== null && this.state.viewer.joinMs === null) this.setViewer({ joinMs: Math.round(performance.now() - this.joinStartedAt) });
  }

  async importIdentity(text: string, password: string, nickname: string): Promise<void> {
    this.importing = true;
    this.identity = text.includes("-----BEGIN")
      ? await LiliumIdentity.importPem(text, { store: this.store })
      : await LiliumIdentity.importBackup(text, password, { store: this.store });
    await this.signIn(nickname.length > 0 ? nickname : null);
  }

  exportBackup(): string | null {
    return this.identity?.hasBackup ? this.identity.exportBackup() : null;
  }

  private async signIn(nickname: string | null): Promise<void> {
    const identity = this.identity!;
    const api = new LiliumApiClient({ baseUrl: this.config.api, identity, fetch: boundFetch });
    this.api = api;
    let me: UserInfo;
    try {
      if (nickname !== null && !this.importing) {
        me = await api.registerAndLogin(nickname); // a new key: register first (idempotent for the same key)
      } else {
        await api.login();
        me = await api.me();
      }
    } catch (error) {
      if (error instanceof LiliumProblemError && error.status === 404 && nickname === null) {
        // A key the server does not know (imported, or a fresh database): ask for a nickname.
        this.set({ screen: "welcome", bootError: "This identity is not registered here yet: choose a nickname." });
        return;
      }
      if (!(error instanceof LiliumProblemError) || nickname === null) throw error;
      me = await api.registerAndLogin(nickname);
    }
    this.set({ me, fingerprint: identity.fingerprint, screen: "home", bootError: null });
    await this.connect();
    await this.refreshFriends();
    this.timers.push(setInterval(() => void this.refreshFriends(), 3000));
    this.openRoute(parseRoute(location.pathname));
  }

  private async connect(): Promise<void> {
    const api = this.api!;
    this.set({ connection: "connecting" });
    try {
      this.signaling = await SignalingClient.connect({
        url: this.config.signaling,
        accessToken: () => api.getAccessToken(),
        tokenTransport: "subprotocol", // never in a URL
      });
    } catch (error) {
      this.set({ connection: "offline", connectionNote: "Signaling cannot be reached; retrying…" });
      setTimeout(() => void this.connect(), 3000);
      return;
    }
    const s = this.signaling;
    this.set({ connection: s.state, connectionNote: "" });
    s.on("state", (c) => {
      this.set({ connection: c.state, connectionNote: c.state === "reconnecting" ? "Connection lost — reconnecting…" : "" });
    });
    s.on("reconnected", () => {
      void this.refreshPresence();
      if (this.state.host !== null) void this.announceSharing(this.state.host.session.id);
    });
    s.on("presence", (m) => this.onPresence(m.user, m.online));
    s.on("join.incoming", (m) => void this.onJoinIncoming(m));
    s.on("grant.updated", (m) => {
      const v = this.state.viewer;
      if (v !== null && m.host !== undefined && (m.session === undefined || m.session === v.session)) {
        this.setViewer({ permissions: m.permissions });
        if (!m.permissions.keyboard || !m.permissions.mouse) this.capture?.releaseAll();
      }
    });
    s.on("session.ended", (m) => this.onSessionEnded(m.session, m.reason));
    s.on("session.kicked", (m) => {
      if (m.id === undefined && m.session === this.state.viewer?.session) {
        this.endViewer("removed", `${this.state.viewer?.hostNick ?? "The host"} removed you from the session.`);
      }
    });
    s.on("session.left", (m) => {
      if (m.session === this.state.host?.session.id) {
        this.setHost({ viewers: (this.state.host?.viewers ?? []).filter((v) => v.userId !== m.viewer) });
      }
    });

    this.chat = new ChatClient({
      signaling: s, identity: this.identity!, userId: this.state.me!.id,
      lookupKey: apiKeyLookup(api), pins: indexedDbPinStore(this.state.me!.id, `lilium-pins-${this.state.me!.id}`), // own database: see NEEDS.md
    });
    this.chat.on("message", (m) => this.addLine(m.from, { mine: false, text: m.text, state: "received" }));
    this.chat.on("ack", (a) => this.updateLine(a.from, (l) => l.id === a.msgId && l.mine ? { ...l, state: "read" } : l));
    this.chat.on("rejected", (r) => console.warn(`chat: dropped a payload from ${r.from}: ${r.reason}`));
    this.chat.on("keyChanged", (e) => this.toast(`The key of a friend changed (${e.currentFingerprint.slice(0, 16)}…). Compare fingerprints before trusting it.`, "bad"));
    await this.refreshPresence();
  }

  private async refreshPresence(): Promise<void> {
    try {
      const online = new Set(await this.signaling!.presenceList());
      this.set({ friends: this.state.friends.map((f) => ({ ...f, online: online.has(f.userId) })) });
    } catch { /* next presence events correct it */ }
  }

  private onPresence(user: Uuid, online: boolean): void {
    this.set({ friends: this.state.friends.map((f) => (f.userId === user ? { ...f, online, sharing: online ? f.sharing : null } : f)) });
    if (online && this.state.host !== null) void this.announceSharing(this.state.host.session.id, [user]);
    const v = this.state.viewer;
    if (!online && v !== null && v.host === user && (v.phase === "watching" || v.phase === "connecting" || v.phase === "reconnecting")) {
      this.endViewer("host-left", `${v.hostNick} left; the session is over.`);
    }
  }

  // ───────────── friends ─────────────

  async refreshFriends(): Promise<void> {
    if (this.api === null) return;
    try {
      const list = await this.api.listFriends();
      const old = new Map(this.state.friends.map((f) => [f.userId, f]));
      const friends = list.map((f) => {
        const prev = old.get(f.userId);
        return { ...f, online: prev?.online ?? f.online, unread: prev?.unread ?? 0, sharing: prev?.sharing ?? null };
      });
      friends.sort((a, b) => Number(b.online) - Number(a.online) || a.nickname.localeCompare(b.nickname));
      if (JSON.stringify(friends) !== JSON.stringify(this.state.friends)) {
        const newlyAccepted = friends.some((f) => f.status === "accepted" && old.get(f.userId)?.status !== "accepted");
        this.set({ friends });
        if (newlyAccepted) await this.refreshPresence(); // presence events only tell of later changes
      }
    } catch { /* shown by the connection state */ }
  }

  async search(query: string): Promise<UserInfo[]> {
    const q = query.trim();
    if (q.length === 0) return [];
    const hex = q.replace(/[\s:]/g, "").toLowerCase();
    const results = /^[0-9a-f]{64}$/.test(hex) ? await this.api!.searchByFingerprint(hex) : await this.api!.searchByNickname(q);
    return results.filter((u) => u.id !== this.state.me?.id);
  }

  async friendAction(userId: Uuid, action: "request" | "accept" | "decline" | "block" | "remove"): Promise<void> {
    const api = this.api!;
    try {
      if (action === "request") await api.requestFriend(userId);
      else if (action === "accept") await api.acceptFriend(userId);
      else if (action === "decline") await api.declineFriend(userId);
      else if (action === "block") await api.blockUser(userId);
      else await api.removeFriend(userId);
    } catch (error) {
      this.toast(describe(error), "bad");
    }
    await this.refreshFriends();
    await this.refreshPresence();
  }

  select(userId: Uuid | null, panel: State["panel"] = "chat"): void {
    this.set({ active: userId, panel, friends: this.state.friends.map((f) => (f.userId === userId ? { ...f, unread: 0 } : f)) });
  }

  showPanel(panel: State["panel"]): void {
    this.set({ panel, active: panel === "chat" ? this.state.active : null });
  }

  // ───────────── chat ─────────────

  private addLine(friend: Uuid, line: Omit<ChatLine, "id" | "at"> & { id?: string }): string {
    const id = line.id ?? `l${++this.lineId}`;
    const session = SESSION_LINK.exec(line.text)?.[1];
    const full: ChatLine = { ...line, id, at: Date.now(), ...(session ? { session } : {}) };
    const chats = { ...this.state.chats, [friend]: [...(this.state.chats[friend] ?? []), full] };
    let friends = this.state.friends;
    if (!line.mine) {
      friends = friends.map((f) => {
        if (f.userId !== friend) return f;
        const sharing = /stopped sharing/i.test(line.text) ? null : session ?? f.sharing;
        return { ...f, sharing, unread: this.state.active === friend && this.state.panel === "chat" ? 0 : f.unread + 1 };
      });
    }
    this.set({ chats, friends });
    return id;
  }

  private updateLine(friend: Uuid, fn: (l: ChatLine) => ChatLine): void {
    const lines = this.state.chats[friend];
    if (!lines) return;
    this.set({ chats: { ...this.state.chats, [friend]: lines.map(fn) } });
  }

  async sendChat(friend: Uuid, text: string): Promise<void> {
    const local = this.addLine(friend, { mine: true, text, state: "sending" });
    try {
      if (this.chat === null) throw new Error("Not connected yet.");
      const result = await this.chat.send(friend, text);
      this.updateLine(friend, (l) => (l.id === local ? { ...l, id: result.msgId || local, state: result.delivered > 0 ? "delivered" : "sent" } : l));
    } catch (error) {
      this.updateLine(friend, (l) => (l.id === local ? { ...l, state: "failed", note: describe(error) } : l));
    }
  }

  /** Tells online friends (end to end, as a chat line) that we share a session they can ask to join. */
  private async announceSharing(sessionId: string, only?: Uuid[]): Promise<void> {
    const targets = this.state.friends.filter((f) => f.status === "accepted" && f.online && (only === undefined || only.includes(f.userId)));
    await Promise.all(targets.map(async (f) => {
      try {
        await this.chat?.send(f.userId, `I'm sharing my screen — ask to join: ${location.origin}/s/${sessionId}`);
      } catch { /* offline meanwhile */ }
    }));
  }

  // ───────────── host ─────────────

  async startSharing(quality: Quality): Promise<void> {
    const q = QUALITIES[quality];
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { ...(q.width ? { width: { ideal: q.width }, height: { ideal: q.height } } : {}), frameRate: { ideal: q.fps } },
        audio: true,
        // Chromium: offer system/tab audio and keep this tab out of the picker's default.
        ...({ systemAudio: "include", selfBrowserSurface: "exclude", surfaceSwitching: "include" } as object),
      } as DisplayMediaStreamOptions);
    } catch (error) {
      this.toast(error instanceof DOMException && error.name === "NotAllowedError" ? "Screen sharing was cancelled." : `Screen capture failed: ${describe(error)}`, "bad");
      return;
    }
    const api = this.api!;
    let session: SessionInfo;
    try {
      session = await api.createSession();
    } catch (error) {
      stream.getTracks().forEach((t) => t.stop());
      this.toast(describe(error), "bad");
      return;
    }
    this.set({
      panel: "host",
      host: { session, stream, quality, bitrate: q.bitrate, status: "connecting", hasAudio: stream.getAudioTracks().length > 0, inviteUrl: null, viewers: [], requests: [] },
    });
    stream.getVideoTracks()[0]?.addEventListener("ended", () => void this.endSession());
    if (session.relay?.state === "starting") this.setHost({ notice: `Starting a relay… ~${session.relay.etaSeconds ?? 5} s` });
    // Relay fleet: when the session's relay moves (session.relay) the host publishes again by itself.
    this.unfollowHostRelay?.();
    this.unfollowHostRelay = this.signaling === null ? null : followRelay(this.signaling, session.id, () => this.publisherRelayId, {
      moved: () => void this.republish(session.id, stream, 0),
      starting: (m) => this.setHost({ notice: `Starting a relay… ~${m.etaSeconds ?? 5} s` }),
    });
    if (await this.startPublishing(session.id, stream)) void this.announceSharing(session.id);
  }

  /** One WHIP connection for the hosted session (waiting while a relay starts); false when it failed. */
  private async startPublishing(sessionId: string, stream: MediaStream): Promise<boolean> {
    try {
      const api = this.api!;
      const grant = await api.issueRelayGrant(sessionId, { onProgress: (p) => this.setHost({ notice: p.message }) });
      // Simulcast: each viewer gets the layer its link and its window take, so one slow viewer no longer lowers everyone's.
      const publisher = await publish(stream, { relayUrl: this.config.relay, sessionId, grant: grant.token, fetch: boundFetch, simulcast: true });
      if (this.state.host?.session.id !== sessionId) {
        await publisher.close();
        return false;
      }
      const old = this.publisher;
      this.publisher = publisher;
      this.publisherRelayId = grant.relay?.relayId ?? null;
      void old?.close().catch(() => undefined);
      await setVideoBitrate(publisher.pc, this.state.host.bitrate).catch(() => undefined);
      publisher.on("viewerJoined", (m) => this.onViewerJoined(m.viewer, m.permissions));
      publisher.on("viewerLeft", (m) => this.setHost({ viewers: (this.state.host?.viewers ?? []).map((v) => (v.userId === m.viewer ? { ...v, connected: false } : v)) }));
      publisher.on("closed", () => {
        // The relay died or the network broke: ask the control plane to re-place the session, then publish again.
        if (this.publisher === publisher) void this.republish(sessionId, stream, 0);
      });
      for (const v of this.state.host.viewers) {
        if (v.connected) void publisher.setViewerGrant(v.userId, v.permissions).catch(() => undefined); // grants live on the relay
      }
      this.setHost({ status: "live", notice: undefined, error: undefined });
      return true;
    } catch (error) {
      this.setHost({ status: "failed", notice: undefined, error: error instanceof RelayUnavailableError ? "The media relay cannot be reached. Try again in a moment." : describe(error) });
      return false;
    }
  }

  /** Publishes again after the session's relay moved or the connection was lost (relay fleet); no user action. */
  private async republish(sessionId: string, stream: MediaStream, attempt: number): Promise<void> {
    if (this.state.host?.session.id !== sessionId || this.republishing) return;
    this.republishing = true;
    try {
      this.setHost({ status: "connecting", notice: "Moving to another relay…" });
      await this.api!.relayCheck(sessionId).catch(() => undefined);
      if (await this.startPublishing(sessionId, stream)) return;
    } finally {
      this.republishing = false;
    }
    if (attempt < 8 && this.state.host?.session.id === sessionId) setTimeout(() => void this.republish(sessionId, stream, attempt + 1), Math.min(4000, 500 * (attempt + 1)));
  }

  private setHost(patch: Partial<HostState>): void {
    if (this.state.host !== null) this.set({ host: { ...this.state.host, ...patch } });
  }

  async setQuality(quality: Quality, bitrate?: number): Promise<void> {
    const h = this.state.host;
    if (h === null) return;
    const q = QUALITIES[quality];
    const rate = bitrate ?? q.bitrate;
    const track = h.stream.getVideoTracks()[0];
    try {
      await track?.applyConstraints({ ...(q.width ? { width: { ideal: q.width }, height: { ideal: q.height } } : {}), frameRate: { ideal: q.fps } });
    } catch { /* the capture keeps its current size */ }
    if (this.publisher) await setVideoBitrate(this.publisher.pc, rate).catch(() => undefined);
    this.setHost({ quality, bitrate: rate });
  }

  async createInvite(): Promise<void> {
    const h = this.state.host;
    if (h === null) return;
    try {
      const invite = await this.api!.createInvite(h.session.id, { expiresInSeconds: 3600, maxUses: 5 });
      this.setHost({ inviteUrl: `${location.origin}/i/${invite.code}` });
    } catch (error) {
      this.toast(describe(error), "bad");
    }
  }

  private async onJoinIncoming(m: JoinIncomingMessage): Promise<void> {
    const h = this.state.host;
    if (h === null || m.session !== h.session.id) return;
    let draft: InputPermissions = { ...NO_PERMISSIONS };
    try {
      draft = await this.api!.getGrants(m.from);
    } catch { /* not a friend (an invitee): nothing granted */ }
    this.setHost({ requests: [...(this.state.host?.requests ?? []), { ...m, draft }] });
  }

  setRequestDraft(requestId: string, draft: InputPermissions): void {
    const h = this.state.host;
    if (h !== null) this.setHost({ requests: h.requests.map((r) => (r.requestId === requestId ? { ...r, draft } : r)) });
  }

  async answerJoin(requestId: string, approve: boolean): Promise<void> {
    const h = this.state.host;
    const request = h?.requests.find((r) => r.requestId === requestId);
    if (h === null || request === undefined) return;
    this.setHost({ requests: h.requests.filter((r) => r.requestId !== requestId) });
    const s = this.signaling!;
    try {
      if (!approve) {
        await s.declineJoin(requestId);
        return;
      }
      // The relay grant the viewer gets carries the grant of this moment: persist it first.
      try {
        await s.updateGrant(request.from, request.draft, h.session.id);
      } catch { /* not a friend: the invitee joins without input */ }
      const accepted = await s.acceptJoin(requestId);
      const viewer: HostViewer = { userId: request.from, nick: request.nick, permissions: accepted.permissions, connected: false };
      const others = (this.state.host?.viewers ?? []).filter((v) => v.userId !== viewer.userId);
      this.setHost({ viewers: [...others, viewer] });
    } catch (error) {
      this.toast(describe(error), "bad");
    }
  }

  async setViewerPermissions(userId: Uuid, permissions: InputPermissions): Promise<void> {
    const h = this.state.host;
    if (h === null) return;
    this.setHost({ viewers: h.viewers.map((v) => (v.userId === userId ? { ...v, permissions } : v)) });
    // The relay enforces it within milliseconds; signaling persists it and tells the viewer's app.
    try {
      await Promise.all([
        this.publisher?.setViewerGrant(userId, permissions),
        this.signaling!.updateGrant(userId, permissions, h.session.id).catch(() => 0), // an invitee who is no friend has no stored grant
      ]);
    } catch (error) {
      this.toast(describe(error), "bad");
    }
  }

  async kick(userId: Uuid): Promise<void> {
    const h = this.state.host;
    if (h === null) return;
    // Input off at the relay at once, without waiting for its confirmation: the kick itself (signaling tells the viewer,
    // the revocations feed makes the relay drop the peer) must not wait up to the grant's 5 s timeout.
    void this.publisher?.setViewerGrant(userId, NO_PERMISSIONS).catch(() => undefined);
    try {
      await this.signaling!.kick(h.session.id, userId);
      this.setHost({ viewers: h.viewers.filter((v) => v.userId !== userId) });
    } catch (error) {
      this.toast(`Could not remove the viewer: ${describe(error)}`, "bad");
    }
  }

  private onViewerJoined(viewer: Uuid, atRelay: InputPermissions): void {
    const h = this.state.host;
    if (h === null) return;
    const known = h.viewers.find((v) => v.userId === viewer);
    this.setHost({
      viewers: known
        ? h.viewers.map((v) => (v.userId === viewer ? { ...v, connected: true } : v))
        : [...h.viewers, { userId: viewer, nick: this.nickOf(viewer), permissions: atRelay, connected: true }],
    });
    // The relay starts from the grant in the viewer's relay grant; a change made since then wins.
    if (known && JSON.stringify(known.permissions) !== JSON.stringify(atRelay)) void this.publisher?.setViewerGrant(viewer, known.permissions).catch(() => undefined);
  }

  async endSession(): Promise<void> {
    const h = this.state.host;
    if (h === null) return;
    this.unfollowHostRelay?.();
    this.unfollowHostRelay = null;
    this.set({ host: null, panel: "friends" });
    try {
      await this.signaling?.endSession(h.session.id);
    } catch {
      try { await this.api?.endSession(h.session.id); } catch { /* already ended */ }
    }
    h.stream.getTracks().forEach((t) => t.stop());
    await this.publisher?.close();
    this.publisher = null;
    for (const f of this.state.friends.filter((x) => x.online && x.status === "accepted")) {
      void this.chat?.send(f.userId, "I stopped sharing my screen.").catch(() => undefined);
    }
  }

  private nickOf(userId: Uuid): string {
    return this.state.friends.find((f) => f.userId === userId)?.nickname ?? "viewer";
  }

  // ───────────── viewer ─────────────

  private setViewer(patch: Partial<ViewerState>): void {
    if (this.state.viewer !== null) this.set({ viewer: { ...this.state.viewer, ...patch } });
  }

  openRoute(route: Route): void {
    if (route.page === "session") void this.askToJoin(route.sessionId);
    else if (route.page === "invite") void this.redeemInvite(route.code);
  }

  async redeemInvite(code: string): Promise<void> {
    history.replaceState(null, "", "/");
    try {
      const redeemed = await this.api!.redeemInvite(code);
      await this.askToJoin(redeemed.sessionId);
    } catch (error) {
      this.toast(error instanceof LiliumProblemError ? `This invite cannot be used: ${error.message}` : describe(error), "bad");
    }
  }

  async askToJoin(sessionId: string): Promise<void> {
    if (this.state.host?.session.id === sessionId) return;
    await this.leaveViewer();
    this.joinStartedAt = performance.now();
    history.replaceState(null, "", `/s/${sessionId}`);
    let host: Uuid | null = null, hostNick = "the host";
    try {
      const info = await this.api!.getSession(sessionId);
      host = info.hostId;
      hostNick = this.state.friends.find((f) => f.userId === host)?.nickname ?? hostNick;
      if (info.state === "ended") {
        this.set({ viewer: this.viewerState(sessionId, host, hostNick, "ended", "This session has ended.") });
        return;
      }
    } catch { /* an invitee may not see it yet; the join answer says more */ }
    this.set({ viewer: this.viewerState(sessionId, host, hostNick, "asking", `Asking ${hostNick} to let you in…`) });
    const s = this.signaling;
    if (s === null) {
      this.setViewer({ phase: "failed", message: "Not connected to signaling yet. Try again in a moment.", retryable: true });
      return;
    }
    try {
      const pending = await s.requestJoin(sessionId, host ?? undefined);
      if (pending.action === "join.denied") {
        this.setViewer({ phase: "denied", message: DENIALS[pending.reason] ?? `Refused: ${pending.reason}.`, retryable: pending.reason === "session-full" || pending.reason === "host-offline" });
        return;
      }
      this.setViewer({ phase: "waiting", message: `Waiting for ${hostNick} to let you in…`, host: pending.host });
      const answer = await s.waitFor(
        (m) => (m.action === "join.accepted" && m.requestId === pending.requestId) || (m.action === "join.denied" && m.session === sessionId && m.id === undefined),
        120_000);
      if (this.state.viewer?.session !== sessionId) return;
      if (answer.action === "join.denied") {
        this.setViewer({ phase: "denied", message: DENIALS[answer.reason] ?? `Refused: ${answer.reason}.`, retryable: answer.reason === "session-full" });
        return;
      }
      if (answer.action !== "join.accepted" || answer.grant === undefined) return;
      this.setViewer({ permissions: answer.permissions });
      this.viewerRelayId = null; // join.accepted's grant names no relay we know of
      // Relay fleet: when the session's relay moves (session.relay), subscribe again by itself.
      this.unfollowViewerRelay?.();
      this.unfollowViewerRelay = followRelay(s, sessionId, () => this.viewerRelayId, {
        moved: () => void this.reconnectViewer(sessionId, answer.relayUrl, 1, "The stream moved to another relay — reconnecting…"),
        starting: (m) => this.setViewer({ phase: "reconnecting", message: `Starting a relay… ~${m.etaSeconds ?? 5} s` }),
      });
      await this.connectViewer(sessionId, answer.grant, answer.relayUrl);
    } catch (error) {
      if (this.state.viewer?.session === sessionId) this.setViewer({ phase: "failed", message: describe(error), retryable: true });
    }
  }

  private viewerState(session: string, host: Uuid | null, hostNick: string, phase: ViewerPhase, message: string): ViewerState {
    return { session, host, hostNick, phase, message, permissions: { ...NO_PERMISSIONS }, stream: null, stats: null, input: null, retryable: false, joinMs: null };
  }

  private async connectViewer(sessionId: string, grant: string, relayUrl: string | undefined, attempt = 0): Promise<void> {
    this.setViewer({ phase: attempt === 0 ? "connecting" : "reconnecting", message: attempt === 0 ? "Connecting to the stream…" : "Network lost — reconnecting…" });
    let viewer: MediaViewer;
    try {
      // The relay is behind the app's origin (CloudFront, or the API's local forwarding): /config.json says where.
      viewer = await subscribe({ relayUrl: this.config.relay, sessionId, grant, input: "reliable", timeoutMs: 15_000, fetch: boundFetch });
    } catch (error) {
      if (this.state.viewer?.session !== sessionId) return;
      const unreachable = error instanceof RelayUnavailableError || (error instanceof LiliumProblemError && error.status >= 502);
      if (unreachable && attempt < 5) {
        this.setViewer({ phase: "reconnecting", message: "The media relay cannot be reached — retrying…" });
        setTimeout(() => void this.reconnectViewer(sessionId, relayUrl, attempt + 1), 1000 * (attempt + 1));
        return;
      }
      this.setViewer({ phase: "failed", retryable: true, message: unreachable ? "The media relay cannot be reached. Try again in a moment." : describe(error) });
      return;
    }
    if (this.state.viewer?.session !== sessionId || ["ended", "removed", "host-left"].includes(this.state.viewer.phase)) {
      await viewer.close();
      return;
    }
    this.watching = viewer;
    this.sampler = new StatsSampler(viewer.pc);
    this.setViewer({ stream: viewer.stream, phase: "watching", message: "" });
    if (this.videoElement !== null) this.attachVideo(this.videoElement);
    let lostAt = 0;
    viewer.pc.addEventListener("connectionstatechange", () => {
      const st = viewer.pc.connectionState;
      if (st === "connected") {
        lostAt = 0;
        if (this.state.viewer?.phase === "reconnecting") this.setViewer({ phase: "watching", message: "" });
      } else if ((st === "disconnected" || st === "failed") && this.watching === viewer && this.state.viewer?.phase === "watching") {
        lostAt = performance.now();
        this.setViewer({ phase: "reconnecting", message: "Network lost — reconnecting…" });
        setTimeout(() => {
          if (lostAt > 0 && this.watching === viewer && viewer.pc.connectionState !== "connected") void this.reconnectViewer(sessionId, relayUrl, 1);
        }, st === "failed" ? 0 : 2500);
      }
    });
    // Media lost for 2 s on a connection that still looks up: ask the control plane; a relay that died or
    // moved means a new grant and a new subscription (relay fleet).
    this.stopMediaWatch?.();
    this.stopMediaWatch = watchMediaFlow(viewer.pc, () => {
      if (this.watching !== viewer || this.state.viewer?.phase !== "watching" || this.videoPaused) return;
      void (async () => {
        const check = await this.api!.relayCheck(sessionId).catch(() => null);
        const moved = check !== null && check.state === "ready" && this.viewerRelayId !== null && (check.relayId ?? null) !== this.viewerRelayId;
        if (this.watching === viewer && (moved || check?.state === "starting" || viewer.pc.connectionState !== "connected")) {
          void this.reconnectViewer(sessionId, relayUrl, 1, "The stream stopped — reconnecting…");
        }
      })();
    });
    if (this.viewerTimer !== null) clearInterval(this.viewerTimer);
    this.viewerTimer = setInterval(() => void this.sampleStats(), 1000);
  }

  private async reconnectViewer(sessionId: string, relayUrl: string | undefined, attempt: number, message?: string): Promise<void> {
    if (this.state.viewer?.session !== sessionId || ["ended", "removed", "host-left", "denied"].includes(this.state.viewer.phase)) return;
    if (message !== undefined) this.setViewer({ phase: "reconnecting", message });
    this.capture?.stop();
    this.capture = null;
    this.stopVideoHint?.();
    this.stopVideoHint = null;
    this.stopMediaWatch?.();
    this.stopMediaWatch = null;
    const old = this.watching;
    this.watching = null;
    void old?.close().catch(() => undefined); // a dead relay never answers the DELETE: do not wait for it
    try {
      await this.api!.relayCheck(sessionId).catch(() => undefined); // re-places the session now if its relay is gone
      // A participant may get a fresh grant; with a relay fleet it waits while a relay starts.
      const grant = await this.api!.issueRelayGrant(sessionId, { onProgress: (p) => this.setViewer({ phase: "reconnecting", message: p.message }) });
      this.viewerRelayId = grant.relay?.relayId ?? null;
      await this.connectViewer(sessionId, grant.token, relayUrl, attempt);
    } catch (error) {
      if (error instanceof LiliumProblemError && (error.status === 403 || error.status === 404 || error.status === 410)) {
        this.endViewer("ended", "The session has ended.");
      } else if (attempt < 8) {
        setTimeout(() => void this.reconnectViewer(sessionId, relayUrl, attempt + 1), Math.min(8000, 1000 * attempt));
      } else {
        this.setViewer({ phase: "failed", message: "Could not reconnect. Check your network and try again.", retryable: true });
      }
    }
  }

  /** The viewer screen's video element mounted: start capturing input there. */
  attachVideo(video: HTMLVideoElement | null): void {
    this.videoElement = video;
    this.capture?.stop();
    this.capture = null;
    this.stopVideoHint?.();
    this.stopVideoHint = null;
    this.videoPaused = false;
    const viewer = this.watching;
    if (video === null || viewer === null) return;
    this.capture = new InputCapture(video, (e) => viewer.sendInput(e), () => this.state.viewer?.permissions ?? NO_PERMISSIONS);
    // The relay sends no video while nobody can see it, and no more pixels than the element shows (docs/web.md).
    this.stopVideoHint = watchVideoHint(video, (hint) => {
      this.videoPaused = hint.paused === true;
      viewer.setVideoHint(hint);
    });
  }

  private async sampleStats(): Promise<void> {
    if (this.sampler === null || this.state.viewer === null) return;
    try {
      const stats = await this.sampler.sample();
      this.setViewer({ stats, input: this.capture ? { ...this.capture.counters } : null });
    } catch { /* closed */ }
  }

  private onSessionEnded(sessionId: string, reason?: string): void {
    const v = this.state.viewer;
    if (v?.session === sessionId) {
      if (reason === "host-gone") this.endViewer("host-left", `${v.hostNick} left and did not come back; the session is over.`);
      else this.endViewer("ended", `${v.hostNick} ended the session.`);
    }
    if (this.state.host?.session.id === sessionId) void this.endSession();
    this.set({ friends: this.state.friends.map((f) => (f.sharing === sessionId ? { ...f, sharing: null } : f)) });
  }

  private endViewer(phase: ViewerPhase, message: string): void {
    void this.stopWatching();
    this.setViewer({ phase, message, stream: null, retryable: false });
  }

  private async stopWatching(): Promise<void> {
    this.unfollowViewerRelay?.();
    this.unfollowViewerRelay = null;
    this.stopMediaWatch?.();
    this.stopMediaWatch = null;
    if (this.viewerTimer !== null) clearInterval(this.viewerTimer);
    this.viewerTimer = null;
    this.capture?.stop();
    this.capture = null;
    this.stopVideoHint?.();
    this.stopVideoHint = null;
    this.sampler = null;
    const w = this.watching;
    this.watching = null;
    await w?.close();
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
  }

  async leaveViewer(): Promise<void> {
    await this.stopWatching();
    if (this.state.viewer !== null) {
      this.set({ viewer: null });
      if (location.pathname.startsWith("/s/")) history.replaceState(null, "", "/");
    }
  }

  retryViewer(): void {
    const v = this.state.viewer;
    if (v !== null) void this.askToJoin(v.session);
  }
}

export function parseRoute(path: string): Route {
  const s = /^\/s\/([^/]+)\/?$/.exec(path);
  if (s) return { page: "session", sessionId: decodeURIComponent(s[1]!) };
  const i = /^\/i\/([^/]+)\/?$/.exec(path);
  if (i) return { page: "invite", code: decodeURIComponent(i[1]!) };
  return { page: "home" };
}

/**
 * Sentences for the codes of the shared error table (REST, relay and signaling use the same names)
 * a person can act on; keyed by the SDK's `ErrorCode` union, so a renamed code fails the build.
 */
const ERROR_SENTENCES: { readonly [C in ErrorCode]?: string } = {
  "friend-offline": "Your friend is offline; the message was not delivered.",
  "not-friends": "You are not friends (any more).",
  "rate-limited": "Too many requests; wait a moment.",
  "session-ended": "This session has ended.",
  "session-full": "This session is full.",
  "invite-expired": "This invite has expired; ask for a new one.",
  "invite-exhausted": "This invite has been used up; ask for a new one.",
  "blocked": "This user cannot be reached.",
  "refresh-reused": "Your login was used elsewhere and has been revoked; sign in again.",
  "refresh-revoked": "Your login was revoked; sign in again.",
  "database-unavailable": "The service is briefly unavailable; try again in a few seconds.",
  "draining": "The media server is restarting; try again in a few seconds.",
  "relay-full": "The media server is full right now; try again in a minute.",
  "relay-unavailable": "The media server does not answer; try again in a few seconds.",
  "signaling-unavailable": "The service does not answer; try again in a few seconds.",
  "too-many-peers": "You already have this session open elsewhere; close one first.",
  "codec-unsupported": "This browser cannot play the host's video format; try another browser (Chrome, Edge or Firefox).",
  "not-admitted": "The host has not let you in (yet).",
};

/** A sentence a person understands, for any error the SDK or the browser throws. */
export function describe(error: unknown): string {
  if (error instanceof LiliumProblemError) {
    const sentence = isErrorCode(error.code) ? ERROR_SENTENCES[error.code] : undefined;
    if (sentence !== undefined) return sentence;
    if (error.status === 429) return ERROR_SENTENCES["rate-limited"]!;
    return error.message;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const sentence = isErrorCode(code) ? ERROR_SENTENCES[code] : undefined;
    return sentence ?? error.message;
  }
  return String(error);
}
