// Adaptive sign-on and attack protection under wrangler dev (workerd, local D1 and
// Durable Objects), through the JSON API as a script would call it (no Origin header):
// - risk signals set per request through the loopback-only development header (workerd's
//   request.cf is fixed), a remembered-device cookie carried by hand, the System Log read
//   from D1 as an administrator would;
// - Cloudflare Turnstile's siteverify and Have I Been Pwned's range API played by local
//   HTTP servers started here, speaking those APIs' formats.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { createRemoteJWKSet, jwtVerify } from "jose";

import { freePort, startEdge, systemLog, turnstileStandIn } from "./harness.mjs";
import { assertNoServerErrors, callJson, clientsCli, pkce, recordingFetch } from "./oidc-support.mjs";

const PASSWORD = "correct horse battery staple 42";
const SECRET = "0x4AAAAAAA-test-secret";
const SITE_KEY = "0x4AAAAAAA-test-site-key";
const DEV_SIGNALS = "x-portcullis-dev-signals";
const PARIS = JSON.stringify({ country: "FR", asn: 3215, latitude: 48.8566, longitude: 2.3522 });
const AUCKLAND = JSON.stringify({ country: "NZ", asn: 9500, latitude: -36.8485, longitude: 174.7633 });
// New Zealand where the location is not known: a new country without the travel check.
const NEW_ZEALAND = JSON.stringify({ country: "NZ", asn: 9500 });

// --- Turnstile's siteverify, as Cloudflare answers it ----------------------------------

const turnstile = Object.assign(turnstileStandIn(SECRET), { calls: [] });
/** A token for a challenge "solved" now, as the Turnstile widget would hand the page. */
const solveChallenge = () => turnstile.issue();

// --- Pwned Passwords' range API ---------------------------------------------------------

const pwned = { breached: new Set(), requests: [], down: false };
const sha1 = (text) => createHash("sha1").update(text, "utf8").digest("hex").toUpperCase();

function range(prefix) {
  const lines = [...pwned.breached].filter((h) => h.startsWith(prefix)).map((h) => `${h.slice(5)}:3303003`);
  // Add-Padding: true — filler suffixes with a count of 0.
  for (let i = 0; i < 800; i++) lines.push(`${randomBytes(18).toString("hex").slice(0, 35).toUpperCase()}:0`);
  return lines.join("\r\n");
}

function thirdParties() {
  return createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/turnstile/v0/siteverify") {
        const form = new URLSearchParams(body);
        turnstile.calls.push({ contentType: req.headers["content-type"], remoteip: form.get("remoteip") });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(turnstile.siteverify(form)));
        return;
      }
      const match = /^\/range\/([0-9A-F]{5})$/.exec(req.url);
      if (req.method === "GET" && match) {
        pwned.requests.push({ prefix: match[1], padding: req.headers["add-padding"] });
        if (pwned.down) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { "content-type": "text/plain" }).end(range(match[1]));
        return;
      }
      res.writeHead(404).end();
    });
  });
}

// --- the edge ---------------------------------------------------------------------------

let edge;
let services;
before(async () => {
  const port = await freePort();
  services = thirdParties();
  await new Promise((r) => services.listen(port, "127.0.0.1", r));
  const base = `http://127.0.0.1:${port}`;
  edge = await startEdge({
    vars: {
      DEV_SIGNALS: "allow",
      TURNSTILE_SITEVERIFY_URL: `${base}/turnstile/v0/siteverify`,
      TURNSTILE_SECRET_KEY: SECRET,
      TURNSTILE_SITE_KEY: SITE_KEY,
      PWNED_PASSWORDS_URL: base,
    },
    setup: ({ stateDir, origin }) => {
      const common = ["--redirect-uri", `${origin}/callback`, "--origin", origin];
      clientsCli(stateDir, ["add", "--id", "adaptive", "--name", "Adaptive Shop", "--adaptive-mfa", "high-risk", ...common]);
      // Second factors optional: offered, asked of an account that has one, and of one
      // that has none only when the sign-in looks risky.
      clientsCli(stateDir, ["add", "--id", "adaptive-optional", "--name", "Optional Shop", "--mfa", "optional", "--adaptive-mfa", "high-risk", ...common]);
      clientsCli(stateDir, ["add", "--id", "guarded", "--name", "Guarded Shop", "--human-check", "--breached-password-check", ...common]);
    },
  });
});
after(async () => {
  await edge?.dispose();
  await new Promise((r) => services?.close(r) ?? r());
});

