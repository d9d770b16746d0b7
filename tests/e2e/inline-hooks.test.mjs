// The registration inline hook under wrangler dev: a local endpoint (registered with
// scripts/hooks inline-add) checks each call with the npm `standardwebhooks` library and
// signs its answer with it. It denies `*@blocked.example` with a message per language,
// which the widget shows in French; it sleeps 10 s for `slow-…` addresses, and the edge
// cuts the call at the hook's 4 s timeout (2 s proved too short for a loaded CI machine's
// first loopback call) with the configured outcome (closed for the
// demo client, open for every other client). Last, an inline hook is registered and
// removed through the admin API (`/admin/v1/inline-hooks`).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as oidc from "openid-client";
import { Webhook } from "standardwebhooks";

import { ROOT, freePort, keyEncryptionKey, launchBrowser, passphrase, startEdge, toolEnv } from "./harness.mjs";
import { assertNoServerErrors, basic, callJson, clientsCli, pkce, postForm } from "./oidc-support.mjs";

const TEST_PAGE = "/__inline-hooks-test";
const SLEEP_MS = 10_000;
const PASSWORD = passphrase((t) => `lattice ${t} weathervane cormorant`);
const DENIAL = {
  en: "Sign-ups from blocked.example are closed.",
  fr: "Les inscriptions depuis blocked.example sont fermées.",
};

let edge;
let browser;
let endpoint;
/** A client holding admin.hooks.manage (scripts/clients). */
let hooksAdmin;

/** Answers `text`, signed for the request `id` with standardwebhooks (Standard Webhooks). */
function answer(res, webhook, id, text) {
  const now = new Date();
  res.writeHead(200, {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": webhook.sign(id, now, text),
  });
  res.end(text);
}

/** The customer's endpoint. */
async function startEndpoint() {
  const port = await freePort();
  const calls = []; // { email, client_id, verified, answeredAt }
  const state = { webhooks: [] }; // one per registered hook: each call verifies with one
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let payload;
      let webhook;
      for (const candidate of state.webhooks) {
        try {
          payload = candidate.verify(body, req.headers);
          webhook = candidate;
          break;
        } catch {
          // another hook's secret
        }
      }
      if (!webhook) {
        calls.push({ verified: false });
        res.writeHead(401).end();
        return;
      }
      if (payload.type === "com.portcullis.inline_hook.token") {
        calls.push({ token: true, sub: payload.data.sub, client_id: payload.data.client_id, verified: true });
        // `sub` and `iss` are reserved: the edge must drop them (and log it).
        const text = JSON.stringify({
          claims: { access_token: { tenant: "acme", sub: "admin" }, id_token: { tenant: "acme", roles: ["buyer"], iss: "https://evil.example" } },
        });
        answer(res, webhook, req.headers["webhook-id"], text);
        return;
      }
      const { email } = payload.data.profile;
      const call = { email, client_id: payload.data.context.client_id, language: payload.data.context.language, verified: true };
      calls.push(call);
      const decision = email.endsWith("@blocked.example")
        ? { decision: "deny", message: DENIAL }
        : { decision: "allow", profile: { given_name: "Grace" } };
      if (email.startsWith("slow-")) await new Promise((r) => setTimeout(r, SLEEP_MS));
      const text = JSON.stringify(decision);
      call.answeredAt = Date.now();
      try {
        answer(res, webhook, req.headers["webhook-id"], text);
      } catch {
        // The edge gave up and closed the connection.
      }
    });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}/registration`, calls, state, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

async function hooksCli(stateDir, args) {
  const result = await new Promise((done) => {
    execFile(
      join(ROOT, "scripts/hooks"),
      ["--persist-to", stateDir, ...args, "--json"],
      { cwd: ROOT, encoding: "utf8", env: toolEnv({ KEY_ENCRYPTION_KEY: keyEncryptionKey(stateDir) }) },
      (error, stdout, stderr) => done({ status: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
  assert.equal(result.status, 0, `scripts/hooks ${args.join(" ")}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

