// Event hooks under wrangler dev with local Queues: System Log events leave through the
// events queue and reach local receivers as Standard Webhooks deliveries, each verified
// with the npm `standardwebhooks` library (not this project's code). Hooks are
// registered and verified with scripts/hooks; delivery state is read back through it.
//
// Receivers: /ok answers 200; /flaky answers 500 to the first three attempts of each
// delivery, then 200; /down always 503. Retries back off from 1 s, doubling up to 2 s
// (HOOK_RETRY_BASE_SECONDS, HOOK_RETRY_MAX_SECONDS), so the queue's 9 attempts
// (max_retries = 8 in wrangler.toml) end within a minute.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Webhook } from "standardwebhooks";

import { ROOT, freePort, keyEncryptionKey, passphrase, startEdge, toolEnv } from "./harness.mjs";
import { assertNoServerErrors, callJson, redeemFlow, startDemoFlow } from "./oidc-support.mjs";

/** The queue's attempts before the dead-letter queue: max_retries (8) + 1. */
const MAX_ATTEMPTS = 9;
/**
 * Sign-ups in the burst (HOOKS_BURST sets another number). Each costs an Argon2id hash in
 * wasm under wrangler dev: on a shared two-core machine 1,000 took 202 s, and every
 * delivery had arrived 15 s later. The figures are printed; the burst is bounded by
 * BURST_DEADLINE_MS.
 */
const BURST = Number(process.env.HOOKS_BURST ?? 1000);
const BURST_CONCURRENCY = 8;
const BURST_DEADLINE_MS = 600_000;

const TYPES = {
  registration: "user.registration.create",
  sessionStart: "user.session.start",
  password: "user.authentication.auth_via_password",
  grant: "app.oauth2.as.token.grant",
};

let edge;
let receiver;
const hooks = {};

