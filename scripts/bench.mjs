// Size, start-up, token-endpoint, passkey, hot-path CPU and hook figures for the README's
// performance section. `node scripts/bench.mjs [sizes] [startup] [token] [passkey] [cpu] [argon2] [totp] [hooks]`
// runs only the named sections (all by default); scripts/bench builds first and runs them all.
// `node scripts/bench.mjs admin` (only when named: it seeds 100,000 users and 1,000,000
// events) times SCIM user search and System Log queries on that much local D1.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import { addVirtualAuthenticator, launchBrowser, ROOT, startEdge, widgetBuild } from "../tests/e2e/harness.mjs";

const sections = process.argv.slice(2);
const wants = (name) => sections.length === 0 || sections.includes(name);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function sizes(path) {
  return sizesOf(readFileSync(path));
}

function sizesOf(bytes) {
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
  return total;
}

function sizeTables() {
  const dist = join(ROOT, "dist");
  // This build's wasm, glue and split modules (dist/widget/<hash>/).
  const widgetDir = join(dist, "widget", widgetBuild());
  const firstPaint = table("Widget, what a visitor downloads (English is built in; the edge's first screen is below)", [
    ["widget.js (loader)", join(dist, "widget.js")],
    ["widget/portcullis-widget.js (glue)", join(widgetDir, "portcullis-widget.js")],
    ["widget/portcullis-widget_bg.wasm (main)", join(widgetDir, "portcullis-widget_bg.wasm")],
    ["widget/widget.css", join(dist, "widget/widget.css")],
  ]);

  // The screens after the first: one module per family (split_*.wasm), the chunks they
  // share (chunk_*.wasm) and the split loader, fetched when the browser is idle after
  // first paint or when a screen is first needed.
  const lazyFiles = readdirSync(widgetDir).filter((f) => /^(split_|chunk_).*\.wasm$/.test(f));
  const screens = lazyFiles.filter((f) => f.startsWith("split_")).sort();
  const chunks = lazyFiles.filter((f) => f.startsWith("chunk_"));
  const lazy = table("Widget, lazily loaded: each screen family's module, and the chunks they share", [
    ["widget/__wasm_split.js (split loader)", join(widgetDir, "__wasm_split.js")],
    ...screens.map((f) => [`widget/${f}`, join(widgetDir, f)]),
  ]);
  const shared = chunks.map((f) => sizes(join(widgetDir, f)));
  const sharedTotal = Object.fromEntries(["raw", "gzip", "brotli"].map((k) => [k, shared.reduce((n, s) => n + s[k], 0)]));
  console.log(`  ${`shared chunks (${chunks.length} files)`.padEnd(38)} ${kb(sharedTotal.raw).padStart(10)} ${kb(sharedTotal.gzip).padStart(10)} ${kb(sharedTotal.brotli).padStart(10)}`);
  const journey = Object.fromEntries(Object.keys(firstPaint).map((k) => [k, firstPaint[k] + lazy[k] + sharedTotal[k]]));
  console.log(`  ${"whole journey (first paint + all)".padEnd(38)} ${kb(journey.raw).padStart(10)} ${kb(journey.gzip).padStart(10)} ${kb(journey.brotli).padStart(10)}`);
  const main = sizes(join(widgetDir, "portcullis-widget_bg.wasm"));
  console.log(`  main module: ${kb(main.gzip)} gzip (goal 100.0 KB)`);
  // The password step's module and its chunks, also packed into one file that the loader
  // asks for with the main module (scripts/split-ahead.mjs); not counted twice above.
  const pack = sizes(join(widgetDir, "password.pack"));
  console.log(`  password.pack (the password step's modules in one file): ${kb(pack.raw)} raw, ${kb(pack.gzip)} gzip`);

  // Loaded lazily: one catalogue, only for a visitor whose language is not English.
  const locales = join(widgetDir, "locales");
  const catalogues = readdirSync(locales)
    .filter((f) => f.endsWith(".json") && f !== "en.json")
    .map((f) => ({ tag: f.slice(0, -5), ...sizes(join(locales, f)) }))
    .sort((a, b) => a.gzip - b.gzip);
  if (catalogues.length) {
    const median = catalogues[Math.floor(catalogues.length / 2)];
    const largest = catalogues[catalogues.length - 1];
    console.log(`\nLazily loaded: one message catalogue (${catalogues.length} languages besides English)`);
    for (const [what, c] of [["smallest", catalogues[0]], ["median", median], ["largest", largest]]) {
      console.log(`  ${`locales/${c.tag}.json (${what})`.padEnd(38)} ${kb(c.raw).padStart(10)} ${kb(c.gzip).padStart(10)} ${kb(c.brotli).padStart(10)}`);
    }
    const withLargest = Object.fromEntries(Object.keys(firstPaint).map((k) => [k, firstPaint[k] + largest[k]]));
    console.log(`  ${`first paint + ${largest.tag}`.padEnd(38)} ${kb(withLargest.raw).padStart(10)} ${kb(withLargest.gzip).padStart(10)} ${kb(withLargest.brotli).padStart(10)}`);
  }
  console.log(`  the whole widget: ${kb(firstPaint.gzip)} gzip (first paint with the edge's first screen: below)`);

  const bundle = join(ROOT, "target/deploy-dry-run");
  if (!existsSync(bundle)) {
    console.log("\nEdge worker bundle: target/deploy-dry-run is missing; `bash scripts/bench` makes it");
    return;
  }
  table(
    "Edge worker bundle (wrangler deploy --dry-run)",
    readdirSync(bundle)
      .filter((f) => statSync(join(bundle, f)).isFile() && /\.(m?js|wasm)$/.test(f))
      // wrangler prefixes the wasm with its content hash; the name is what matters here.
      .map((f) => [f.replace(/^[0-9a-f]{40}-/, ""), join(bundle, f)]),
  );
}

// --- first paint on a slow phone network -------------------------------------------------
// The demo page in Chromium with a cold cache on DevTools' Fast 3G profile (1.6 Mbps down,
// 750 kbps up, 150 ms round trip): the bytes fetched from the network until the email
// field accepts input, and the time from navigation start until it does, and until the
// password step shows after an address is typed. The bytes are as wrangler dev sends
// them (compressed), the demo page's own files included.

const FAST_3G = {
  offline: false,
  latency: 150,
  downloadThroughput: ((1.6 * 1024 * 1024) / 8) * 0.9,
  uploadThroughput: ((750 * 1024) / 8) * 0.9,
};
const FIRST_PAINT_RUNS = 3;

