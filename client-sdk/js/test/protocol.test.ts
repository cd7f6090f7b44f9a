import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServerMessage } from "../src/protocol.js";

// The lifecycle pushes the web app acts on (docs/signaling.md): they must survive parsing, or a removed viewer
// never hears that it was removed.
test("session.kicked and session.left parse; malformed ones and unknown actions are dropped", () => {
  const kicked = parseServerMessage(JSON.stringify({ v: 1, action: "session.kicked", session: "s1", host: "h1" }));
  assert.equal(kicked?.action, "session.kicked");
  assert.equal(kicked?.id, undefined);
  const reply = parseServerMessage(JSON.stringify({ v: 1, action: "session.kicked", id: "7", session: "s1", viewer: "u1", delivered: 1 }));
  assert.equal(reply?.id, "7");
  const left = parseServerMessage(JSON.stringify({ v: 1, action: "session.left", session: "s1", viewer: "u1", reason: "left" }));
  assert.equal(left?.action, "session.left");
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "session.kicked" })), null);
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "session.left", session: "s1" })), null);
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "session.unknown", session: "s1" })), null);
});

// The relay fleet's push (docs/signaling.md): a client that drops it never republishes after a failover.
test("session.relay parses with its optional fields; malformed ones are dropped", () => {
  const moved = parseServerMessage(JSON.stringify({ v: 1, action: "session.relay", session: "s1", state: "moved", relayId: "local-2" }));
  assert.equal(moved?.action, "session.relay");
  assert.equal(moved?.action === "session.relay" ? moved.relayId : null, "local-2");
  const starting = parseServerMessage(JSON.stringify({ v: 1, action: "session.relay", session: "s1", state: "starting", etaSeconds: 5 }));
  assert.equal(starting?.action === "session.relay" ? starting.etaSeconds : null, 5);
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "session.relay", state: "ready" })), null);
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "session.relay", session: "s1", state: "starting", etaSeconds: "5" })), null);
});
