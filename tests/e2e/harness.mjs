// End-to-end harness: the real edge under `wrangler dev` (workerd) on loopback with a
// fresh local state directory, and headless Debian Chromium driven by playwright-core.
//
// Every process it starts is recorded in target/e2e/pids; the next run kills whatever a
// killed run left behind before it starts anything.

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PID_FILE = join(ROOT, "target/e2e/pids");

/** The built widget's directory of this build's wasm, glue and split modules
 * (`dist/widget/<hash>/`, see scripts/build-widget), relative to `dist/widget/`. */
export function widgetBuild() {
  const widget = join(ROOT, "dist/widget");
  const builds = readdirSync(widget).filter((name) => existsSync(join(widget, name, "__wasm_split.js")));
  if (builds.length !== 1) throw new Error(`dist/widget holds ${builds.length} builds; run scripts/build-widget`);
  return builds[0];
}
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  DO_NOT_TRACK: "1",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
};

/** The environment tools run in: the project's Node 22 and wrangler first, telemetry off. */
export function toolEnv(extra = {}) {
  const bin = join(ROOT, "node_modules/.bin");
  return { ...process.env, ...QUIET_ENV, PATH: `${bin}:${process.env.PATH}`, ...extra };
}

/** Notes a started process group, owned by this test process. */
function record(pid, what) {
  mkdirSync(dirname(PID_FILE), { recursive: true });
  appendFileSync(PID_FILE, `${pid} ${process.pid} ${what}\n`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid) {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Kills processes that an interrupted run recorded and left running: those whose owning
 * test process is gone. Processes of test files still running are left alone.
 */
export function reapStrays() {
  if (!existsSync(PID_FILE)) return;
  const keep = [];
  for (const line of readFileSync(PID_FILE, "utf8").split("\n")) {
    const [pid, owner] = line.split(" ").map((n) => Number.parseInt(n, 10));
    if (!pid || !alive(pid)) continue;
    if (owner && alive(owner)) {
      keep.push(line);
      continue;
    }
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    // Only what we start: a reused pid belonging to something else is left alone.
    if (/wrangler|workerd|chrom/.test(cmdline)) killGroup(pid);
  }
  writeFileSync(PID_FILE, keep.map((l) => `${l}\n`).join(""));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function wrangler(args, env) {
  const result = spawnSync(WRANGLER, args, { cwd: ROOT, env: toolEnv(env), encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The System Log events of `eventType` in the local D1 under `stateDir`, oldest first:
 * `{event_type, outcome, reason, actor_id, client_id}` (what an administrator reads).
 *
 * Events reach D1 through the events queue after each response (batches wait at most a
 * second), so this reads until two reads 1.5 s apart agree, at most 20 times.
 */
export async function systemLog(stateDir, eventType) {
  const sql =
    "SELECT event_type, outcome, json_extract(data, '$.outcome.reason') AS reason, actor_id, client_id " +
    `FROM events WHERE event_type = '${eventType.replaceAll("'", "''")}' ORDER BY published, rowid`;
  const read = () => JSON.parse(wrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--json", "--command", sql]))[0].results;
  let rows = read();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1_500));
    const again = read();
    if (JSON.stringify(again) === JSON.stringify(rows)) return again;
    rows = again;
  }
  return rows;
}

async function waitFor(url, timeoutMs, isDead, anyAnswer = false) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (isDead()) throw new Error("wrangler dev exited before it was ready");
    try {
      // Bounded: a worker that accepts the connection but never answers (a build older
      // than wrangler.toml's bindings, say) must fail here, not hang the test file.
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok || anyAnswer) return;
      lastError = new Error(`status ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${lastError}`);
}

/**
 * The state directory's KEY_ENCRYPTION_KEY (32 random bytes, base64url): made on first
 * use and kept beside the state it protects.
 */
export function keyEncryptionKey(stateDir) {
  const file = join(stateDir, "key-encryption-key");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

/** The demo client's scopes: `account` lets its widget manage passkeys (the account API). */
const DEMO_SCOPES = ["openid", "profile", "email", "offline_access", "account"];

/**
 * Starts the edge under `wrangler dev` on a free loopback port.
 *
 * The worker and dist/ must already be built (scripts/build); this never rebuilds.
 * The issuer is pinned to `http://localhost:PORT` (`--var ISSUER`), and the signing keys
 * are sealed under a KEY_ENCRYPTION_KEY made once per state directory and kept in it, so
 * a restart on the same `stateDir` can unseal the keys it made before.
 *
 * @param {{stateDir?: string, extraOrigins?: string[], vars?: Record<string, string>,
 *   setup?: (edge: {stateDir: string, port: number, origin: string}) => unknown}} options
 *   `stateDir` reuses local D1 / Durable Object state (for restart tests);
 *   `extraOrigins` are added to the demo client's allowed origins; `vars` are worker
 *   variables (mail goes to the development mailbox unless `MAIL_TRANSPORT` says
 *   otherwise, and the isolate cache is off unless `CACHE_TTL_SECONDS` says otherwise);
 *   `separateObjects` runs the Durable Objects in a workerd of their own (benchmarks);
 *   `args` are more `wrangler dev` flags (`--test-scheduled`, say); `setup` runs after
 *   migrations and seeding and before `wrangler dev` starts (to register clients, say).
 */
export async function startEdge(options = {}) {
  reapStrays();
  const port = await freePort();
  const inspectorPort = await freePort();
  const fresh = !options.stateDir;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "portcullis-e2e-"));
  const origin = `http://localhost:${port}`;

  if (fresh) {
    wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
  }
  const origins = [origin, `http://127.0.0.1:${port}`, ...(options.extraOrigins ?? [])];
  const seed = join(stateDir, "seed.sql");
  writeFileSync(
    seed,
    `INSERT INTO clients (id, name, client_type, redirect_uris, allowed_origins, allowed_scopes, created_at, updated_at)
     VALUES ('demo', 'Portcullis Demo', 'public', '${JSON.stringify([`${origin}/callback`])}',
             '${JSON.stringify(origins)}', '${JSON.stringify(DEMO_SCOPES)}', unixepoch() * 1000, unixepoch() * 1000)
     ON CONFLICT (id) DO UPDATE SET allowed_origins = excluded.allowed_origins;\n`,
  );
  wrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", seed]);
  await options.setup?.({ stateDir, port, origin });

  const vars = Object.entries({ MAIL_TRANSPORT: "dev-mailbox", CACHE_TTL_SECONDS: "0", ...options.vars }).flatMap(
    ([name, value]) => ["--var", `${name}:${value}`],
  );
  const common = [
    "--ip", "127.0.0.1",
    "--persist-to", stateDir,
    "--local-protocol", "http",
    "--show-interactive-dev-session=false",
    "--var", `ISSUER:${origin}`,
    "--var", `KEY_ENCRYPTION_KEY:${keyEncryptionKey(stateDir)}`,
    // The isolate cache keeps nothing unless a test asks (hot-paths.test.mjs does), so
    // a change made with scripts/clients shows at once.
    ...vars,
  ];

  // With `separateObjects`, the Durable Objects run in a second workerd (its own
  // `wrangler dev`, found through wrangler's local registry), as they do deployed: the
  // worker's process then spends only the worker's CPU.
  let objects;
  const config = [];
  if (options.separateObjects) {
    const split = splitConfigs(stateDir, `portcullis-objects-${port}`);
    objects = await devServer(
      ["dev", "-c", split.objects, "--port", String(await freePort()), "--inspector-port", String(await freePort()), ...common],
      "wrangler (Durable Objects)",
      true,
    );
    config.push("-c", split.worker);
  }
  const spawnedAt = Date.now();
  let worker;
  try {
    worker = await devServer(
      ["dev", ...config, "--port", String(port), "--inspector-port", String(inspectorPort), ...common, ...(options.args ?? [])],
      "wrangler",
    );
    // The worker finds the objects' workerd through the registry a moment after it
    // answers: wait until a request that needs a Durable Object (a sign-in flow) works.
    if (objects) await objectsReachable(`http://127.0.0.1:${port}`, origin, worker.output);
  } catch (error) {
    await worker?.stop();
    await objects?.stop();
    throw error;
  }
  const readyMs = Date.now() - spawnedAt;

  return {
    port,
    origin,
    stateDir,
    /** The worker's V8 inspector (Chrome DevTools Protocol), on loopback. */
    inspectorPort,
    /** wrangler's process id, also its process group's (workerd runs in that group). */
    pid: worker.pid,
    /** With `separateObjects`: the process group of the Durable Objects' wrangler. */
    objectsPid: objects?.pid,
    /** Milliseconds from spawning wrangler dev until /v1/health answered. */
    readyMs,
    /** The API as Node sees it (IPv4 loopback, no DNS). */
    api: `http://127.0.0.1:${port}`,
    output: worker.output,
    /** Stops wrangler and workerd; keeps the state directory. */
    async stop() {
      await worker.stop();
      await objects?.stop();
    },
    /** Stops and deletes the state directory. */
    async dispose() {
      await this.stop();
      if (fresh) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Waits (at most 30 s) until the worker at `api` starts a sign-in flow, which takes a
 * Durable Object. */
async function objectsReachable(api, origin, output) {
  const deadline = Date.now() + 30_000;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(`${api}/v1/flows`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({
        client_id: "demo",
        redirect_uri: `${origin}/callback`,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
        scope: "openid",
      }),
      signal: AbortSignal.timeout(5_000),
    }).catch((error) => ({ status: 0, text: async () => String(error) }));
    if (response.status === 201) return;
    last = `${response.status} ${await response.text()}`;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the worker does not reach its Durable Objects: ${last}\n--- wrangler output ---\n${output()}`);
}

/**
 * `wrangler.toml` split in two for `startEdge({separateObjects})`: one worker that only
 * defines the Durable Objects (named `objectsName`, unique per edge, so that edges
 * started side by side or left behind by a killed run never meet in wrangler's registry),
 * and the edge with its bindings pointing at that worker.
 * Both files go into `stateDir`; paths in them are absolute.
 */
function splitConfigs(stateDir, objectsName) {
  const source = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
    .replace(/^main = "(.*)"$/m, (_, path) => `main = "${join(ROOT, path)}"`)
    .replace(/^directory = "(.*)"$/m, (_, path) => `directory = "${join(ROOT, path)}"`)
    .replace(/^migrations_dir = "(.*)"$/m, (_, path) => `migrations_dir = "${join(ROOT, path)}"`)
    .replace(/^\[build\]\n(#.*\n)*command = .*\n/m, "");
  const bindings = source.match(/^\[durable_objects\]\nbindings = \[\n[^\]]*\]\n/m)?.[0];
  const migrations = source.match(/^\[\[migrations\]\]\n[\s\S]*?(?=\n# |\n\[\[queues)/m)?.[0];
  if (!bindings || !migrations) throw new Error("wrangler.toml: no [durable_objects] bindings or [[migrations]] found");
  const head = source.slice(0, source.indexOf("[assets]"));
  const objects = join(stateDir, "objects.toml");
  writeFileSync(
    objects,
    `${head.replace(/^name = ".*"$/m, `name = "${objectsName}"`)}\n${bindings}\n${migrations}\n`,
  );
  const worker = join(stateDir, "worker.toml");
  writeFileSync(
    worker,
    source
      .replace(bindings, bindings.replaceAll(/class_name = "(\w+)" \}/g, `class_name = "$1", script_name = "${objectsName}" }`))
      .replace(migrations, ""),
  );
  return { objects, worker };
}

/**
 * Spawns `wrangler …args` in its own process group (recorded for the reaper) and waits
 * until `/v1/health` answers on `port` (the port after `--port` in `args`): with 200,
 * or with anything when `anyAnswer` (the Durable Objects' worker has no D1 to be healthy
 * with).
 */
async function devServer(args, what, anyAnswer = false) {
  const port = args[args.indexOf("--port") + 1];
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: toolEnv({ PORTCULLIS_SKIP_EDGE_BUILD: "1" }),
    detached: true, // its own process group, so workerd goes down with it
    stdio: ["ignore", "pipe", "pipe"],
  });
  record(child.pid, what);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  try {
    await waitFor(`http://127.0.0.1:${port}/v1/health`, 60_000, () => exited, anyAnswer);
  } catch (error) {
    killGroup(child.pid);
    throw new Error(`${error.message}\n--- ${what} output ---\n${output}`);
  }
  return {
    pid: child.pid,
    output: () => output,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => killGroup(child.pid), 5_000);
      await done;
      clearTimeout(timer);
      killGroup(child.pid); // anything in the group that ignored SIGTERM
    },
  };
}

