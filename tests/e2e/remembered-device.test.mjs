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
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, passphrase, ROOT, serveHostPage, startEdge } from "./harness.mjs";
import { callJson, clientsCli, pkce, postForm, verifyEs256 } from "./oidc-support.mjs";
import { Phone, recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const MULTI_FACTOR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
const AR = JSON.parse(readFileSync(join(ROOT, "widget/locales/ar.json"), "utf8"));

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
     <meta name="viewport" content="width=device-width, initial-scale=1">
     <script type="module">
       import "${edge.origin}/widget.js";
       const element = document.createElement("portcullis-signin");
       element.setAttribute("client-id", "vault");
       element.setAttribute("passkey-autofill", "off");
       const lang = new URLSearchParams(location.search).get("lang");
       if (lang) element.setAttribute("lang", lang);
       document.body.append(element);
     </script></head>
     <body><h1>Vault</h1></body></html>`,
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

// --- right to left, on a phone ---------------------------------------------------------------

/** What axe finds to fix in the widget (its shadow tree included); "needs review" counts. */
function axe(page) {
  return page.locator("portcullis-signin").evaluate(async (element, tags) => {
    const { violations, incomplete } = await window.axe.run(element, { runOnly: { type: "tag", values: tags } });
    return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
  }, AXE_TAGS);
}

/**
 * How the screen showing now lays out: its direction, and what does not fit the phone
 * (sideways scrolling, anything off the screen, touch targets under 44 px high; a
 * checkbox's target is its label).
 */
function layout(page) {
  return page.locator("portcullis-signin .pc-card").evaluate((card) => {
    const misfits = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) misfits.push(`scrolls sideways (${document.documentElement.scrollWidth})`);
    for (const el of card.querySelectorAll("button, input, a")) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0) continue;
      const target = el.type === "checkbox" ? el.closest("label").getBoundingClientRect() : rect;
      const name = `${el.tagName.toLowerCase()} ${el.id || el.textContent.trim().slice(0, 24)}`;
      if (target.height < 44) misfits.push(`${name} is ${target.height} px high`);
      if (rect.right > width + 0.5 || rect.left < -0.5) misfits.push(`${name} runs off the screen`);
    }
    return { dir: getComputedStyle(card).direction, misfits };
  });
}

test("RTL: the second-factor screens in Arabic on a 360 px phone are right to left, fit, and axe finds nothing to fix", async () => {
  const page = await recordingTab(
    { newPage: () => browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: "ar" }) },
    EVENTS,
    AXE,
  );
  await page.goto(`${host.origin}/?lang=ar`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
  await page.getByLabel(AR["identify.email"], { exact: true }).fill(bob.email);
  await page.getByRole("button", { name: AR["identify.submit"], exact: true }).click();
  await page.getByLabel(AR["password.password"], { exact: true }).fill(bob.password);
  await page.getByRole("button", { name: AR["password.submit"], exact: true }).click();

  // The app's code, with "remember this device".
  await page.getByText(AR["mfa.totp-intro"]).first().waitFor();
  const remember = page.getByLabel(AR["mfa.remember"]);
  await remember.waitFor();
  assert.deepEqual(await layout(page), { dir: "rtl", misfits: [] }, "the code screen");
  assert.deepEqual(await axe(page), [], "the code screen");

  // The recovery code screen.
  await page.getByRole("button", { name: AR["mfa.use-recovery"] }).click();
  await page.getByLabel(AR["mfa.recovery-code"], { exact: true }).waitFor();
  assert.deepEqual(await layout(page), { dir: "rtl", misfits: [] }, "the recovery code screen");
  assert.deepEqual(await axe(page), [], "the recovery code screen");
  await page.getByLabel(AR["mfa.remember"]).check();
  await page.getByLabel(AR["mfa.recovery-code"], { exact: true }).fill(bob.codes[1]);
  await page.getByRole("button", { name: AR["email.submit"], exact: true }).click();
  await signedIn(page);

  // The factor list, with the app and the device just remembered.
  const section = page.getByRole("region", { name: AR["factors.title"] });
  await section.getByText(AR["factors.devices"]).waitFor();
  await section.getByRole("button", { name: new RegExp(`^${AR["factors.forget"]} Chrome`) }).waitFor();
  assert.deepEqual(await layout(page), { dir: "rtl", misfits: [] }, "the factor list");
  assert.deepEqual(await axe(page), [], "the factor list");
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});