before(async () => {
  endpoint = await startEndpoint();
  edge = await startEdge({
    setup: async ({ stateDir }) => {
      clientsCli(stateDir, ["add", "--id", "other", "--name", "Other", "--redirect-uri", "http://localhost:9/cb"]);
      clientsCli(stateDir, ["add", "--id", "api-shop", "--name", "API shop", "--redirect-uri", "http://localhost:9/cb"]);
      hooksAdmin = clientsCli(stateDir, ["add", "--id", "hooks-admin", "--name", "Hooks admin", "--type", "confidential", "--grant-type", "client_credentials", "--scope", "admin.hooks.manage"]);
      // The demo client's own hook fails closed; every other client's fails open.
      const demo = await hooksCli(stateDir, ["inline-add", "--kind", "registration", "--url", endpoint.url, "--client", "demo", "--timeout-ms", "4000", "--fail", "closed"]);
      const everyone = await hooksCli(stateDir, ["inline-add", "--kind", "registration", "--url", endpoint.url, "--timeout-ms", "4000", "--fail", "open"]);
      const tokens = await hooksCli(stateDir, ["inline-add", "--kind", "token", "--url", endpoint.url, "--client", "other"]);
      endpoint.state.webhooks.push(new Webhook(demo.secret), new Webhook(everyone.secret), new Webhook(tokens.secret));
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.dispose();
  await endpoint?.close();
});

/** Starts a flow of `client` and signs up through the API. */
async function apiSignUp(client, email) {
  const call = (method, path, body) => callJson(edge, method, path, body);
  const { challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: client, code_challenge: challenge, code_challenge_method: "S256", scope: "openid" });
  assert.equal(started.status, 201, started.text);
  return call("POST", `/v1/flows/${started.body.flow_id}/sign-up`, { email, password: PASSWORD });
}

/** Whether `email` can sign in with the password: an account exists. */
async function canSignIn(client, email) {
  const call = (method, path, body) => callJson(edge, method, path, body);
  const { challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: client, code_challenge: challenge, code_challenge_method: "S256", scope: "openid" });
  const answer = await call("POST", `/v1/flows/${started.body.flow_id}/password`, { email, password: PASSWORD });
  return answer.status === 200;
}

test("a registration hook denying *@blocked.example shows its message in the widget, in French, and creates nothing", async () => {
  const page = await browser.newPage();
  await page.route(`${edge.origin}${TEST_PAGE}`, (route) =>
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Boutique</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><portcullis-signin client-id="demo" lang="fr" passkey-autofill="off"></portcullis-signin></body></html>`,
    }),
  );
  await page.goto(`${edge.origin}${TEST_PAGE}`);
  const email = `mallory-${Date.now()}@blocked.example`;
  await page.getByRole("button", { name: "Créer un compte" }).click();
  await page.getByLabel("Adresse e-mail", { exact: true }).fill(email);
  await page.getByLabel("Mot de passe", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Créer le compte", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: DENIAL.fr }).waitFor({ timeout: 60_000 });
  await page.close();

  const call = endpoint.calls.find((c) => c.email === email);
  assert.ok(call?.verified, "the edge's call verifies with standardwebhooks");
  assert.equal(call.language, "fr");
  assert.equal(call.client_id, "demo");
  assert.equal(await canSignIn("demo", email), false, "no account was created");
  assert.ok(endpoint.calls.every((c) => c.verified), JSON.stringify(endpoint.calls));
});

test("an allowed sign-up goes through with the hook's verdict; the API refuses a blocked address with registration_denied", async () => {
  const allowed = await apiSignUp("demo", `grace-${Date.now()}@example.com`);
  assert.equal(allowed.status, 200, allowed.text);
  const denied = await apiSignUp("demo", `eve-${Date.now()}@blocked.example`);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.code, "registration_denied");
  assert.equal(denied.body.site_message, DENIAL.en);
  assertNoServerErrors();
});

test("a hook that sleeps 10 s is cut at its 4 s timeout: fail-closed refuses, fail-open lets the sign-up through", async () => {
  const closedEmail = `slow-${Date.now()}@example.com`;
  const closed = await apiSignUp("demo", closedEmail);
  const closedAnsweredAt = Date.now();
  assert.equal(closed.status, 403, closed.text);
  assert.equal(closed.body.code, "registration_denied");
  assert.equal(closed.body.site_message, undefined, "no words from a hook that did not answer");
  const slowCall = endpoint.calls.find((c) => c.email === closedEmail);
  assert.ok(slowCall, "the hook was called");
  assert.equal(slowCall.answeredAt, undefined, "the sign-up was answered before the hook woke up");
  assert.equal(await canSignIn("demo", closedEmail), false);

  const openEmail = `slow-${Date.now()}@example.com`;
  const open = await apiSignUp("other", openEmail);
  assert.equal(open.status, 200, open.text);
  assert.equal(endpoint.calls.find((c) => c.email === openEmail)?.answeredAt, undefined, "answered before the hook woke up");
  assert.ok(await canSignIn("other", openEmail), "fail-open: the account exists");
  assert.ok(closedAnsweredAt > 0);
  assertNoServerErrors();
});

test("a token hook adds a claim that openid-client sees; its attempt to override sub and iss is ignored", async () => {
  const email = `grace-${Date.now()}@example.com`;
  const call = (method, path, body) => callJson(edge, method, path, body);
  const { verifier, challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: "other", code_challenge: challenge, code_challenge_method: "S256", scope: "openid email offline_access" });
  assert.equal(started.status, 201, started.text);
  const signedUp = await call("POST", `/v1/flows/${started.body.flow_id}/sign-up`, { email, password: PASSWORD });
  assert.equal(signedUp.status, 200, signedUp.text);
  const first = await postForm(edge, "/token", {
    grant_type: "authorization_code",
    code: signedUp.body.authorization_code,
    code_verifier: verifier,
    client_id: "other",
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));

  // A relying-party library this project did not write, checking the ID token's
  // signature against the JWKS (non-repudiation checks) and its claims.
  const config = await oidc.discovery(new URL(edge.origin), "other", undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
  const refreshed = await oidc.refreshTokenGrant(config, first.body.refresh_token);
  const idClaims = refreshed.claims();
  assert.equal(idClaims.tenant, "acme");
  assert.deepEqual(idClaims.roles, ["buyer"]);
  assert.equal(idClaims.iss, edge.origin, "iss is never the hook's");
  const sub = endpoint.calls.find((c) => c.token && c.client_id === "other").sub;
  assert.ok(sub);
  assert.equal(idClaims.sub, sub, "sub is never the hook's");
  const access = JSON.parse(Buffer.from(refreshed.access_token.split(".")[1], "base64url").toString());
  assert.equal(access.tenant, "acme");
  assert.equal(access.sub, sub);
  const userinfo = await oidc.fetchUserInfo(config, refreshed.access_token, sub);
  assert.equal(userinfo.sub, sub);
  assert.ok(endpoint.calls.every((c) => c.verified));
  assertNoServerErrors();
});

/** Rows of the local System Log (D1 `events`) through wrangler, as an operator would query. */
async function systemLog(sql) {
  const result = await new Promise((done) => {
    execFile(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["d1", "execute", "DB", "--local", "--persist-to", edge.stateDir, "--json", "--command", sql],
      { cwd: ROOT, encoding: "utf8", env: toolEnv(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ error, stdout, stderr }),
    );
  });
  assert.ifError(result.error);
  return JSON.parse(result.stdout).at(-1).results;
}

test("every inline hook call is in the System Log with its outcome and latency; the refused claims are named", async () => {
  const calls = () =>
    systemLog("SELECT json_extract(data, '$.outcome.result') AS result, json_extract(data, '$.outcome.reason') AS reason FROM events WHERE event_type = 'system.inline_hook.call'");
  // Events reach D1 through the events queue, after the responses.
  const deadline = Date.now() + 60_000;
  let rows = await calls();
  while (rows.length < endpoint.calls.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    rows = await calls();
  }
  assert.equal(rows.length, endpoint.calls.length, "one System Log event per call the endpoint saw");
  assert.ok(rows.some((r) => r.result === "FAILURE" && /no answer within 4000 ms after \d+ ms; fail-closed: denied/.test(r.reason)));
  assert.ok(rows.some((r) => r.result === "FAILURE" && /fail-open: allowed/.test(r.reason)));
  assert.ok(rows.some((r) => /deny in \d+ ms/.test(r.reason)));
  assert.ok(rows.some((r) => /refused and ignored: .*sub \(access_token\).*iss \(id_token\)/.test(r.reason)), JSON.stringify(rows));
  const answered = rows.map((r) => /(?:allow|deny|claims) in (\d+) ms/.exec(r.reason)?.[1]).filter(Boolean).map(Number).sort((a, b) => a - b);
  console.log(`inline hook calls answered by a loopback endpoint: ${answered.length}, latency median ${answered[Math.floor(answered.length / 2)]} ms, max ${answered.at(-1)} ms (the time the sign-up or token request spends in the hook)`);
});

test("admin API: an inline hook registered through /admin/v1/inline-hooks (one of five raced) is consulted for its client at once, its secret shown once; removed, it is no longer called", async () => {
  const granted = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("hooks-admin", hooksAdmin.client_secret) });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  const admin = (method, path, body) => callJson(edge, method, path, body, { authorization: `Bearer ${granted.body.access_token}` });
  // Its own hook, failing closed at an address where nothing listens: while it is there,
  // api-shop's sign-ups are refused (the hook for every client would allow them).
  const nobody = `http://127.0.0.1:${await freePort()}/nobody`;
  // Five registrations raced in parallel: exactly one wins, the others are told why.
  const raced = await Promise.all(
    Array.from({ length: 5 }, () =>
      admin("POST", "/admin/v1/inline-hooks", { kind: "registration", url: nobody, client_id: "api-shop", timeout_ms: 500, failure_mode: "closed" }),
    ),
  );
  assert.deepEqual(raced.map((r) => r.status).sort(), [201, 409, 409, 409, 409], raced.map((r) => r.text).join("\n"));
  for (const lost of raced.filter((r) => r.status === 409)) assert.equal(lost.body.code, "inline_hook_exists");
  const created = raced.find((r) => r.status === 201);
  assert.match(created.body.secret, /^whsec_/);
  const listed = await admin("GET", "/admin/v1/inline-hooks");
  assert.equal(listed.status, 200, listed.text);
  assert.ok(listed.body.data.some((h) => h.id === created.body.id && h.client_id === "api-shop"));
  assert.doesNotMatch(listed.text, /whsec_/, "no secret after the answer that made it");

  const refused = await apiSignUp("api-shop", `grace-${Date.now()}@example.com`);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.body.code, "registration_denied");

  assert.equal((await admin("DELETE", `/admin/v1/inline-hooks/${created.body.id}`)).status, 204);
  const allowed = await apiSignUp("api-shop", `grace-${Date.now()}@example.com`);
  assert.equal(allowed.status, 200, allowed.text);
  assertNoServerErrors();
});
