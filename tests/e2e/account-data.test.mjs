// The account API's data routes against the edge under wrangler dev (workerd, local D1):
// consent records (`/v1/me/consents`, Kantara receipts, Global Privacy Control), the
// export (`/v1/me/export`) and deleting one's account (`DELETE /v1/me`, a grace period
// of GRACE_SECONDS, the emailed cancel link, erasure by the Cron Trigger). Every
// person is made through the first-party API as the widget does, and every call carries
// an account-API token (audience `{issuer}/v1/me`, scope `account`) got from the refresh
// token as the widget gets it. One edge for the file; the tests share it, each with
// people of its own.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";

import { ROOT, passphrase, startEdge, toolEnv } from "./harness.mjs";
import {
  assertNoServerErrors,
  callJson,
  newestMail,
  pkce,
  postForm,
  random,
  redeemFlow,
} from "./oidc-support.mjs";

let edge;

/** The deletion grace period of this file's edge (a week in a deployment). */
const GRACE_SECONDS = 3;

before(async () => {
  edge = await startEdge({
    vars: { ACCOUNT_DELETION_GRACE_SECONDS: String(GRACE_SECONDS) },
    // Exposes `/__scheduled`, which runs the Cron Trigger's handler on demand.
    args: ["--test-scheduled"],
  });
});
after(async () => {
  await edge?.dispose();
  assertNoServerErrors();
});

const hex = (text) => createHash("sha256").update(text).digest("hex");
const TERMS_V1 = "Terms of service, version 1: be kind.";
const TERMS_V2 = "Terms of service, version 2: be kind, and say so.";