const call = (method, path, body, headers = {}) => callJson(edge, method, path, body, headers);

/** Starts a flow for `client`; returns its handle and PKCE verifier. */
async function startFlow(client) {
  const { verifier, challenge } = pkce();
  const started = await call("POST", "/v1/flows", {
    client_id: client,
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "openid email",
  });
  assert.equal(started.status, 201, started.text);
  return { flow: started.body.flow_id, verifier };
}

/** One step with the given signals and cookie; the answer and the cookies it sets. */
async function step(flow, kind, body, { signals, cookie } = {}) {
  const headers = { "content-type": "application/json" };
  if (signals) headers[DEV_SIGNALS] = signals;
  if (cookie) headers.cookie = cookie;
  const response = await recordingFetch(`${edge.api}/v1/flows/${flow}/${kind}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, cookies: response.headers.getSetCookie() };
}

const deviceCookie = (cookies) => cookies.find((c) => c.startsWith("__Host-portcullis_device="));
const cookiePair = (setCookie) => setCookie.split(";")[0];

async function redeem(done, verifier, client) {
  assert.equal(done.body.status, "authorization_code", JSON.stringify(done.body));
  const response = await recordingFetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: done.body.authorization_code,
      code_verifier: verifier,
      client_id: client,
    }),
  });
  assert.equal(response.status, 200);
  const tokens = await response.json();
  const jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: edge.origin, audience: client });
  return payload;
}

async function newestCode(to) {
  const mail = await call("GET", `/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  return /Your code: (\d{6})/.exec(mail.body.messages[0]?.text ?? "")?.[1];
}

/** Signs `email` up at `client` from Paris; returns the browser's device cookie. */
async function signUpInParis(email, client = "adaptive", extra = {}) {
  const { flow } = await startFlow(client);
  const done = await step(flow, "sign-up", { email, password: PASSWORD, ...extra }, { signals: PARIS });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.status, "authorization_code");
  const set = deviceCookie(done.cookies);
  assert.ok(set, "the browser is remembered");
  return set;
}

const lastReason = async (stateDir, type) => (await systemLog(stateDir, type)).at(-1)?.reason;

// --- adaptive sign-on -------------------------------------------------------------------

for (const [client, email] of [
  ["adaptive", "ada@example.com"],
  ["adaptive-optional", "optional-ada@example.com"],
]) test(`adaptive (${client}): someone with the password in a new country is asked for an emailed code, and the System Log says why`, async () => {
  const set = await signUpInParis(email, client);
  // At home, from the remembered browser, the password alone: the account has no
  // second factor of its own.
  const home = await startFlow(client);
  const calm = await step(home.flow, "password", { email, password: PASSWORD }, { signals: PARIS, cookie: cookiePair(set) });
  assert.equal(calm.body.status, "authorization_code", JSON.stringify(calm.body));
  // The attacker knows the password but has neither the browser nor the mailbox.
  const { flow, verifier } = await startFlow(client);
  const challenged = await step(flow, "password", { email, password: PASSWORD }, { signals: NEW_ZEALAND });
  assert.equal(challenged.status, 200);
  assert.equal(challenged.body.status, "verify_email");
  assert.equal(challenged.body.authorization_code, undefined);
  assert.equal(deviceCookie(challenged.cookies), undefined, "nothing remembered before the second factor");
  const why = "risk high: new_country(FR->NZ), new_device; challenge";
  assert.equal(await lastReason(edge.stateDir, "policy.evaluate_sign_on"), why);
  assert.equal(await lastReason(edge.stateDir, "security.threat.detected"), why);
  // A replayed, guessed code fails; the owner's code from the mailbox finishes: pwd + otp.
  const wrong = await step(flow, "email/code", { code: "000000" });
  assert.equal(wrong.body.code, "code_invalid");
  const done = await step(flow, "email/code", { code: await newestCode(email) });
  const claims = await redeem(done, verifier, client);
  assert.deepEqual(claims.amr, ["pwd", "otp"]);
});

