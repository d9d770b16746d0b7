// "Remember this device" for the widget embedded on another site, against the edge under
// wrangler dev. The embedded widget gets none of the edge's cookies (it calls the edge
// cross-origin, without credentials), so the edge hands it an opaque device token after a
// second factor, which it keeps per client and sends as `Portcullis-Device` with the next
// flow's steps.
//
// Attacker's side first, as a script (no Origin header, parallel requests, replays): the
// token is worth nothing without the password, for another account, or a second time.
// Then the person's side in headless Chromium, on a host page of another origin: tick
// "Remember this device" with a recovery code, sign in again with the password alone
// (an ID token that says `pwd`, not `mfa`), then forget the device in the factor list and
// be asked for the second factor again.
//
// The tests run in order and share two accounts (ada, bob), made through the API with an
// authenticator app each (otplib, a TOTP implementation this project did not write, as
// the phone).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, passphrase, serveHostPage, startEdge } from "./harness.mjs";
import { callJson, clientsCli, pkce, postForm, verifyEs256 } from "./oidc-support.mjs";
import { Phone, recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const MULTI_FACTOR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];

let edge;
let host;
let browser;
let jwks;

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `quartz ${t} lagoon ember`) };
const bob = { email: `bob-${tag}@example.com`, password: passphrase((t) => `willow ${t} copper anvil`) };