/** First paint when the edge renders the first screen: the loader, the CSS and that answer. */
async function edgeFirstPaint(edge) {
  const dist = join(ROOT, "dist");
  const parts = [
    ["widget.js (loader)", readFileSync(join(dist, "widget.js"))],
    ["widget/widget.css", readFileSync(join(dist, "widget/widget.css"))],
  ];
  for (const lang of ["en", "de", "ar"]) {
    const response = await fetch(`${edge.api}/v1/clients/demo/first-screen?lang=${lang}`);
    parts.push([`first-screen?lang=${lang} (edge)`, Buffer.from(await response.arrayBuffer())]);
  }
  console.log("\nFirst paint with the edge's first screen (the wasm loads after it and hydrates it)");
  console.log(`  ${"part".padEnd(38)} ${"raw".padStart(10)} ${"gzip".padStart(10)} ${"brotli".padStart(10)}`);
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const [name, bytes] of parts) {
    const s = sizesOf(bytes);
    if (!name.includes("lang=") || name.includes("lang=en")) for (const k of Object.keys(total)) total[k] += s[k];
    console.log(`  ${name.padEnd(38)} ${kb(s.raw).padStart(10)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
  }
  console.log(`  ${"total (English)".padEnd(38)} ${kb(total.raw).padStart(10)} ${kb(total.gzip).padStart(10)} ${kb(total.brotli).padStart(10)}`);
  console.log(`  goal for first paint: 44.0 KB gzip; now ${kb(total.gzip)} gzip`);
}

async function firstPaint() {
  const edge = await startEdge();
  const browser = await launchBrowser();
  const runs = [];
  try {
    await edgeFirstPaint(edge);
    for (let i = 0; i < FIRST_PAINT_RUNS; i++) {
      const page = await browser.newPage();
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      await cdp.send("Network.emulateNetworkConditions", FAST_3G);
      let bytes = 0;
      let counting = true;
      cdp.on("Network.loadingFinished", (e) => {
        if (counting) bytes += e.encodedDataLength;
      });
      await page.goto(`${edge.origin}/`, { waitUntil: "commit" });
      const field = () => {
        const input = document.querySelector("portcullis-signin")?.shadowRoot?.querySelector("#pc-email");
        return input && !input.disabled ? performance.now() : false;
      };
      const usable = await (await page.waitForFunction(field, null, { polling: 10, timeout: 60_000 })).jsonValue();
      counting = false;
      const widget = page.locator("portcullis-signin");
      await widget.locator("#pc-email").fill("someone@example.com");
      await widget.locator("#pc-email").press("Enter");
      const password = await (
        await page.waitForFunction(
          () => (document.querySelector("portcullis-signin")?.shadowRoot?.querySelector("#pc-password") ? performance.now() : false),
          null,
          { polling: 10, timeout: 60_000 },
        )
      ).jsonValue();
      runs.push({ bytes, usable, password });
      await page.context().close();
    }
  } finally {
    await browser.close();
    await edge.dispose();
  }
  const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  console.log(`\nFirst paint on Fast 3G (1.6 Mbps, 150 ms RTT), cold cache, demo page; median of ${runs.length}`);
  console.log(`  bytes from the network until the email field is usable: ${kb(median("bytes"))} (demo page included)`);
  console.log(`  email field usable:  ${(median("usable") / 1000).toFixed(2)} s after navigation start (goal 1.0 s)`);
  console.log(`  password step shown: ${(median("password") / 1000).toFixed(2)} s after navigation start (goal 1.8 s)`);
}

// --- the edge worker's wasm by crate ------------------------------------------------------
// Which crates the worker's code and data come from: each function body of the wasm that
// cargo linked (before wasm-bindgen and wasm-opt, which drop the names), attributed to the
// crate of its mangled name, gzip-compressed per crate; data segments apart.

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** The crate a (legacy or v0) mangled Rust symbol belongs to. */
function crateOf(symbol) {
  let name = symbol;
  if (name.startsWith("_ZN")) {
    let [len, at] = [0, 3];
    const digits = /^\d+/.exec(name.slice(at))[0];
    len = Number(digits);
    at += digits.length;
    name = name.slice(at, at + len);
    // `<alloc::vec::Vec<T> as core::ops::Drop>::drop`: the type's crate; `<T as
    // digest::Digest>::digest`: the trait's.
    const inner = /^_(?:\$LT\$|\$RF\$|\$BP\$|mut\$u20\$|\$u5b\$)*([a-z_][a-z0-9_]*)\.\./.exec(name);
    if (inner) return inner[1];
    const trait = /\$u20\$as\$u20\$([a-z_][a-z0-9_]*)\.\./.exec(name);
    if (trait) return trait[1];
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : "(other Rust)";
  }
  const v0 = /^_R[A-Z]*?C[^\d]*?(\d+)([a-z_][a-z0-9_]*)/.exec(name);
  if (v0) return v0[2].slice(0, Number(v0[1]));
  return "(unnamed, or not Rust)";
}

function wasmByCrate(path) {
  const bytes = readFileSync(path);
  let at = 8;
  let importedFunctions = 0;
  const bodies = [];
  const names = new Map();
  let data = Buffer.alloc(0);
  while (at < bytes.length) {
    const id = bytes[at];
    let size;
    [size, at] = leb(bytes, at + 1);
    const end = at + size;
    if (id === 2) {
      let [count, p] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) {
          let len;
          [len, p] = leb(bytes, p);
          p += len;
        }
        const kind = bytes[p++];
        if (kind === 0) {
          importedFunctions++;
          [, p] = leb(bytes, p);
        } else if (kind === 1) {
          p += 1;
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 2) {
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 3) {
          p += 2;
        } else {
          [, p] = leb(bytes, p + 1);
        }
      }
    } else if (id === 10) {
      let [count, p] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        let len;
        [len, p] = leb(bytes, p);
        bodies.push(bytes.subarray(p, p + len));
        p += len;
      }
    } else if (id === 11) {
      data = bytes.subarray(at, end);
    } else if (id === 0) {
      let [len, p] = leb(bytes, at);
      const section = bytes.subarray(p, p + len).toString();
      p += len;
      if (section === "name") {
        while (p < end) {
          const sub = bytes[p];
          let subSize;
          [subSize, p] = leb(bytes, p + 1);
          if (sub === 1) {
            let [count, q] = leb(bytes, p);
            for (let i = 0; i < count; i++) {
              let index;
              let nameLen;
              [index, q] = leb(bytes, q);
              [nameLen, q] = leb(bytes, q);
              names.set(index, bytes.subarray(q, q + nameLen).toString());
              q += nameLen;
            }
          }
          p += subSize;
        }
      }
    }
    at = end;
  }
  const byCrate = new Map();
  bodies.forEach((body, i) => {
    const crate = crateOf(names.get(importedFunctions + i) ?? "");
    const list = byCrate.get(crate) ?? [];
    list.push(body);
    byCrate.set(crate, list);
  });
  const rows = [...byCrate].map(([crate, list]) => {
    const joined = Buffer.concat(list);
    return { crate, raw: joined.length, gzip: gzipSync(joined, { level: 9 }).length };
  });
  rows.sort((a, b) => b.gzip - a.gzip);
  return { rows, data, named: names.size };
}