test("adaptive: Paris then Auckland minutes apart is impossible travel, challenged even from the remembered browser", async () => {
  const set = await signUpInParis("ida@example.com");
  const { flow } = await startFlow("adaptive");
  const challenged = await step(flow, "password", { email: "ida@example.com", password: PASSWORD }, { signals: AUCKLAND, cookie: cookiePair(set) });
  assert.equal(challenged.body.status, "verify_email", JSON.stringify(challenged.body));
  const why = await lastReason(edge.stateDir, "policy.evaluate_sign_on");
  assert.match(why, /^risk high: impossible_travel\(18\d{3} km in 0\.0 h\), new_country\(FR->NZ\); challenge$/);
});

test("adaptive: the remembered browser at home signs in with its password alone; the cookie is __Host-, HttpOnly, 30 days", async () => {
  const set = await signUpInParis("grace@example.com");
  assert.match(set, /^__Host-portcullis_device=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure$/);
  const { flow } = await startFlow("adaptive");
  const done = await step(flow, "password", { email: "grace@example.com", password: PASSWORD }, { signals: PARIS, cookie: cookiePair(set) });
  assert.equal(done.body.status, "authorization_code", JSON.stringify(done.body));
  assert.equal(await lastReason(edge.stateDir, "policy.evaluate_sign_on"), "risk low; allow");
  // Another account in the same browser is a new device to that account.
  await signUpInParis("hopper@example.com");
  const other = await startFlow("adaptive");
  const second = await step(other.flow, "password", { email: "hopper@example.com", password: PASSWORD }, { signals: PARIS, cookie: cookiePair(set) });
  assert.equal(second.body.status, "authorization_code");
  assert.equal(await lastReason(edge.stateDir, "policy.evaluate_sign_on"), "risk medium: new_device; allow");
});

test("adaptive: parallel wrong passwords from a new country get the same answer as an unknown address, and assess nothing", async () => {
  await signUpInParis("lin@example.com");
  const before = (await systemLog(edge.stateDir, "policy.evaluate_sign_on")).length;
  const attempts = await Promise.all(
    ["lin@example.com", "nobody@example.com"].flatMap((email) =>
      [1, 2, 3].map(async () => {
        const { flow } = await startFlow("adaptive");
        return step(flow, "password", { email, password: "a guess that is wrong 1" }, { signals: AUCKLAND });
      }),
    ),
  );
  for (const answer of attempts) {
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, attempts[0].body);
  }
  assert.equal((await systemLog(edge.stateDir, "policy.evaluate_sign_on")).length, before);
});

