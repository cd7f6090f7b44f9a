/**
 * SignalingClient against a scripted local WebSocket server (the `ws` package): keep-alive and a
 * dead connection's detection, reconnect with a fresh token, correlation, hostile frames, close.
 * The real gateway is exercised in integration.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import type { IncomingMessage } from "node:http";
import {
  SignalingClient, SignalingError, SignalingTimeoutError, LiliumUnavailableError,
  type WebSocketConstructor, type SignalingStateChange, type PresenceMessage,
} from "../src/index.js";

const WS = WebSocket as unknown as WebSocketConstructor;

interface Server {
  url: string;
  wss: WebSocketServer;
  connections: { socket: WebSocket; request: IncomingMessage; received: Record<string, unknown>[] }[];
  close(): Promise<void>;
}

async function server(onMessage?: (socket: WebSocket, m: Record<string, unknown>) => void): Promise<Server> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has("lilium.v1") ? "lilium.v1" : false) });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const s: Server = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/local`,
    wss,
    connections: [],
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
  wss.on("connection", (socket, request) => {
    const conn = { socket, request, received: [] as Record<string, unknown>[] };
    s.connections.push(conn);
    socket.on("message", (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      conn.received.push(m);
      onMessage?.(socket, m);
    });
  });
  return s;
}

const until = async (what: string, check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test("the token rides in ?token= or in the lilium.v1 + token.<jwt> subprotocols", async () => {
  const s = await server();
  try {
    const a = await SignalingClient.connect({ url: s.url, accessToken: async () => "tok-1", WebSocket: WS });
    const b = await SignalingClient.connect({ url: s.url, accessToken: async () => "tok-2", WebSocket: WS, tokenTransport: "subprotocol" });
    try {
      assert.equal(new URL(s.connections[0]!.request.url!, "http://x").searchParams.get("token"), "tok-1");
      assert.equal(s.connections[0]!.request.headers["sec-websocket-protocol"], undefined);
      assert.deepEqual(String(s.connections[1]!.request.headers["sec-websocket-protocol"]).split(/,\s*/), ["lilium.v1", "token.tok-2"]);
      assert.equal(new URL(s.connections[1]!.request.url!, "http://x").search, "", "no token in the URL");
      a.send({ action: "presence.list" });
      await until("a message", () => s.connections[0]!.received.length === 1);
      assert.deepEqual(s.connections[0]!.received[0], { v: 1, action: "presence.list" }, "v is added");
    } finally {
      a.close();
      b.close();
    }
  } finally {
    await s.close();
  }
});

test("requests correlate by id; error replies and silence become typed errors", async () => {
  const s = await server((socket, m) => {
    if (m.action === "presence.list") socket.send(JSON.stringify({ v: 1, action: "presence.list", id: m.id, online: ["u1"] }));
    if (m.action === "chat.msg") socket.send(JSON.stringify({ v: 1, action: "error", id: m.id, code: "friend-offline", message: "The friend has no open connection." }));
  });
  try {
    const c = await SignalingClient.connect({ url: s.url, accessToken: async () => "t", WebSocket: WS, requestTimeoutMs: 200 });
    const pushed: string[] = [];
    c.on("message", (m) => pushed.push(m.action));
    assert.deepEqual(await c.presenceList(), ["u1"]);
    await assert.rejects(c.request({ action: "chat.msg", to: "u1", ciphertext: "AA==" }), (e: unknown) => e instanceof SignalingError && e.code === "friend-offline");
    await assert.rejects(c.request({ action: "session.end", session: "s" }), SignalingTimeoutError);
    assert.deepEqual(pushed, [], "replies are not also pushed as events");
    const ids = s.connections[0]!.received.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, "fresh ids");
    c.close();
  } finally {
    await s.close();
  }
});

