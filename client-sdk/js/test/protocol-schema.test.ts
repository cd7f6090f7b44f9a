/**
 * The SDK's wire definitions (src/protocol.ts) against the generated protocol schema,
 * client-sdk/protocol/lilium-protocol.schema.json (from client-sdk/Lilium.Protocol, `make protocol-schema`):
 * the actions and their direction, the shared error table, the denial reasons, the data channels and
 * the control messages, and the frames a real SignalingClient puts on a WebSocket, each validated
 * against the schema (test/support/json-schema.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import {
  CLIENT_ACTIONS, SERVER_ACTIONS, ERROR_CODES, JOIN_DENIAL_REASONS, CONTROL_CHANNEL, CONTROL_TYPES, INPUT_CHANNEL,
  SIGNALING_SUBPROTOCOL, SIGNALING_VERSION, SignalingClient, SignalingError, controlGrantMessage, grantUpdateMessage,
  MAX_VIDEO_SIDE, MediaViewer, controlVideoMessage, type ControlVideoAppliedMessage, type ControlErrorMessage,
  isErrorCode, parseControlMessage, parseServerMessage, readPermissions,
  type WebSocketConstructor,
} from "../src/index.js";
import { validate, resolve, type Schema } from "./support/json-schema.js";

const schemaPath = fileURLToPath(new URL("../../../protocol/lilium-protocol.schema.json", import.meta.url));
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Schema;
const defs = schema.$defs as Record<string, Schema>;
const signaling = schema["x-lilium-signaling"] as { version: number; subprotocol: string; clientActions: string[]; serverActions: string[] };


const WS = WebSocket as unknown as WebSocketConstructor;
const HOST = "6f1c2a9e-3b7d-4e21-9a55-0c8d7e6f5a41";
const VIEWER = "a2b3c4d5-e6f7-4890-a1b2-c3d4e5f60718";
const SESSION = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
const GRANT = { keyboard: true, mouse: true, controller: false, immersion: false };

function assertValid(def: string, value: unknown): void {
  const errors = validate(schema, resolve(schema, `#/$defs/${def}`), value);
  assert.deepEqual(errors, [], `${def}: ${JSON.stringify(value)}`);
}

function assertInvalid(def: string, value: unknown): void {
  assert.notDeepEqual(validate(schema, resolve(schema, `#/$defs/${def}`), value), [], `${def} should refuse ${JSON.stringify(value)}`);
}

test("the validator refuses what the schema refuses (so the checks below can fail)", () => {
  assertInvalid("toServer.grant.update", { action: "grant.update", viewer: VIEWER, ...GRANT });
  assertInvalid("toServer.grant.update", { action: "grant.update", viewer: VIEWER, permissions: { keyboard: "yes" } });
  assertInvalid("toServer.chat.msg", { action: "chat.msg", to: HOST, ciphertext: "AA==", from: VIEWER });
  assertInvalid("toServer.join.request", { action: "join.request", session: "not-a-uuid" });
  assertInvalid("toServer.ping", { action: "ping", id: "x".repeat(65) });
  assertInvalid("toClient.error", { v: 1, action: "error", code: "user_not_found", message: "m" });
  assertInvalid("toClient.error", { v: 1, action: "error", code: "internal", message: "m" });
  assertInvalid("ClientMessage", { action: "nope" });
  assertValid("ClientMessage", { action: "ping" });
});

test("every action the SDK sends or reads is in the schema, in the same direction, and vice versa", () => {
  assert.equal(signaling.version, SIGNALING_VERSION);
  assert.equal(signaling.subprotocol, SIGNALING_SUBPROTOCOL);
  const sdkClient = CLIENT_ACTIONS;
  const sdkServer = SERVER_ACTIONS;
  assert.deepEqual([...sdkClient].sort(), [...signaling.clientActions].sort(), "client → server actions");
  assert.deepEqual([...sdkServer].sort(), [...signaling.serverActions].sort(), "server → client actions");
  for (const a of sdkClient) {
    assert.ok(defs[`toServer.${a}`], `toServer.${a} defined`);
    assert.equal((defs[`toServer.${a}`]!.properties as Record<string, Schema>).action!.const, a);
  }
  for (const a of sdkServer) {
    assert.ok(defs[`toClient.${a}`], `toClient.${a} defined`);
    assert.equal((defs[`toClient.${a}`]!.properties as Record<string, Schema>).action!.const, a);
  }
});

test("the SDK's error codes are exactly the schema's error table, in its order", () => {
  const errorCode = defs.ErrorCode!;
  const table = (errorCode["x-lilium-errors"] as { code: string; status: number }[]).map((e) => e.code);
  assert.deepEqual([...ERROR_CODES], errorCode.enum, "ERROR_CODES = $defs.ErrorCode.enum");
  assert.deepEqual([...ERROR_CODES], table, "ERROR_CODES = x-lilium-errors");
  for (const c of ERROR_CODES) assert.match(c, /^[a-z]+(-[a-z]+)*$/, "hyphenated");
  assert.ok(isErrorCode("user-not-found") && !isErrorCode("user_not_found") && !isErrorCode("internal"));
  assert.deepEqual([...JOIN_DENIAL_REASONS], defs.DenialReason!.enum);
});

test("data channels and control message types match the schema", () => {
  const channels = schema["x-lilium-data-channels"] as Record<string, { label: string; protocol: string }>;
  assert.deepEqual({ label: channels.input!.label, protocol: channels.input!.protocol }, INPUT_CHANNEL);
  assert.deepEqual({ label: channels.control!.label, protocol: channels.control!.protocol }, CONTROL_CHANNEL);
  const control = defs.ControlMessage!;
  assert.deepEqual([...CONTROL_TYPES.toRelay], control["x-lilium-to-relay"]);
  assert.deepEqual([...CONTROL_TYPES.toHost], control["x-lilium-to-host"]);
  assert.deepEqual([...CONTROL_TYPES.fromViewer], control["x-lilium-from-viewer"]);
  assert.deepEqual([...CONTROL_TYPES.toViewer], control["x-lilium-to-viewer"]);
  const maxWidth = (control.properties as Record<string, Schema>).maxWidth!;
  assert.equal(maxWidth.maximum, MAX_VIDEO_SIDE);
});

test("control channel: the viewer's video hint validates; out-of-range sides are left out; video.applied parses", () => {
  assert.deepEqual(controlVideoMessage({}), { type: "video", paused: false });
  assert.deepEqual(controlVideoMessage({ paused: true }), { type: "video", paused: true });
  assert.deepEqual(controlVideoMessage({ maxWidth: 1279.6, maxHeight: 720 }), { type: "video", paused: false, maxWidth: 1280, maxHeight: 720 });
  assert.deepEqual(controlVideoMessage({ maxWidth: 0, maxHeight: Number.NaN }), { type: "video", paused: false }, "no usable size: no limit");
  assert.deepEqual(controlVideoMessage({ maxWidth: 40_000, maxHeight: 0.2 }), { type: "video", paused: false, maxWidth: MAX_VIDEO_SIDE, maxHeight: 1 });
  for (const hint of [{}, { paused: true }, { maxWidth: 1280, maxHeight: 720 }, { maxWidth: 40_000 }, { maxHeight: 0.4 }]) {
    assertValid("ControlMessage", JSON.parse(JSON.stringify(controlVideoMessage(hint))));
  }
  assertInvalid("ControlMessage", { type: "video", maxWidth: 0 });
  assertInvalid("ControlMessage", { type: "video", maxHeight: MAX_VIDEO_SIDE + 1 });
  assertInvalid("ControlMessage", { type: "video", maxWidth: 12.5 });
  assertInvalid("ControlMessage", { type: "video", paused: "yes" });

  const applied = { type: "video.applied", paused: false, maxWidth: 640 };
  assertValid("ControlMessage", applied);
  assert.deepEqual(parseControlMessage(JSON.stringify(applied)), { type: "video.applied", paused: false, maxWidth: 640, maxHeight: null });
  assert.deepEqual(parseControlMessage('{"type":"video.applied","paused":true}'), { type: "video.applied", paused: true, maxWidth: null, maxHeight: null });
  assert.equal(parseControlMessage('{"type":"video.applied","paused":"no"}'), null);
  assert.equal(parseControlMessage('{"type":"video.applied","maxWidth":-3}'), null);
});

/** A data channel as far as MediaViewer uses it: readyState, send, open and message events. */
class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = "connecting";
  readonly label = "control";
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  open(): void {
    this.readyState = "open";
    this.dispatchEvent(new Event("open"));
  }
  receive(data: string): void {
    const e = new Event("message") as Event & { data: string };
    e.data = data;
    this.dispatchEvent(e);
  }
}

