import { useState } from "preact/hooks";
import type { UserInfo } from "@lilium/sdk";
import { describe } from "../app";
import { Avatar, shortFingerprint, useApp } from "./common";

/** Find people (nickname prefix or key fingerprint), answer requests, manage friends and blocks. */
export function FriendsPanel() {
  const [app, state] = useApp();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<UserInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setResults(await app.search(query));
    } catch (err) {
      setError(describe(err));
    }
  };
  const byId = new Map(state.friends.map((f) => [f.userId, f]));
  const incoming = state.friends.filter((f) => f.status === "pending" && f.direction === "incoming");
  const outgoing = state.friends.filter((f) => f.status === "pending" && f.direction === "outgoing");
  const accepted = state.friends.filter((f) => f.status === "accepted");
  const blocked = state.friends.filter((f) => f.status === "blocked");

  return (
    <>
      <div class="topbar"><h2 class="grow">Friends</h2><span class="muted small">Your fingerprint: <span class="mono" data-testid="my-fingerprint">{state.fingerprint}</span></span></div>
      <div class="content col">
        <div class="grid-2">
          <section class="panel">
            <h2>Find people</h2>
            <form class="row" onSubmit={search}>
              <input class="input" placeholder="Nickname or key fingerprint" value={query} data-testid="search-input"
                onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
              <button class="btn primary" type="submit" data-testid="search-button">Search</button>
            </form>
            {error && <div class="banner bad">{error}</div>}
            <div class="search-results" data-testid="search-results">
              {results !== null && results.length === 0 && <div class="empty small">Nobody found. Nicknames match from the start; fingerprints must be complete.</div>}
              {results?.map((u) => {
                const f = byId.get(u.id);
                return (
                  <div class="list-item" key={u.id} data-testid={`result-${u.nickname}`}>
                    <Avatar name={u.nickname} />
                    <div class="grow"><strong>{u.nickname}</strong><div class="mono muted">{shortFingerprint(u.fingerprint)}</div></div>
                    {f?.status === "accepted" ? <span class="badge ok">Friend</span>
                      : f?.status === "pending" && f.direction === "outgoing" ? <span class="badge">Requested</span>
                      : f?.status === "pending" ? <button class="btn sm primary" onClick={() => void app.friendAction(u.id, "accept")}>Accept</button>
                      : f?.status === "blocked" ? <span class="badge bad">Blocked</span>
                      : <button class="btn sm primary" data-testid={`add-${u.nickname}`} onClick={() => void app.friendAction(u.id, "request")}>Add friend</button>}
                  </div>
                );
              })}
            </div>
          </section>
          <section class="panel">
            <h2>Requests</h2>
            {incoming.length === 0 && outgoing.length === 0 && <div class="empty small">No pending requests.</div>}
            <div class="col">
              {incoming.map((f) => (
                <div class="list-item" key={f.userId} data-testid={`request-${f.nickname}`}>
                  <Avatar name={f.nickname} />
                  <div class="grow"><strong>{f.nickname}</strong><div class="small muted">wants to be friends</div><div class="mono muted">{shortFingerprint(f.fingerprint)}</div></div>
                  <button class="btn sm primary" data-testid={`accept-${f.nickname}`} onClick={() => void app.friendAction(f.userId, "accept")}>Accept</button>
                  <button class="btn sm" data-testid={`decline-${f.nickname}`} onClick={() => void app.friendAction(f.userId, "decline")}>Decline</button>
                  <button class="btn sm danger" onClick={() => void app.friendAction(f.userId, "block")}>Block</button>
                </div>
              ))}
              {outgoing.map((f) => (
                <div class="list-item" key={f.userId}>
                  <Avatar name={f.nickname} />
                  <div class="grow"><strong>{f.nickname}</strong><div class="small muted">request sent</div></div>
                  <button class="btn sm" onClick={() => void app.friendAction(f.userId, "remove")}>Withdraw</button>
                </div>
              ))}
            </div>
          </section>
        </div>
        <section class="panel">
          <h2>Your friends</h2>
          {accepted.length === 0 && <div class="empty small">When someone accepts your request, they appear here and in the sidebar.</div>}
          <div class="col">
            {accepted.map((f) => (
              <div class="list-item" key={f.userId} data-testid={`friend-row-${f.nickname}`}>
                <Avatar name={f.nickname} />
                <div class="grow">
                  <div class="row"><strong>{f.nickname}</strong><span class={`dot${f.online ? " on" : ""}`} />{f.sharing && <span class="badge ok">Sharing</span>}</div>
                  <div class="mono muted">{shortFingerprint(f.fingerprint)}</div>
                </div>
                {f.sharing && <button class="btn sm primary" data-testid={`join-${f.nickname}`} onClick={() => void app.askToJoin(f.sharing!)}>Ask to join</button>}
                <button class="btn sm" onClick={() => app.select(f.userId)}>Chat</button>
                <button class="btn sm" data-testid={`remove-${f.nickname}`} onClick={() => void app.friendAction(f.userId, "remove")}>Remove</button>
                <button class="btn sm danger" data-testid={`block-${f.nickname}`} onClick={() => void app.friendAction(f.userId, "block")}>Block</button>
              </div>
            ))}
            {blocked.map((f) => (
              <div class="list-item" key={f.userId}>
                <Avatar name={f.nickname} />
                <div class="grow"><strong>{f.nickname}</strong> <span class="badge bad">Blocked</span></div>
                <button class="btn sm" onClick={() => void app.friendAction(f.userId, "remove")}>Unblock</button>
              </div>
            ))}
          </div>
        </section>
      </div>
    </>
  );
}
