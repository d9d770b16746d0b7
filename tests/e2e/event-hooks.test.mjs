// Event hooks under wrangler dev with local Queues: System Log events leave through the
// events queue and reach local receivers as Standard Webhooks deliveries, each verified
// with the npm `standardwebhooks` library (not this project's code). Hooks are
// registered and verified with scripts/hooks and through the admin API
// (`/admin/v1/hooks`); delivery state is read back through the admin API.
//
// Receivers: /ok answers 200; /flaky answers 500 to the first three attempts of each
// delivery, then 200; /down always 503. Retries back off from 1 s, doubling up to 2 s
// (HOOK_RETRY_BASE_SECONDS, HOOK_RETRY_MAX_SECONDS), so the queue's 9 attempts
// (max_retries = 8 in wrangler.toml) end within a minute.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Webhook } from "standardwebhooks";

import { parseDescription, parseEventType, parseHookUrl } from "../../scripts/hooks.mjs";
import { ROOT, freePort, keyEncryptionKey, passphrase, startEdge, systemLog, toolEnv } from "./harness.mjs";
import { assertNoServerErrors, basic, callJson, clientsCli, postForm, redeemFlow, startDemoFlow } from "./oidc-support.mjs";

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
/** Admin clients (scripts/clients): `manager` admin.hooks.manage, `reader` admin.hooks.read, `auditor` admin.logs.read only. */
const admins = {};
const tokens = {};

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
      for (const [id, scope] of [["manager", "admin.hooks.manage"], ["reader", "admin.hooks.read"], ["auditor", "admin.logs.read"]]) {
        admins[id] = clientsCli(stateDir, ["add", "--id", id, "--name", id, "--type", "confidential", "--grant-type", "client_credentials", "--scope", scope]);
      }
    },
  });
  // Verification runs outside the edge (the CLI calls the endpoint), so it may come last.
  for (const name of ["ok", "flaky", "down"]) {
    const verified = await hooksCli(edge.stateDir, ["verify", hooks[name].id]);
    assert.equal(verified.status, 0, verified.stderr);
  }
  // Each token is minted once: its grant is an event the hooks receive too.
  for (const id of Object.keys(admins)) tokens[id] = await tokenOf(id);
});

after(async () => {
  await edge?.dispose();
  await receiver?.close();
});

const call = (method, path, body) => callJson(edge, method, path, body);

/** A client's own access token (RFC 6749 §4.4). */
async function tokenOf(id) {
  const response = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic(id, admins[id].client_secret) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.access_token;
}

/** The admin API as the client `id`. */
function asAdmin(id, method, path, body) {
  return callJson(edge, method, path, body, { authorization: `Bearer ${tokens[id]}` });
}

/** Every delivery of a hook (of one status, if given), newest first, page by page through the admin API. */
async function deliveriesOf(hookId, status) {
  const rows = [];
  let after = null;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ limit: "20", ...(status ? { status } : {}), ...(after ? { after } : {}) });
    const listed = await asAdmin("reader", "GET", `/admin/v1/hooks/${hookId}/deliveries?${query}`);
    assert.equal(listed.status, 200, listed.text);
    rows.push(...listed.body.data);
    after = listed.body.next;
    if (!after) return rows;
  }
  throw new Error("more than 50 pages of deliveries");
}
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

test("scripts/hooks and the admin API apply the same registration rules (edge/tests/vectors/hook-rules.json)", async () => {
  const vectors = JSON.parse(readFileSync(join(ROOT, "edge/tests/vectors/hook-rules.json"), "utf8"));
  const cli = (parse, value) => {
    try {
      parse(value);
      return true;
    } catch {
      return false;
    }
  };
  const api = async (body) => {
    const response = await asAdmin("manager", "POST", "/admin/v1/hooks", body);
    if (response.status === 201) {
      assert.equal((await asAdmin("manager", "DELETE", `/admin/v1/hooks/${response.body.id}`)).status, 204);
      return true;
    }
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.code, "invalid_request");
    return false;
  };
  const url = `${receiver.origin}/ok`;
  for (const [outcome, expected] of [["valid", true], ["invalid", false]]) {
    for (const value of vectors.url[outcome]) {
      assert.equal(cli(parseHookUrl, value), expected, `scripts/hooks --url ${JSON.stringify(value)}`);
      assert.equal(await api({ url: value, event_types: ["*"] }), expected, `admin API url ${JSON.stringify(value)}`);
    }
    for (const value of vectors.event_type[outcome]) {
      assert.equal(cli(parseEventType, value), expected, `scripts/hooks --event-type ${JSON.stringify(value)}`);
      assert.equal(await api({ url, event_types: [value] }), expected, `admin API event type ${JSON.stringify(value)}`);
    }
    for (const length of vectors.description_length[outcome]) {
      const description = "é".repeat(length);
      assert.equal(cli(parseDescription, description), expected, `scripts/hooks description of ${length}`);
      assert.equal(await api({ url, event_types: ["*"], description }), expected, `admin API description of ${length}`);
    }
  }
});

