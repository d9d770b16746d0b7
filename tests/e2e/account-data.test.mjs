// The account API's data routes against the edge under wrangler dev (workerd, local D1):
// consent records (`/v1/me/consents`, Kantara receipts, Global Privacy Control). Every
// person is made through the first-party API as the widget does, and every call carries
// an account-API token (audience `{issuer}/v1/me`, scope `account`) got from the refresh
// token as the widget gets it. One edge for the file; the tests share it, each with
// people of its own.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";

import { ROOT, passphrase, startEdge, systemLog, toolEnv } from "./harness.mjs";
import { assertNoServerErrors, callJson, pkce, postForm, random, redeemFlow } from "./oidc-support.mjs";

let edge;

before(async () => {
  edge = await startEdge();
});
after(async () => {
  await edge?.dispose();
  assertNoServerErrors();
});

const hex = (text) => createHash("sha256").update(text).digest("hex");
const TERMS_V1 = "Terms of service, version 1: be kind.";
const TERMS_V2 = "Terms of service, version 2: be kind, and say so.";

/** Rows of `sql` in the edge's local D1. */
function d1(sql) {
  const result = spawnSync(
    `${ROOT}/node_modules/.bin/wrangler`,
    ["d1", "execute", "DB", "--local", "--persist-to", edge.stateDir, "--json", "--command", sql],
    { cwd: ROOT, env: toolEnv(), encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout)[0].results;
}

/**
 * A new person signed up through the embedded flow with the account scope; returns their
 * address, their tokens and an account-API access token.
 */
async function person(label) {
  const email = `${label}-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;
  const password = passphrase((t) => `correct horse ${t} staple`);
  const { verifier, challenge } = pkce();
  const started = await callJson(edge, "POST", "/v1/flows", {
    client_id: "demo",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "openid email profile offline_access account",
  });
  assert.equal(started.status, 201, started.text);
  const signedUp = await callJson(edge, "POST", `/v1/flows/${started.body.flow_id}/sign-up`, {
    email,
    password,
    name: label,
  });
  const tokens = await redeemFlow(edge, signedUp, verifier);
  const account = await postForm(edge, "/token", {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: "demo",
    resource: `${edge.origin}/v1/me`,
  });
  assert.equal(account.status, 200, JSON.stringify(account.body));
  return { email, password, tokens, token: account.body.access_token, sub: decodeSub(account.body.access_token) };
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
  const grants = await systemLog(edge.stateDir, "user.consent.grant");
  assert.ok(grants.filter((e) => e.actor_id === ada.sub).length >= 2, JSON.stringify(grants));
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
  const withdrawals = await systemLog(edge.stateDir, "user.consent.withdraw");
  assert.ok(withdrawals.some((e) => e.actor_id === ada.sub), JSON.stringify(withdrawals));
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