function byCrate(title, path, dataNote) {
  let result;
  try {
    result = wasmByCrate(path);
  } catch (error) {
    console.log(`\n${title}: ${path} not readable (${error.message}); run scripts/build first`);
    return;
  }
  console.log(`\n${title} (code as cargo linked it, before wasm-opt; gzip of each crate's function bodies)`);
  const total = result.rows.reduce((a, r) => a + r.gzip, 0);
  for (const r of result.rows.slice(0, 18)) {
    console.log(`  ${r.crate.padEnd(30)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)}  ${((100 * r.gzip) / total).toFixed(1).padStart(5)} %`);
  }
  const rest = result.rows.slice(18);
  const restGzip = rest.reduce((a, r) => a + r.gzip, 0);
  console.log(`  ${`${rest.length} other crates`.padEnd(30)} ${"".padStart(10)} ${kb(restGzip).padStart(10)}  ${((100 * restGzip) / total).toFixed(1).padStart(5)} %`);
  console.log(
    `  ${"data segments".padEnd(30)} ${kb(result.data.length).padStart(10)} ${kb(gzipSync(result.data, { level: 9 }).length).padStart(10)}  ${dataNote}`,
  );
}

const targetDir = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");

function edgeByCrate() {
  byCrate(
    "Edge worker wasm by crate",
    join(targetDir, "wasm32-unknown-unknown/release/portcullis_edge.wasm"),
    "(the password blocklist, email catalogues, tables)",
  );
}

/** The widget's main module as wasm-split-cli cut it (scripts/build-widget keeps it). */
function widgetMainByCrate() {
  byCrate(
    "Widget main module by crate",
    join(targetDir, "widget-split/split/portcullis-widget.wasm"),
    "(the built-in English messages, theme presets, tables)",
  );
}

async function startup() {
  console.log("\nwrangler dev time-to-ready (build already done; spawn until /v1/health answers)");
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const edge = await startEdge();
    runs.push(edge.readyMs);
    await edge.dispose();
  }
  runs.sort((a, b) => a - b);
  console.log(`  runs: ${runs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(", ")}; median ${(runs[1] / 1000).toFixed(2)} s`);
}

// --- token endpoint -------------------------------------------------------------------
// Grants per second and latency at /token under a bounded loopback load: a fixed number
// of requests at a fixed concurrency, stopped early by a time cap. Local workerd in dev
// mode on a shared 2-core machine: compare runs with each other, not with production.

const TOKEN_REQUESTS = 200;
const TOKEN_CONCURRENCY = 8;
const TOKEN_TIME_CAP_MS = 60_000;
const SEQUENTIAL_REQUESTS = 40;

/**
 * Runs `workers` loops that call `once(worker)` until `total` calls are made or time is up;
 * a call that throws counts as a failure.
 */