test("admin API: a hook registered, verified and rotated through the API gets signed deliveries; its secret is shown only when made", async () => {
  const created = await asAdmin("manager", "POST", "/admin/v1/hooks", { url: `${receiver.origin}/api`, event_types: [TYPES.sessionStart], description: "api" });
  assert.equal(created.status, 201, created.text);
  assert.match(created.body.secret, /^whsec_/);
  assert.equal(created.body.enabled, false);
  hooks.api = created.body;
  receiver.verifiers.set("/api", new Webhook(created.body.secret));
  for (const path of [`/admin/v1/hooks/${hooks.api.id}`, "/admin/v1/hooks"]) {
    const read = await asAdmin("reader", "GET", path);
    assert.equal(read.status, 200, read.text);
    assert.doesNotMatch(read.text, /whsec_/, path);
  }
  const enabled = await asAdmin("manager", "PATCH", `/admin/v1/hooks/${hooks.api.id}`, { enabled: true });
  assert.equal(enabled.status, 200, enabled.text);
  assert.equal(enabled.body.enabled, true);
  assert.ok(enabled.body.verified_at, "the endpoint echoed the challenge");
  const silent = await asAdmin("manager", "PATCH", `/admin/v1/hooks/${hooks.silent.id}`, { enabled: true });
  assert.equal(silent.status, 422, silent.text);
  assert.equal(silent.body.code, "hook_verification_failed");

  const sessionsAtApi = (email) => receiver.accepted("/api").filter((p) => p.payload.data.actor.alternateId === email);
  const first = `api-${Date.now()}@example.com`;
  await signUp(first, { redeem: true });
  await waitUntil("a session start at /api", () => sessionsAtApi(first).length >= 1, 60_000);

  const rotated = await asAdmin("manager", "POST", `/admin/v1/hooks/${hooks.api.id}/secret`, { overlap_seconds: 60 });
  assert.equal(rotated.status, 200, rotated.text);
  assert.notEqual(rotated.body.secret, created.body.secret);
  assert.ok(rotated.body.previous_secret_expires_at);
  receiver.verifiers.set("/api", new Webhook(rotated.body.secret));
  const second = `api-rotated-${Date.now()}@example.com`;
  await signUp(second, { redeem: true });
  await waitUntil("a session start at /api signed with the new secret", () => sessionsAtApi(second).length >= 1, 60_000);
  assert.deepEqual(receiver.rejected, [], "every delivery verifies");

  const delivered = await deliveriesOf(hooks.api.id, "delivered");
  assert.ok(delivered.length >= 2, JSON.stringify(delivered));
  for (const d of delivered) assert.equal(d.event_type, TYPES.sessionStart);
  const created_events = await systemLog(edge.stateDir, "event_hook.created");
  assert.ok(created_events.some((e) => e.actor_id === "manager" && e.outcome === "SUCCESS"), JSON.stringify(created_events));
});

