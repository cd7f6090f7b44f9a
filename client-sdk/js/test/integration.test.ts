/**
 * Against the real REST API, WebSocket gateway and media relay (test/support/stack.ts starts them on free ports
 * unless LILIUM_API_URL / LILIUM_WS_URL are set): registration and login, every REST route the SDK
 * calls, token renewal, typed problems, signaling (presence, correlation, join flow, grants, session
 * end, reconnect, both token transports), end-to-end chat with key pinning, and — in headless
 * Chromium, since Node has no RTCPeerConnection — WHIP/WHEP and input through the relay: the page
 * (test/browser/media-page.js) publishes a canvas + oscillator with `publish`, watches it with
 * `subscribe`, and sends input the relay forwards or drops by the viewer's grant. One stack for all,
 * to stay quick.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import {
  LiliumIdentity, LiliumApiClient, SignalingClient, ChatClient, apiKeyLookup, KeyValuePinStore, KeyChangedError, LiliumProblemError,
  LiliumUnavailableError, SignalingError, API_ROUTES, fromBase64, toBase64,
  type WebSocketConstructor, type ChatMessage, type ServerMessage, type SignalingStateChange, type JoinIncomingMessage,
} from "../src/index.js";
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startStack, type Stack } from "./support/stack.js";
import { launchChromium } from "./support/chromium.js";
import { compareRoutes, openApiRoutes } from "../scripts/check-routes.js";

const WS = WebSocket as unknown as WebSocketConstructor;
let stack: Stack;
let server: Server;
let origin: string;
const here = dirname(fileURLToPath(import.meta.url)); // build/test
const jsRoot = join(here, "../..");

// Serves the compiled SDK (build/src as /sdk/) and the media test page to Chromium.
async function startPageServer(): Promise<void> {
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><meta charset=utf-8><title>sdk-js</title><script type=module src="/media-page.js"></script>`);
      return;
    }
    const file = path.startsWith("/sdk/") ? join(here, "../src", path.slice(5)) : path === "/media-page.js" ? join(jsRoot, "test/browser/media-page.js") : null;
    try {
      if (file === null) throw new Error("not found");
      res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(Number(process.env.LILIUM_TEST_PAGE_PORT ?? 0), "127.0.0.1", () => r()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

interface User { identity: LiliumIdentity; api: LiliumApiClient; id: string; nick: string }
const suffix = Math.random().toString(36).slice(2, 8);
let alice: User;
let bob: User;
let carol: User;
const sockets: SignalingClient[] = [];

async function newUser(name: string): Promise<User> {
  const identity = await LiliumIdentity.create();
  const api = new LiliumApiClient({ baseUrl: stack.apiUrl, identity });
  const nick = `${name}${suffix}`;
  const user = await api.registerAndLogin(nick);
  assert.equal(user.fingerprint, identity.fingerprint, "the server's fingerprint is the SDK's");
  assert.equal(user.publicKey, toBase64(identity.publicKey));
  return { identity, api, id: user.id, nick };
}

async function connect(u: User, tokenTransport: "query" | "subprotocol" = "query"): Promise<SignalingClient> {
  const s = await SignalingClient.connect({ url: stack.wsUrl, accessToken: () => u.api.getAccessToken(), WebSocket: WS, tokenTransport, baseBackoffMs: 100, maxBackoffMs: 1000 });
  sockets.push(s);
  return s;
}

function next<T>(register: (resolve: (v: T) => void) => () => void, ms = 5000, what = "event"): Promise<T> {
  return new Promise((resolve, reject) => {
    let off = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    off = register((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

before(async () => {
  await startPageServer();
  // The page's origin differs from the relay's, so the relay must allow it (as it allows the web app's).
  stack = await startStack({ withRelay: true, relayAllowedOrigins: [origin] });
  alice = await newUser("alice");
  bob = await newUser("bob");
  carol = await newUser("carol");
}, { timeout: 120_000 });

after(async () => {
  for (const s of sockets) s.close();
  server?.close();
  await stack?.stop();
});

test("the SDK's route list matches the API's OpenAPI document", async () => {
  const doc = await (await fetch(`${stack.apiUrl}/openapi/v1.json`)).json();
  assert.ok(openApiRoutes(doc).length >= API_ROUTES.length, "the document lists the API's operations");
  const { missing, uncovered } = compareRoutes(doc, API_ROUTES);
  assert.deepEqual(missing, [], "every route the SDK calls exists with that method");
  assert.deepEqual(uncovered, [], "every API route has an SDK method");
});

test("users: me, by id, search by nickname prefix and by fingerprint", async () => {
  assert.equal((await alice.api.me()).id, alice.id);
  assert.equal(alice.api.userId, alice.id);
  assert.equal((await alice.api.getUser(bob.id)).nickname, bob.nick);
  const found = await alice.api.searchByNickname(`BOB${suffix}`.toLowerCase().slice(0, 5));
  assert.ok(found.some((u) => u.id === bob.id));
  assert.deepEqual((await alice.api.searchByFingerprint(bob.identity.fingerprint)).map((u) => u.id), [bob.id]);
  assert.deepEqual(await alice.api.searchByFingerprint("00".repeat(32)), []);
  assert.equal((await alice.api.health()).status, "ok");
  const again = await alice.api.register(alice.nick);
  assert.equal(again.id, alice.id, "registering the same key again is idempotent");
});

test("errors are typed problem details with the API's code", async () => {
  const missing = await alice.api.getUser("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
  assert.ok(missing instanceof LiliumProblemError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "user-not-found", "the shared error table's hyphenated code");
  const bad = await alice.api.createSession(1000).catch((e: unknown) => e);
  assert.ok(bad instanceof LiliumProblemError);
  assert.equal(bad.status, 400);
  assert.equal(bad.code, "invalid-max-viewers", `the API's own code, got ${bad.code}`);
  const offline = new LiliumApiClient({ baseUrl: "http://127.0.0.1:9", identity: alice.identity });
  await assert.rejects(offline.me(), LiliumUnavailableError);
});

test("friends: request, accept, grants, decline, block, remove", async () => {
  assert.equal((await alice.api.requestFriend(bob.id)).status, "pending");
  const incoming = (await bob.api.listFriends()).find((f) => f.userId === alice.id);
  assert.equal(incoming?.direction, "incoming");
  assert.equal(incoming?.status, "pending");
  assert.equal((await bob.api.acceptFriend(alice.id)).status, "accepted");
  assert.equal((await alice.api.listFriends()).find((f) => f.userId === bob.id)?.status, "accepted");

  const grants = { keyboard: true, mouse: true, controller: false, immersion: false };
  assert.deepEqual(await alice.api.setGrants(bob.id, grants), grants);
  assert.deepEqual(await alice.api.getGrants(bob.id), grants);

  await carol.api.requestFriend(bob.id);
  assert.equal((await bob.api.declineFriend(carol.id)).status, "declined");
  assert.equal((await carol.api.blockUser(alice.id)).status, "blocked");
  await carol.api.removeFriend(alice.id);
  assert.equal((await carol.api.listFriends()).some((f) => f.userId === alice.id), false);
  const notFriends = await carol.api.getGrants(alice.id).catch((e: unknown) => e);
  assert.ok(notFriends instanceof LiliumProblemError && notFriends.status >= 400 && notFriends.status < 500);
});

test("tokens renew transparently: on 401 (revoked) and ahead of expiry (refresh)", async () => {
  const before = await alice.api.getAccessToken();
  alice.api.corruptAccessTokenForTests();
  assert.equal((await alice.api.me()).id, alice.id, "401 → renew once → retry");
  assert.notEqual(await alice.api.getAccessToken(), before);

  let skew = 0;
  const api = new LiliumApiClient({ baseUrl: stack.apiUrl, identity: bob.identity, now: () => Date.now() + skew });
  await api.login();
  const first = await api.getAccessToken();
  skew = 15 * 60_000 - 10_000; // 10 s before the 15-minute token expires: inside the 30 s window
  const renewed = await api.getAccessToken();
  assert.notEqual(renewed, first);
  skew = 0;
  assert.equal((await api.me()).id, bob.id);
  const [x, y] = await Promise.all([api.getAccessToken(), api.getAccessToken()]);
  assert.equal(x, y, "concurrent callers share one token");
});

test("sessions: create, get, invite, redeem, participants, relay grants, end", async () => {
  const session = await alice.api.createSession(4);
  assert.equal(session.hostId, alice.id);
  assert.equal(session.state, "active");
  assert.equal((await bob.api.getSession(session.id)).id, session.id, "visible to the host's friend");
  const invite = await alice.api.createInvite(session.id, { expiresInSeconds: 600, maxUses: 2 });
  assert.equal(invite.maxUses, 2);
  const redeemed = await carol.api.redeemInvite(invite.code);
  assert.deepEqual(redeemed, { sessionId: session.id, outcome: "joined" });
  assert.equal((await carol.api.redeemInvite(invite.code)).outcome, "alreadyJoined");
  const participants = await alice.api.listParticipants(session.id);
  assert.deepEqual(participants.map((p) => p.role).sort(), ["host", "viewer"]);
  assert.ok(participants.some((p) => p.userId === carol.id && p.nickname === carol.nick));
  const host = await alice.api.issueRelayGrant(session.id);
  assert.equal(host.role, "host");
  await assert.rejects(bob.api.issueRelayGrant(session.id), (e: unknown) => e instanceof LiliumProblemError && e.status === 403, "no grant before the host admits");
  await alice.api.admitViewer(session.id, bob.id);
  const viewer = await bob.api.issueRelayGrant(session.id);
  assert.equal(viewer.role, "viewer");
  assert.deepEqual(viewer.permissions, { keyboard: true, mouse: true, controller: false, immersion: false }, "the host's grant to this friend");
  const ended = await alice.api.endSession(session.id);
  assert.equal(ended.state, "ended");
  assert.ok(ended.endedAt);
  const afterEnd = await bob.api.issueRelayGrant(session.id).catch((e: unknown) => e);
  assert.ok(afterEnd instanceof LiliumProblemError);
});

test("signaling: presence, correlation, errors with codes, both token transports, bad token refused", async () => {
  const a = await connect(alice);
  const online = next<ServerMessage>((r) => a.on("presence", (m) => { if (m.user === bob.id && m.online) r(m); }), 5000, "bob online");
  const b = await connect(bob, "subprotocol");
  await online;
  assert.ok((await a.presenceList()).includes(bob.id));
  await assert.rejects(a.request({ action: "chat.msg", to: carol.id, ciphertext: "AAAA" }), (e: unknown) => e instanceof SignalingError && e.code === "not-friends");
  await assert.rejects(a.request({ action: "session.end", session: "00000000-0000-4000-8000-000000000000" }), SignalingError);
  await assert.rejects(
    SignalingClient.connect({ url: stack.wsUrl, accessToken: async () => "garbage", WebSocket: WS, connectTimeoutMs: 5000 }),
    LiliumUnavailableError);
  assert.equal(b.state, "open");
});

test("end-to-end chat both ways, acks, and a changed key raises KeyChangedError", async () => {
  const a = sockets[0]!;
  const b = sockets[1]!;
  const aChat = new ChatClient({ signaling: a, identity: alice.identity, userId: alice.id, lookupKey: apiKeyLookup(alice.api) });
  const bChat = new ChatClient({ signaling: b, identity: bob.identity, userId: bob.id, lookupKey: apiKeyLookup(bob.api) });
  try {
    const got = next<ChatMessage>((r) => bChat.on("message", r), 5000, "bob's message");
    const acked = next<{ msgId: string }>((r) => aChat.on("ack", r), 5000, "ack");
    const sent = await aChat.send(bob.id, "hello bob ✓");
    assert.equal(sent.delivered, 1);
    const m = await got;
    assert.equal(m.text, "hello bob ✓");
    assert.equal(m.from, alice.id);
    assert.equal((await acked).msgId, sent.msgId);
    const back = next<ChatMessage>((r) => aChat.on("message", r), 5000, "alice's message");
    await bChat.send(alice.id, "hi alice");
    assert.equal((await back).text, "hi alice");
    assert.equal(aChat.rejected + bChat.rejected, 0);
    assert.equal((await aChat.pins.get(bob.id))?.fingerprint, bob.identity.fingerprint, "pinned on first use");

    // Reconnect: sessions are per connection; chat recovers with a new handshake.
    const states: SignalingStateChange[] = [];
    const offState = b.on("state", (s) => states.push(s));
    const reconnected = next<number>((r) => b.on("reconnected", r), 10_000, "reconnect");
    b.dropConnectionForTests();
    await reconnected;
    offState();
    assert.deepEqual(states.map((s) => s.state), ["reconnecting", "open"]);
    const afterDrop = next<ChatMessage>((r) => aChat.on("message", r), 5000, "message after reconnect");
    await bChat.send(alice.id, "still here");
    assert.equal((await afterDrop).text, "still here");

    // A pin that is not bob's current key: the app hears keyChanged, and nothing is sent.
    const mallory = await LiliumIdentity.create();
    const pins = new KeyValuePinStore();
    await pins.set(bob.id, { publicKey: mallory.publicKey, fingerprint: mallory.fingerprint, pinnedAt: 0 });
    const wary = new ChatClient({ signaling: a, identity: alice.identity, userId: alice.id, lookupKey: apiKeyLookup(alice.api), pins });
    const changed = next<KeyChangedError>((r) => wary.on("keyChanged", r), 5000, "keyChanged");
    await assert.rejects(wary.send(bob.id, "secret"), KeyChangedError);
    const e = await changed;
    assert.equal(e.pinnedFingerprint, mallory.fingerprint);
    assert.equal(e.currentFingerprint, bob.identity.fingerprint);
    await wary.acceptKeyChange(bob.id);
    const viaWary = next<ChatMessage>((r) => bChat.on("message", r), 5000, "message after accepting the new key");
    aChat.close(); // one chat client per connection from here
    await wary.send(bob.id, "after re-pin");
    assert.equal((await viaWary).text, "after re-pin");
    wary.close();
    assert.deepEqual(fromBase64((await bob.api.me()).publicKey), bob.identity.publicKey);
  } finally {
    aChat.close();
    bChat.close();
  }
});

test("join over signaling: incoming, accept with a relay grant, grant.update, session.end", async () => {
  const a = sockets[0]!;
  const b = sockets[1]!;
  const session = await alice.api.createSession();
  const incoming = next<JoinIncomingMessage>((r) => a.on("join.incoming", r), 5000, "join.incoming");
  const joining = b.join(session.id, { host: alice.id, timeoutMs: 10_000 });
  const req = await incoming;
  assert.equal(req.from, bob.id);
  assert.equal(req.nick, bob.nick);
  const hostReply = await a.acceptJoin(req.requestId);
  assert.equal(hostReply.viewer, bob.id);
  const accepted = await joining;
  assert.equal(accepted.action, "join.accepted");
  if (accepted.action !== "join.accepted") return;
  assert.ok(accepted.grant && accepted.grant.length > 20, "a relay grant for WHEP");
  assert.equal(accepted.host, alice.id);
  assert.deepEqual(accepted.permissions, { keyboard: true, mouse: true, controller: false, immersion: false });

  const updated = next<ServerMessage>((r) => b.on("grant.updated", r), 5000, "grant.updated");
  const delivered = await a.updateGrant(bob.id, { keyboard: false, mouse: true, controller: true, immersion: true }, session.id);
  assert.equal(delivered, 1);
  const u = await updated;
  assert.ok(u.action === "grant.updated" && u.permissions.controller && !u.permissions.keyboard);
  assert.deepEqual(await alice.api.getGrants(bob.id), { keyboard: false, mouse: true, controller: true, immersion: true }, "persisted");

  const ended = next<ServerMessage>((r) => b.on("session.ended", r), 5000, "session.ended");
  await a.endSession(session.id);
  assert.equal((await ended).action, "session.ended");

  // A declined request: the viewer's join resolves with join.denied "declined".
  const s2 = await alice.api.createSession();
  const incoming2 = next<JoinIncomingMessage>((r) => a.on("join.incoming", r), 5000, "second join.incoming");
  const joining2 = b.join(s2.id);
  await a.declineJoin((await incoming2).requestId);
  const denied = await joining2;
  assert.ok(denied.action === "join.denied" && denied.reason === "declined");
  const c = await connect(carol);
  const refused = await c.join(s2.id);
  assert.ok(refused.action === "join.denied" && refused.reason === "no-session", "to a non-friend the session does not exist");
});

test("publish and subscribe through the relay; input passes or drops by the viewer's grant", { timeout: 90_000 }, async () => {
  assert.ok(stack.relayUrl, "LILIUM_RELAY_URL must be set with LILIUM_API_URL (and allow this page's origin: LILIUM_TEST_PAGE_PORT fixes it)");
  const user = async (nick: string) => {
    const api = new LiliumApiClient({ baseUrl: stack.apiUrl, identity: await LiliumIdentity.create() });
    return { api, user: await api.registerAndLogin(nick + Math.random().toString(36).slice(2, 7)) };
  };
  const host = await user("host");
  const viewer = await user("viewer");
  await host.api.requestFriend(viewer.user.id);
  await viewer.api.acceptFriend(host.user.id);
  await host.api.setGrants(viewer.user.id, { keyboard: true, mouse: true, controller: false, immersion: false });
  const session = await host.api.createSession();
  const hostGrant = await host.api.issueRelayGrant(session.id);
  await host.api.admitViewer(session.id, viewer.user.id);
  const viewerGrant = await viewer.api.issueRelayGrant(session.id);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage(origin + "/");
    await page.evaluate("new Promise(r => { const t = setInterval(() => { if (window.ready) { clearInterval(t); r(true); } }, 20); })", 10_000);
    const r = await page.evaluate<Record<string, unknown>>(`runMedia(${JSON.stringify({
      relayUrl: stack.relayUrl, sessionId: session.id, hostGrant: hostGrant.token, viewerGrant: viewerGrant.token, viewerId: viewer.user.id,
    })})`, 80_000);

    assert.match(String(r.whipResource), new RegExp(`/whip/${session.id}/`));
    assert.match(String(r.whepResource), new RegExp(`/whep/${session.id}/`));
    assert.deepEqual(r.hostGrantOnWhep, { name: "RelayRejectedError", status: 403, code: "forbidden" }, "a host grant is refused for WHEP with a typed problem carrying `code`");
    assert.deepEqual(r.jitterBufferTargets, [0, 0]);
    assert.deepEqual(r.inputChannel, { ordered: false, maxRetransmits: 0, protocol: "lilium-input/1", label: "input" });
    assert.ok((r.framesDecoded as number) >= 10);
    assert.deepEqual(r.tracks, ["audio", "video"]);
    assert.equal((r.joined as { viewer: string }).viewer, viewer.user.id);
    assert.deepEqual(r.beforeRevoke, [
      { viewer: viewer.user.id, event: { kind: "mouseMove", relative: false, x: 1000, y: 2000 } },
      { viewer: viewer.user.id, event: { kind: "key", down: true, usage: 4, modifiers: 0 } }, // the relay computes modifiers from the keys it saw held, not from the byte the viewer sent (docs/security.md)
      { viewer: viewer.user.id, event: { kind: "key", down: false, usage: 4, modifiers: 0 } },
      { viewer: viewer.user.id, event: { kind: "mouseButton", button: 0, down: true } },
      { viewer: viewer.user.id, event: { kind: "key", down: true, usage: 6, modifiers: 0 } },
    ], "relative motion (immersion) was dropped by the relay");
    const applied = r.applied as { type: string; viewer: string; permissions: { keyboard: boolean; mouse: boolean }; peers: number; released: number };
    assert.equal(applied.type, "grant.applied");
    assert.deepEqual(applied.permissions, { keyboard: false, mouse: true, controller: false, immersion: false }, "the relay's grant.applied carries `permissions`");
    assert.equal(applied.peers, 1);
    assert.equal(applied.released, 1, "the held key was released");
    assert.deepEqual(r.afterRevoke, [{ kind: "key", down: false, usage: 6, modifiers: 0 }, { kind: "mouseWheel", dx: 0, dy: 120 }],
      "the relay's release of the held key, then the wheel; the key pressed after the revoke never arrived");
    assert.equal((r.viewerLeft as { viewer: string } | null)?.viewer, viewer.user.id, "DELETE ended the viewer at the relay");
    assert.equal(r.closed, "closed");

    assert.deepEqual(await page.evaluate("runStorage()", 20_000), {
      same: true, extractable: false, verified: true, backup: true, pinFingerprint: true, missing: null, kicked: "KeyChangedError",
    }, "identities and pins persist in IndexedDB, keys non-extractable");
  } finally {
    await browser.close();
  }
});
