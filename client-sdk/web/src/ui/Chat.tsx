import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatLine, Friend } from "../app";
import { Avatar, shortFingerprint, useApp } from "./common";

const STATE_LABEL: Record<ChatLine["state"], string> = {
  sending: "Sending…", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not delivered", received: "",
};

/** One friend's chat: end-to-end encrypted through the SDK, with each message's delivery state. */
export function ChatPanel({ friend }: { friend: Friend }) {
  const [app, state] = useApp();
  const [text, setText] = useState("");
  const list = useRef<HTMLDivElement>(null);
  const lines = state.chats[friend.userId] ?? [];
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [lines.length]);
  const send = (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (t.length === 0) return;
    setText("");
    void app.sendChat(friend.userId, t);
  };
  return (
    <div class="chat" data-testid={`chat-${friend.nickname}`}>
      <div class="topbar">
        <Avatar name={friend.nickname} />
        <div class="grow">
          <h2>{friend.nickname}</h2>
          <div class="small muted row"><span class={`dot${friend.online ? " on" : ""}`} />{friend.online ? "Online" : "Offline"} · <span class="mono">{shortFingerprint(friend.fingerprint)}</span></div>
        </div>
        {friend.sharing && <button class="btn primary" data-testid="chat-join" onClick={() => void app.askToJoin(friend.sharing!)}>Ask to join their screen</button>}
        <span class="badge ok e2e">End-to-end encrypted</span>
      </div>
      <div class="messages" ref={list} data-testid="messages">
        {lines.length === 0 && <div class="empty">Say hello to {friend.nickname}. Only the two of you can read this chat.</div>}
        {lines.map((l) => (
          <div key={l.id} class={`msg${l.mine ? " mine" : ""}${l.state === "failed" ? " failed" : ""}`} data-testid={l.mine ? "msg-mine" : "msg-theirs"} data-state={l.state}>
            <div>{l.text}</div>
            {l.session && !l.mine && <button class="btn sm primary" onClick={() => void app.askToJoin(l.session!)}>Ask to join</button>}
            <div class="meta">{new Date(l.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}{l.mine && ` · ${STATE_LABEL[l.state]}`}{l.note && ` — ${l.note}`}</div>
          </div>
        ))}
      </div>
      <form class="composer" onSubmit={send}>
        <input class="input" placeholder={friend.online ? `Message ${friend.nickname}` : `${friend.nickname} is offline — messages are not stored`} value={text} maxLength={4000}
          data-testid="chat-input" onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button class="btn primary" type="submit" data-testid="chat-send" disabled={text.trim().length === 0}>Send</button>
      </form>
    </div>
  );
}