test("RFC 6750 §3.1: without admin.hooks.manage every change is refused with 403 and nothing changes; removal needs the scope", async () => {
  const id = hooks.api.id;
  const before = await asAdmin("reader", "GET", `/admin/v1/hooks/${id}`);
  assert.equal(before.status, 200);
  const changes = [
    ["POST", "/admin/v1/hooks", { url: `${receiver.origin}/ok`, event_types: ["*"] }],
    ["PATCH", `/admin/v1/hooks/${id}`, { url: "https://attacker.example/in" }],
    ["PATCH", `/admin/v1/hooks/${id}`, { enabled: false }],
    ["DELETE", `/admin/v1/hooks/${id}`, undefined],
    ["POST", `/admin/v1/hooks/${id}/secret`, {}],
  ];
  for (const [method, path, body] of changes) {
    for (const who of ["reader", "auditor"]) {
      const refused = await asAdmin(who, method, path, body);
      assert.equal(refused.status, 403, `${who} ${method} ${path}`);
      assert.equal(refused.body.code, "insufficient_scope");
      assert.doesNotMatch(refused.text, /whsec_/);
    }
    const anonymous = await callJson(edge, method, path, body);
    assert.equal(anonymous.status, 401, `${method} ${path}`);
  }
  const listedByAuditor = await asAdmin("auditor", "GET", "/admin/v1/hooks");
  assert.equal(listedByAuditor.status, 403, "admin.logs.read does not read hooks");
  const after = await asAdmin("reader", "GET", `/admin/v1/hooks/${id}`);
  assert.deepEqual(after.body, before.body, "nothing changed");
  const all = await asAdmin("reader", "GET", "/admin/v1/hooks");
  assert.equal(all.body.data.length, Object.keys(hooks).length, "no hook was added");
  const denied = await systemLog(edge.stateDir, "system.admin_api.access_denied");
  assert.ok(denied.filter((e) => e.actor_id === "reader").length >= changes.length, JSON.stringify(denied));

  assert.equal((await asAdmin("manager", "DELETE", `/admin/v1/hooks/${id}`)).status, 204);
  const gone = await asAdmin("reader", "GET", `/admin/v1/hooks/${id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body.code, "hook_not_found");
  delete hooks.api;
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

test("a receiver failing 3 times then succeeding gets each event until it succeeds, always under one webhook-id, nothing lost", async () => {
  const grantsAtOk = () => new Set(receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.grant).map((p) => p.payload.data.uuid));
  await waitUntil("the token grants at /ok", () => grantsAtOk().size >= 2, 30_000);
  await waitUntil("every grant accepted by /flaky", () => {
    const accepted = new Set(receiver.accepted("/flaky").map((p) => p.payload.data.uuid));
    return [...grantsAtOk()].every((uuid) => accepted.has(uuid));
  }, 60_000);
  const flaky = receiver.posts.filter((p) => p.path === "/flaky");
  const byId = groupBy(flaky, (p) => p.id);
  assert.equal(byId.size, grantsAtOk().size, "one delivery per grant");
  // Three failures, then success. A 2xx whose acknowledgement is lost (the delivery's
  // record could not be written in time) may be sent again, always with the same
  // webhook-id, which the receiver deduplicates on (www/docs/api.md, "At least once").
  for (const [id, posts] of byId) {
    const statuses = posts.map((p) => p.status);
    assert.deepEqual(statuses.slice(0, 4), [500, 500, 500, 200], id);
    assert.ok(statuses.slice(4).every((status) => status === 200), `${id}: ${statuses}`);
  }
  // The edge records a delivery as delivered after the receiver answered 200: wait for it.
  const deliveries = await waitUntil(
    "every /flaky delivery recorded as delivered",
    async () => {
      const listed = await deliveriesOf(hooks.flaky.id);
      return listed.length === byId.size && listed.every((d) => d.status === "delivered") && listed;
    },
    30_000,
  );
  assert.deepEqual(new Set(deliveries.map((d) => d.id)), new Set(byId.keys()));
  // Four attempts, or more when an acknowledged 200 was sent again: the record counts
  // every attempt the receiver saw.
  const seen = (id) => receiver.posts.filter((p) => p.path === "/flaky" && p.id === id).length;
  assert.deepEqual(
    deliveries.map((d) => [d.status, d.attempts >= 4 && d.attempts === seen(d.id), d.last_status, d.dead_lettered, typeof d.delivered_at]),
    deliveries.map(() => ["delivered", true, 200, false, "string"]),
    JSON.stringify(deliveries.map((d) => [d.id, d.attempts, seen(d.id)])),
  );
  assert.deepEqual(receiver.rejected, []);
});

test("a receiver down past the last retry: the delivery goes to the dead-letter queue and the admin API shows it dead", async () => {
  const passwordEvents = () => new Set(receiver.accepted("/ok").filter((p) => p.payload.type === TYPES.password).map((p) => p.payload.data.uuid));
  await waitUntil("the password events at /ok", () => passwordEvents().size >= 2, 30_000);
  const dead = await waitUntil(
    "every /down delivery dead",
    async () => {
      const listed = await deliveriesOf(hooks.down.id, "dead");
      return listed.length === passwordEvents().size && listed;
    },
    120_000,
  );
  for (const delivery of dead) {
    assert.equal(delivery.attempts, MAX_ATTEMPTS, JSON.stringify(delivery));
    assert.equal(delivery.last_status, 503);
    assert.equal(delivery.last_error, "HTTP 503");
    assert.equal(delivery.dead_lettered, true);
    assert.equal(delivery.delivered_at, null);
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
