// Loaded by test/browser.test.ts in headless Chromium: publishes a canvas + oscillator through
// @lilium/sdk's WHIP helper, watches it through WHEP, and sends input through the relay.
import * as sdk from "/sdk/index.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v) return v;
    await sleep(50);
  }
  throw new Error("timed out: " + what);
}

async function framesDecoded(pc) {
  let n = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") n = s.framesDecoded ?? 0; });
  return n;
}

window.runMedia = async ({ relayUrl, sessionId, hostGrant, viewerGrant, viewerId }) => {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const ctx = canvas.getContext("2d");
  let n = 0;
  const paint = setInterval(() => {
    ctx.fillStyle = `hsl(${(n++ * 17) % 360} 80% 50%)`;
    ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = "#000";
    ctx.fillText(String(n), 10, 20);
  }, 33);
  const stream = canvas.captureStream(30);
  const audio = new AudioContext();
  const osc = audio.createOscillator();
  const dest = audio.createMediaStreamDestination();
  osc.connect(dest);
  osc.start();
  stream.addTrack(dest.stream.getAudioTracks()[0]);

  const result = { t: {} };
  const t0 = performance.now();
  const mark = (name) => { result.t[name] = Math.round(performance.now() - t0); };
  const pub = await sdk.publish(stream, { relayUrl, sessionId, grant: hostGrant });
  result.whipResource = pub.resourceUrl;
  mark("published");
  const inputs = [];
  const joined = [];
  pub.on("input", (e) => inputs.push(e));
  pub.on("viewerJoined", (e) => joined.push(e));

  const rejected = await sdk.subscribe({ relayUrl, sessionId, grant: hostGrant, waitForPublisherMs: 0 }).then(() => null, (e) => ({ name: e.name, status: e.status, code: e.code }));
  result.hostGrantOnWhep = rejected;
  mark("refused");

  const viewer = await sdk.subscribe({ relayUrl, sessionId, grant: viewerGrant });
  result.whepResource = viewer.resourceUrl;
  mark("subscribed");
  result.jitterBufferTargets = viewer.pc.getReceivers().map((r) => r.jitterBufferTarget ?? null);
  result.inputChannel = { ordered: viewer.inputChannel.ordered, maxRetransmits: viewer.inputChannel.maxRetransmits, protocol: viewer.inputChannel.protocol, label: viewer.inputChannel.label };
  result.framesDecoded = await until("10 decoded frames", async () => { const f = await framesDecoded(viewer.pc); return f >= 10 ? f : 0; });
  mark("frames");
  result.tracks = viewer.stream.getTracks().map((t) => t.kind).sort();
  await until("viewer.joined on control", () => joined.length > 0);
  result.joined = joined[0];

  // The viewer's relay grant allows keyboard + mouse: these pass.
  viewer.sendInput({ kind: "mouseMove", relative: false, x: 1000, y: 2000 });
  viewer.sendInput({ kind: "key", down: true, usage: 4, modifiers: 2 });
  viewer.sendInput({ kind: "key", down: false, usage: 4, modifiers: 0 });
  // Relative motion needs immersion, which it lacks: dropped at the relay.
  viewer.sendInput({ kind: "mouseMove", relative: true, x: 5, y: 5 });
  viewer.sendInput({ kind: "mouseButton", button: 0, down: true });
  viewer.sendInput({ kind: "key", down: true, usage: 6, modifiers: 0 }); // held across the revoke
  await until("5 permitted events at the host", () => inputs.length >= 5);
  await sleep(200);
  mark("input");
  result.beforeRevoke = inputs.map((e) => ({ viewer: e.viewer, event: e.event }));

  // Live revoke of the keyboard through the control channel: the held key is released by the relay.
  inputs.length = 0;
  result.applied = await pub.setViewerGrant(viewerId, { keyboard: false, mouse: true, controller: false, immersion: false });
  viewer.sendInput({ kind: "key", down: true, usage: 5, modifiers: 0 });
  viewer.sendInput({ kind: "mouseWheel", dx: 0, dy: 120 });
  await until("the wheel event", () => inputs.some((e) => e.event.kind === "mouseWheel"));
  await sleep(200);
  mark("revoked");
  result.afterRevoke = inputs.map((e) => e.event);

  // DELETE while the peer connection is still up: viewer.left then proves the relay got it.
  const left = new Promise((r) => pub.on("viewerLeft", r));
  await viewer.resource.delete();
  result.viewerLeft = await Promise.race([left, sleep(5000).then(() => null)]);
  await viewer.close();
  mark("left");
  await pub.close();
  clearInterval(paint);
  osc.stop();
  result.closed = viewer.pc.connectionState;
  return result;
};
window.ready = true;

// IndexedDB persistence (Node has none): an identity survives a reload of the store object, stays
// non-extractable, and a second object store (pins) is added to the same database.
window.runStorage = async () => {
  const store = sdk.indexedDbIdentityStore("lilium-test");
  const made = await sdk.LiliumIdentity.create({ store, profile: "p1", backupPassword: "pw", backupIterations: 1000 });
  const loaded = await sdk.LiliumIdentity.load(sdk.indexedDbIdentityStore("lilium-test"), "p1");
  const data = new Uint8Array([1, 2, 3]);
  const verified = await sdk.verifySignature(made.publicKey, data, await loaded.sign(data));
  const pins = sdk.indexedDbPinStore("me", "lilium-test");
  await pins.set("friend", { publicKey: made.publicKey, fingerprint: made.fingerprint, pinnedAt: 1 });
  const pin = await pins.get("friend");
  const again = await sdk.LiliumIdentity.load(sdk.indexedDbIdentityStore("lilium-test"), "p1");
  let kicked = null;
  try {
    await sdk.checkPinnedKey(pins, "friend", (await sdk.LiliumIdentity.create()).publicKey);
  } catch (e) {
    kicked = e.name;
  }
  return {
    same: loaded.fingerprint === made.fingerprint && again.fingerprint === made.fingerprint,
    extractable: loaded.privateKey.extractable,
    verified,
    backup: loaded.exportBackup() === made.exportBackup(),
    pinFingerprint: pin.fingerprint === made.fingerprint,
    missing: await sdk.LiliumIdentity.load(store, "nobody"),
    kicked,
  };
};