async function load(workers, total, once) {
  const latencies = [];
  let issued = 0;
  let failures = 0;
  let firstFailure;
  const started = performance.now();
  const deadline = started + TOKEN_TIME_CAP_MS;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (issued < total && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        try {
          await once(worker);
          latencies.push(performance.now() - t0);
        } catch (error) {
          failures++;
          firstFailure ??= String(error);
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  const capped = issued < total;
  return { ok: latencies.length, failures, firstFailure, wallMs, mean, median: at(0.5), p95: at(0.95), capped };
}

function report(name, r) {
  const capped = r.capped ? ` (stopped by the ${TOKEN_TIME_CAP_MS / 1000} s cap)` : "";
  console.log(
    `  ${name.padEnd(26)} ${(r.ok / (r.wallMs / 1000)).toFixed(1).padStart(7)} grants/s   ` +
      `mean ${r.mean.toFixed(1)} ms, median ${r.median?.toFixed(1)} ms, p95 ${r.p95?.toFixed(1)} ms   ` +
      `${r.ok} ok, ${r.failures} failed${capped}`,
  );
  if (r.firstFailure) console.log(`    first failure: ${r.firstFailure.slice(0, 300)}`);
}

async function tokenEndpoint() {
  const { authorizeWithSession, basic, createUser, hostedSession, postForm, redeem, startOidcEdge } = await import(
    "../tests/e2e/oidc-support.mjs"
  );
  console.log(
    `\nToken endpoint under wrangler dev (loopback, dev mode): ${TOKEN_REQUESTS} grants at concurrency ` +
      `${TOKEN_CONCURRENCY}, then ${SEQUENTIAL_REQUESTS} one at a time; each run capped at ${TOKEN_TIME_CAP_MS / 1000} s`,
  );
  const env = await startOidcEdge();
  try {
    const { edge } = env;
    const webAuth = basic("web", env.clients.web.client_secret);
    const post = (params, auth) =>
      postForm(edge, "/token", params, { auth }).then((r) =>
        r.status === 200 ? r.body : Promise.reject(new Error(`${r.status} ${JSON.stringify(r.body)}`)),
      );

    // One refresh-token family per worker: each refresh needs the previous one's successor.
    const redirect = `${env.rp.origin}/cb`;
    const user = await createUser(edge, "spa");
    const cookie = await hostedSession(edge, "spa", redirect, user);
    const families = [];
    for (let i = 0; i < TOKEN_CONCURRENCY; i++) {
      const { params, verifier } = await authorizeWithSession(edge, cookie, "spa", redirect);
      const tokens = await redeem(edge, { code: params.get("code"), verifier, clientId: "spa", redirectUri: redirect });
      if (tokens.status !== 200) throw new Error(`code redemption: ${JSON.stringify(tokens.body)}`);
      families.push(tokens.body.refresh_token);
    }

    // Warm up both paths (isolate start, signing key unsealing) outside the measurement.
    await post({ grant_type: "client_credentials", scope: "api:read" }, webAuth);
    families[0] = (await post({ grant_type: "refresh_token", refresh_token: families[0], client_id: "spa" })).refresh_token;

    const refreshOnce = async (worker) => {
      const body = await post({ grant_type: "refresh_token", refresh_token: families[worker], client_id: "spa" });
      families[worker] = body.refresh_token;
    };
    const clientCredentialsOnce = async () => {
      await post({ grant_type: "client_credentials", scope: "api:read" }, webAuth);
    };
    // The loaded figures, then one request at a time for the unloaded latency.
    report(`refresh_token, c=${TOKEN_CONCURRENCY}`, await load(TOKEN_CONCURRENCY, TOKEN_REQUESTS, refreshOnce));
    report(`client_credentials, c=${TOKEN_CONCURRENCY}`, await load(TOKEN_CONCURRENCY, TOKEN_REQUESTS, clientCredentialsOnce));
    report("refresh_token, c=1", await load(1, SEQUENTIAL_REQUESTS, refreshOnce));
    report("client_credentials, c=1", await load(1, SEQUENTIAL_REQUESTS, clientCredentialsOnce));
  } finally {
    await env.close();
  }
}

// --- passkey sign-in ------------------------------------------------------------------
// The passkey step of a sign-in under wrangler dev: POST /v1/flows/{flow}/passkey with an
// assertion from Chromium's virtual authenticator, timed in the page around the fetch.
// That request takes the challenge (Durable Object), looks the credential up (D1),
// verifies the assertion (WebAuthn §7.2, ES256 in wasm), stores the new counter and
// issues the authorization code. Sequential, bounded in count.

const PASSKEY_SIGN_INS = 30;

async function passkeySignIn() {
  console.log(
    `\nPasskey sign-in step under wrangler dev (loopback, dev mode): ${PASSKEY_SIGN_INS} sign-ins one at a time, ` +
      "timing only the request that verifies the assertion",
  );
  const edge = await startEdge();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${edge.origin}/v1/health`);
    await addVirtualAuthenticator(page);
    const timings = await page.evaluate(async (count) => {
      const post = async (path, body) => {
        const response = await fetch(path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        return response.json();
      };
      const flow = async () =>
        (
          await post("/v1/flows", {
            client_id: "demo",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            code_challenge_method: "S256",
          })
        ).flow_id;
      const signUp = await flow();
      const creation = await post(`/v1/flows/${signUp}/passkey/sign-up/options`, { email: "bench@example.com" });
      const created = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(creation.publicKey),
      });
      await post(`/v1/flows/${signUp}/passkey/sign-up`, created.toJSON());
      const ms = [];
      for (let i = 0; i <= count; i += 1) {
        const id = await flow();
        const request = await post(`/v1/flows/${id}/passkey/options`, {});
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(request.publicKey),
        });
        const t0 = performance.now();
        await post(`/v1/flows/${id}/passkey`, credential.toJSON());
        // The first sign-in warms the isolate; it is not counted.
        if (i > 0) ms.push(performance.now() - t0);
      }
      return ms;
    }, PASSKEY_SIGN_INS);
    timings.sort((a, b) => a - b);
    const at = (q) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))];
    const mean = timings.reduce((a, b) => a + b, 0) / timings.length;
    console.log(
      `  passkey step, c=1            mean ${mean.toFixed(1)} ms, median ${at(0.5).toFixed(1)} ms, ` +
        `p95 ${at(0.95).toFixed(1)} ms   ${timings.length} ok`,
    );
  } finally {
    await browser.close();
    await edge.dispose();
  }
}


// --- hot paths: workerd CPU per request -------------------------------------------------
// workerd's own CPU time (user + system, from /proc/<pid>/stat of every workerd process in
// the edge's process group) over CPU_REQUESTS sequential requests after a warm-up, per
// request, minus a trivial route (/v1/health) measured in the same run; the median wall
// time; the D1 and Durable Object round trips of the same requests, counted through the
// ports in a native run (edge/tests/hot_paths.rs); and the client-credentials rate at c=8
// against the trivial route's. Bounded in count and time.

const CPU_REQUESTS = 300;
const CPU_WARMUP = 30;
const CPU_ROUNDS = 6;
const CPU_CAP_MS = 120_000;
const RATE_REQUESTS = 240;
const CLOCK_TICK_MS = 1000 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

/**
 * CPU milliseconds used so far by the workerd processes of process group `group`: the
 * nanosecond run time of each of their threads (`/proc/<pid>/task/<tid>/schedstat`),
 * or, where the kernel keeps no schedstat, utime + stime in clock ticks.
 */
function workerdCpuMs(group) {
  let ms = 0;
  let found = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ')'.
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== group || !comm.includes("workerd")) continue;
    found++;
    ms += threadsCpuMs(entry) ?? (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS; // utime, stime
  }
  if (!found) throw new Error(`no workerd process in group ${group}`);
  return ms;
}

/** The run time of every thread of process `pid` in milliseconds, undefined without schedstat. */
function threadsCpuMs(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return undefined;
  }
  return ns > 0 ? ns / 1e6 : undefined;
}

/** The D1 / Durable Object round trips of the native run, by endpoint. */
function nativeRoundTrips() {
  const result = spawnSync(
    "cargo",
    ["test", "-q", "-p", "portcullis-edge", "--test", "hot_paths", "hot_paths_read_nothing_from_d1_once_warm", "--", "--nocapture"],
    { cwd: ROOT, encoding: "utf8" },
  );
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("round-trips |"))
    .map((line) => line.slice("round-trips ".length));
}

async function cpuPerRequest({ signing, together = false }) {
  const { basic, createUser, hostedSession, authorizeWithSession, postForm, redeem, startOidcEdge } = await import(
    "../tests/e2e/oidc-support.mjs"
  );
  const vars = { CACHE_TTL_SECONDS: "60", ...(signing && { SIGNING: signing }) };
  console.log(
    `\nworkerd CPU per request (${signing === "software" ? "p256 in wasm" : "WebCrypto"} signing, cache TTL 60 s): ` +
      `${CPU_REQUESTS} sequential requests per endpoint after ${CPU_WARMUP} of warm-up each, the run time of workerd's threads ` +
      `(/proc/<pid>/task/*/schedstat, nanoseconds), ` +
      `minus GET /v1/health in the same round; ` +
      (together
        ? `the Durable Objects run in the worker's own workerd (as wrangler dev runs them alone), so a call to ` +
          `them is direct and the CPU column holds both; wall time is the median`
        : `the Durable Objects run in a workerd of their own (as deployed), reached through wrangler's local ` +
          `registry proxy; their CPU per request is the "objects" column; wall time is the median`),
  );
  const env = await startOidcEdge({ vars, separateObjects: !together });
  try {
    const { edge } = env;
    const webAuth = basic("web", env.clients.web.client_secret);
    const redirect = `${env.rp.origin}/cb`;
    const user = await createUser(edge, "spa");
    const cookie = await hostedSession(edge, "spa", redirect, user);
    const { params, verifier } = await authorizeWithSession(edge, cookie, "spa", redirect);
    const tokens = await redeem(edge, { code: params.get("code"), verifier, clientId: "spa", redirectUri: redirect });
    if (tokens.status !== 200) throw new Error(`code redemption: ${JSON.stringify(tokens.body)}`);
    let refreshToken = tokens.body.refresh_token;
    const accessToken = tokens.body.access_token;
    const ok = (r) => {
      if (r.status >= 300) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      return r;
    };
    const get = async (path, headers = {}) => {
      const response = await fetch(`${edge.api}${path}`, { headers });
      const text = await response.text();
      return ok({ status: response.status, body: text });
    };
    const endpoints = [
      ["GET /v1/health (trivial)", () => get("/v1/health")],
      ["GET /.well-known/jwks.json", () => get("/.well-known/jwks.json")],
      ["GET /v1/clients/{id}", () => get("/v1/clients/spa")],
      ["POST /token client_credentials", () => postForm(edge, "/token", { grant_type: "client_credentials", scope: "api:read" }, { auth: webAuth }).then(ok)],
      [
        "POST /token refresh_token",
        async () => {
          const r = ok(await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "spa" }));
          refreshToken = r.body.refresh_token;
        },
      ],
      ["GET /userinfo", () => get("/userinfo", { authorization: `Bearer ${accessToken}` })],
      ["POST /introspect (access token)", () => postForm(edge, "/introspect", { token: accessToken }, { auth: webAuth }).then(ok)],
      ["POST /revoke (unknown refresh token)", () => postForm(edge, "/revoke", { token: `${"g".repeat(43)}.${"s".repeat(43)}` }, { auth: webAuth }).then(ok)],
    ];
    // Every endpoint warmed up first (so the wasm has reached its optimising tier for all
    // of them), then measured in interleaved rounds: each round runs every endpoint in
    // turn, and "above trivial" is the median over rounds of the endpoint's CPU minus the
    // trivial route's in the same round, so drift and background work cancel.
    for (const [, once] of endpoints) for (let i = 0; i < CPU_WARMUP; i++) await once();
    const perRound = Math.ceil(CPU_REQUESTS / CPU_ROUNDS);
    const rounds = endpoints.map(() => []);
    const walls = endpoints.map(() => []);
    const deadline = performance.now() + CPU_CAP_MS * endpoints.length;
    for (let round = 0; round < CPU_ROUNDS && performance.now() < deadline; round++) {
      for (const [e, [, once]] of endpoints.entries()) {
        const cpu0 = workerdCpuMs(edge.pid);
        const objects0 = together ? 0 : workerdCpuMs(edge.objectsPid);
        for (let n = 0; n < perRound; n++) {
          const t0 = performance.now();
          await once();
          walls[e].push(performance.now() - t0);
        }
        rounds[e][round] = {
          cpu: (workerdCpuMs(edge.pid) - cpu0) / perRound,
          objects: together ? 0 : (workerdCpuMs(edge.objectsPid) - objects0) / perRound,
        };
      }
    }
    const median = (xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    };
    const done = rounds[0].length;
    const rows = endpoints.map(([name], e) => {
      const above = rounds[e].map((r, i) => r.cpu - rounds[0][i].cpu);
      return {
        name,
        cpuMs: median(rounds[e].map((r) => r.cpu)),
        above: median(above),
        spread: [Math.min(...above), Math.max(...above)],
        objectsMs: median(rounds[e].map((r) => r.objects)),
        wall: median(walls[e]),
      };
    });
    console.log(
      `  ${done} rounds of ${perRound} requests per endpoint (median over rounds; "above trivial" with its range over rounds)`,
    );
    console.log(
      `  ${"endpoint".padEnd(38)} ${"CPU/req".padStart(9)} ${"above trivial".padStart(14)} ${"range".padStart(15)} ${"objects".padStart(9)} ${"wall p50".padStart(9)}`,
    );
    for (const [e, r] of rows.entries()) {
      const above = e === 0 ? "" : `${r.above.toFixed(2)} ms`;
      const range = e === 0 ? "" : `${r.spread[0].toFixed(2)}…${r.spread[1].toFixed(2)}`;
      const objects = together ? "—" : `${r.objectsMs.toFixed(2)} ms`;
      console.log(
        `  ${r.name.padEnd(38)} ${`${r.cpuMs.toFixed(2)} ms`.padStart(9)} ${above.padStart(14)} ${range.padStart(15)} ${objects.padStart(9)} ${`${r.wall.toFixed(1)} ms`.padStart(9)}`,
      );
    }

    // The c=8 rate of client credentials against the trivial route's.
    const rate = async (once) => {
      let issued = 0;
      const started = performance.now();
      const cap = started + TOKEN_TIME_CAP_MS;
      await Promise.all(
        Array.from({ length: TOKEN_CONCURRENCY }, async () => {
          while (issued < RATE_REQUESTS && performance.now() < cap) {
            issued++;
            await once();
          }
        }),
      );
      return issued / ((performance.now() - started) / 1000);
    };
    const trivialRate = await rate(endpoints[0][1]);
    const ccRate = await rate(endpoints[3][1]);
    console.log(
      `  c=${TOKEN_CONCURRENCY}: GET /v1/health ${trivialRate.toFixed(0)}/s, client_credentials ${ccRate.toFixed(0)}/s ` +
        `= ${((100 * ccRate) / trivialRate).toFixed(0)} % of the trivial route's rate`,
    );
  } finally {
    await env.close();
  }
}

