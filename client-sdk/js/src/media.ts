/**
 * WHIP/WHEP over the browser's RTCPeerConnection (C#: `MediaPublisher` / `MediaViewer`; relay
 * protocol in docs/relay.md, input channels in docs/input.md).
 *
 * - {@link publish}: the host sends a MediaStream to `POST {relay}/whip/{session}` (VP8 preferred: the
 *   relay forwards VP8 and Opus), opens the `input` channel (ordered; the relay forwards viewers'
 *   permitted events on it in `Forwarded` envelopes) and the `control` channel (live grants).
 * - {@link subscribe}: a viewer receives at `POST {relay}/whep/{session}` (retrying while the relay
 *   says 409 `no-publisher`), with `jitterBufferTarget = 0` on its receivers, and opens the `input`
 *   channel unordered with `maxRetransmits: 0` (a late pointer move is worthless) or reliable, and the
 *   `control` channel, on which {@link MediaViewer.setVideoHint} tells the relay how the video is shown.
 *
 * Both send the relay grant as `Authorization: Bearer`, resolve the `Location` resource, trickle
 * local candidates with `PATCH` (`application/trickle-ice-sdpfrag`, `If-Match: <ETag>`) when the
 * relay gave an ETag (ours, an ICE-lite agent, accepts and ignores them), and `DELETE` the resource
 * on close.
 */

import { resolveFetch, type FetchLike } from "./api.js";
import { LiliumError, RelayRejectedError, RelayUnavailableError } from "./errors.js";
import { Emitter } from "./events.js";
import { decodeForwarded, InputSender, type InputEvent } from "./input.js";
import {
  CONTROL_CHANNEL, controlGrantMessage, INPUT_CHANNEL, parseControlMessage,
  controlVideoMessage,
  type ControlErrorMessage, type ControlGrantAppliedMessage, type ControlVideoAppliedMessage, type ControlViewerJoinedMessage,
  type ControlViewerLeftMessage, type InputPermissions, type Uuid, type VideoHint,
} from "./protocol.js";

/** Options shared by {@link publish} and {@link subscribe}. */
export interface RelayConnectOptions {
  /** The relay's base URL, e.g. `http://127.0.0.1:8080` (or the site origin when CloudFront routes `/whip` `/whep`). */
  relayUrl: string;
  /** The session (also the relay's session). */
  sessionId: Uuid;
  /** The relay grant's token (from `api.issueRelayGrant` or `join.accepted`'s `grant`). */
  grant: string;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** Passed to RTCPeerConnection (ICE servers are not needed for our relay: it is ICE-lite with a public address). */
  rtcConfiguration?: RTCConfiguration;
  /** The RTCPeerConnection class (default `globalThis.RTCPeerConnection`). */
  RTCPeerConnection?: typeof RTCPeerConnection;
  /** PATCH local candidates to the resource (default true; skipped when the relay sent no ETag). */
  trickle?: boolean;
  /** ICE + DTLS must complete within this long (default 15 000 ms). */
  timeoutMs?: number;
}

/** Options of {@link publish}. */
export interface PublishOptions extends RelayConnectOptions {
  /**
   * Send the video as three simulcast encodings ({@link SIMULCAST_LAYERS}, low to high) so that the relay gives each
   * viewer the one its link and its window can take (docs/relay.md, "Simulcast"); default false: one encoding, which
   * the slowest viewer's estimate caps for everyone. The top encoding's `maxBitrate` is the caller's to set.
   */
  simulcast?: boolean;
}

/**
 * The encodings of a simulcast publisher, in the order the relay reads as low to high: a quarter and a half of the
 * captured size with bitrate ceilings that suit screen content at those sizes, then the full size.
 */
export const SIMULCAST_LAYERS: readonly RTCRtpEncodingParameters[] = [
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 300_000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 900_000 },
  { rid: "f", scaleResolutionDownBy: 1 },
];

/** Events of {@link MediaPublisher}. */
export interface PublisherEvents {
  /** A viewer opened its input channel (or was present when `control` opened). */
  viewerJoined: ControlViewerJoinedMessage;
  /** A viewer's connection ended (what it held was released). */
  viewerLeft: ControlViewerLeftMessage;
  /** The relay refused a control message. */
  controlError: ControlErrorMessage;
  /** A viewer's input event the relay let through (the viewer's grant allowed it). */
  input: { viewer: Uuid; event: InputEvent; sequence: number };
  /** The peer connection failed or closed. */
  closed: { reason: string };
}

