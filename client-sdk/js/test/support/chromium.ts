/**
 * A minimal headless-Chromium driver over the DevTools protocol (the `ws` dev dependency), enough to
 * load a page and evaluate async functions in it. CHROMIUM (default: chromium on PATH) selects the binary.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";

export interface Page {
  evaluate<T>(expression: string, timeoutMs?: number): Promise<T>;
  console: string[];
}

export interface Browser {
  newPage(url: string): Promise<Page>;
  close(): Promise<void>;
}

export function chromiumPath(): string {
  return process.env.CHROMIUM ?? "chromium";
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "sdkjs-chromium-"));
  const child: ChildProcess = spawn(chromiumPath(), [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--remote-debugging-port=0", `--user-data-dir=${profile}`,
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  // If the test process dies before close(), take the browser with it.
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err}`)), 20_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}): ${err}`));
    });
  });
  const ws = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise<void>((res, rej) => {
    ws.once("open", () => res());
    ws.once("error", rej);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((m: { method: string; params: Record<string, unknown>; sessionId?: string }) => void)[] = [];
  ws.on("message", (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
    } else if (m.method) {
      for (const l of listeners) l(m as { method: string; params: Record<string, unknown>; sessionId?: string });
    }
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async newPage(url: string): Promise<Page> {
      const { targetId } = await send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await send<{ sessionId: string }>("Target.attachToTarget", { targetId, flatten: true });
      const consoleLines: string[] = [];
      listeners.push((m) => {
        if (m.sessionId !== sessionId) return;
        if (m.method === "Runtime.consoleAPICalled") {
          const args = (m.params.args as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description);
          consoleLines.push(args.join(" "));
        } else if (m.method === "Runtime.exceptionThrown") {
          consoleLines.push("exception: " + JSON.stringify(m.params.exceptionDetails));
        }
      });
      await send("Runtime.enable", {}, sessionId);
      await send("Page.enable", {}, sessionId);
      const loaded = new Promise<void>((res) => listeners.push((m) => {
        if (m.sessionId === sessionId && m.method === "Page.loadEventFired") res();
      }));
      await send("Page.navigate", { url }, sessionId);
      await loaded;
      return {
        console: consoleLines,
        async evaluate<T>(expression: string, timeoutMs = 60_000): Promise<T> {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const r = await Promise.race([
            send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
              "Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, sessionId),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`page evaluation timed out after ${timeoutMs} ms\nconsole:\n${consoleLines.join("\n")}`)), timeoutMs);
            }),
          ]).finally(() => clearTimeout(timer));
          if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}\nconsole:\n${consoleLines.join("\n")}`);
          return r.result.value as T;
        },
      };
    },
    async close(): Promise<void> {
      try {
        await send("Browser.close");
      } catch {
        // already gone
      }
      ws.close();
      await new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once("exit", () => res());
        setTimeout(() => {
          child.kill("SIGKILL");
          res();
        }, 5_000).unref();
      });
      process.removeListener("exit", orphanGuard);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
