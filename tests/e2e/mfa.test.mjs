// Multi-factor authentication through the real widget in headless Chromium, against the
// edge under wrangler dev: a client that requires MFA makes a new account set up an
// authenticator app (its key read from the enrolment screen by otplib, a TOTP
// implementation this project did not write, standing in for the phone), the recovery
// codes are shown once, and later sign-ins ask for the app's code or a recovery code. A
// relying party (openid-client) asking for the multi-factor `acr` gets a step-up on the
// hosted page and an ID token that says so. The attacker's side: someone who knows only
// the address, or who has the password and scripts guesses (in parallel), or replays a
// code, gets nowhere.
//
// The tests run in order and share one account (ada) and the app's key.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as oidc from "openid-client";

import {
  addVirtualAuthenticator,
  focusLandsOn,
  freePort,
  launchBrowser,
  passphrase,
  ROOT,
  startEdge,
  toolEnv,
} from "./harness.mjs";
import {
  clientsCli,
  newestMail,
  pkce,
  recordingFetch,
  startRelyingParty,
  verifyEs256,
} from "./oidc-support.mjs";
import { Phone, recordingTab, serveWidgetPage, signedIn, stepNow, unexpected } from "./widget-support.mjs";

const MULTI_FACTOR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
const TEST_PAGE = "/__mfa-test";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];

let edge;
let rp;
let browser;
let jwks;

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `lantern ${t} orchard harbour`) };
let recoveryCodes;

// --- the phone -----------------------------------------------------------------------------

let phone; // ada's app, with the key the enrolment screen showed

// --- setup -------------------------------------------------------------------------------

before(async () => {
  rp = await startRelyingParty(await freePort());
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, [
        "add", "--id", "vault", "--name", "Vault", "--mfa", "required",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
      ]);
      // A relying party with MFA off: it asks for a second factor with acr_values.
      clientsCli(stateDir, [
        "add", "--id", "spa", "--name", "Single-page app",
        "--redirect-uri", `${rp.origin}/cb`, "--origin", rp.origin,
      ]);
    },
  });
  browser = await launchBrowser();
  jwks = await (await fetch(`${edge.api}/.well-known/jwks.json`)).json();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  await rp?.close();
});

async function newTab() {
  const page = await recordingTab(browser, EVENTS);
  await serveWidgetPage(page, `${edge.origin}${TEST_PAGE}`, "Vault");
  return page;
}

async function open(page, clientId = "vault") {
  await page.goto(`${edge.origin}${TEST_PAGE}?client-id=${clientId}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
}

function idClaims(tokens, audience = "vault") {
  const { payload } = verifyEs256(tokens.id_token, jwks);
  assert.equal(payload.aud, audience);
  return payload;
}

async function signInWithPassword(page) {
  await page.getByLabel("Email", { exact: true }).fill(ada.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(ada.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Enter the 6-digit code from your authenticator app.").first().waitFor();
}

/** The JSON API as a script (no Origin header), for the attacker's side. */
async function call(method, path, body) {
  const response = await recordingFetch(`${edge.api}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A vault flow with `person`'s password proven: it waits for the second factor. */
async function flowAfterPassword(person = ada) {
  const { challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: "vault", code_challenge: challenge, code_challenge_method: "S256" });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const flow = started.body.flow_id;
  const first = await call("POST", `/v1/flows/${flow}/password`, { email: person.email, password: person.password });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.status, "second_factor");
  return flow;
}

// --- the tests ---------------------------------------------------------------------------

