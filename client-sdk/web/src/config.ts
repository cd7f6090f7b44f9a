/**
 * Where the services are, from the API's `/config.json`. Paths are relative to the app's origin (one origin
 * on AWS behind CloudFront, and locally through the API's forwarding); absolute URLs are taken as they are.
 */
export interface AppConfig {
  /** The REST API's base URL (absolute). */
  api: string;
  /** The WebSocket API's URL (absolute, ws: or wss:). */
  signaling: string;
  /** The media relay's base URL (absolute, ending in "/"). */
  relay: string;
}

interface RawConfig { api?: unknown; signaling?: unknown; relay?: unknown }

export async function loadConfig(origin: string = location.origin): Promise<AppConfig> {
  let raw: RawConfig = {};
  try {
    // An API that does not answer must not keep the app on its loading screen: fall back to the defaults.
    const response = await fetch(new URL("/config.json", origin), { cache: "no-store", signal: AbortSignal.timeout(10_000) });
    if (response.ok) raw = (await response.json()) as RawConfig;
  } catch {
    // The defaults below are the API's own.
  }
  return resolveConfig(raw, origin);
}

export function resolveConfig(raw: RawConfig, origin: string): AppConfig {
  const text = (v: unknown, fallback: string) => (typeof v === "string" && v.length > 0 ? v : fallback);
  const api = new URL(text(raw.api, "/"), origin);
  const signaling = new URL(text(raw.signaling, "/ws"), origin);
  if (signaling.protocol === "http:") signaling.protocol = "ws:";
  if (signaling.protocol === "https:") signaling.protocol = "wss:";
  const relay = new URL(text(raw.relay, "/"), origin);
  return {
    api: api.href.replace(/\/+$/, ""),
    signaling: signaling.href,
    relay: relay.href.endsWith("/") ? relay.href : relay.href + "/",
  };
}