async function hotPaths() {
  console.log("\nD1 and Durable Object round trips per request (native run through the ports, edge/tests/hot_paths.rs)");
  for (const line of nativeRoundTrips()) console.log(`  ${line}`);
  await cpuPerRequest({});
  await cpuPerRequest({ signing: "software" });
  // What a Durable Object call costs without the proxy between two local workerds.
  await cpuPerRequest({ together: true });
}

// --- Argon2id in the worker -----------------------------------------------------------------
// workerd CPU of a password sign-up (a flow, then `sign-up`: Argon2id at m=19 MiB, t=2, p=1
// in wasm), per sign-up, minus a trivial route. Sequential and bounded.

const SIGN_UPS = 10;

async function argon2SignUp() {
  const { createUser, startOidcEdge } = await import("../tests/e2e/oidc-support.mjs");
  console.log(`\nPassword sign-up under wrangler dev: workerd CPU per sign-up (Argon2id m=19 MiB, t=2, p=1), ${SIGN_UPS} after one of warm-up`);
  const env = await startOidcEdge();
  try {
    const { edge } = env;
    await createUser(edge, "spa");
    const trivial0 = workerdCpuMs(edge.pid);
    for (let i = 0; i < SIGN_UPS; i++) await fetch(`${edge.api}/v1/health`).then((r) => r.text());
    const trivial = (workerdCpuMs(edge.pid) - trivial0) / SIGN_UPS;
    const walls = [];
    const cpu0 = workerdCpuMs(edge.pid);
    for (let i = 0; i < SIGN_UPS; i++) {
      const t0 = performance.now();
      await createUser(edge, "spa");
      walls.push(performance.now() - t0);
    }
    const perSignUp = (workerdCpuMs(edge.pid) - cpu0) / SIGN_UPS - 2 * trivial;
    walls.sort((a, b) => a - b);
    console.log(
      `  sign-up (POST /v1/flows + /sign-up)   ${perSignUp.toFixed(0)} ms CPU above two trivial requests, ` +
        `wall median ${walls[Math.floor(walls.length / 2)].toFixed(0)} ms`,
    );
  } finally {
    await env.close();
  }
}