/** The rows of each statement of `sql` in the edge's local D1 (one `wrangler` run). */
function d1Each(sql) {
  const result = spawnSync(
    `${ROOT}/node_modules/.bin/wrangler`,
    ["d1", "execute", "DB", "--local", "--persist-to", edge.stateDir, "--json", "--command", sql],
    { cwd: ROOT, env: toolEnv(), encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout).map((statement) => statement.results);
}

/** Rows of `sql` in the edge's local D1. */
const d1 = (sql) => d1Each(sql)[0];

/**
 * The System Log events of `eventType` whose actor is `actorId` (`[{event_type,
 * actor_id, data}]`), once there are `count` (events reach D1 through the events queue
 * after the response): at most 20 reads, half a second apart.
 */
async function logged(eventType, actorId, count = 1) {
  const sql =
    `SELECT event_type, actor_id, data FROM events WHERE event_type = '${eventType}' ` +
    `AND actor_id = '${actorId}' ORDER BY published, rowid`;
  let rows = [];
  for (let i = 0; i < 20; i++) {
    rows = d1(sql);
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${count} ${eventType} event(s) of ${actorId}; found ${rows.length}`);
}

/** Starts an embedded flow for the demo client; returns its handle and PKCE verifier. */
async function startFlow(scope = "openid email") {
  const { verifier, challenge } = pkce();
  const started = await callJson(edge, "POST", "/v1/flows", {
    client_id: "demo",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope,
  });
  assert.equal(started.status, 201, started.text);
  return { flow: started.body.flow_id, verifier };
}

/**
 * A new person signed up through the embedded flow with the account scope; returns their
 * address, their tokens and an account-API access token.
 */
async function person(label) {
  const marker = random(9).replace(/[^A-Za-z0-9]/g, "x");
  const email = `${label}-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;
  const password = passphrase((t) => `correct horse ${t} staple`);
  const { flow, verifier } = await startFlow("openid email profile offline_access account");
  const signedUp = await callJson(edge, "POST", `/v1/flows/${flow}/sign-up`, {
    email,
    password,
    name: `${label} ${marker}`,
  });
  const tokens = await redeemFlow(edge, signedUp, verifier);
  const account = await postForm(edge, "/token", {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: "demo",
    resource: `${edge.origin}/v1/me`,
  });
  assert.equal(account.status, 200, JSON.stringify(account.body));
  return {
    email,
    password,
    tokens,
    token: account.body.access_token,
    sub: decodeSub(account.body.access_token),
    name: `${label} ${marker}`,
  };
}

function decodeSub(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()).sub;
}

const me = (who, method, path, body, headers = {}) =>
  callJson(edge, method, path, body, { authorization: `Bearer ${who.token}`, ...headers });

const consent = (purpose, state, version, text, extra = {}) => ({
  purpose,
  state,
  document_version: version,
  text_sha256: hex(text),
  locale: "de-CH",
  ...extra,
});

test("consent records: a new terms version is a new record; history keeps both versions with their hashes; each record is a System Log event", async () => {
  const ada = await person("ada");
  const first = await me(ada, "POST", "/v1/me/consents", consent("terms", "granted", "2026-01", TERMS_V1), {
    "user-agent": "account-data e2e",
  });
  assert.equal(first.status, 201, first.text);
  const second = await me(ada, "POST", "/v1/me/consents", consent("terms", "granted", "2026-06", TERMS_V2));
  assert.equal(second.status, 201, second.text);

  const listed = await me(ada, "GET", "/v1/me/consents");
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(
    listed.body.current.map((r) => [r.purpose, r.state, r.document_version]),
    [["terms", "granted", "2026-06"]],
  );
  assert.deepEqual(
    listed.body.history.map((r) => [r.document_version, r.text_sha256]),
    [["2026-06", hex(TERMS_V2)], ["2026-01", hex(TERMS_V1)]],
  );
  const record = listed.body.history[1];
  assert.equal(record.method, "widget");
  assert.equal(record.locale, "de-CH");
  assert.equal(record.client_id, "demo");
  assert.equal(record.gpc, false);

  // The stored row keeps where it came from; the event it names is in the System Log.
  const [row] = d1(`SELECT user_id, user_agent, event_id, state FROM consents WHERE id = '${record.id}'`);
  assert.equal(row.user_id, ada.sub);
  assert.equal(row.user_agent, "account-data e2e");
  assert.equal(row.event_id, record.event_id);
  await logged("user.consent.grant", ada.sub, 2);
  const [event] = d1(`SELECT event_type, actor_id FROM events WHERE uuid = '${record.event_id}'`);
  assert.deepEqual(event, { event_type: "user.consent.grant", actor_id: ada.sub });
});

test("consent records: a marketing opt-in withdrawn shows as withdrawn now and granted before", async () => {
  const ada = await person("ada");
  const text = "Send me news about products, at most monthly.";
  assert.equal((await me(ada, "POST", "/v1/me/consents", consent("marketing_email", "granted", "3", text))).status, 201);
  const withdrawn = await me(ada, "POST", "/v1/me/consents", consent("marketing_email", "withdrawn", "3", text, { method: "api" }));
  assert.equal(withdrawn.status, 201, withdrawn.text);
  const listed = await me(ada, "GET", "/v1/me/consents");
  assert.deepEqual(listed.body.current.map((r) => [r.purpose, r.state, r.method]), [["marketing_email", "withdrawn", "api"]]);
  assert.deepEqual(listed.body.history.map((r) => r.state), ["withdrawn", "granted"]);
  await logged("user.consent.withdraw", ada.sub);
});

test("Global Privacy Control: Sec-GPC: 1 is recorded, withdraws sale and sharing, and cannot grant them", async () => {
  const ada = await person("ada");
  const text = "We may sell your purchase history to partners.";
  assert.equal((await me(ada, "POST", "/v1/me/consents", consent("sale_of_data", "granted", "1", text))).status, 201);
  const refused = await me(ada, "POST", "/v1/me/consents", consent("cross_context_advertising", "granted", "1", text), { "sec-gpc": "1" });
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.body.code, "invalid_request");

  const underGpc = await me(ada, "POST", "/v1/me/consents", consent("analytics", "granted", "1", "Count my visits."), { "sec-gpc": "1" });
  assert.equal(underGpc.status, 201, underGpc.text);
  assert.deepEqual(
    underGpc.body.records.map((r) => [r.purpose, r.state, r.method, r.gpc]),
    [["sale_of_data", "withdrawn", "gpc", true], ["analytics", "granted", "widget", true]],
  );
  const listed = await me(ada, "GET", "/v1/me/consents");
  const now = Object.fromEntries(listed.body.current.map((r) => [r.purpose, r.state]));
  assert.deepEqual(now, { sale_of_data: "withdrawn", analytics: "granted" });
  const gpcRows = d1(`SELECT purpose FROM consents WHERE user_id = '${ada.sub}' AND gpc = 1 ORDER BY rowid`);
  assert.deepEqual(gpcRows.map((r) => r.purpose), ["sale_of_data", "analytics"]);
});