/** Events of {@link MediaViewer}. */
export interface ViewerEvents {
  /** A remote track arrived (also in {@link MediaViewer.stream}). */
  track: MediaStreamTrack;
  /** The relay put a video hint in force ({@link MediaViewer.setVideoHint}). */
  videoApplied: ControlVideoAppliedMessage;
  /** The relay refused a control message. */
  controlError: ControlErrorMessage;
  /** The peer connection failed or closed. */
  closed: { reason: string };
}

/** Publishes a MediaStream through WHIP. */
export async function publish(stream: MediaStream, options: PublishOptions): Promise<MediaPublisher> {
  const pc = newPeerConnection(options);
  try {
    for (const track of stream.getTracks()) {
      const layered = track.kind === "video" && options.simulcast === true;
      const transceiver = pc.addTransceiver(track, {
        direction: "sendonly",
        streams: [stream],
        ...(layered ? { sendEncodings: SIMULCAST_LAYERS.map((e) => ({ ...e })) } : {}),
      });
      if (track.kind === "video") preferCodec(transceiver, "video/VP8");
    }
    const input = pc.createDataChannel(INPUT_CHANNEL.label, { protocol: INPUT_CHANNEL.protocol, ordered: true });
    input.binaryType = "arraybuffer";
    const control = pc.createDataChannel(CONTROL_CHANNEL.label, { protocol: CONTROL_CHANNEL.protocol, ordered: true });
    const resource = await negotiate(pc, `${trimSlash(options.relayUrl)}/whip/${encodeURIComponent(options.sessionId)}`, options);
    const publisher = new MediaPublisher(pc, resource, input, control);
    await waitConnected(pc, options.timeoutMs ?? 15_000);
    await Promise.all([waitOpen(input, options.timeoutMs ?? 15_000), waitOpen(control, options.timeoutMs ?? 15_000)]);
    return publisher;
  } catch (error) {
    pc.close();
    throw error;
  }
}

/** Options of {@link subscribe}. */
export interface SubscribeOptions extends RelayConnectOptions {
  /** The input channel: `unreliable` (default: unordered, `maxRetransmits: 0`), `reliable`, or `none`. */
  input?: "unreliable" | "reliable" | "none";
  /** Keep retrying while the relay answers 409 `no-publisher` for this long (default: `timeoutMs`). */
  waitForPublisherMs?: number;
  /** Open the `control` channel for video hints (default true). */
  control?: boolean;
}

/** Subscribes to a session through WHEP. */
export async function subscribe(options: SubscribeOptions): Promise<MediaViewer> {
  const limit = options.waitForPublisherMs ?? options.timeoutMs ?? 15_000;
  const started = Date.now();
  for (;;) {
    const pc = newPeerConnection(options);
    try {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
      const mode = options.input ?? "unreliable";
      const input = mode === "none" ? null : pc.createDataChannel(INPUT_CHANNEL.label, mode === "unreliable"
        ? { protocol: INPUT_CHANNEL.protocol, ordered: false, maxRetransmits: 0 }
        : { protocol: INPUT_CHANNEL.protocol, ordered: true });
      if (input !== null) input.binaryType = "arraybuffer";
      const control = options.control === false ? null : pc.createDataChannel(CONTROL_CHANNEL.label, { protocol: CONTROL_CHANNEL.protocol, ordered: true });
      const viewer = new MediaViewer(pc, input, control);
      const resource = await negotiate(pc, `${trimSlash(options.relayUrl)}/whep/${encodeURIComponent(options.sessionId)}`, options);
      viewer.setResource(resource);
      for (const receiver of pc.getReceivers()) setLowLatency(receiver);
      await waitConnected(pc, options.timeoutMs ?? 15_000);
      if (input !== null) await waitOpen(input, options.timeoutMs ?? 15_000);
      return viewer;
    } catch (error) {
      pc.close();
      if (error instanceof RelayRejectedError && error.status === 409 && error.code === "no-publisher" && Date.now() - started < limit) {
        await sleep(Math.min(2_000, Math.max(250, (error.retryAfter ?? 0.5) * 1000)));
        continue;
      }
      throw error;
    }
  }
}

/** The host's connection to the relay. */
export class MediaPublisher extends Emitter<PublisherEvents> {
  private readonly pendingGrants = new Map<Uuid, ((m: ControlGrantAppliedMessage) => void)[]>();
  private closedReason: string | null = null;