test("MediaViewer.setVideoHint: the latest hint goes when the channel opens, repeats are not sent, answers become events", () => {
  const channel = new FakeChannel();
  const pc = Object.assign(new EventTarget(), { ontrack: null, connectionState: "new" }) as unknown as RTCPeerConnection;
  const viewer = new MediaViewer(pc, null, channel as unknown as RTCDataChannel);
  const applied: ControlVideoAppliedMessage[] = [];
  const errors: ControlErrorMessage[] = [];
  viewer.on("videoApplied", (m) => applied.push(m));
  viewer.on("controlError", (m) => errors.push(m));

  assert.equal(viewer.setVideoHint({ maxWidth: 1920, maxHeight: 1080 }), true);
  assert.equal(viewer.setVideoHint({ paused: true }), true);
  assert.deepEqual(channel.sent, [], "nothing before the channel opens");
  channel.open();
  assert.deepEqual(channel.sent.map((m) => JSON.parse(m)), [{ type: "video", paused: true }], "only the latest");
  viewer.setVideoHint({ paused: true });
  assert.equal(channel.sent.length, 1, "an unchanged hint is not sent again");
  viewer.setVideoHint({ paused: false, maxWidth: 640, maxHeight: 360 });
  assert.deepEqual(JSON.parse(channel.sent[1]!), { type: "video", paused: false, maxWidth: 640, maxHeight: 360 });

  channel.receive('{"type":"video.applied","paused":false,"maxWidth":640,"maxHeight":360}');
  channel.receive('{"type":"error","code":"bad-request","detail":"x"}');
  channel.receive("not json");
  assert.deepEqual(applied, [{ type: "video.applied", paused: false, maxWidth: 640, maxHeight: 360 }]);
  assert.deepEqual(errors, [{ type: "error", code: "bad-request", detail: "x" }]);
  assert.equal(new MediaViewer(pc, null).setVideoHint({ paused: true }), false, "no control channel");
});