test("Kantara Consent Receipt v1.1 for one's own record; another person's receipt and records are out of reach", async () => {
  const [ada, eve] = [await person("ada"), await person("eve")];
  const granted = await me(ada, "POST", "/v1/me/consents", consent("terms", "granted", "2026-06", TERMS_V2));
  const id = granted.body.records[0].id;
  const receipt = await me(ada, "GET", `/v1/me/consents/receipts/${encodeURIComponent(id)}`);
  assert.equal(receipt.status, 200, receipt.text);
  assert.equal(receipt.body.version, "KI-CR-v1.1.0");
  assert.equal(receipt.body.consentReceiptID, id);
  assert.equal(receipt.body.piiPrincipalId, ada.sub);
  assert.equal(receipt.body.language, "de-CH");
  assert.equal(typeof receipt.body.consentTimestamp, "number");
  assert.equal(receipt.body.piiControllers[0].piiControllerUrl, edge.origin);
  const purpose = receipt.body.services[0].purposes[0];
  assert.equal(purpose.purpose, "terms");
  assert.equal(purpose.consentType, "EXPLICIT");
  assert.equal(purpose["portcullis:textSha256"], hex(TERMS_V2));

  // Eve knows Ada's record id: it answers as an unknown id does, and her list is her own.
  const stolen = await me(eve, "GET", `/v1/me/consents/receipts/${encodeURIComponent(id)}`);
  const unknown = await me(eve, "GET", "/v1/me/consents/receipts/no-such-record");
  assert.equal(stolen.status, 404);
  assert.deepEqual(stolen.body, unknown.body);
  const evesList = await me(eve, "GET", "/v1/me/consents");
  assert.deepEqual(evesList.body, { current: [], history: [] });
});

test("consent records refuse malformed bodies with stable codes, and callers without an account-API token", async () => {
  const ada = await person("ada");
  const good = consent("terms", "granted", "1", TERMS_V1);
  const cases = [
    [{ ...good, text_sha256: "not-a-hash" }, 400, "invalid_request", /text_sha256/],
    [{ ...good, purpose: "Terms!" }, 400, "invalid_request", /purpose/],
    [{ ...good, document_version: "" }, 400, "invalid_request", /document_version/],
    [{ ...good, method: "admin" }, 400, "invalid_request", /method/],
    [{ ...good, state: "maybe" }, 400, "invalid_request", /./],
    [{ ...good, user_id: "someone-else" }, 400, "invalid_request", /./],
    [{ purpose: "terms" }, 400, "invalid_request", /./],
  ];
  for (const [body, status, code, message] of cases) {
    const answer = await me(ada, "POST", "/v1/me/consents", body);
    assert.equal(answer.status, status, `${JSON.stringify(body)}: ${answer.text}`);
    assert.equal(answer.body.code, code);
    assert.match(answer.body.message, message);
  }
  const notJson = await callJson(edge, "POST", "/v1/me/consents", undefined, {
    authorization: `Bearer ${ada.token}`,
    "content-type": "text/plain",
  });
  assert.equal(notJson.status, 415);
  assert.equal(notJson.body.code, "unsupported_media_type");
  assert.deepEqual(d1(`SELECT COUNT(*) AS n FROM consents WHERE user_id = '${ada.sub}'`), [{ n: 0 }]);

  // No token, or a token for another audience (the sign-in's own access token).
  const anonymous = await callJson(edge, "GET", "/v1/me/consents");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.code, "unauthorized");
  const wrongAudience = await callJson(edge, "GET", "/v1/me/consents", undefined, {
    authorization: `Bearer ${ada.tokens.access_token}`,
  });
  assert.equal(wrongAudience.status, 401);
  const put = await me(ada, "PUT", "/v1/me/consents", good);
  assert.equal(put.status, 405);
});

// --- export -------------------------------------------------------------------------