  /** @internal Use {@link publish}. */
  constructor(
    /** The underlying peer connection (stats, senders). */
    readonly pc: RTCPeerConnection,
    private readonly resource: RelayResource,
    /** The `input` channel on which permitted viewer events arrive. */
    readonly inputChannel: RTCDataChannel,
    /** The `control` channel (live grants). */
    readonly controlChannel: RTCDataChannel,
  ) {
    super();
    inputChannel.onmessage = (e: MessageEvent) => {
      const bytes = toBytes(e.data);
      const f = bytes === null ? null : decodeForwarded(bytes);
      if (f !== null) this.emit("input", { viewer: f.viewer, event: f.event, sequence: f.innerSequence });
    };
    controlChannel.onmessage = (e: MessageEvent) => {
      if (typeof e.data !== "string") return;
      const m = parseControlMessage(e.data);
      if (m === null) return;
      switch (m.type) {
        case "grant.applied": {
          const waiters = this.pendingGrants.get(m.viewer);
          this.pendingGrants.delete(m.viewer);
          for (const w of waiters ?? []) w(m);
          break;
        }
        case "viewer.joined": this.emit("viewerJoined", m); break;
        case "viewer.left": this.emit("viewerLeft", m); break;
        case "error": this.emit("controlError", m); break;
      }
    };
    watchClose(pc, (reason) => {
      this.closedReason ??= reason;
      this.emit("closed", { reason });
    });
  }

  /** The WHIP resource URL (DELETE target). */
  get resourceUrl(): string {
    return this.resource.url;
  }

  /**
   * Sets a viewer's input grant at the relay now (docs/input.md control channel); resolves when the
   * relay confirms with `grant.applied` (after releasing what the viewer held). Also send signaling
   * `grant.update` (or REST `setGrants`) so the grant persists and the viewer's UI hears of it.
   */
  setViewerGrant(viewer: Uuid, permissions: InputPermissions, timeoutMs = 5_000): Promise<ControlGrantAppliedMessage> {
    if (this.controlChannel.readyState !== "open") return Promise.reject(new LiliumError("The control channel is not open."));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new LiliumError("The relay did not confirm the grant in time.")), timeoutMs);
      const list = this.pendingGrants.get(viewer) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.pendingGrants.set(viewer, list);
      this.controlChannel.send(JSON.stringify(controlGrantMessage(viewer, permissions)));
    });
  }

  /** Replaces the published video track (e.g. another screen) without renegotiating. */
  async replaceVideoTrack(track: MediaStreamTrack | null): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === "video" || s.track === null);
    if (sender === undefined) throw new LiliumError("No video sender.");
    await sender.replaceTrack(track);
  }

  /** Why the connection ended, or null while it is up. */
  get closedBecause(): string | null {
    return this.closedReason;
  }

  /** Leaves: DELETE of the WHIP resource (best effort), then closes the peer connection. */
  async close(): Promise<void> {
    await this.resource.delete();
    this.pc.close();
  }
}

/** A viewer's connection to the relay. */
export class MediaViewer extends Emitter<ViewerEvents> {
  /** The received audio and video. */
  readonly stream: MediaStream;
  /** Sends input on the `input` channel (null when subscribed with `input: "none"`). */
  readonly input: InputSender | null;
  private resource: RelayResource | null = null;
  private closedReason: string | null = null;

  /** @internal Use {@link subscribe}. */
  constructor(
    /** The underlying peer connection (stats, receivers). */
    readonly pc: RTCPeerConnection,
    /** The `input` data channel, if any. */
    readonly inputChannel: RTCDataChannel | null,
    /** The `control` data channel (video hints), if any. */
    readonly controlChannel: RTCDataChannel | null = null,
  ) {
    super();
    if (controlChannel !== null) {
      controlChannel.addEventListener("open", () => this.flushVideoHint());
      controlChannel.addEventListener("message", (e: MessageEvent) => {
        const m = typeof e.data === "string" ? parseControlMessage(e.data) : null;
        if (m?.type === "video.applied") this.emit("videoApplied", m);
        else if (m?.type === "error") this.emit("controlError", m);
      });
    }
    const Stream = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream;
    this.stream = Stream !== undefined ? new Stream() : ({ addTrack() {}, getTracks: () => [] } as unknown as MediaStream);
    this.input = inputChannel === null ? null : new InputSender(inputChannel);
    pc.ontrack = (e: RTCTrackEvent) => {
      setLowLatency(e.receiver);
      if (!this.stream.getTracks().includes(e.track)) this.stream.addTrack(e.track);
      this.emit("track", e.track);
    };
    watchClose(pc, (reason) => {
      this.closedReason ??= reason;
      this.emit("closed", { reason });
    });
  }

