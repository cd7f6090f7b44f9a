// make bench-glass: what the host and viewer pages share — the pixel code that carries the frame counter and the
// send time, the clocks, VP8-first codec order, ICE gathering, WHIP/WHEP and a minimal Janus HTTP client.
// Everything is here, in the repository: the pages load nothing else.
"use strict";

const Glass = (() => {
  // The code: 64 bits as black/white blocks in the top-left corner of the 1280x720 canvas, 16 columns x 4 rows of
  // 20 px squares at (16, 16). Bits, row-major, most significant first: frame counter (16), send time in 0.1 ms
  // units modulo 2^32 (32), check word (16). Blocks this big survive VP8 at any bitrate Chromium picks and any
  // downscale to 640x360 (10 px blocks there); the check word rejects a frame caught mid-change.
  const CODE = { x: 16, y: 16, block: 20, cols: 16, rows: 4 };
  const WIDTH = 1280;
  const HEIGHT = 720;
  const WRAP = 4294967296; // 2^32 tenths of a millisecond, about 5 days

  // One clock for both pages: the wall clock at navigation plus the monotonic clock since (both pages run on this
  // machine). skew() says how far that drifted from Date.now() in this page, so the harness can align two pages.
  const nowMs = () => performance.timeOrigin + performance.now();
  const nowUnits = () => Math.floor(nowMs() * 10) % WRAP;

  function skew(samples = 200) {
    let sum = 0;
    for (let i = 0; i < samples; i++) sum += nowMs() - Date.now();
    return sum / samples - 0.5; // Date.now() truncates to the millisecond: on average half a millisecond behind
  }

  const check = (frame, hi, lo) => ((frame ^ hi ^ lo ^ 0xa5a5) * 0x9e37 + 0x3c6e) & 0xffff;

  function encodeBits(frame, units) {
    const f = frame & 0xffff;
    const hi = Math.floor(units / 65536) & 0xffff;
    const lo = units & 0xffff;
    const words = [f, hi, lo, check(f, hi, lo)];
    const bits = [];
    for (const w of words) for (let b = 15; b >= 0; b--) bits.push((w >> b) & 1);
    return bits;
  }

  function drawCode(ctx, frame, units) {
    const bits = encodeBits(frame, units);
    ctx.fillStyle = "#808080";
    ctx.fillRect(CODE.x - 8, CODE.y - 8, CODE.cols * CODE.block + 16, CODE.rows * CODE.block + 16);
    for (let i = 0; i < bits.length; i++) {
      ctx.fillStyle = bits[i] ? "#ffffff" : "#000000";
      ctx.fillRect(CODE.x + (i % CODE.cols) * CODE.block, CODE.y + Math.floor(i / CODE.cols) * CODE.block, CODE.block, CODE.block);
    }
  }

  // Reads the code from a decoded frame: the code's area of the video (in the video's own pixels, whatever size the
  // sender chose) drawn onto a canvas at the host's scale, then the mean luma of each block's central 8x8 pixels.
  function readCode(video, ctx, sourceWidth = video.videoWidth) {
    const s = sourceWidth / WIDTH;
    const w = CODE.cols * CODE.block;
    const h = CODE.rows * CODE.block;
    ctx.drawImage(video, CODE.x * s, CODE.y * s, w * s, h * s, 0, 0, w, h);
    const px = ctx.getImageData(0, 0, w, h).data;
    const words = [0, 0, 0, 0];
    for (let i = 0; i < 64; i++) {
      const cx = (i % CODE.cols) * CODE.block + CODE.block / 2;
      const cy = Math.floor(i / CODE.cols) * CODE.block + CODE.block / 2;
      let sum = 0;
      for (let y = cy - 4; y < cy + 4; y++) {
        for (let x = cx - 4; x < cx + 4; x++) {
          const o = (y * w + x) * 4;
          sum += px[o] * 0.299 + px[o + 1] * 0.587 + px[o + 2] * 0.114;
        }
      }
      const bit = sum / 64 >= 128 ? 1 : 0;
      words[i >> 4] = (words[i >> 4] << 1) | bit;
    }
    const [frame, hi, lo, c] = words;
    if (check(frame, hi, lo) !== c) return null;
    return { frame, units: hi * 65536 + lo };
  }

  // The code read back from pictures of known content, full size and at each size Chromium may scale a 1280x720
  // track to, so a layout or threshold mistake stops the benchmark before it measures anything.
  function selfCheck() {
    const full = document.createElement("canvas");
    full.width = WIDTH;
    full.height = HEIGHT;
    const f = full.getContext("2d");
    const reader = document.createElement("canvas");
    reader.width = CODE.cols * CODE.block;
    reader.height = CODE.rows * CODE.block;
    const r = reader.getContext("2d", { willReadFrequently: true });
    const failures = [];
    for (const [frame, units] of [[0, 0], [65535, WRAP - 1], [12345, 3141592653], [43690, 1431655765]]) {
      f.fillStyle = "#336699";
      f.fillRect(0, 0, WIDTH, HEIGHT);
      drawCode(f, frame, units);
      for (const width of [1280, 960, 640, 480, 320]) {
        const scaled = document.createElement("canvas");
        scaled.width = width;
        scaled.height = (width * HEIGHT) / WIDTH;
        scaled.getContext("2d").drawImage(full, 0, 0, scaled.width, scaled.height);
        const read = readCode(scaled, r, width);
        if (read === null || read.frame !== frame || read.units !== units) failures.push(`${frame}/${units} at ${width}: ${JSON.stringify(read)}`);
      }
    }
    return failures;
  }

  // Milliseconds from a send time to a receive time (both in code units), modulo the code's wrap, less the skew of
  // the receiving page's clock against the sending page's. Signed: a receive a hair "before" its send (clock skew
  // within the correction's error) is a small negative number, not a wrap of nearly five days.
  const elapsedMs = (at, units, skewCorrection) => {
    const forward = ((at - units) % WRAP + WRAP) % WRAP;
    return (forward > WRAP / 2 ? forward - WRAP : forward) / 10 - skewCorrection;
  };

  // VP8 first on every path, so the three paths encode alike (our relay forwards VP8; Janus's room is VP8 only).
  function preferVp8(transceiver) {
    const caps = RTCRtpReceiver.getCapabilities("video");
    if (!caps || typeof transceiver.setCodecPreferences !== "function") return;
    const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
    const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== "video/vp8" && !/video\/(h264|vp9|av1|h265)/i.test(c.mimeType));
    transceiver.setCodecPreferences([...vp8, ...rest]);
  }

  // The same receive-side setting the SDK applies to every viewer (client-sdk/js setLowLatency): no added playout delay.
  function lowLatency(receiver) {
    try {
      if ("jitterBufferTarget" in receiver) receiver.jitterBufferTarget = 0;
      else if ("playoutDelayHint" in receiver) receiver.playoutDelayHint = 0;
    } catch {
      // not supported
    }
  }

  // Non-trickle signalling on every path: each side's description carries all its candidates.
  function gathered(pc, timeoutMs = 5000) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", done);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, timeoutMs);
    });
  }

  function connected(pc, timeoutMs = 20000) {
    if (pc.connectionState === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not connected after ${timeoutMs} ms (${pc.connectionState}, ICE ${pc.iceConnectionState})`)), timeoutMs);
      pc.addEventListener("connectionstatechange", () => {
        if (pc.connectionState === "connected") {
          clearTimeout(timer);
          resolve();
        } else if (pc.connectionState === "failed") {
          clearTimeout(timer);
          reject(new Error("the peer connection failed"));
        }
      });
    });
  }

  // WHIP / WHEP (RFC 9725): POST the offer with the grant, the answer comes back with the resource's Location.
  async function whipWhep(pc, url, grant) {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await gathered(pc);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${grant}` },
      body: pc.localDescription.sdp,
    });
    const body = await response.text();
    if (response.status !== 201) throw new Error(`${url}: HTTP ${response.status} ${body}`);
    await pc.setRemoteDescription({ type: "answer", sdp: body });
    const location = response.headers.get("location");
    return location ? new URL(location, url).toString() : null;
  }

  async function deleteResource(url, grant) {
    if (!url) return;
    try {
      await fetch(url, { method: "DELETE", headers: { authorization: `Bearer ${grant}` } });
    } catch {
      // the resource goes when the relay times the peer out
    }
  }

  // Janus's HTTP API (https://janus.conf.meetecho.com/docs/rest.html): a session, a handle per plugin attachment,
  // plugin messages acknowledged at once and answered by an event on the session's long poll.
  class Janus {
    constructor(base) {
      this.base = base.replace(/\/$/, "");
      this.pending = new Map();
      this.transactions = 0;
      this.stopped = false;
    }

    async post(path, body) {
      body.transaction = body.transaction || `t${++this.transactions}`;
      const response = await fetch(`${this.base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const reply = await response.json();
      if (reply.janus === "error") throw new Error(`Janus: ${JSON.stringify(reply.error)}`);
      return reply;
    }

    async start() {
      const created = await this.post("", { janus: "create" });
      this.session = created.data.id;
      this.poll();
      return this;
    }

    async poll() {
      while (!this.stopped) {
        let events;
        try {
          const response = await fetch(`${this.base}/${this.session}?maxev=10&rid=${Date.now()}`);
          events = await response.json();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        for (const e of Array.isArray(events) ? events : [events]) {
          const waiter = e && e.transaction ? this.pending.get(e.transaction) : undefined;
          if (waiter && e.janus !== "ack") {
            this.pending.delete(e.transaction);
            waiter(e);
          }
        }
      }
    }

    async attach() {
      const attached = await this.post(`/${this.session}`, { janus: "attach", plugin: "janus.plugin.videoroom" });
      return attached.data.id;
    }

    async message(handle, body, jsep) {
      const transaction = `t${++this.transactions}`;
      const message = { janus: "message", body, transaction };
      if (jsep) message.jsep = jsep;
      const event = new Promise((resolve, reject) => {
        this.pending.set(transaction, resolve);
        setTimeout(() => reject(new Error(`Janus did not answer ${JSON.stringify(body)}`)), 20000);
      });
      const reply = await this.post(`/${this.session}/${handle}`, message);
      if (reply.janus === "success") {
        this.pending.delete(transaction);
        return reply;
      }
      const e = await event;
      const data = e.plugindata && e.plugindata.data;
      if (data && data.error) throw new Error(`Janus VideoRoom: ${data.error}`);
      return e;
    }

    async destroy() {
      this.stopped = true;
      try {
        await this.post(`/${this.session}`, { janus: "destroy" });
      } catch {
        // Janus is stopped with the harness
      }
    }
  }

  return { WIDTH, HEIGHT, CODE, nowMs, nowUnits, skew, drawCode, readCode, selfCheck, elapsedMs, preferVp8, lowLatency, gathered, connected, whipWhep, deleteResource, Janus };
})();
