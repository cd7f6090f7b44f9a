import { useEffect, useRef, useState } from "preact/hooks";
import { QUALITIES, type Quality } from "../media";
import { PermissionToggles, useApp } from "./common";

const BITRATES = [2_000_000, 4_000_000, 8_000_000, 12_000_000, 16_000_000, 25_000_000];

/** Host: share a screen, pick quality, invite, and manage who watches and what they may control. */
export function HostPanel() {
  const [app, state] = useApp();
  const [quality, setQuality] = useState<Quality>("1080p");
  const [busy, setBusy] = useState(false);
  const h = state.host;
  const preview = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (preview.current && h) preview.current.srcObject = h.stream;
  }, [h?.stream]);

  if (h === null) {
    return (
      <>
        <div class="topbar"><h2 class="grow">Share my screen</h2></div>
        <div class="content">
          <div class="panel col host-start">
            <h2>Start a session</h2>
            <p class="muted">Pick what to share in the browser's dialog (a screen, a window or a tab — tick "share audio" to send sound too).
              Friends ask to join and you decide, per friend, whether they may use your keyboard, mouse or controller.</p>
            <label class="field">Quality
              <select class="input" value={quality} data-testid="quality" onChange={(e) => setQuality((e.target as HTMLSelectElement).value as Quality)}>
                {Object.entries(QUALITIES).map(([k, q]) => <option key={k} value={k}>{q.label} · up to {q.bitrate / 1e6} Mbit/s</option>)}
              </select>
            </label>
            <div class="note">A browser host cannot inject input into your computer: viewers' keyboard and mouse reach the relay and stop there.
              For remote control, host with the desktop app: <span class="mono">lilium host</span>.</div>
            <div><button class="btn primary lg" data-testid="share" disabled={busy}
              onClick={async () => { setBusy(true); try { await app.startSharing(quality); } finally { setBusy(false); } }}>
              {busy ? "Starting…" : "Share my screen"}
            </button></div>
          </div>
        </div>
      </>
    );
  }

  const status = h.status === "live" ? <span class="badge ok" data-testid="host-status">● Live</span>
    : h.status === "connecting" ? <span class="badge warn" data-testid="host-status">Connecting…</span>
    : <span class="badge bad" data-testid="host-status">Failed</span>;
  return (
    <>
      <div class="topbar">
        <h2 class="grow">My session</h2>
        {status}
        <button class="btn danger" data-testid="end-session" onClick={() => void app.endSession()}>End session</button>
      </div>
      <div class="content">
        {h.error && <div class="banner bad" role="alert" data-testid="host-error">{h.error}</div>}
        {h.notice && !h.error && <div class="banner" role="status" data-testid="host-notice">{h.notice}</div>}
        <div class="host-grid">
          <div class="col">
            <div class="preview"><video ref={preview} autoPlay muted playsInline data-testid="host-preview" />{h.status === "live" && <span class="badge ok live">LIVE</span>}</div>
            <div class="panel col">
              <div class="row wrap">
                <label class="field grow">Quality
                  <select class="input" value={h.quality} data-testid="host-quality" onChange={(e) => void app.setQuality((e.target as HTMLSelectElement).value as Quality)}>
                    {Object.entries(QUALITIES).map(([k, q]) => <option key={k} value={k}>{q.label}</option>)}
                  </select>
                </label>
                <label class="field grow">Bitrate
                  <select class="input" value={String(h.bitrate)} data-testid="host-bitrate" onChange={(e) => void app.setQuality(h.quality, Number((e.target as HTMLSelectElement).value))}>
                    {BITRATES.map((b) => <option key={b} value={String(b)}>{b / 1e6} Mbit/s</option>)}
                  </select>
                </label>
              </div>
              <div class="small muted">{h.hasAudio ? "Sharing audio" : "No audio (the chosen surface offered none)"} · session <span class="mono">{h.session.id.slice(0, 8)}</span></div>
              <div class="note">This browser cannot inject viewers' input; what you grant is enforced at the relay and shown to them. Use <span class="mono">lilium host</span> for remote control.</div>
            </div>
          </div>
          <div class="col">
            <section class="panel col">
              <h2>Invite</h2>
              {h.inviteUrl === null
                ? <button class="btn" data-testid="create-invite" onClick={() => void app.createInvite()}>Create invite link</button>
                : <div class="invite"><input class="input mono" readOnly value={h.inviteUrl} data-testid="invite-url" onFocus={(e) => (e.target as HTMLInputElement).select()} />
                    <button class="btn" onClick={() => void navigator.clipboard?.writeText(h.inviteUrl!).then(() => app.toast("Invite link copied", "ok"))}>Copy</button></div>}
              <div class="small muted">Friends can also ask to join from your name in their list. Links expire in an hour (5 uses).</div>
            </section>
            <section class="panel col" data-testid="viewer-list">
              <h2>Viewers · {h.viewers.filter((v) => v.connected).length}</h2>
              {h.viewers.length === 0 && <div class="empty small">Nobody is watching yet.</div>}
              {h.viewers.map((v) => (
                <div class="viewer-row" key={v.userId} data-testid={`viewer-${v.nick}`}>
                  <div class="spread"><div class="row"><span class={`dot${v.connected ? " on" : ""}`} /><strong>{v.nick}</strong></div>
                    <button class="btn sm danger" data-testid={`kick-${v.nick}`} onClick={() => void app.kick(v.userId)}>Kick</button></div>
                  <PermissionToggles prefix={`perm-${v.nick}`} value={v.permissions} onChange={(p) => void app.setViewerPermissions(v.userId, p)} />
                </div>
              ))}
            </section>
          </div>
        </div>
      </div>
    </>
  );
}

/** A friend asks to join: approve or deny, choosing what they may control first. */
export function JoinDialog() {
  const [app, state] = useApp();
  const r = state.host!.requests[0]!;
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="join-title">
      <div class="card dialog" data-testid="join-dialog">
        <h2 id="join-title">{r.nick} wants to watch your screen</h2>
        <p class="muted small">Choose what {r.nick} may control. You can change it any time while they watch.</p>
        <PermissionToggles prefix="join" value={r.draft} onChange={(d) => app.setRequestDraft(r.requestId, d)} />
        <div class="actions">
          <button class="btn" data-testid="join-deny" onClick={() => void app.answerJoin(r.requestId, false)}>Deny</button>
          <button class="btn primary" data-testid="join-approve" onClick={() => void app.answerJoin(r.requestId, true)} autoFocus>Approve</button>
        </div>
      </div>
    </div>
  );
}