// --- TOTP in the worker ---------------------------------------------------------------------
// workerd CPU of a second-factor step with an authenticator-app code (`POST …/mfa/totp`:
// the per-account counter, the app's key unsealed, RFC 6238 over three time steps, the flow
// put back), minus a trivial route. Wrong codes, so that every step does the whole check:
// four per account (one flow), within the per-account limit of five. Sequential, bounded.

const TOTP_ACCOUNTS = 4;
const TOTP_CODES_PER_ACCOUNT = 4;

async function totpStep() {
  const { clientsCli, pkce } = await import("../tests/e2e/oidc-support.mjs");
  const { passphrase, startEdge } = await import("../tests/e2e/harness.mjs");
  const { Phone } = await import("../tests/e2e/widget-support.mjs");
  const steps = TOTP_ACCOUNTS * TOTP_CODES_PER_ACCOUNT;
  console.log(`\nTOTP under wrangler dev: workerd CPU per second-factor step (POST /v1/flows/{id}/mfa/totp), ${steps} wrong codes over ${TOTP_ACCOUNTS} accounts`);
  const edge = await startEdge({
    setup: ({ stateDir, origin }) =>
      clientsCli(stateDir, ["add", "--id", "vault", "--name", "Vault", "--mfa", "required", "--redirect-uri", `${origin}/callback`]),
  });
  const post = async (path, body) => {
    const response = await fetch(`${edge.api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const flow = async () => {
    const { challenge } = pkce();
    return (await post("/v1/flows", { client_id: "vault", code_challenge: challenge, code_challenge_method: "S256" })).body.flow_id;
  };
  try {
    // Accounts with an app each, and a flow of each waiting for its code (not measured).
    const waiting = [];
    for (let i = 0; i < TOTP_ACCOUNTS; i++) {
      const person = { email: `totp-bench-${i}-${Date.now()}@example.com`, password: passphrase((t) => `bench ${t} meadow ${i}`) };
      const signUp = await flow();
      await post(`/v1/flows/${signUp}/sign-up`, person);
      const { secret } = (await post(`/v1/flows/${signUp}/mfa/totp/enrolment`)).body;
      const phone = new Phone(secret);
      await post(`/v1/flows/${signUp}/mfa/totp/enrolment/confirm`, { code: phone.code() });
      const id = await flow();
      const first = await post(`/v1/flows/${id}/password`, person);
      if (first.body.status !== "second_factor") throw new Error(`expected a second factor: ${JSON.stringify(first.body)}`);
      waiting.push({ id, wrong: phone.wrong() });
    }
    const trivial0 = workerdCpuMs(edge.pid);
    for (let i = 0; i < steps; i++) await fetch(`${edge.api}/v1/health`).then((r) => r.text());
    const trivial = (workerdCpuMs(edge.pid) - trivial0) / steps;
    const walls = [];
    const cpu0 = workerdCpuMs(edge.pid);
    for (const { id, wrong } of waiting) {
      for (let i = 0; i < TOTP_CODES_PER_ACCOUNT; i++) {
        const t0 = performance.now();
        const answer = await post(`/v1/flows/${id}/mfa/totp`, { code: wrong });
        walls.push(performance.now() - t0);
        if (answer.body.code !== "factor_code_invalid") throw new Error(`unexpected: ${JSON.stringify(answer.body)}`);
      }
    }
    const perStep = (workerdCpuMs(edge.pid) - cpu0) / steps - trivial;
    walls.sort((a, b) => a - b);
    console.log(
      `  TOTP step (counter, unseal, 3 HMAC-SHA-1, flow)   ${perStep.toFixed(1)} ms CPU above a trivial request, ` +
        `wall median ${walls[Math.floor(walls.length / 2)].toFixed(0)} ms (natively: \`cargo bench -p portcullis-edge\`, "TOTP verify")`,
    );
  } finally {
    await edge.dispose();
  }
}

// --- hooks: an inline hook's added latency, events/s through the local queues -----------
// One edge, one local receiver that answers at once. Inline: password sign-ups through the
// first-party API for a client with a registration hook and one without, interleaved, a
// bounded number each; the medians and the hook call's own latency from the System Log.
// Queue: a bounded burst of admin API reads (each a `system.admin_api.read` System Log
// event, cheap to make) with an event hook on that type; the time until the receiver
// holds every delivery.

const INLINE_SIGN_UPS = 15;
const EVENT_BURST = 300;
const EVENT_CONCURRENCY = 8;
const EVENT_DEADLINE_MS = 180_000;

async function hookFigures() {
  const { createServer } = await import("node:http");
  const { Webhook } = await import("standardwebhooks");
  const { execFileSync } = await import("node:child_process");
  const { basic, callJson, clientsCli, postForm, signUpThroughApi } = await import("../tests/e2e/oidc-support.mjs");
  const { freePort, keyEncryptionKey, passphrase, systemLog, toolEnv } = await import("../tests/e2e/harness.mjs");
  console.log(
    `\nHooks under wrangler dev (loopback, dev mode): ${INLINE_SIGN_UPS} sign-ups with and without a registration hook, ` +
      `interleaved; ${EVENT_BURST} events at concurrency ${EVENT_CONCURRENCY} to one event hook`,
  );
  const receiverPort = await freePort();
  const receiver = { inline: null, delivered: new Map() };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const path = new URL(req.url, "http://x").pathname;
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ verification: req.headers["x-portcullis-verification-challenge"] }));
      } else if (path === "/inline") {
        const id = req.headers["webhook-id"];
        const text = JSON.stringify({ decision: "allow" });
        const now = new Date();
        res.writeHead(200, {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": receiver.inline.sign(id, now, text),
        });
        res.end(text);
      } else {
        if (!receiver.delivered.has(req.headers["webhook-id"])) receiver.delivered.set(req.headers["webhook-id"], performance.now());
        res.writeHead(204).end();
      }
    });
  });
  await new Promise((r) => server.listen(receiverPort, "127.0.0.1", r));
  const receiverOrigin = `http://127.0.0.1:${receiverPort}`;
  const admin = {};
  const edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      for (const id of ["hooked", "plain"]) {
        clientsCli(stateDir, ["add", "--id", id, "--name", id, "--redirect-uri", "http://localhost:9/cb", "--origin", origin]);
      }
      Object.assign(
        admin,
        clientsCli(stateDir, ["add", "--id", "bench", "--name", "bench", "--type", "confidential", "--grant-type", "client_credentials", "--scope", "admin.hooks.manage"]),
      );
      const added = JSON.parse(
        execFileSync(
          join(ROOT, "scripts/hooks"),
          ["--persist-to", stateDir, "inline-add", "--kind", "registration", "--client", "hooked", "--url", `${receiverOrigin}/inline`, "--json"],
          { cwd: ROOT, encoding: "utf8", env: toolEnv({ KEY_ENCRYPTION_KEY: keyEncryptionKey(stateDir) }) },
        ),
      );
      receiver.inline = new Webhook(added.secret);
    },
  });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  try {
    // Inline hook: interleaved so both sides see the same machine load.
    const walls = { hooked: [], plain: [] };
    for (let i = 0; i <= INLINE_SIGN_UPS; i++) {
      for (const client of ["hooked", "plain"]) {
        const person = { email: `bench-${client}-${i}-${Date.now()}@example.com`, password: passphrase((t) => `quartz ${t} meridian`) };
        const t0 = performance.now();
        await signUpThroughApi(edge, person, client);
        if (i > 0) walls[client].push(performance.now() - t0); // the first of each warms up
      }
    }
    const calls = (await systemLog(edge.stateDir, "system.inline_hook.call"))
      .map((e) => Number(/in (\d+) ms/.exec(e.reason ?? "")?.[1]))
      .filter(Number.isFinite);
    const [withHook, without] = [median(walls.hooked), median(walls.plain)];
    console.log(
      `  sign-up, median wall       with hook ${withHook.toFixed(0)} ms, without ${without.toFixed(0)} ms: ` +
        `${withHook >= without ? "+" : "−"}${Math.abs(withHook - without).toFixed(0)} ms (the hook call itself, as the edge logs it: median ${median(calls)} ms over ${calls.length} calls)`,
    );

    // Event hook: registered and verified through the admin API.
    const token = (await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("bench", admin.client_secret) })).body.access_token;
    const auth = { authorization: `Bearer ${token}` };
    const created = await callJson(edge, "POST", "/admin/v1/hooks", { url: `${receiverOrigin}/events`, event_types: ["system.admin_api.read"] }, auth);
    const enabled = await callJson(edge, "PATCH", `/admin/v1/hooks/${created.body.id}`, { enabled: true }, auth);
    if (enabled.status !== 200) throw new Error(`enabling the bench hook: ${enabled.text}`);
    receiver.delivered.clear();
    const started = performance.now();
    let issued = 0;
    await Promise.all(
      Array.from({ length: EVENT_CONCURRENCY }, async () => {
        while (issued < EVENT_BURST && performance.now() - started < EVENT_DEADLINE_MS) {
          issued++;
          const r = await callJson(edge, "GET", "/admin/v1/hooks?limit=1", undefined, auth);
          if (r.status !== 200) throw new Error(`admin read: ${r.text}`);
        }
      }),
    );
    const requestsMs = performance.now() - started;
    while (receiver.delivered.size < issued && performance.now() - started < EVENT_DEADLINE_MS) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const lastAt = Math.max(...receiver.delivered.values());
    const allMs = lastAt - started;
    console.log(
      `  event hook burst           ${issued} events made in ${(requestsMs / 1000).toFixed(1)} s (${((issued * 1000) / requestsMs).toFixed(0)}/s); ${receiver.delivered.size} deliveries, ` +
        `the last ${((lastAt - started - requestsMs) / 1000).toFixed(1)} s after the last response: ` +
        `${((receiver.delivered.size * 1000) / allMs).toFixed(0)} events/s end to end`,
    );
  } finally {
    await edge.dispose();
    await new Promise((r) => server.close(r));
  }
}