test("control channel: the host's grant validates; the relay's messages validate and parse", () => {
  const grant = JSON.parse(JSON.stringify(controlGrantMessage(VIEWER, { ...GRANT, extra: 1 } as typeof GRANT)));
  assert.deepEqual(grant, { type: "grant", viewer: VIEWER, permissions: GRANT });
  assertValid("ControlMessage", grant);
  const fromRelay = [
    { type: "grant.applied", viewer: VIEWER, permissions: GRANT, peers: 1, released: 2 },
    { type: "viewer.joined", viewer: VIEWER, peer: HOST, permissions: { mouse: true } },
    { type: "viewer.left", viewer: VIEWER, peer: HOST },
    { type: "error", code: "bad-json", detail: "Not JSON." },
    { type: "error", code: "unknown-type" },
  ];
  for (const m of fromRelay) {
    assertValid("ControlMessage", m);
    assert.ok(parseControlMessage(JSON.stringify(m)), `parses ${m.type}`);
  }
  const joined = parseControlMessage(JSON.stringify(fromRelay[1]));
  assert.deepEqual(joined, { type: "viewer.joined", viewer: VIEWER, peer: HOST, permissions: { keyboard: false, mouse: true, controller: false, immersion: false } }, "absent flags are false");
  const applied = parseControlMessage(JSON.stringify(fromRelay[0]));
  assert.deepEqual(applied, { type: "grant.applied", viewer: VIEWER, permissions: GRANT, peers: 1, released: 2 });
  assert.equal(parseControlMessage(JSON.stringify({ type: "grant.applied", viewer: VIEWER, permissions: { keyboard: 1 } })), null, "a non-boolean flag is malformed");
});

test("permissions: one JSON form, absent flags false, anything else refused", () => {
  assert.deepEqual(readPermissions({}), { keyboard: false, mouse: false, controller: false, immersion: false });
  assert.deepEqual(readPermissions({ immersion: true }), { keyboard: false, mouse: false, controller: false, immersion: true });
  assert.equal(readPermissions({ keyboard: "true" }), null);
  assert.equal(readPermissions([true]), null);
  assert.equal(readPermissions(null), null);
  assertValid("PermissionSet", { keyboard: true });
  assertInvalid("PermissionSet", { keyboard: 1 });
  assertValid("toServer.grant.update", grantUpdateMessage(VIEWER, GRANT, SESSION));
  assertValid("toServer.grant.update", grantUpdateMessage(VIEWER, GRANT));
});

/** A scripted server: answers each request with a schema-valid reply and records every frame the client sent. */
function serverReply(m: Record<string, unknown>): Record<string, unknown> {
  const id = m.id as string;
  switch (m.action) {
    case "presence.list": return { v: 1, action: "presence.list", id, online: [HOST] };
    case "chat.hello": return { v: 1, action: "chat.receipt", id, to: m.to, delivered: 1 };
    case "chat.msg": return { v: 1, action: "chat.receipt", id, to: m.to, delivered: 2 };
    case "join.request": return { v: 1, action: "join.pending", id, requestId: "r1", session: m.session, host: HOST };
    case "join.accept": return { v: 1, action: "join.accepted", id, requestId: m.requestId, session: SESSION, viewer: VIEWER, nick: "v", permissions: GRANT, delivered: 1 };
    case "join.decline": return { v: 1, action: "join.declined", id, requestId: m.requestId, session: SESSION, viewer: VIEWER };
    case "rtc.offer": case "rtc.answer": case "rtc.ice": return { v: 1, action: "rtc.sent", id, to: m.to, session: m.session };
    case "grant.update": return { v: 1, action: "grant.updated", id, viewer: m.viewer, session: m.session ?? null, delivered: 3, permissions: m.permissions };
    case "session.end": return { v: 1, action: "session.ended", id, session: m.session, host: HOST, reason: "host" };
    case "session.kick": return { v: 1, action: "session.kicked", id, session: m.session, viewer: m.viewer, delivered: 1 };
    case "chat.ack": return { v: 1, action: "error", id, code: "friend-offline", message: "offline" };
    default: return { v: 1, action: "error", id, code: "unknown-action", message: "?" };
  }
}