test("hostile frames are ignored; the next good message arrives typed", async () => {
  const s = await server();
  try {
    const c = await SignalingClient.connect({ url: s.url, accessToken: async () => "t", WebSocket: WS });
    const got: PresenceMessage[] = [];
    const all: string[] = [];
    c.on("presence", (m) => got.push(m));
    c.on("message", (m) => all.push(m.action));
    const sock = s.connections[0]!.socket;
    for (const bad of ["not json", "[1,2]", "null", '{"action":42}', '{"action":"presence"}', '{"action":"presence","user":"u","online":"yes"}',
      '{"action":"nope"}', '{"action":"chat.msg","from":"u"}', '{"action":"pong","id":7}', "{".repeat(10000)]) sock.send(bad);
    sock.send(Buffer.from([0xff, 0x00, 0x7b]));
    sock.send(JSON.stringify({ v: 1, action: "presence", user: "u2", online: true }));
    await until("the presence event", () => got.length === 1);
    assert.deepEqual(got[0], { v: 1, action: "presence", user: "u2", online: true });
    assert.deepEqual(all, ["presence"]);
    assert.equal(c.state, "open");
    c.close();
  } finally {
    await s.close();
  }
});

test("keep-alive pings; a missing pong is a drop; it reconnects with a fresh token and says so", async () => {
  let answerPings = true;
  const s = await server((socket, m) => {
    if (m.action === "ping" && answerPings) socket.send(JSON.stringify({ v: 1, action: "pong", id: m.id }));
  });
  try {
    let tokens = 0;
    const c = await SignalingClient.connect({
      url: s.url, accessToken: async () => `tok-${++tokens}`, WebSocket: WS, keepAliveMs: 50, pongTimeoutMs: 100, baseBackoffMs: 20, maxBackoffMs: 50,
    });
    const states: SignalingStateChange[] = [];
    c.on("state", (st) => states.push(st));
    let reconnects = 0;
    c.on("reconnected", () => reconnects++);
    await until("three pings answered", () => s.connections[0]!.received.filter((m) => m.action === "ping").length >= 3);
    assert.equal(c.connects, 1, "answered pings keep the connection");
    const pending = c.request({ action: "presence.list" }, 5000);
    answerPings = false;
    await assert.rejects(pending, LiliumUnavailableError, "a request pending at the drop fails at once");
    await until("reconnected", () => reconnects === 1, 3000);
    answerPings = true;
    assert.equal(c.connects, 2);
    assert.equal(tokens, 2);
    assert.equal(new URL(s.connections[1]!.request.url!, "http://x").searchParams.get("token"), "tok-2");
    assert.equal(states[0]!.state, "reconnecting");
    assert.match(states[0]!.reason!, /no pong/);
    assert.equal(states.at(-1)!.state, "open");

    // The server closes the socket: reconnect again, with backoff attempts counted.
    s.connections[1]!.socket.close(1001, "going away");
    await until("second reconnect", () => reconnects === 2, 3000);
    assert.ok(states.some((st) => st.state === "reconnecting" && /1001/.test(st.reason ?? "")));

    c.close();
    assert.equal(c.state, "closed");
    assert.throws(() => c.send({ action: "ping" }), LiliumUnavailableError);
    const count = s.connections.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.connections.length, count, "no reconnect after close()");
  } finally {
    await s.close();
  }
});

test("while the server is down it keeps retrying with growing delays, then comes back", async () => {
  const s = await server();
  const port = (s.wss.address() as { port: number }).port;
  const c = await SignalingClient.connect({ url: s.url, accessToken: async () => "t", WebSocket: WS, baseBackoffMs: 20, maxBackoffMs: 160, connectTimeoutMs: 500 });
  const attempts: number[] = [];
  c.on("state", (st) => {
    if (st.state === "reconnecting") attempts.push(st.attempt!);
  });
  await s.close();
  await until("three failed attempts", () => attempts.length >= 3, 5000);
  assert.deepEqual(attempts.slice(0, 3), [1, 2, 3]);
  const again = new WebSocketServer({ host: "127.0.0.1", port });
  try {
    await until("reconnected", () => c.state === "open", 5000);
    c.close();
  } finally {
    for (const x of again.clients) x.terminate();
    await new Promise<void>((r) => again.close(() => r()));
  }
});

test("a first connection that cannot open is LiliumUnavailableError", async () => {
  await assert.rejects(SignalingClient.connect({ url: "ws://127.0.0.1:9/local", accessToken: async () => "t", WebSocket: WS, connectTimeoutMs: 2000 }), LiliumUnavailableError);
});