test("a client that requires MFA makes a new account set up an authenticator app; a wrong first code is refused; recovery codes show once", async () => {
  const page = await newTab();
  await open(page);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(ada.email);
  await page.getByLabel("Password", { exact: true }).fill(ada.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();

  // The QR code is an SVG drawn by the edge; the key beside it is the one it encodes.
  const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
  await qr.waitFor();
  const src = await qr.getAttribute("src");
  assert.match(src, /^data:image\/svg\+xml,/);
  assert.match(decodeURIComponent(src), /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const secret = (await page.locator(".pc-key code").textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/, "a 160-bit base32 key");
  phone = new Phone(secret);

  // Enrolment confirmation without a valid code is refused, and nothing is enrolled.
  await page.getByLabel("Code", { exact: true }).fill(phone.wrong());
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "That code isn't right or was already used." }).waitFor();
  await page.getByLabel("Code", { exact: true }).fill(phone.code());
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  const list = page.getByRole("list").filter({ has: page.locator("code") });
  await page.getByRole("button", { name: "I've saved them, continue" }).waitFor();
  recoveryCodes = (await list.locator("code").allTextContents()).map((c) => c.trim());
  assert.equal(recoveryCodes.length, 10);
  assert.equal(new Set(recoveryCodes).size, 10);
  const download = await page.getByRole("link", { name: "Download codes" }).getAttribute("href");
  assert.equal(decodeURIComponent(download.split(",")[1]).trim(), recoveryCodes.join("\n"));
  await page.getByRole("button", { name: "I've saved them, continue" }).click();

  const claims = idClaims(await signedIn(page));
  assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"], "RFC 8176");
  assert.equal(claims.acr, MULTI_FACTOR);
  const mail = await newestMail(edge, ada.email, "An authenticator app was added to your Vault account");
  assert.match(mail.text, /From now on, its codes can be used/);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("RFC 6238: sign out, sign in with password and the app's code (keyboard only); the same code again is refused", async () => {
  const page = await newTab();
  await open(page);
  await signInWithPassword(page);
  await focusLandsOn(page, "pc-code");
  const code = await phone.next();
  await page.keyboard.type(code);
  await page.keyboard.press("Enter");
  const claims = idClaims(await signedIn(page));
  assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page);
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "That code isn't right or was already used." }).waitFor();
  assert.equal(await page.getByLabel("Code", { exact: true }).inputValue(), "", "the used code is cleared");
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("a recovery code signs in once, and its use is emailed to the owner", async () => {
  const page = await newTab();
  await open(page);
  await signInWithPassword(page);
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.getByLabel("Recovery code", { exact: true }).fill(recoveryCodes[0].toUpperCase());
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  assert.ok(idClaims(await signedIn(page)).amr.includes("mfa"));
  await newestMail(edge, ada.email, "A recovery code was used for your Vault account");

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page);
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.getByLabel("Recovery code", { exact: true }).fill(recoveryCodes[0]);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "That code isn't right or was already used." }).waitFor();
  await page.context().close();
});

