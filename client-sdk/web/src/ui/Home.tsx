import { useApp, Avatar, shortFingerprint } from "./common";
import { ChatPanel } from "./Chat";
import { FriendsPanel } from "./Friends";
import { HostPanel, JoinDialog } from "./Host";

const CONNECTION_LABEL: Record<string, [string, string]> = {
  open: ["Connected", "ok"], connecting: ["Connecting…", "warn"], reconnecting: ["Reconnecting…", "warn"],
  closed: ["Disconnected", "bad"], offline: ["Offline", "bad"],
};

export function Home() {
  const [app, state] = useApp();
  const me = state.me!;
  const accepted = state.friends.filter((f) => f.status === "accepted");
  const incoming = state.friends.filter((f) => f.status === "pending" && f.direction === "incoming");
  const [connLabel, connKind] = CONNECTION_LABEL[state.connection] ?? ["", ""];
  const active = state.friends.find((f) => f.userId === state.active) ?? null;
  return (
    <div class="shell">
      <aside class="sidebar">
        <header class="row">
          <Avatar name={me.nickname} large />
          <div class="grow">
            <div class="spread"><strong data-testid="me-nickname">{me.nickname}</strong><span class={`badge ${connKind} conn`} data-testid="connection">{connLabel}</span></div>
            <div class="mono muted" title={state.fingerprint}>{shortFingerprint(state.fingerprint)}</div>
          </div>
        </header>
        <div class="nav">
          <div class="row" data-testid="nav">
            <button class={`btn ghost grow${state.panel === "friends" ? " active" : ""}`} onClick={() => app.showPanel("friends")} data-testid="nav-friends">
              Friends{incoming.length > 0 && <span class="badge accent">{incoming.length}</span>}
            </button>
            <button class={`btn grow ${state.host ? "" : "primary"}`} onClick={() => app.showPanel("host")} data-testid="nav-host">
              {state.host ? "My session" : "Share my screen"}
            </button>
          </div>
        </div>
        <div class="section">Friends · {accepted.filter((f) => f.online).length} online</div>
        <div class="scroll" data-testid="friend-list">
          {accepted.length === 0 && <div class="empty small">No friends yet. Find someone by nickname or fingerprint.</div>}
          {accepted.map((f) => (
            <div key={f.userId} class={`friend${state.active === f.userId && state.panel === "chat" ? " active" : ""}`} data-testid={`friend-${f.nickname}`}
              onClick={() => app.select(f.userId)} role="button" tabIndex={0} onKeyDown={(e) => e.key === "Enter" && app.select(f.userId)}>
              <Avatar name={f.nickname} />
              <div class="grow">
                <div class="name">{f.nickname}</div>
                <div class="sub row">
                  <span class={`dot${f.online ? " on" : ""}`} data-testid={`presence-${f.nickname}`} data-online={String(f.online)} />
                  {f.sharing ? <span class="badge ok">Sharing</span> : f.online ? "Online" : "Offline"}
                </div>
              </div>
              {f.unread > 0 && <span class="unread" data-testid={`unread-${f.nickname}`}>{f.unread}</span>}
            </div>
          ))}
        </div>
        <footer class="small muted">End-to-end encrypted chat · input only as you grant it</footer>
      </aside>
      <main class="main">
        {state.connection !== "open" && state.connectionNote && <div class="banner warn" role="status" data-testid="connection-banner">{state.connectionNote}</div>}
        {state.panel === "chat" && active !== null ? <ChatPanel friend={active} /> : state.panel === "host" ? <HostPanel /> : <FriendsPanel />}
      </main>
      {state.host !== null && state.host.requests.length > 0 && <JoinDialog />}
    </div>
  );
}