  /** @internal */
  setResource(resource: RelayResource): void {
    this.resource = resource;
  }

  /** The WHEP resource URL. */
  get resourceUrl(): string | null {
    return this.resource?.url ?? null;
  }

  /** Why the connection ended, or null while it is up. */
  get closedBecause(): string | null {
    return this.closedReason;
  }

  /**
   * Sends one input event to the host; the relay forwards it only if this viewer's current grant
   * allows its class. False when the input channel is not open (or congested, for pointer moves).
   */
  sendInput(event: InputEvent): boolean {
    return this.input?.send(event) ?? false;
  }

  /**
   * Tells the relay how this viewer shows the video (docs/input.md, "Control channel"): `paused` stops the video (the
   * audio goes on; resuming brings a keyframe at once), and the box it is shown in (`maxWidth` × `maxHeight` device
   * pixels, absent = no limit) caps the simulcast layer at the lowest one that fills it. Each hint replaces the last;
   * one equal to the last sent is not sent again, and one given before the channel opens goes when it does. The relay
   * answers with a `videoApplied` event (or `controlError`). False when there is no control channel.
   */
  setVideoHint(hint: VideoHint): boolean {
    if (this.controlChannel === null) return false;
    this.pendingHint = JSON.stringify(controlVideoMessage(hint));
    this.flushVideoHint();
    return true;
  }

  private pendingHint: string | null = null;
  private sentHint: string | null = null;

  private flushVideoHint(): void {
    const channel = this.controlChannel;
    if (channel === null || channel.readyState !== "open" || this.pendingHint === null) return;
    const hint = this.pendingHint;
    this.pendingHint = null;
    if (hint === this.sentHint) return;
    channel.send(hint);
    this.sentHint = hint;
  }

  /** Leaves: DELETE of the WHEP resource (best effort), then closes the peer connection. */
  async close(): Promise<void> {
    await this.resource?.delete();
    this.pc.close();
  }
}

/** A WHIP/WHEP resource: its URL, ETag and grant, for PATCH and DELETE. */
export class RelayResource {
  /** @internal */
  constructor(
    /** The absolute resource URL (from `Location`). */
    readonly url: string,
    /** The ICE session's ETag, if the relay sent one. */
    readonly etag: string | null,
    private readonly grant: string,
    private readonly fetchFn: FetchLike,
  ) {}

  /** PATCHes a trickle-ICE SDP fragment (RFC 8840); resolves false when the relay refused it. */
  async patch(fragment: string): Promise<boolean> {
    if (this.etag === null) return false;
    try {
      const r = await this.fetchFn(this.url, {
        method: "PATCH",
        headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": this.etag, authorization: `Bearer ${this.grant}` },
        body: fragment,
      });
      await r.body?.cancel().catch(() => undefined);
      return r.ok;
    } catch {
      return false;
    }
  }

  /** DELETE (best effort: a relay that is gone needs no goodbye). */
  async delete(): Promise<void> {
    try {
      const r = await this.fetchFn(this.url, { method: "DELETE", headers: { authorization: `Bearer ${this.grant}` } });
      await r.body?.cancel().catch(() => undefined);
    } catch {
      // ignore
    }
  }
}

// ───────────────────────────── helpers ─────────────────────────────

function newPeerConnection(options: RelayConnectOptions): RTCPeerConnection {
  const Ctor = options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: typeof RTCPeerConnection }).RTCPeerConnection;
  if (Ctor === undefined) throw new LiliumError("No RTCPeerConnection here; media needs a browser (or pass options.RTCPeerConnection).");
  return new Ctor({ bundlePolicy: "max-bundle", ...options.rtcConfiguration });
}