test("WebAuthn §7.2: a passkey or security key as the second factor after a password (virtual authenticator)", async () => {
  const dee = { email: `dee-${tag}@example.com`, password: passphrase((t) => `pebble ${t} lagoon ferry`) };
  const page = await newTab();
  await addVirtualAuthenticator(page);
  // Signed up on a client without MFA, a passkey added from the signed-in screen.
  await open(page, "demo");
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(dee.email);
  await page.getByLabel("Password", { exact: true }).fill(dee.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await signedIn(page);
  await page.getByRole("region", { name: "Sign in faster next time" }).getByRole("button", { name: "Add a passkey" }).click();
  await page.getByRole("status").filter({ hasText: "Passkey added." }).waitFor();

  // The vault asks for a second factor after the password: the key, no app needed.
  await open(page);
  await page.getByLabel("Email", { exact: true }).fill(dee.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(dee.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Use your security key or passkey to finish signing in.").waitFor();
  assert.equal(await page.getByLabel("Code", { exact: true }).count(), 0, "no app to ask a code of");
  await page.getByRole("button", { name: "Use a security key or passkey" }).click();
  const claims = idClaims(await signedIn(page));
  assert.deepEqual(claims.amr, ["pwd", "swk", "mfa"], "RFC 8176");
  assert.equal(claims.acr, MULTI_FACTOR);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("someone who knows only the address reaches no second-factor step", async () => {
  const { challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: "vault", code_challenge: challenge, code_challenge_method: "S256" });
  const flow = started.body.flow_id;
  for (const [path, body] of [
    ["mfa/webauthn/options", undefined],
    ["mfa/totp", { code: phone.code() }],
    ["mfa/recovery-code", { code: recoveryCodes[1] }],
    ["mfa/totp/enrolment", undefined],
    ["mfa/totp/enrolment/confirm", { code: phone.code() }],
  ]) {
    const refused = await call("POST", `/v1/flows/${flow}/${path}`, body);
    assert.equal(refused.status, 409, `${path}: ${JSON.stringify(refused.body)}`);
    assert.equal(refused.body.code, "step_not_expected");
  }
  // A wrong password is answered as for any address, not with a second-factor prompt.
  const wrong = await call("POST", `/v1/flows/${flow}/password`, { email: ada.email, password: `not it ${tag} at all` });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, "invalid_credentials");
});

test("with the password, guessing codes in parallel across flows: at most 5 wrong codes are checked, then every code is refused", async () => {
  // An account of its own, so that no earlier wrong code counts.
  const cal = { email: `cal-${tag}@example.com`, password: passphrase((t) => `tundra ${t} beacon willow`) };
  const { key, id } = await enrolThroughApi(cal);
  const flows = [];
  for (let i = 0; i < 8; i++) flows.push(await flowAfterPassword(cal));
  const app = new Phone(key);
  const wrong = app.wrong();
  const guesses = await Promise.all(flows.map((flow) => call("POST", `/v1/flows/${flow}/mfa/totp`, { code: wrong })));
  const statuses = guesses.map((g) => g.status).sort();
  const checked = statuses.filter((s) => s === 401).length;
  assert.equal(checked, 5, `5 checked, the rest throttled: ${statuses}`);
  for (const g of guesses.filter((g) => g.status !== 401)) {
    assert.equal(g.status, 429);
    assert.equal(g.body.code, "too_many_attempts");
  }
  // Even the right code is refused now (for the window), from a fresh flow too.
  const right = await call("POST", `/v1/flows/${await flowAfterPassword(cal)}/mfa/totp`, {
    code: app.at(stepNow() + 1),
  });
  assert.equal(right.status, 429, JSON.stringify(right.body));
  // The System Log has every refusal, the throttled ones saying so.
  // Events leave the request path: wait (a bounded while) for the last to land.
  let failures = [];
  for (let i = 0; i < 20 && failures.length < 9; i++) {
    if (i) await new Promise((r) => setTimeout(r, 250));
    failures = logEvents("user.authentication.auth_via_mfa", "FAILURE", id);
  }
  assert.equal(failures.length, 9, JSON.stringify(failures));
  const reasons = failures.map((f) => JSON.parse(f.data).outcome.reason).sort();
  assert.deepEqual(reasons, [...Array(5).fill("factor_code_invalid"), ...Array(4).fill("throttled")]);
});

test("OIDC Core acr_values: a relying party with MFA off asks for the multi-factor acr and gets a step-up on the hosted page", async () => {
  // The account's code limit from the previous test runs out after 15 minutes; a second
  // account shows the step-up without waiting.
  const bea = { email: `bea-${tag}@example.com`, password: passphrase((t) => `quartz ${t} meadow orbit`) };
  const { key: beaSecret } = await enrolThroughApi(bea);

  const issuer = new URL(edge.origin);
  const config = await oidc.discovery(issuer, "spa", undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const meta = config.serverMetadata();
  assert.deepEqual(meta.acr_values_supported, ["0", MULTI_FACTOR], "OIDC Discovery §3");

  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rp.origin}/cb`,
    scope: "openid email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    acr_values: MULTI_FACTOR,
  });
  const page = await browser.newPage();
  await page.goto(url.href);
  await page.getByLabel("Email", { exact: true }).fill(bea.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(bea.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Code", { exact: true }).waitFor();
  await page.getByLabel("Code", { exact: true }).fill(new Phone(beaSecret).at(stepNow() + 1));
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.waitForURL((u) => u.origin === rp.origin, { timeout: 30_000 });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.acr, MULTI_FACTOR);
  assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);
  assert.equal(typeof claims.auth_time, "number");
  await page.context().close();
});

/** Signs `person` up through the MFA-required vault client's flow, which enrols an app;
 * returns the app's key and the account's id (`sub`). */
async function enrolThroughApi(person) {
  const { challenge, verifier } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: "vault", code_challenge: challenge, code_challenge_method: "S256" });
  const flow = started.body.flow_id;
  const signedUp = await call("POST", `/v1/flows/${flow}/sign-up`, person);
  assert.equal(signedUp.body.status, "enrol_second_factor", JSON.stringify(signedUp.body));
  const shown = await call("POST", `/v1/flows/${flow}/mfa/totp/enrolment`);
  assert.equal(shown.status, 200);
  assert.ok(shown.body.otpauth_uri.startsWith("otpauth://totp/Vault:"));
  const key = new URL(shown.body.otpauth_uri).searchParams.get("secret");
  assert.equal(key, shown.body.secret);
  const confirmed = await call("POST", `/v1/flows/${flow}/mfa/totp/enrolment/confirm`, {
    code: new Phone(key).code(),
  });
  assert.equal(confirmed.body.status, "authorization_code", JSON.stringify(confirmed.body));
  assert.equal(confirmed.body.recovery_codes.length, 10);
  const tokens = await recordingFetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: confirmed.body.authorization_code,
      code_verifier: verifier,
      client_id: "vault",
    }).toString(),
  });
  const { id_token } = await tokens.json();
  return { key, id: verifyEs256(id_token, jwks).payload.sub };
}

/** System Log events of `type` with `outcome` about `actorId`, read from the local D1. */
function logEvents(type, outcome, actorId) {
  const sql =
    `SELECT event_type, outcome, data FROM events WHERE event_type = '${type}' ` +
    `AND outcome = '${outcome}' AND actor_id = '${actorId}'`;
  const result = spawnSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["d1", "execute", "DB", "--local", "--persist-to", edge.stateDir, "--json", "--command", sql],
    { cwd: ROOT, env: toolEnv(), encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout)[0].results;
}