// --- admin: user search and System Log queries at scale ---------------------------------
// 100,000 users and 1,000,000 events written straight into the local D1 file (SQLite)
// after the migrations, before the edge starts; then a bounded number of sequential
// requests per query through the live edge. Never part of the default run or CI.

const ADMIN_USERS = 100_000;
const ADMIN_EVENTS = 1_000_000;
const ADMIN_DAYS = 30;
const ADMIN_REQUESTS = 30;
const ADMIN_TIME_CAP_MS = 120_000;

/** Users `user-N@bench.example` and events spread over the last `ADMIN_DAYS` days. */
async function seedAdmin(stateDir, now) {
  const { eventWriter, inBatches, openLocalD1 } = await import("../tests/e2e/log-seed.mjs");
  const db = await openLocalD1(stateDir);
  const started = performance.now();
  const user = db.prepare(
    "INSERT INTO users (id, email, email_verified, name, given_name, family_name, status, created_at, updated_at, external_id) " +
      "VALUES (?, ?, 1, ?, ?, ?, 'active', ?, ?, ?)",
  );
  const at = (i, n) => now - ADMIN_DAYS * 86_400_000 + Math.floor((i * ADMIN_DAYS * 86_400_000) / n);
  inBatches(db, ADMIN_USERS, (i) => {
    const t = at(i, ADMIN_USERS);
    user.run(`u${String(i).padStart(8, "0")}`, `user-${i}@bench.example`, `Person ${i}`, "Person", `${i}`, t, t, `hr-${i}`);
  });
  const usersMs = performance.now() - started;
  const types = ["user.authentication.auth_via_password", "user.session.start", "app.oauth2.as.token.grant", "user.lifecycle.create", "system.admin_api.read"];
  const write = eventWriter(db);
  inBatches(db, ADMIN_EVENTS, (i) => {
    const actor = `u${String(i % ADMIN_USERS).padStart(8, "0")}`;
    write({
      uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      published: at(i, ADMIN_EVENTS),
      eventType: types[i % types.length],
      outcome: i % 17 ? "SUCCESS" : "FAILURE",
      actor: { id: actor, type: "User", alternateId: `user-${i % ADMIN_USERS}@bench.example` },
      client: { id: "demo", ipAddress: `198.51.100.${i % 250}` },
      target: [{ id: actor, type: "User" }],
      displayMessage: "bench",
    });
  });
  db.close();
  return { usersMs, allMs: performance.now() - started };
}