test("export: profile, credential metadata, sessions, consents and the person's own events; nothing of anyone else, no secret", async () => {
  const [ada, bob] = [await person("ada"), await person("bob")];
  for (const who of [ada, bob]) {
    const answer = await me(who, "POST", "/v1/me/consents", consent("marketing_email", "granted", "1", `${who.name} says yes`));
    assert.equal(answer.status, 201, answer.text);
  }
  assert.equal((await me(ada, "POST", "/v1/me/consents", consent("marketing_email", "withdrawn", "1", "no"))).status, 201);
  // Let the System Log catch up (events are written after each response).
  await logged("user.consent.withdraw", ada.sub);

  const exported = await me(ada, "GET", "/v1/me/export");
  assert.equal(exported.status, 200, exported.text);
  const data = exported.body;
  assert.equal(data.profile.id, ada.sub);
  assert.equal(data.profile.email, ada.email);
  assert.equal(data.profile.name, ada.name);
  assert.equal(data.profile.has_password, true);
  assert.deepEqual(data.passkeys, []);
  assert.ok(Array.isArray(data.sessions) && Array.isArray(data.factors));
  assert.deepEqual(data.consents.map((r) => [r.purpose, r.state]), [["marketing_email", "withdrawn"], ["marketing_email", "granted"]]);
  const types = new Set(data.events.map((e) => e.eventType));
  for (const type of ["user.registration.create", "user.consent.grant", "user.consent.withdraw"]) {
    assert.ok(types.has(type), `${type} in ${[...types]}`);
  }
  assert.ok(data.events.every((e) => e.actor.id === ada.sub || e.target?.some((t) => t.id === ada.sub)));

  const text = exported.text;
  for (const other of [bob.sub, bob.email, bob.name]) assert.ok(!text.includes(other), `nothing of Bob: ${other}`);
  assert.ok(!text.includes(ada.password), "no password");
  assert.ok(!/argon2|password_hash|sealed|refresh_token/i.test(text), "no hash, secret or token");

  // Bob's export is his own.
  const bobs = await me(bob, "GET", "/v1/me/export");
  assert.equal(bobs.body.profile.id, bob.sub);
  assert.ok(!bobs.text.includes(ada.sub) && !bobs.text.includes(ada.email));
  await logged("user.account.export_data", ada.sub);
});

test("export and delete refuse callers without an account-API token, and answer only the methods they have", async () => {
  const ada = await person("ada");
  for (const [method, path] of [["GET", "/v1/me/export"], ["DELETE", "/v1/me"]]) {
    const anonymous = await callJson(edge, method, path);
    assert.equal(anonymous.status, 401, `${method} ${path}`);
    const wrongAudience = await callJson(edge, method, path, undefined, { authorization: `Bearer ${ada.tokens.access_token}` });
    assert.equal(wrongAudience.status, 401, `${method} ${path} with a userinfo token`);
  }
  assert.equal((await me(ada, "POST", "/v1/me/export", {})).status, 405);
  assert.equal((await me(ada, "GET", "/v1/me")).status, 405);
});

// --- delete -------------------------------------------------------------------------

