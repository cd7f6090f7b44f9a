// Builds the web app into dist/: esbuild bundles src/main.tsx (and the SDK from ../js/src) into one hashed
// script and one hashed stylesheet under dist/assets/, and dist/index.html names them. No inline script or
// style anywhere (the API's Content-Security-Policy forbids both). Fails when the script exceeds its gzip budget.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const budgetKb = 250;

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  format: "esm",
  target: ["chrome120", "firefox121", "safari17"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  jsx: "automatic",
  jsxImportSource: "preact",
  alias: { "@lilium/sdk": resolve(root, "../js/src/index.ts") },
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.endsWith(".js"));
const style = outputs.find((f) => f.endsWith(".css"));
if (!script || !style) throw new Error(`build: expected one .js and one .css, got ${outputs.join(", ")}`);

const template = readFileSync(join(root, "static/index.html"), "utf8");
writeFileSync(join(dist, "index.html"), template.replace("%SCRIPT%", `/assets/${script}`).replace("%STYLE%", `/assets/${style}`));
for (const file of readdirSync(join(root, "static"))) {
  if (file !== "index.html") copyFileSync(join(root, "static", file), join(dist, file));
}

const js = readFileSync(join(dist, "assets", script));
const css = readFileSync(join(dist, "assets", style));
const gzipKb = (gzipSync(js, { level: 9 }).length + gzipSync(css, { level: 9 }).length) / 1024;
const summary = {
  script, style,
  js_bytes: js.length, css_bytes: css.length,
  js_gzip_kb: Math.round(gzipKb * 10) / 10,
  sha256: createHash("sha256").update(js).digest("hex").slice(0, 16),
};
writeFileSync(join(dist, "build.json"), JSON.stringify(summary, null, 2) + "\n");
console.log(`web: dist/assets/${script} ${(js.length / 1024).toFixed(1)} KB, ${style} ${(css.length / 1024).toFixed(1)} KB; ${summary.js_gzip_kb} KB gzipped (budget ${budgetKb})`);
if (gzipKb > budgetKb) {
  console.error(`web: the app is ${summary.js_gzip_kb} KB gzipped, over its ${budgetKb} KB budget`);
  process.exit(1);
}
