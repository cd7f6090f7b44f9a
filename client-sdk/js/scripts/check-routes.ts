/**
 * Compares the SDK's route list (src/protocol.ts API_ROUTES) with an OpenAPI document:
 * `node build/scripts/check-routes.js [http://127.0.0.1:5080]` (or LILIUM_API_URL). Exit 1 on a
 * difference. The integration test runs the same comparison against the API it starts.
 */
import { API_ROUTES } from "../src/protocol.js";

const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** `METHOD /path` for every operation in the document, with `{name:constraint}` reduced to `{name}`. */
export function openApiRoutes(doc: unknown): string[] {
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  const out: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    const clean = path.replace(/\{([^}:]+)(:[^}]*)?\}/g, "{$1}").replace(/\/$/, "") || "/";
    for (const m of METHODS) if (item[m] !== undefined) out.push(`${m.toUpperCase()} ${clean}`);
  }
  return out.sort();
}

/** Routes the SDK calls that the document lacks, and document routes the SDK does not cover (the OpenAPI route itself aside). */
export function compareRoutes(doc: unknown, sdk: readonly string[]): { missing: string[]; uncovered: string[] } {
  const api = new Set(openApiRoutes(doc));
  const mine = new Set(sdk);
  return {
    missing: [...mine].filter((r) => !api.has(r)).sort(),
    uncovered: [...api].filter((r) => !mine.has(r) && !r.includes("/openapi")).sort(),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const base = process.argv[2] ?? process.env.LILIUM_API_URL ?? "http://127.0.0.1:5080";
  const doc = await (await fetch(`${base.replace(/\/$/, "")}/openapi/v1.json`)).json();
  const { missing, uncovered } = compareRoutes(doc, API_ROUTES);
  for (const r of missing) console.log(`missing in the API: ${r}`);
  for (const r of uncovered) console.log(`not covered by the SDK: ${r}`);
  console.log(missing.length + uncovered.length === 0 ? `${API_ROUTES.length} routes match ${base}/openapi/v1.json` : "routes differ");
  process.exit(missing.length + uncovered.length === 0 ? 0 : 1);
}