/** Runs the Cron Trigger's handler (wrangler dev --test-scheduled). */
async function runCron() {
  const response = await fetch(`${edge.api}/__scheduled?cron=${encodeURIComponent("17 3 * * *")}`, {
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 200, await response.text());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every row of every table of the local D1, as text (the schema's own tables). */
function wholeDatabase() {
  const tables = d1(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
  ).map((r) => r.name);
  assert.ok(tables.includes("users") && tables.includes("consents") && tables.includes("events"));
  const rows = d1Each(tables.map((t) => `SELECT * FROM "${t}";`).join(" "));
  assert.equal(rows.length, tables.length);
  return Object.fromEntries(tables.map((t, i) => [t, JSON.stringify(rows[i])]));
}

test("delete: tokens die at once; after the grace period the Cron Trigger erases the person and no personal data is left in D1; the audit event is pseudonymous", async () => {
  const ada = await person("ada");
  assert.equal((await me(ada, "POST", "/v1/me/consents", consent("terms", "granted", "1", TERMS_V1), { "user-agent": `agent-of-${ada.name}` })).status, 201);
  const deleted = await me(ada, "DELETE", "/v1/me");
  assert.equal(deleted.status, 202, deleted.text);
  assert.equal(deleted.body.status, "scheduled");
  const mail = await newestMail(edge, ada.email);
  assert.match(mail.text, /\/account\/cancel-deletion\?token=/);

  // The account token, the sign-in's tokens and the refresh token are dead now.
  const old = await me(ada, "GET", "/v1/me/consents");
  assert.equal(old.status, 401, old.text);
  const userinfo = await callJson(edge, "GET", "/userinfo", undefined, { authorization: `Bearer ${ada.tokens.access_token}` });
  assert.equal(userinfo.status, 401);
  const refreshed = await postForm(edge, "/token", {
    grant_type: "refresh_token",
    refresh_token: ada.tokens.refresh_token,
    client_id: "demo",
  });
  assert.equal(refreshed.status, 400);
  assert.equal(refreshed.body.error, "invalid_grant");

  // Before the grace period ends the cron leaves the account alone.
  await runCron();
  assert.equal(d1(`SELECT email FROM users WHERE id = '${ada.sub}'`)[0].email, ada.email);
  await sleep(GRACE_SECONDS * 1000 + 500);
  await runCron();
  const [completedEvent] = await logged("user.lifecycle.delete.completed", ada.sub);

  const [row] = d1(`SELECT email, name, password_hash, status FROM users WHERE id = '${ada.sub}'`);
  assert.equal(row.status, "deprovisioned");
  assert.equal(row.name, null);
  assert.equal(row.password_hash, null);
  assert.notEqual(row.email, ada.email);
  const database = wholeDatabase();
  for (const [table, rows] of Object.entries(database)) {
    for (const personal of [ada.email, ada.name, `agent-of-${ada.name}`]) {
      assert.ok(!rows.includes(personal), `${table} still holds ${personal}`);
    }
  }
  // The audit trail keeps the pseudonymous id.
  const event = JSON.parse(completedEvent.data);
  assert.equal(event.actor.id, ada.sub);
  assert.equal(event.actor.alternateId, undefined);
  // The consent record stays as proof, without where it came from.
  const [kept] = d1(`SELECT purpose, ip_address, user_agent FROM consents WHERE user_id = '${ada.sub}'`);
  assert.deepEqual(kept, { purpose: "terms", ip_address: null, user_agent: null });
  // Signing in again fails like an unknown address.
  const { flow } = await startFlow();
  const signIn = await callJson(edge, "POST", `/v1/flows/${flow}/password`, { email: ada.email, password: ada.password });
  assert.equal(signIn.status, 401);
  assert.equal(signIn.body.code, "invalid_credentials");
});

test("delete: the emailed link, pressed within the grace period, keeps everything; it works once and opening it alone cancels nothing", async () => {
  const ada = await person("ada");
  assert.equal((await me(ada, "DELETE", "/v1/me")).status, 202);
  const mail = await newestMail(edge, ada.email);
  const link = new URL(mail.text.match(/https?:\/\/\S+\/account\/cancel-deletion\?\S+/)[0]);
  const token = link.searchParams.get("token");

  const opened = await fetch(`${edge.api}${link.pathname}${link.search}`);
  assert.equal(opened.status, 200);
  const form = await opened.text();
  assert.match(form, /<form method=post/);
  assert.equal(d1(`SELECT COUNT(*) AS n FROM account_deletions WHERE user_id = '${ada.sub}'`)[0].n, 1, "opening changes nothing");

  const press = () =>
    fetch(`${edge.api}/account/cancel-deletion`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, lang: "en" }).toString(),
    });
  // Two presses at once: one cancels, the other finds the link used.
  const statuses = (await Promise.all([press(), press()])).map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 400]);
  assert.equal((await press()).status, 400, "single use");

  await sleep(GRACE_SECONDS * 1000 + 500);
  await runCron();
  const [row] = d1(`SELECT email, status FROM users WHERE id = '${ada.sub}'`);
  assert.deepEqual(row, { email: ada.email, status: "active" });
  // The person signs in again (their old tokens stay dead).
  const { flow, verifier } = await startFlow();
  const signIn = await callJson(edge, "POST", `/v1/flows/${flow}/password`, { email: ada.email, password: ada.password });
  await redeemFlow(edge, signIn, verifier);
  await logged("user.lifecycle.delete.cancelled", ada.sub);
});

test("delete: a guessed cancel token cancels nothing, and one person's DELETE touches no one else", async () => {
  const [ada, bob] = [await person("ada"), await person("bob")];
  assert.equal((await me(ada, "DELETE", "/v1/me")).status, 202);
  const guessed = await fetch(`${edge.api}/account/cancel-deletion`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: random(32) }).toString(),
  });
  assert.equal(guessed.status, 400);
  assert.equal(d1(`SELECT COUNT(*) AS n FROM account_deletions WHERE user_id = '${ada.sub}'`)[0].n, 1);
  assert.equal(d1(`SELECT COUNT(*) AS n FROM account_deletions WHERE user_id = '${bob.sub}'`)[0].n, 0);
  assert.equal((await me(bob, "GET", "/v1/me/consents")).status, 200, "Bob's token lives");
});