/** A local HTTP receiver: verifies every POST with `standardwebhooks`, echoes challenges. */
async function startReceiver() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const verifiers = new Map(); // path → Webhook
  const posts = []; // every verified POST: { path, id, attempt, payload }
  const rejected = []; // POSTs that failed verification
  const attempts = new Map(); // `${path} ${webhook-id}` → POSTs seen
  const server = createServer((req, res) => {
    const path = new URL(req.url, origin).pathname;
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET") {
        const challenge = req.headers["x-portcullis-verification-challenge"];
        res.writeHead(200, { "content-type": "application/json" });
        // /silent answers 200 without echoing: verification must fail.
        res.end(JSON.stringify(path === "/silent" ? { ok: true } : { verification: challenge }));
        return;
      }
      const body = Buffer.concat(chunks).toString("utf8");
      let payload;
      try {
        payload = verifiers.get(path).verify(body, req.headers);
      } catch (error) {
        rejected.push({ path, error: String(error) });
        res.writeHead(400).end();
        return;
      }
      const id = req.headers["webhook-id"];
      const key = `${path} ${id}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const status = path === "/down" ? 503 : path === "/flaky" && attempt <= 3 ? 500 : 200;
      posts.push({ path, id, attempt, status, payload });
      res.writeHead(status).end();
    });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return {
    origin,
    verifiers,
    posts,
    rejected,
    /** Verified POSTs to `path` that were answered 2xx. */
    accepted: (path) => posts.filter((p) => p.path === path && p.status === 200),
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * scripts/hooks against the edge's state directory; `{status, json, stderr}`. Run
 * asynchronously: the receivers it verifies live in this process.
 */
async function hooksCli(stateDir, args) {
  const result = await new Promise((done) => {
    execFile(
      join(ROOT, "scripts/hooks"),
      ["--persist-to", stateDir, ...args, "--json"],
      { cwd: ROOT, encoding: "utf8", env: toolEnv({ KEY_ENCRYPTION_KEY: keyEncryptionKey(stateDir) }), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ status: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
  let json = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // not JSON: an error
  }
  return { status: result.status, json, stderr: result.stderr };
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

async function waitUntil(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  receiver = await startReceiver();
  edge = await startEdge({
    vars: { HOOK_RETRY_BASE_SECONDS: "1", HOOK_RETRY_MAX_SECONDS: "2", HOOK_TIMEOUT_MS: "2000" },
    setup: async ({ stateDir }) => {
      const add = async (name, path, types) => {
        const added = await hooksCli(stateDir, ["add", "--url", `${receiver.origin}${path}`, "--description", name, ...types.flatMap((t) => ["--event-type", t])]);
        assert.equal(added.status, 0, added.stderr);
        receiver.verifiers.set(path, new Webhook(added.json.secret));
        hooks[name] = added.json;
      };
      await add("ok", "/ok", ["user.*", "app.oauth2.*"]);
      await add("flaky", "/flaky", [TYPES.grant]);
      await add("down", "/down", [TYPES.password]);
      await add("silent", "/silent", ["*"]);
    },
  });
  // Verification runs outside the edge (the CLI calls the endpoint), so it may come last.
  for (const name of ["ok", "flaky", "down"]) {
    const verified = await hooksCli(edge.stateDir, ["verify", hooks[name].id]);
    assert.equal(verified.status, 0, verified.stderr);
  }
});

after(async () => {
  await edge?.dispose();
  await receiver?.close();
});

const call = (method, path, body) => callJson(edge, method, path, body);
const PASSWORD = passphrase((t) => `quay ${t} semaphore lighthouse`);

/** Signs `email` up through the first-party API; redeems the code when asked. */
async function signUp(email, { redeem = false } = {}) {
  const { flow, verifier } = await startDemoFlow(call);
  const signedUp = await call("POST", `/v1/flows/${flow}/sign-up`, { email, password: PASSWORD });
  assert.equal(signedUp.status, 200, signedUp.text);
  if (redeem) await redeemFlow(edge, signedUp, verifier);
}

test("scripts/hooks: an endpoint that does not echo the challenge stays disabled, and enable refuses it", async () => {
  const failed = await hooksCli(edge.stateDir, ["verify", hooks.silent.id]);
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /did not echo the challenge/);
  const enable = await hooksCli(edge.stateDir, ["enable", hooks.silent.id]);
  assert.equal(enable.status, 2);
  assert.match(enable.stderr, /not verified/);
  const shown = await hooksCli(edge.stateDir, ["show", hooks.silent.id]);
  assert.equal(shown.json.enabled, false);
  assert.equal(shown.json.secret, undefined, "a secret is shown only when made");
  for (const bad of [["add", "--url", "http://hooks.example/in", "--event-type", "*"], ["add", "--url", "https://hooks.example/in", "--event-type", "user.*.start"]]) {
    assert.equal((await hooksCli(edge.stateDir, bad)).status, 2, bad.join(" "));
  }
});

test("sign-ups, sign-ins, failures and token grants arrive with their types, each verified by standardwebhooks", async () => {
  const email = `ada-${Date.now()}@example.com`;
  await signUp(email, { redeem: true });
  const { flow: wrongFlow } = await startDemoFlow(call);
  const wrong = await call("POST", `/v1/flows/${wrongFlow}/password`, { email, password: `${PASSWORD} not` });
  assert.equal(wrong.status, 401, wrong.text);
  const { flow, verifier } = await startDemoFlow(call);
  const signedIn = await call("POST", `/v1/flows/${flow}/password`, { email, password: PASSWORD });
  await redeemFlow(edge, signedIn, verifier);

  const mine = () => receiver.accepted("/ok").filter((p) => p.payload.data.actor.alternateId === email);
  const expected = [
    [TYPES.registration, "SUCCESS"],
    [TYPES.password, "FAILURE"],
    [TYPES.password, "SUCCESS"],
    [TYPES.sessionStart, "SUCCESS"],
    [TYPES.grant, "SUCCESS"],
  ];
  await waitUntil(
    "the deliveries of every event",
    () =>
      expected.every(([type, result]) => mine().some((p) => p.payload.type === type && p.payload.data.outcome.result === result)) &&
      mine().filter((p) => p.payload.type === TYPES.grant).length >= 2,
    60_000,
  );
  for (const { payload, id } of mine()) {
    assert.equal(payload.timestamp, payload.data.published);
    assert.equal(payload.type, payload.data.eventType);
    assert.match(id, new RegExp(`^${hooks.ok.id}_[0-9a-f]{32}$`));
  }
  assert.deepEqual(receiver.rejected, [], "every delivery verifies");
  const grants = mine().filter((p) => p.payload.type === TYPES.grant);
  assert.equal(grants.length, 2, "one sign-up and one sign-in each ended in a token grant");
  assertNoServerErrors();
});

test("a receiver failing 3 times then succeeding gets each event exactly once more, nothing lost", async () => {
  const grantsAtOk = () => new Set(receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.grant).map((p) => p.payload.data.uuid));
  await waitUntil("the token grants at /ok", () => grantsAtOk().size >= 2, 30_000);
  await waitUntil("every grant accepted by /flaky", () => {
    const accepted = new Set(receiver.accepted("/flaky").map((p) => p.payload.data.uuid));
    return [...grantsAtOk()].every((uuid) => accepted.has(uuid));
  }, 60_000);
  const flaky = receiver.posts.filter((p) => p.path === "/flaky");
  const byId = groupBy(flaky, (p) => p.id);
  assert.equal(byId.size, grantsAtOk().size, "one delivery per grant");
  for (const [id, posts] of byId) {
    assert.deepEqual(posts.map((p) => p.status), [500, 500, 500, 200], id);
  }
  const deliveries = await hooksCli(edge.stateDir, ["deliveries", "--hook", hooks.flaky.id]);
  assert.equal(deliveries.status, 0, deliveries.stderr);
  assert.deepEqual(
    deliveries.json.map((d) => [d.status, d.attempts, d.last_status]),
    [...byId.keys()].map(() => ["delivered", 4, 200]),
  );
  assert.deepEqual(receiver.rejected, []);
});

test("a receiver down past the last retry: the delivery goes to the dead-letter queue and shows as dead", async () => {
  const passwordEvents = () => new Set(receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.password).map((p) => p.payload.data.uuid));
  await waitUntil("the password events at /ok", () => passwordEvents().size >= 2, 30_000);
  const dead = await waitUntil(
    "every /down delivery dead",
    async () => {
      const listed = await hooksCli(edge.stateDir, ["deliveries", "--hook", hooks.down.id, "--status", "dead"]);
      return listed.json?.length === passwordEvents().size && listed.json;
    },
    120_000,
  );
  for (const delivery of dead) {
    assert.equal(delivery.attempts, MAX_ATTEMPTS, JSON.stringify(delivery));
    assert.equal(delivery.last_status, 503);
    assert.equal(receiver.posts.filter((p) => p.id === delivery.id).length, MAX_ATTEMPTS);
  }
  assert.deepEqual(new Set(dead.map((d) => d.event_uuid)), passwordEvents());
});

test(`${BURST} sign-ups in a bounded burst produce ${BURST} registration deliveries`, async () => {
  const tag = `burst-${Date.now()}`;
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < BURST && Date.now() - started < BURST_DEADLINE_MS) {
      const i = next++;
      await signUp(`${tag}-${i}@example.com`);
    }
  };
  await Promise.all(Array.from({ length: BURST_CONCURRENCY }, worker));
  const signUpMs = Date.now() - started;
  assert.equal(next, BURST, `all sign-ups made within ${BURST_DEADLINE_MS} ms`);
  const registrations = () =>
    new Set(receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.registration && p.payload.data.actor.alternateId.startsWith(tag)).map((p) => p.id));
  await waitUntil(`${BURST} registration deliveries`, () => registrations().size >= BURST, BURST_DEADLINE_MS);
  const deliveredMs = Date.now() - started;
  assert.equal(registrations().size, BURST);
  const perAddress = groupBy(
    receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.registration && p.payload.data.actor.alternateId.startsWith(tag)),
    (p) => p.payload.data.actor.alternateId,
  );
  assert.equal(perAddress.size, BURST, "one event per sign-up");
  assert.deepEqual(receiver.rejected, []);
  console.log(`event hooks burst: ${BURST} sign-ups in ${signUpMs} ms, all delivered after ${deliveredMs} ms (${Math.round((BURST * 1000) / deliveredMs)} registrations/s end to end)`);
  assertNoServerErrors();
});