async function negotiate(pc: RTCPeerConnection, endpoint: string, options: RelayConnectOptions): Promise<RelayResource> {
  const fetchFn = resolveFetch(options.fetch);
  const queued: RTCIceCandidate[] = [];
  let resource: RelayResource | null = null;
  const trickle = options.trickle ?? true;
  pc.onicecandidate = (e: RTCPeerConnectionIceEvent) => {
    if (!trickle || e.candidate === null || e.candidate.candidate === "") return;
    if (resource === null) queued.push(e.candidate);
    else void resource.patch(candidateFragment(pc, [e.candidate]));
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const sdp = pc.localDescription?.sdp ?? offer.sdp ?? "";
  let response: Response;
  try {
    response = await fetchFn(endpoint, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${options.grant}` },
      body: sdp,
    });
  } catch (cause) {
    throw new RelayUnavailableError(`The relay at ${options.relayUrl} cannot be reached: ${String(cause)}`, { cause });
  }
  const body = await response.text();
  if (response.status !== 201) {
    throw RelayRejectedError.fromBody(response.status, body, "The relay refused the connection", response.headers.get("retry-after"));
  }
  const location = response.headers.get("location");
  if (location === null) throw new RelayRejectedError(201, "bad-answer", "The relay's answer has no Location (is Location exposed by CORS?).");
  resource = new RelayResource(new URL(location, endpoint).toString(), response.headers.get("etag"), options.grant, fetchFn);
  try {
    await pc.setRemoteDescription({ type: "answer", sdp: body });
  } catch (cause) {
    await resource.delete();
    throw new RelayRejectedError(201, "bad-answer", `The relay's answer was refused by the browser: ${String(cause)}`);
  }
  if (trickle && queued.length > 0) void resource.patch(candidateFragment(pc, queued));
  return resource;
}

// An RFC 8840 fragment: the ICE credentials, then per media section its m= line, mid and candidates.
function candidateFragment(pc: RTCPeerConnection, candidates: RTCIceCandidate[]): string {
  const sdp = pc.localDescription?.sdp ?? "";
  const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] ?? "";
  const pwd = /a=ice-pwd:(\S+)/.exec(sdp)?.[1] ?? "";
  const mlines = new Map<string, string>();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /a=mid:(\S+)/.exec(section)?.[1];
    if (mid !== undefined) mlines.set(mid, "m=" + section.split(/\r?\n/)[0]);
  }
  const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
  const byMid = new Map<string, string[]>();
  for (const c of candidates) {
    const mid = c.sdpMid ?? "0";
    const list = byMid.get(mid) ?? [];
    list.push(`a=${c.candidate}`);
    byMid.set(mid, list);
  }
  for (const [mid, list] of byMid) {
    lines.push(mlines.get(mid) ?? "m=audio 9 UDP/TLS/RTP/SAVPF 0", `a=mid:${mid}`, ...list);
  }
  return lines.join("\r\n") + "\r\n";
}

function preferCodec(transceiver: RTCRtpTransceiver, mimeType: string): void {
  const caps = (globalThis as { RTCRtpReceiver?: typeof RTCRtpReceiver }).RTCRtpReceiver?.getCapabilities?.("video");
  if (caps === null || caps === undefined || typeof transceiver.setCodecPreferences !== "function") return;
  const wanted = caps.codecs.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (wanted.length === 0) return;
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== mimeType.toLowerCase());
  try {
    transceiver.setCodecPreferences([...wanted, ...rest]);
  } catch {
    // older browsers: keep the default order
  }
}

/** Sets the receiver's jitter buffer target to 0 ms (and Chrome's older `playoutDelayHint`). */
export function setLowLatency(receiver: RTCRtpReceiver): void {
  const r = receiver as unknown as { jitterBufferTarget?: number | null; playoutDelayHint?: number | null };
  try {
    if ("jitterBufferTarget" in r) r.jitterBufferTarget = 0;
    else if ("playoutDelayHint" in r) r.playoutDelayHint = 0;
  } catch {
    // not supported
  }
}

function waitConnected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.connectionState === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new RelayUnavailableError(`ICE/DTLS with the relay did not complete within ${timeoutMs} ms (is UDP to the relay blocked?).`));
    }, timeoutMs);
    const onChange = () => {
      if (pc.connectionState === "connected") {
        cleanup();
        resolve();
      } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        cleanup();
        reject(new RelayUnavailableError(`The connection to the relay ${pc.connectionState}.`));
      }
    };
    const cleanup = () => {
      clearTimeout(timer);
      pc.removeEventListener("connectionstatechange", onChange);
    };
    pc.addEventListener("connectionstatechange", onChange);
  });
}

function waitOpen(channel: RTCDataChannel, timeoutMs: number): Promise<void> {
  if (channel.readyState === "open") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new RelayUnavailableError(`The ${channel.label} data channel did not open within ${timeoutMs} ms.`)), timeoutMs);
    channel.addEventListener("open", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
    channel.addEventListener("close", () => {
      clearTimeout(timer);
      reject(new RelayUnavailableError(`The ${channel.label} data channel closed.`));
    }, { once: true });
  });
}

function watchClose(pc: RTCPeerConnection, onClosed: (reason: string) => void): void {
  let done = false;
  pc.addEventListener("connectionstatechange", () => {
    if (!done && (pc.connectionState === "failed" || pc.connectionState === "closed")) {
      done = true;
      onClosed(pc.connectionState);
    }
  });
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

