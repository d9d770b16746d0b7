// Size, start-up, token-endpoint and passkey figures for the README's performance section.
// `node scripts/bench.mjs [sizes] [startup] [token] [passkey]` runs only the named sections
// (all by default); scripts/bench builds first and runs them all.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import { addVirtualAuthenticator, launchBrowser, ROOT, startEdge } from "../tests/e2e/harness.mjs";

const sections = process.argv.slice(2);
const wants = (name) => sections.length === 0 || sections.includes(name);

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
  return total;
}

function sizeTables() {
  const dist = join(ROOT, "dist");
  const firstPaint = table("Widget, first paint in English (built in): what a visitor downloads", [
    ["widget.js (loader)", join(dist, "widget.js")],
    ["widget/portcullis-widget.js (glue)", join(dist, "widget/portcullis-widget.js")],
    ["widget/portcullis-widget_bg.wasm", join(dist, "widget/portcullis-widget_bg.wasm")],
    ["widget/widget.css", join(dist, "widget/widget.css")],
  ]);

  // Loaded lazily: one catalogue, only for a visitor whose language is not English.
  const locales = join(dist, "widget/locales");
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
  console.log(`  goal for first paint: 44.0 KB gzip; now ${kb(firstPaint.gzip)} gzip`);

  const bundle = join(ROOT, "target/deploy-dry-run");
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

async function firstPaint() {
  const edge = await startEdge();
  const browser = await launchBrowser();
  const runs = [];
  try {
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

if (wants("sizes")) {
  sizeTables();
  await firstPaint();
}
if (wants("startup")) await startup();
if (wants("token")) await tokenEndpoint();
if (wants("passkey")) await passkeySignIn();
