/**
 * Following a session's media relay (relay fleet, docs/sdk-js.md): the pieces a client uses to
 * republish / resubscribe by itself. The C# SDK's `RelayViewer` / `RelayPublisher` do the same.
 *
 * - {@link followRelay}: `session.relay` pushes for one session — `ready` / `moved` naming another
 *   relay than the one the client's grant names means "get a new grant and connect again";
 *   `starting` carries the estimate to show.
 * - {@link watchMediaFlow}: media lost — no inbound RTP bytes for `timeoutMs` (default 2 000) on a
 *   peer connection — which the client answers with `api.relayCheck` and a new grant.
 */

import type { Unsubscribe } from "./events.js";
import type { SignalingClient } from "./signaling.js";
import type { SessionRelayMessage, Uuid } from "./protocol.js";

/** What {@link followRelay} reports. */
export interface RelayFollowHandlers {
  /** The session now lives on another relay than `currentRelayId()`: get a new grant and connect again. */
  moved: (message: SessionRelayMessage) => void;
  /** No relay is live yet; one is starting (show "Starting a relay… ~N s"). */
  starting?: (message: SessionRelayMessage) => void;
}

/** Calls `handlers` on `session.relay` pushes for `sessionId`; returns the unsubscribe. */
export function followRelay(signaling: SignalingClient, sessionId: Uuid, currentRelayId: () => string | null | undefined, handlers: RelayFollowHandlers): Unsubscribe {
  return signaling.on("session.relay", (m) => {
    if (m.session !== sessionId) return;
    if ((m.state === "ready" || m.state === "moved") && (m.relayId ?? null) !== (currentRelayId() ?? null)) handlers.moved(m);
    else if (m.state === "starting") handlers.starting?.(m);
  });
}

/** Options of {@link watchMediaFlow}. */
export interface MediaFlowOptions {
  /** Lost after this long without inbound RTP bytes (default 2 000 ms). */
  timeoutMs?: number;
  /** How often to sample `getStats` (default 500 ms). */
  intervalMs?: number;
}

/**
 * Calls `onLost` once each time the peer connection's inbound RTP bytes stop growing for
 * `timeoutMs` (media lost, or the peer failed); returns the stop function.
 */
export function watchMediaFlow(pc: RTCPeerConnection, onLost: () => void, options: MediaFlowOptions = {}): () => void {
  const timeout = options.timeoutMs ?? 2_000;
  let last = -1;
  let since = Date.now();
  let stopped = false;
  const timer = setInterval(() => {
    void (async () => {
      if (stopped) return;
      let bytes = 0;
      try {
        const report = await pc.getStats();
        report.forEach((s: { type?: string; bytesReceived?: number }) => {
          if (s.type === "inbound-rtp" && typeof s.bytesReceived === "number") bytes += s.bytesReceived;
        });
      } catch {
        bytes = last; // closed: counts as no progress
      }
      const failed = pc.connectionState === "failed" || pc.connectionState === "closed";
      if (bytes !== last && !failed) {
        last = bytes;
        since = Date.now();
        return;
      }
      if (Date.now() - since >= timeout || failed) {
        since = Date.now(); // one report per timeout
        if (!stopped) onLost();
      }
    })();
  }, options.intervalMs ?? 500);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
