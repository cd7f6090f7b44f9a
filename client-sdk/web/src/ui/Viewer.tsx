import { useEffect, useRef, useState } from "preact/hooks";
import type { ViewerPhase } from "../app";
import { PERMISSION_LABELS, useApp } from "./common";

const TITLES: Partial<Record<ViewerPhase, string>> = {
  asking: "Asking to join", waiting: "Waiting for the host", connecting: "Connecting", reconnecting: "Reconnecting",
  denied: "Could not join", removed: "You were removed", ended: "The session ended", "host-left": "The host left", failed: "Something went wrong",
};

/** Watching a friend's screen: the picture, the grant in force, fullscreen and immersion, stats, and every failure state. */
export function ViewerStage() {
  const [app, state] = useApp();
  const v = state.viewer!;
  const stage = useRef<HTMLDivElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const [showStats, setShowStats] = useState(true);
  const [immersive, setImmersive] = useState(false);

  useEffect(() => {
    const el = video.current;
    if (el === null) return;
    if (el.srcObject !== v.stream) el.srcObject = v.stream;
    app.attachVideo(v.stream ? el : null);
    if (v.stream && "requestVideoFrameCallback" in el) el.requestVideoFrameCallback(() => app.firstFrameShown());
  }, [v.stream]);
  useEffect(() => () => app.attachVideo(null), []);
  useEffect(() => {
    const onChange = () => {
      if (!document.fullscreenElement) {
        setImmersive(false);
        (navigator as Navigator & { keyboard?: { unlock(): void } }).keyboard?.unlock();
      }
    };
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  const fullscreen = async () => {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await stage.current?.requestFullscreen({ navigationUI: "hide" });
  };
  const immersion = async () => {
    if (immersive) {
      document.exitPointerLock();
      if (document.fullscreenElement) await document.exitFullscreen();
      return;
    }
    try {
      await stage.current?.requestFullscreen({ navigationUI: "hide" });
      await (navigator as Navigator & { keyboard?: { lock(keys?: string[]): Promise<void> } }).keyboard?.lock();
      await (video.current as HTMLVideoElement & { requestPointerLock(o?: object): Promise<void> | void }).requestPointerLock({ unadjustedMovement: true });
      setImmersive(true);
    } catch {
      app.toast("Immersion needs fullscreen, pointer lock and keyboard lock; the browser refused one of them.", "bad");
    }
  };

  const watching = v.phase === "watching";
  const final = ["denied", "removed", "ended", "host-left", "failed"].includes(v.phase);
  const s = v.stats;
  return (
    <div class="stage" ref={stage} data-testid="viewer" data-phase={v.phase}>
      <video ref={video} autoPlay playsInline tabIndex={0} data-testid="remote-video" class={watching || v.phase === "reconnecting" ? "" : "invisible"} />
      {!watching && (
        <div class="state">
          <div class="card col" data-testid="viewer-state">
            <h2 data-testid="viewer-title">{TITLES[v.phase]}</h2>
            <p class="muted" data-testid="viewer-message">{v.message}</p>
            <div class="row center">
              {final && v.retryable && <button class="btn primary" data-testid="viewer-retry" onClick={() => app.retryViewer()}>Try again</button>}
              <button class="btn" data-testid="viewer-close" onClick={() => void app.leaveViewer()}>{final ? "Close" : "Cancel"}</button>
            </div>
          </div>
        </div>
      )}
      {watching && showStats && s && (
        <dl class="stats" data-testid="stats" data-frames={s.framesDecoded} data-audio-bytes={s.audioBytes}>
          <dt>resolution</dt><dd data-testid="stat-resolution">{s.width}×{s.height}</dd>
          <dt>fps</dt><dd>{s.fps}</dd>
          <dt>bitrate</dt><dd>{(s.bitrateKbps / 1000).toFixed(2)} Mbit/s</dd>
          <dt>rtt</dt><dd>{s.rttMs === null ? "—" : `${s.rttMs} ms`}</dd>
          <dt>loss</dt><dd>{s.lossPercent}%</dd>
          <dt>freezes</dt><dd>{s.freezes}</dd>
          <dt>frames</dt><dd data-testid="stat-frames">{s.framesDecoded}</dd>
          <dt>codec</dt><dd>{s.codec || "—"}</dd>
          {v.joinMs !== null && <><dt>joined in</dt><dd data-testid="stat-join">{v.joinMs} ms</dd></>}
          {v.input && <><dt>input sent</dt><dd data-testid="stat-input">{v.input.keys + v.input.mouse + v.input.wheel + v.input.controller}</dd></>}
        </dl>
      )}
      <div class="bar">
        <strong>{v.hostNick}</strong>
        <span class="muted small">{watching ? "is sharing" : TITLES[v.phase]}</span>
        {watching || v.phase === "reconnecting" ? (
          <>
          <div class="grant grow" data-testid="grant">
            <span class="small muted">You may use:</span>
            {PERMISSION_LABELS.map(([k, label]) => (
              <span key={k} class={`badge ${v.permissions[k] ? "ok" : ""}`} data-testid={`grant-${k}`} data-on={String(v.permissions[k])}>{v.permissions[k] ? "✓" : "✕"} {label}</span>
            ))}
          </div>
          <button class="btn sm" data-testid="toggle-stats" onClick={() => setShowStats(!showStats)}>{showStats ? "Hide stats" : "Stats"}</button>
          <button class="btn sm" data-testid="fullscreen" onClick={() => void fullscreen()}>Fullscreen</button>
          <button class="btn sm" data-testid="immersion" disabled={!v.permissions.immersion || !watching} onClick={() => void immersion()}
            title={v.permissions.immersion ? "Fullscreen with pointer lock and keyboard lock" : "The host has not granted immersion"}>{immersive ? "Exit immersion" : "Immersion"}</button>
          </>
        ) : <div class="grow" />}
        <button class="btn sm danger" data-testid="leave" onClick={() => void app.leaveViewer()}>Leave</button>
      </div>
    </div>
  );
}