/**
 * Headless Chromium from Debian's package with a fresh profile, started here (its own
 * process group, recorded for the reaper) and driven over CDP by playwright-core.
 * `close()` ends the process and deletes the profile.
 */
export async function launchBrowser() {
  reapStrays();
  const profile = mkdtempSync(join(tmpdir(), "portcullis-chromium-"));
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      // Servers here listen on 127.0.0.1 only; pages keep the http://localhost origin
      // (a secure context, and a valid WebAuthn RP ID, which an IP address is not).
      "--host-resolver-rules=MAP localhost 127.0.0.1",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  record(child.pid, "chromium");
  let exited = false;
  child.on("exit", () => (exited = true));

  const endpoint = await new Promise((ok, fail) => {
    let stderr = "";
    const timer = setTimeout(() => fail(new Error(`Chromium did not start:\n${stderr}`)), 30_000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = stderr.match(/DevTools listening on (ws:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`Chromium exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  child.stderr.resume();

  let browser;
  try {
    browser = await chromium.connectOverCDP(endpoint);
  } catch (error) {
    killGroup(child.pid);
    throw error;
  }
  return {
    /**
     * A new page in a fresh browser context (no shared cookies or storage);
     * `contextOptions` as playwright's `browser.newContext` takes them (e.g. `locale`).
     */
    async newPage(contextOptions = {}) {
      const context = await browser.newContext(contextOptions);
      return context.newPage();
    },
    async close() {
      await browser.close().catch(() => {});
      if (!exited) {
        const done = new Promise((r) => child.once("exit", r));
        killGroup(child.pid);
        await done;
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Adds Chromium's virtual WebAuthn authenticator to `page` (CDP WebAuthn domain): a
 * platform passkey provider with resident keys and user verification that always
 * consents.
 */
/**
 * Waits, as a screen reader would, for focus to land on the element with `id` in `page`
 * (looking through the widget's shadow root). Focus moves after a render, never in the
 * same instant as the click that caused it.
 */
export function focusLandsOn(page, id, timeout = 5_000) {
  return page.waitForFunction(
    (id) => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.id === id;
    },
    id,
    { timeout },
  );
}

export async function addVirtualAuthenticator(page, overrides = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...overrides,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Serves `html` at `/` from another loopback origin (`http://localhost:port`), for
 * cross-origin embedding.
 */
export async function serveHostPage(html, port, headers = {}) {
  const { createServer: createHttpServer } = await import("node:http");
  const server = createHttpServer((req, res) => {
    if (req.url === "/" || req.url.startsWith("/?")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...headers });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

// --- stand-ins for third-party services -------------------------------------------------

/**
 * Cloudflare Turnstile's siteverify as it answers, for tokens this stand-in issued: each
 * is accepted once, with the secret key `secret`.
 */
export function turnstileStandIn(secret) {
  const issued = new Map();
  const verified = [];
  return {
    issued,
    verified,
    /** A token for a challenge solved now, as the Turnstile widget hands it to the page. */
    issue() {
      const token = `0.${randomBytes(24).toString("base64url")}`;
      issued.set(token, { at: new Date(), used: false });
      return token;
    },
    /** Siteverify's answer to the form the edge posts. */
    siteverify(form) {
      const token = form.get("response");
      if (form.get("secret") !== secret) return { success: false, "error-codes": ["invalid-input-secret"] };
      const entry = issued.get(token);
      if (!entry) return { success: false, "error-codes": ["invalid-input-response"] };
      if (entry.used) return { success: false, "error-codes": ["timeout-or-duplicate"] };
      entry.used = true;
      verified.push(token);
      return { success: true, challenge_ts: entry.at.toISOString(), hostname: "localhost", "error-codes": [], action: "", cdata: "" };
    },
  };
}

// --- passwords the edge accepts -----------------------------------------------------------

const MASK64 = (1n << 64n) - 1n;
let blocklist;

/** MurmurHash3's 64-bit finaliser, as in edge/src/passwords/blocklist.rs. */
function mix(z) {
  z = ((z ^ (z >> 33n)) * 0xff51afd7ed558ccdn) & MASK64;
  z = ((z ^ (z >> 33n)) * 0xc4ceb9fe1a85ec53n) & MASK64;
  return z ^ (z >> 33n);
}

/**
 * Whether the edge's shipped blocklist (edge/data/password-blocklist.fuse, a binary fuse
 * filter; see edge/src/passwords/blocklist.rs) refuses `password`. Its false positives
 * (1 in 262,144) would make a test's random passphrase fail now and then.
 */
export function blocklisted(password) {
  if (!blocklist) {
    const bytes = readFileSync(join(ROOT, "edge/data/password-blocklist.fuse"));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    blocklist = {
      seed: view.getBigUint64(6, true),
      segmentLength: BigInt(view.getUint32(14, true)),
      segmentCountLength: BigInt(view.getUint32(18, true)),
      bits: view.getUint32(26, true),
      slots: bytes.subarray(38),
    };
  }
  const { seed, segmentLength, segmentCountLength, bits, slots } = blocklist;
  const digest = createHash("sha256").update(password.normalize("NFKC").toLowerCase()).digest();
  const h = mix((digest.readBigUInt64LE(0) + seed) & MASK64);
  const mask = segmentLength - 1n;
  const h0 = (h * segmentCountLength) >> 64n;
  const h1 = (h0 + segmentLength) ^ ((h >> 18n) & mask);
  const h2 = (h0 + 2n * segmentLength) ^ (h & mask);
  const slot = (j) => {
    const bit = Number(j) * bits;
    return (slots.readUInt32LE(bit >> 3) >>> (bit & 7)) & ((1 << bits) - 1);
  };
  const fingerprint = Number(digest.readBigUInt64LE(8) & ((1n << BigInt(bits)) - 1n));
  return fingerprint === (slot(h0) ^ slot(h1) ^ slot(h2));
}

/** A passphrase `make(tag)` around a random tag that the edge's blocklist does not refuse. */
export function passphrase(make) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const password = make(randomBytes(5).toString("hex"));
    if (!blocklisted(password)) return password;
  }
  throw new Error("no passphrase outside the blocklist in 50 tries");
}

/**
 * Creates a password account for `person` ({email, password}) through the first-party
 * API, as a widget would (an embedded flow of the demo client, RFC 7636 S256).
 */
export async function signUpWithPassword(edge, person) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const started = await fetch(`${edge.api}/v1/flows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: "demo", code_challenge: challenge, code_challenge_method: "S256" }),
  });
  if (started.status !== 201) throw new Error(`POST /v1/flows: ${started.status} ${await started.text()}`);
  const { flow_id } = await started.json();
  const signedUp = await fetch(`${edge.api}/v1/flows/${flow_id}/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(person),
  });
  if (!signedUp.ok) throw new Error(`sign-up: ${signedUp.status} ${await signedUp.text()}`);
}
