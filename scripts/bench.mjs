// Size and start-up figures for the README's performance section.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import { ROOT, startEdge } from "../tests/e2e/harness.mjs";

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function sizes(path) {
  const bytes = readFileSync(path);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function table(title, files) {
  console.log(`\n${title}`);
  console.log(`  ${"file".padEnd(38)} ${"raw".padStart(10)} ${"gzip".padStart(10)} ${"brotli".padStart(10)}`);
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const [name, path] of files) {
    const s = sizes(path);
    for (const k of Object.keys(total)) total[k] += s[k];
    console.log(`  ${name.padEnd(38)} ${kb(s.raw).padStart(10)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
  }
  console.log(`  ${"total".padEnd(38)} ${kb(total.raw).padStart(10)} ${kb(total.gzip).padStart(10)} ${kb(total.brotli).padStart(10)}`);
}

const dist = join(ROOT, "dist");
table("Widget, first paint (what a visitor downloads)", [
  ["widget.js (loader)", join(dist, "widget.js")],
  ["widget/portcullis-widget.js (glue)", join(dist, "widget/portcullis-widget.js")],
  ["widget/portcullis-widget_bg.wasm", join(dist, "widget/portcullis-widget_bg.wasm")],
  ["widget/widget.css", join(dist, "widget/widget.css")],
]);

const bundle = join(ROOT, "target/deploy-dry-run");
table(
  "Edge worker bundle (wrangler deploy --dry-run)",
  readdirSync(bundle)
    .filter((f) => statSync(join(bundle, f)).isFile() && /\.(m?js|wasm)$/.test(f))
    // wrangler prefixes the wasm with its content hash; the name is what matters here.
    .map((f) => [f.replace(/^[0-9a-f]{40}-/, ""), join(bundle, f)]),
);

console.log("\nwrangler dev time-to-ready (build already done; spawn until /v1/health answers)");
const runs = [];
for (let i = 0; i < 3; i++) {
  const edge = await startEdge();
  runs.push(edge.readyMs);
  await edge.dispose();
}
runs.sort((a, b) => a - b);
console.log(`  runs: ${runs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(", ")}; median ${(runs[1] / 1000).toFixed(2)} s`);