test("the frames SignalingClient sends validate against the schema; the replies it reads do too", async () => {
  const received: Record<string, unknown>[] = [];
  const replies: Record<string, unknown>[] = [];
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has(SIGNALING_SUBPROTOCOL) ? SIGNALING_SUBPROTOCOL : false) });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  wss.on("connection", (socket) => socket.on("message", (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    received.push(m);
    if (m.action === "ping") return;
    const reply = serverReply(m);
    replies.push(reply);
    socket.send(JSON.stringify(reply));
  }));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/local`;
  const c = await SignalingClient.connect({ url, accessToken: async () => "t", WebSocket: WS });
  try {
    assert.deepEqual(await c.presenceList(), [HOST]);
    await c.request({ action: "chat.hello", to: HOST, key: "AAEC" });
    await c.request({ action: "chat.msg", to: HOST, ciphertext: "AAECAw==" });
    await assert.rejects(c.request({ action: "chat.ack", to: HOST, msgId: "m1" }), (e: unknown) => e instanceof SignalingError && e.code === "friend-offline");
    assert.equal((await c.requestJoin(SESSION)).action, "join.pending");
    assert.equal((await c.requestJoin(SESSION, HOST)).action, "join.pending");
    assert.deepEqual((await c.acceptJoin("r1")).permissions, GRANT);
    await c.declineJoin("r2");
    await c.sendSdp("rtc.offer", HOST, SESSION, "v=0\r\n");
    await c.sendSdp("rtc.answer", HOST, SESSION, "v=0\r\n");
    await c.sendIce(HOST, SESSION, "candidate:1 1 udp 1 127.0.0.1 9 typ host");
    await c.sendIce(HOST, SESSION, { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 });
    await c.sendIce(HOST, SESSION, null);
    assert.equal(await c.updateGrant(VIEWER, GRANT), 3);
    assert.equal(await c.updateGrant(VIEWER, { ...GRANT, controller: true }, SESSION), 3);
    assert.equal(await c.kick(SESSION, VIEWER), 1);
    await c.endSession(SESSION);
  } finally {
    c.close();
    await new Promise<void>((r) => wss.close(() => r()));
  }
  const sent = received.filter((m) => m.action !== "ping");
  assert.ok(sent.length >= 17, `saw ${sent.length} frames`);
  const grantUpdates = sent.filter((m) => m.action === "grant.update");
  assert.deepEqual(grantUpdates.map((m) => m.permissions), [GRANT, { ...GRANT, controller: true }], "grant.update carries `permissions`");
  for (const m of grantUpdates) for (const flag of Object.keys(GRANT)) assert.ok(!(flag in m), `no flat ${flag}`);
  for (const m of received) {
    const action = m.action as string;
    assertValid("ClientMessage", m);
    assertValid(`toServer.${action}`, m);
  }
  for (const m of replies) {
    const action = m.action as string;
    assert.ok(parseServerMessage(JSON.stringify(m)), `the SDK reads ${action}`);
    assertValid("ServerMessage", m);
    assertValid(`toClient.${action}`, m);
  }
});

test("server messages: permissions nested and normalised, the old flat form refused", () => {
  const updated = parseServerMessage(JSON.stringify({ v: 1, action: "grant.updated", host: HOST, session: SESSION, permissions: { keyboard: true } }));
  assert.deepEqual(updated && updated.action === "grant.updated" ? updated.permissions : null, { keyboard: true, mouse: false, controller: false, immersion: false });
  assert.equal(parseServerMessage(JSON.stringify({ v: 1, action: "grant.updated", host: HOST, ...GRANT })), null, "flat flags without `permissions`");
  const accepted = { v: 1, action: "join.accepted", requestId: "r", session: SESSION, host: HOST, grant: "g", expiresAt: 1_800_000_000, relayUrl: "http://127.0.0.1:1", permissions: {} };
  assertValid("toClient.join.accepted", accepted);
  const parsed = parseServerMessage(JSON.stringify(accepted));
  assert.deepEqual(parsed && parsed.action === "join.accepted" ? parsed.permissions : null, { keyboard: false, mouse: false, controller: false, immersion: false });
  const error = { v: 1, action: "error", code: "internal-error", message: "Something broke." };
  assertValid("toClient.error", error);
  assert.ok(parseServerMessage(JSON.stringify(error)));
});