before(async () => {
  const hostPort = await freePort();
  const hostOrigin = `http://localhost:${hostPort}`;
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, [
        "add", "--id", "vault", "--name", "Vault", "--mfa", "required",
        "--redirect-uri", `${origin}/callback`, "--origin", hostOrigin,
      ]);
    },
  });
  host = await serveHostPage(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vault</title><link rel="icon" href="data:,">
     <script type="module" src="${edge.origin}/widget.js"></script></head>
     <body><h1>Vault</h1><portcullis-signin client-id="vault" passkey-autofill="off"></portcullis-signin></body></html>`,
    hostPort,
  );
  browser = await launchBrowser();
  jwks = await (await fetch(`${edge.api}/.well-known/jwks.json`)).json();
  for (const person of [ada, bob]) Object.assign(person, await withApp(person));
});
after(async () => {
  await browser?.close();
  await host?.close();
  await edge?.dispose();
});

/** The JSON API as a script: no Origin header; `device` sent as `Portcullis-Device`. */
const call = (method, path, body, device) =>
  callJson(edge, method, path, body, device ? { "portcullis-device": device } : {});

/** Starts a vault flow; its handle and PKCE verifier. */
async function startFlow() {
  const { verifier, challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: "vault", code_challenge: challenge, code_challenge_method: "S256" });
  assert.equal(started.status, 201, started.text);
  return { flow: started.body.flow_id, verifier };
}

/** Signs `person` up at the vault, which requires an app: sets one up; the phone and codes. */
async function withApp(person) {
  const { flow } = await startFlow();
  const signedUp = await call("POST", `/v1/flows/${flow}/sign-up`, person);
  assert.deepEqual(signedUp.body, { status: "enrol_second_factor" });
  const shown = await call("POST", `/v1/flows/${flow}/mfa/totp/enrolment`);
  assert.equal(shown.status, 200, shown.text);
  const phone = new Phone(shown.body.secret);
  const done = await call("POST", `/v1/flows/${flow}/mfa/totp/enrolment/confirm`, { code: phone.code() });
  assert.equal(done.body.status, "authorization_code", done.text);
  return { phone, codes: done.body.recovery_codes };
}

/** A password step of a new flow for `person`, sending `device`; the answer and verifier. */
async function password(person, device, pass = person.password) {
  const { flow, verifier } = await startFlow();
  const answer = await call("POST", `/v1/flows/${flow}/password`, { email: person.email, password: pass }, device);
  return { flow, verifier, answer };
}

/** `person`'s password and the recovery code `code` with "remember this device": its token. */
async function rememberWithRecoveryCode(person, code) {
  const { flow, answer } = await password(person);
  assert.equal(answer.body.status, "second_factor", answer.text);
  const done = await call("POST", `/v1/flows/${flow}/mfa/recovery-code`, { code, remember_device: true });
  assert.equal(done.body.status, "authorization_code", done.text);
  assert.match(done.body.device_token, /^[A-Za-z0-9_-]{43}$/, "256 random bits");
  return done.body.device_token;
}

/** The ID token claims of a finished vault flow. */
async function claimsOf(answer, verifier) {
  assert.equal(answer.body.status, "authorization_code", answer.text);
  const tokens = await postForm(edge, "/token", {
    grant_type: "authorization_code",
    code: answer.body.authorization_code,
    code_verifier: verifier,
    client_id: "vault",
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return verifyEs256(tokens.body.id_token, jwks).payload;
}

// --- the attacker's side ------------------------------------------------------------------

test("a device token does nothing without the password, nor for another account, nor twice (replayed or raced in parallel)", async () => {
  const token = await rememberWithRecoveryCode(bob, bob.codes[0]);

  // Bob's token with Ada's password: Ada's second factor is still asked for.
  const other = await password(ada, token);
  assert.equal(other.answer.body.status, "second_factor", other.answer.text);
  assert.equal(other.answer.body.device_token, undefined);

  // Bob's token with a wrong password: refused like any wrong password.
  const wrong = await password(bob, token, "not bob's password, not even close");
  assert.equal(wrong.answer.status, 401, wrong.answer.text);
  assert.equal(wrong.answer.body.code, "invalid_credentials");
  // No step takes the token alone: a flow without the password owes no second factor.
  const { flow } = await startFlow();
  const alone = await call("POST", `/v1/flows/${flow}/mfa/totp`, { code: bob.phone.wrong() }, token);
  assert.equal(alone.body.code, "step_not_expected", alone.text);

  // With the password: the second factor is skipped, and the ID token says a password only.
  const skipped = await password(bob, token);
  const next = skipped.answer.body.device_token;
  assert.match(next, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(next, token, "replaced at every use");
  const claims = await claimsOf(skipped.answer, skipped.verifier);
  assert.deepEqual(claims.amr, ["pwd"], "RFC 8176: no second factor was proven");
  assert.notEqual(claims.acr, MULTI_FACTOR);

  // Replayed: the used token skips nothing.
  const replayed = await password(bob, token);
  assert.equal(replayed.answer.body.status, "second_factor", replayed.answer.text);

  // Raced: five sign-ins with one token at once; one skips, four are asked.
  const raced = await Promise.all(Array.from({ length: 5 }, () => password(bob, next)));
  const statuses = raced.map((r) => r.answer.body.status).sort();
  assert.deepEqual(statuses, ["authorization_code", "second_factor", "second_factor", "second_factor", "second_factor"]);

  // Junk in the header is ignored, never a 500.
  for (const junk of ["x", "A".repeat(4000), "' OR 1=1 --"]) {
    const { answer } = await password(bob, junk);
    assert.equal(answer.body.status, "second_factor", `${junk.slice(0, 10)}: ${answer.text}`);
  }
});

// --- the person's side, embedded on another site --------------------------------------------

test("embedded on another site: remember this device after a recovery code, then the password alone signs in (amr pwd); forgotten in the factor list, the code is asked again", async () => {
  const page = await recordingTab(browser, EVENTS);
  const sent = [];
  page.on("request", (request) => {
    if (/\/v1\/flows\/[^/]+\/password$/.test(request.url())) sent.push(request.headers());
  });
  await page.goto(host.origin);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
  const signInWithPassword = async () => {
    await page.getByLabel("Email", { exact: true }).fill(ada.email);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByLabel("Password", { exact: true }).fill(ada.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  };

  await signInWithPassword();
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.getByLabel("Remember this device for 30 days").check();
  await page.getByLabel("Recovery code", { exact: true }).fill(ada.codes[0]);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const first = verifyEs256((await signedIn(page, 1)).id_token, jwks).payload;
  assert.ok(first.amr.includes("mfa"), JSON.stringify(first.amr));
  // Kept by the widget on the host page, for this issuer and client.
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("portcullis.device ")));
  assert.equal(kept.length, 1, JSON.stringify(kept));
  assert.match(kept[0], / vault$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword();
  const second = verifyEs256((await signedIn(page, 2)).id_token, jwks).payload;
  assert.deepEqual(second.amr, ["pwd"], "the second factor was skipped, and the token says so");
  // Sent as a header, cross-origin, with no cookie of the edge's.
  assert.equal(sent.length, 2);
  assert.equal(sent[0]["portcullis-device"], undefined);
  assert.match(sent[1]["portcullis-device"], /^[A-Za-z0-9_-]{43}$/);
  assert.equal(sent[1].cookie, undefined);

  // The factor list shows the device; forgetting it takes effect at the next sign-in.
  const section = page.getByRole("region", { name: "Two-step verification" });
  await section.getByText("Remembered devices").waitFor();
  await section.getByRole("button", { name: /^Forget Chrome · / }).click();
  await section.getByText("Remembered devices").waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword();
  await page.getByText("Enter the 6-digit code from your authenticator app.").first().waitFor();
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});
