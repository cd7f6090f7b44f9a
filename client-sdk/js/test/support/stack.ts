/**
 * The real services for integration tests. With LILIUM_API_URL (and LILIUM_WS_URL, optionally
 * LILIUM_RELAY_URL) set, those are used as they are. Otherwise this starts the REST API, the local
 * WebSocket gateway (signaling) and, when asked, the media relay on free loopback ports, against a
 * fresh Postgres database on the shared cluster (`scripts/pg.sh ensure`) and the :4566 AWS endpoint
 * (`scripts/aws-endpoint.sh ensure`), building their Release binaries first if they are missing.
 * LILIUM_REPO_ROOT points at another checkout to take the binaries from (default: this repository).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

export interface Stack {
  apiUrl: string;
  wsUrl: string;
  relayUrl: string | null;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
// build/test/support → client-sdk/js → repository root
const jsRoot = resolve(here, "../../..");
const repoRoot = resolve(process.env.LILIUM_REPO_ROOT ?? resolve(jsRoot, "../.."));

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd: repoRoot, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

async function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function freeUdpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket("udp4");
    s.once("error", rej);
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
  });
}

function dll(project: string): string {
  const name = project.split("/").at(-1)!;
  const path = join(repoRoot, project, "bin/Release/net10.0", `${name}.dll`);
  if (!existsSync(path)) {
    process.stderr.write(`building ${project} (Release) for the integration tests…\n`);
    sh("dotnet", ["build", join(project, `${name}.csproj`), "-c", "Release", "--nologo", "-v", "q", "-clp:ErrorsOnly"]);
  }
  return path;
}

function psql(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  for (const v of versions.reverse()) if (existsSync(join(base, v, "bin/psql"))) return join(base, v, "bin/psql");
  return "psql";
}

async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, log: string[], timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log.join("").slice(-3000)}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms:\n${log.join("").slice(-3000)}`);
}

const httpOk = (url: string) => async () => (await fetch(url)).ok;
const tcpOpen = (port: number) => () => new Promise<boolean>((res) => {
  const c = connect(port, "127.0.0.1", () => {
    c.end();
    res(true);
  });
  c.on("error", () => res(false));
});

/** Starts (or finds, from the environment) the API and signaling gateway, and the relay if `withRelay`. */
/** `relayAllowedOrigins`: page origins the relay answers CORS for (RELAY_ALLOWED_ORIGINS). */
export async function startStack(options: { withRelay?: boolean; relayAllowedOrigins?: string[] } = {}): Promise<Stack> {
  if (process.env.LILIUM_API_URL) {
    const wsUrl = process.env.LILIUM_WS_URL;
    if (!wsUrl) throw new Error("LILIUM_API_URL is set but LILIUM_WS_URL is not.");
    return { apiUrl: process.env.LILIUM_API_URL, wsUrl, relayUrl: process.env.LILIUM_RELAY_URL ?? null, stop: async () => undefined };
  }

  const apiDll = dll("functions/Lilium.Api");
  const gatewayDll = dll("functions/Lilium.LocalGateway");
  const relayDll = options.withRelay ? dll("media-relay/Lilium.Relay") : null;

  const clusterUrl = sh("bash", ["scripts/pg.sh", "ensure"]);
  const dbName = `sdkjs_${randomBytes(16).toString("hex")}`;
  const cluster = new URL(clusterUrl);
  const pgEnv = { ...process.env, PGPASSWORD: decodeURIComponent(cluster.password) };
  const pgArgs = ["-h", cluster.hostname, "-p", cluster.port, "-U", decodeURIComponent(cluster.username), "-d", cluster.pathname.slice(1), "-v", "ON_ERROR_STOP=1", "-q", "-c"];
  sh(psql(), [...pgArgs, `CREATE DATABASE ${dbName}`], pgEnv);
  const dbUrl = new URL(clusterUrl);
  dbUrl.pathname = `/${dbName}`;
  const awsEndpoint = sh("bash", ["scripts/aws-endpoint.sh", "ensure"]);

  const apiPort = await freeTcpPort();
  const gatewayPort = await freeTcpPort();
  const relayPort = await freeTcpPort();
  const relayUdp = await freeUdpPort();
  const key = () => randomBytes(32).toString("base64");
  const relayKey = key();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    TOKEN_KEYS: JSON.stringify({ accessKey: key(), refreshKey: key(), relayKey }),
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    CONNECTIONS_TABLE: `sdkjs-${randomBytes(6).toString("hex")}`,
    RELAY_URL: `http://127.0.0.1:${relayPort}/`,
    DOTNET_gcServer: "0",
    Logging__LogLevel__Default: "Warning",
  };
  sh("dotnet", [apiDll, "migrate"], env);

  const children: ChildProcess[] = [];
  const start = (name: string, args: string[], extra: NodeJS.ProcessEnv): { child: ChildProcess; log: string[] } => {
    const log: string[] = [];
    const childEnv: NodeJS.ProcessEnv = { ...env, ...extra };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    const child = spawn("dotnet", args, { cwd: repoRoot, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => log.push(d.toString()));
    child.stderr!.on("data", (d: Buffer) => log.push(d.toString()));
    children.push(child);
    return { child, log };
  };

  const stop = async () => {
    await Promise.all(children.map((c) => new Promise<void>((res) => {
      if (c.exitCode !== null || c.signalCode !== null) return res();
      c.once("exit", () => res());
      c.kill("SIGTERM");
      setTimeout(() => {
        if (c.exitCode === null) c.kill("SIGKILL");
      }, 5_000).unref();
    })));
    spawnSync(psql(), [...pgArgs, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`], { env: pgEnv });
  };

  try {
    const api = start("api", [apiDll], { ASPNETCORE_URLS: `http://127.0.0.1:${apiPort}` });
    const gateway = start("gateway", [gatewayDll], { LOCAL_GATEWAY_PORT: String(gatewayPort) });
    const relay = relayDll === null ? null : start("relay", [relayDll], {
      ASPNETCORE_URLS: `http://127.0.0.1:${relayPort}`, RELAY_MEDIA_PORT: String(relayUdp), RELAY_BIND_ADDRESS: "127.0.0.1", RELAY_PUBLIC_IP: "127.0.0.1",
      // The relay takes the relay key alone and refuses a secret that holds users' token keys (docs/security.md).
      TOKEN_KEYS: undefined, RELAY_KEY: relayKey, RELAY_CONTROL_PLANE_URL: `http://127.0.0.1:${apiPort}/`,
      RELAY_ALLOWED_ORIGINS: (options.relayAllowedOrigins ?? []).join(","),
    });
    await waitFor("the API", httpOk(`http://127.0.0.1:${apiPort}/health`), api.child, api.log);
    await waitFor("the gateway", tcpOpen(gatewayPort), gateway.child, gateway.log);
    if (relay !== null) await waitFor("the relay", httpOk(`http://127.0.0.1:${relayPort}/health`), relay.child, relay.log);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    wsUrl: `ws://127.0.0.1:${gatewayPort}/local`,
    relayUrl: relayDll === null ? null : `http://127.0.0.1:${relayPort}`,
    stop,
  };
}