test("adaptive: without DEV_SIGNALS=allow the development header sets nothing", async () => {
  const plain = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, ["add", "--id", "adaptive", "--name", "Adaptive Shop", "--adaptive-mfa", "high-risk", "--redirect-uri", `${origin}/callback`]);
    },
  });
  try {
    const at = (path, body, signals) =>
      recordingFetch(`${plain.api}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", [DEV_SIGNALS]: signals },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const flow = async () => {
      const { challenge } = pkce();
      const started = await at("/v1/flows", { client_id: "adaptive", code_challenge: challenge, code_challenge_method: "S256", scope: "openid" }, PARIS);
      return started.body.flow_id;
    };
    const email = "tor@example.com";
    assert.equal((await at(`/v1/flows/${await flow()}/sign-up`, { email, password: PASSWORD }, PARIS)).body.status, "authorization_code");
    const tor = JSON.stringify({ anonymous: true, country: "NZ" });
    const done = await at(`/v1/flows/${await flow()}/password`, { email, password: PASSWORD }, tor);
    assert.equal(done.body.status, "authorization_code", "neither Tor nor a new country was believed");
    const reasons = (await systemLog(plain.stateDir, "policy.evaluate_sign_on")).map((e) => e.reason);
    assert.deepEqual(reasons, ["risk low; allow", "risk medium: new_device; allow"]);
  } finally {
    await plain.dispose();
  }
});

// --- Turnstile ----------------------------------------------------------------------------

test("turnstile: the client's configuration names the site key; sign-up without a token or with a forged one is refused", async () => {
  const config = await call("GET", "/v1/clients/guarded");
  assert.equal(config.body.turnstile_site_key, SITE_KEY);
  assert.equal((await call("GET", "/v1/clients/adaptive")).body.turnstile_site_key, undefined);
  const missing = await step((await startFlow("guarded")).flow, "sign-up", { email: "eve@example.com", password: PASSWORD });
  assert.equal(missing.status, 403);
  assert.equal(missing.body.code, "human_check_required");
  const forged = await step((await startFlow("guarded")).flow, "sign-up", {
    email: "eve@example.com",
    password: PASSWORD,
    turnstile_token: "XXXX.DUMMY.TOKEN.XXXX",
  });
  assert.equal(forged.status, 403);
  assert.equal(forged.body.code, "human_check_failed");
  const blocked = (await systemLog(edge.stateDir, "security.request.blocked")).map((e) => e.reason);
  assert.ok(blocked.includes("no token") && blocked.includes("siteverify: invalid-input-response"), JSON.stringify(blocked));
});

test("turnstile: one token, replayed by ten parallel sign-ups, lets exactly one through", async () => {
  const token = solveChallenge();
  const flows = await Promise.all(Array.from({ length: 10 }, () => startFlow("guarded")));
  const answers = await Promise.all(
    flows.map(({ flow }, i) =>
      step(flow, "sign-up", { email: `bot${i}@example.com`, password: PASSWORD, turnstile_token: token }, { signals: PARIS }),
    ),
  );
  const passed = answers.filter((a) => a.status === 200);
  assert.equal(passed.length, 1, JSON.stringify(answers.map((a) => a.body)));
  for (const refused of answers.filter((a) => a.status !== 200)) {
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "human_check_failed");
  }
  // Siteverify was asked once: replays were refused before it, by the spent mark.
  const asked = turnstile.calls.length;
  const again = await step((await startFlow("guarded")).flow, "sign-up", {
    email: "late@example.com",
    password: PASSWORD,
    turnstile_token: token,
  });
  assert.equal(again.body.code, "human_check_failed");
  assert.equal(turnstile.calls.length, asked);
  assert.equal(turnstile.calls.at(-1).contentType, "application/x-www-form-urlencoded");
});

// --- Pwned Passwords ----------------------------------------------------------------------

test("pwned passwords: a breached password is refused at sign-up, and only a 5-character prefix left the edge, padded", async () => {
  const breached = "tram ferry cloudberry 1987 x";
  pwned.breached.add(sha1(breached));
  const refused = await step((await startFlow("guarded")).flow, "sign-up", {
    email: "mallory@example.com",
    password: breached,
    turnstile_token: solveChallenge(),
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, "password_rejected");
  assert.equal(refused.body.problem, "common");
  const request = pwned.requests.at(-1);
  assert.equal(request.prefix, sha1(breached).slice(0, 5));
  assert.equal(request.padding, "true");
  assert.equal(await lastReason(edge.stateDir, "security.breached_credential.detected"), "pwned passwords");
  // The client without the check never asks.
  const asked = pwned.requests.length;
  await signUpInParis("trent@example.com");
  assert.equal(pwned.requests.length, asked);
});

test("pwned passwords unreachable: sign-up still works and the System Log says so", async () => {
  pwned.down = true;
  try {
    const { flow } = await startFlow("guarded");
    const done = await step(flow, "sign-up", { email: "peggy@example.com", password: PASSWORD, turnstile_token: solveChallenge() });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, "authorization_code");
  } finally {
    pwned.down = false;
  }
  const warning = (await systemLog(edge.stateDir, "system.breached_password_check.unavailable")).at(-1);
  assert.equal(warning.reason, "pwned passwords unreachable");
  assert.equal(warning.outcome, "FAILURE");
});

test("no response was a server error", () => {
  assertNoServerErrors();
});