async function adminFigures() {
  const { basic, clientsCli, postForm } = await import("../tests/e2e/oidc-support.mjs");
  const now = Date.now();
  let seeded;
  let admin;
  const edge = await startEdge({
    setup: async ({ stateDir }) => {
      admin = clientsCli(stateDir, [
        "add", "--id", "bench-admin", "--name", "Bench", "--type", "confidential",
        "--grant-type", "client_credentials", "--scope", "admin.users.read admin.logs.read",
      ]);
      seeded = await seedAdmin(stateDir, now);
    },
  });
  try {
    console.log(
      `\nAdmin at scale: ${ADMIN_USERS.toLocaleString("en")} users and ${ADMIN_EVENTS.toLocaleString("en")} events (${ADMIN_DAYS} days) in local D1, ` +
        `seeded in ${(seeded.allMs / 1000).toFixed(1)} s (users ${(seeded.usersMs / 1000).toFixed(1)} s); ${ADMIN_REQUESTS} sequential requests each`,
    );
    const grant = await postForm(edge, "/token", { grant_type: "client_credentials", scope: "admin.users.read admin.logs.read" }, { auth: basic("bench-admin", admin.client_secret) });
    if (grant.status !== 200) throw new Error(`admin token: ${grant.status} ${JSON.stringify(grant.body)}`);
    const headers = { authorization: `Bearer ${grant.body.access_token}` };
    const weekAgo = new Date(now - 7 * 86_400_000).toISOString();
    const queries = [
      ["SCIM userName eq", (i) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user-${(i * 7919) % ADMIN_USERS}@bench.example"`)}`],
      ["SCIM userName sw", (i) => `/scim/v2/Users?count=10&filter=${encodeURIComponent(`userName sw "user-${(i * 7919) % ADMIN_USERS}"`)}`],
      ["SCIM externalId eq", (i) => `/scim/v2/Users?filter=${encodeURIComponent(`externalId eq "hr-${(i * 7919) % ADMIN_USERS}"`)}`],
      ["SCIM displayName eq", (i) => `/scim/v2/Users?filter=${encodeURIComponent(`displayName eq "person ${(i * 7919) % ADMIN_USERS}"`)}`],
      ["SCIM list (first page)", () => "/scim/v2/Users?count=100"],
      ["logs: a week, 100", () => `/api/v1/logs?since=${weekAgo}&limit=100`],
      ["logs: a week, DESCENDING", () => `/api/v1/logs?since=${weekAgo}&limit=100&sortOrder=DESCENDING`],
      ["logs: eventType eq", () => `/api/v1/logs?since=${weekAgo}&limit=100&filter=${encodeURIComponent('eventType eq "user.lifecycle.create"')}`],
      ["logs: outcome FAILURE", () => `/api/v1/logs?since=${weekAgo}&limit=100&filter=${encodeURIComponent('outcome.result eq "FAILURE"')}`],
      ["logs: actor.id eq", (i) => `/api/v1/logs?since=${weekAgo}&limit=100&filter=${encodeURIComponent(`actor.id eq "u${String((i * 7919) % ADMIN_USERS).padStart(8, "0")}"`)}`],
      ["logs: target.id eq", (i) => `/api/v1/logs?since=${weekAgo}&limit=100&filter=${encodeURIComponent(`target.id eq "u${String((i * 7919) % ADMIN_USERS).padStart(8, "0")}"`)}`],
      ["logs: q keyword", (i) => `/api/v1/logs?since=${weekAgo}&limit=100&q=user-${(i * 7919) % ADMIN_USERS}@`],
    ];
    for (const [name, path] of queries) {
      const latencies = [];
      let failures = 0;
      const deadline = performance.now() + ADMIN_TIME_CAP_MS;
      for (let i = 0; i < ADMIN_REQUESTS && performance.now() < deadline; i++) {
        const t0 = performance.now();
        const response = await fetch(`${edge.api}${path(i)}`, { headers });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - t0);
        else failures++;
      }
      latencies.sort((a, b) => a - b);
      const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]?.toFixed(1);
      console.log(`  ${name.padEnd(26)} p50 ${q(0.5)} ms, p95 ${q(0.95)} ms   ${latencies.length} ok, ${failures} failed`);
    }
  } finally {
    await edge.dispose();
  }
}

if (wants("sizes")) {
  sizeTables();
  widgetMainByCrate();
  edgeByCrate();
  await firstPaint();
}
if (wants("startup")) await startup();
if (wants("token")) await tokenEndpoint();
if (wants("passkey")) await passkeySignIn();
if (wants("cpu")) await hotPaths();
if (wants("argon2")) await argon2SignUp();
if (wants("totp")) await totpStep();
if (wants("hooks")) await hookFigures();
// Only when named: seeding a million events is not part of the default run.
if (sections.includes("admin")) await adminFigures();
