// Two-step verification in the widget's signed-in area, through the real widget in
// headless Chromium against the edge under wrangler dev: the person sets up an
// authenticator app with the keyboard alone (otplib, a TOTP implementation this project
// did not write, reads the key off the screen as a phone would), sees the recovery codes
// once, gets new ones, and removes the app. A change the sign-in was too weak for (a
// password alone, on a client without MFA) takes the person through a sign-in with the
// app's code and back (RFC 9470 `insufficient_user_authentication`, `acr_values`). A
// client that requires MFA keeps the account's last app. axe finds nothing to fix on the
// list, the enrolment and the codes.
//
// The tests run in order and share one account (ada) and her app's key.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { focusLandsOn, launchBrowser, passphrase, ROOT, startEdge } from "./harness.mjs";
import { clientsCli, newestMail, pkce, recordingFetch, verifyEs256 } from "./oidc-support.mjs";
import { Phone, recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const MULTI_FACTOR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
const TEST_PAGE = "/__two-step-test";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

let edge;
let browser;
let jwks;

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `saffron ${t} glacier meadow`) };
let phone; // ada's authenticator app, set up with the key the enrolment showed
let recoveryCodes;

// --- setup -------------------------------------------------------------------------------

before(async () => {
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, ["add", "--id", "shop", "--name", "Shop", "--mfa", "optional", "--redirect-uri", `${origin}/callback`, "--origin", origin]);
      clientsCli(stateDir, ["add", "--id", "vault", "--name", "Vault", "--mfa", "required", "--redirect-uri", `${origin}/callback`, "--origin", origin]);
      // MFA off: a password alone signs in, so its token has not proved a second factor.
      clientsCli(stateDir, ["add", "--id", "blog", "--name", "Blog", "--redirect-uri", `${origin}/callback`, "--origin", origin]);
    },
  });
  browser = await launchBrowser();
  jwks = await (await fetch(`${edge.api}/.well-known/jwks.json`)).json();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

async function newTab() {
  const page = await recordingTab(browser, EVENTS, AXE);
  await page.route(`${edge.origin}${TEST_PAGE}?*`, (route) => {
    const clientId = new URL(route.request().url()).searchParams.get("client-id");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><h1>Account</h1><portcullis-signin passkey-autofill="off" client-id="${clientId}"></portcullis-signin></body></html>`,
    });
  });
  return page;
}

async function open(page, clientId) {
  await page.goto(`${edge.origin}${TEST_PAGE}?client-id=${clientId}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
}

const idClaims = (tokens, audience) => {
  const { payload } = verifyEs256(tokens.id_token, jwks);
  assert.equal(payload.aud, audience);
  return payload;
};

/** Creates `person`'s account on the widget's sign-up screen. */
async function signUp(page, person) {
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
}

async function signInWithPassword(page, person = ada) {
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The signed-in area's two-step section. */
const section = (page) => page.getByRole("region", { name: "Two-step verification" });

/** Moves focus with Tab alone (at most 40 presses) to the button or link named `name`. */
async function tabTo(page, name) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.textContent?.trim() ?? "";
    });
    if (focused === name) return;
  }
  assert.fail(`Tab never reached "${name}"`);
}

/** What axe finds to fix in the widget (its shadow tree included); "needs review" counts. */
async function axe(page) {
  return page.locator("portcullis-signin").evaluate(async (element, tags) => {
    const { violations, incomplete } = await window.axe.run(element, { runOnly: { type: "tag", values: tags } });
    return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
  }, AXE_TAGS);
}

/** A flow of `clientId` with `person`'s password proven, through the API as a script. */
async function flowAfterPassword(clientId, person = ada) {
  const { challenge } = pkce();
  const post = (path, body) =>
    recordingFetch(`${edge.api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const started = await post("/v1/flows", { client_id: clientId, code_challenge: challenge, code_challenge_method: "S256" });
  const flow = started.body.flow_id;
  const first = await post(`/v1/flows/${flow}/password`, { email: person.email, password: person.password });
  return { flow, first, post };
}

// --- the tests ---------------------------------------------------------------------------

test("signed-in area: an authenticator app set up with the keyboard alone (otplib as the phone), its recovery codes shown once, axe-clean", async () => {
  const page = await newTab();
  await open(page, "shop");
  await signUp(page, ada);
  await signedIn(page);
  await section(page).getByText("Two-step verification is off.").waitFor();
  assert.deepEqual(await axe(page), [], "the list");

  await tabTo(page, "Add an authenticator app");
  await page.keyboard.press("Enter");
  const qr = section(page).getByRole("img", { name: "QR code for your authenticator app" });
  await qr.waitFor();
  assert.match(decodeURIComponent(await qr.getAttribute("src")), /^data:image\/svg\+xml,<svg /);
  const secret = (await section(page).locator(".pc-key code").textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/, "a 160-bit base32 key");
  phone = new Phone(secret);
  await focusLandsOn(page, "pc-code");
  assert.deepEqual(await axe(page), [], "the enrolment");

  // A wrong first code is refused and said under the field; the right one adds the app.
  await page.keyboard.type(phone.wrong());
  const right = await phone.next();
  await page.keyboard.press("Enter");
  await section(page).getByText("That code isn't right or was already used.").waitFor();
  await page.keyboard.type(right);
  await page.keyboard.press("Enter");

  const done = section(page).getByRole("button", { name: "I've saved them, continue" });
  await done.waitFor();
  recoveryCodes = (await section(page).locator(".pc-codes code").allTextContents()).map((c) => c.trim());
  assert.equal(recoveryCodes.length, 10);
  assert.equal(new Set(recoveryCodes).size, 10);
  assert.deepEqual(await axe(page), [], "the recovery codes");
  await tabTo(page, "I've saved them, continue");
  await page.keyboard.press("Enter");

  // Shown once: the list says what is left, never the codes.
  await section(page).getByText("Recovery codes left: 10").waitFor();
  await section(page).getByRole("button", { name: "Delete Authenticator app" }).waitFor();
  assert.equal(await section(page).locator(".pc-codes").count(), 0);
  await newestMail(edge, ada.email, "An authenticator app was added to your Shop account");
  // The account now owes its app's code at this optional-MFA client.
  const { first } = await flowAfterPassword("shop");
  assert.deepEqual(first.body, { status: "second_factor", methods: ["totp", "recovery_code"] });
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("RFC 9470: new recovery codes after a password-only sign-in take the person through the app's code and back; the old codes stop working", async () => {
  const page = await newTab();
  await open(page, "blog");
  await signInWithPassword(page);
  const first = await signedIn(page);
  assert.deepEqual(idClaims(first, "blog").amr, ["pwd"], "MFA off: the password alone");
  await section(page).getByText("Recovery codes left: 10").waitFor();

  await section(page).getByRole("button", { name: "Get new recovery codes" }).click();
  // The account API wants a second factor: a new sign-in, which asks for it.
  await page.getByText("For your security, sign in again with your second step to change your two-step verification.").first().waitFor();
  await page.getByLabel("Password", { exact: true }).fill(ada.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await focusLandsOn(page, "pc-code");
  await page.keyboard.type(await phone.next());
  await page.keyboard.press("Enter");
  const stepped = idClaims(await signedIn(page, 2), "blog");
  assert.deepEqual(stepped.amr, ["pwd", "otp", "mfa"]);
  assert.equal(stepped.acr, MULTI_FACTOR);

  // Back in the signed-in area, the same button now works.
  await section(page).getByRole("button", { name: "Get new recovery codes" }).click();
  await section(page).getByText("Your old recovery codes no longer work.").waitFor();
  const renewed = (await section(page).locator(".pc-codes code").allTextContents()).map((c) => c.trim());
  assert.equal(renewed.length, 10);
  assert.equal(renewed.filter((c) => recoveryCodes.includes(c)).length, 0);
  await newestMail(edge, ada.email, "New recovery codes for your Blog account");
  await section(page).getByRole("button", { name: "I've saved them, continue" }).click();
  await section(page).getByText("Recovery codes left: 10").waitFor();

  // An old code is refused at the second step; a new one works.
  const { flow, first: proven, post } = await flowAfterPassword("shop");
  assert.equal(proven.body.status, "second_factor");
  const old = await post(`/v1/flows/${flow}/mfa/recovery-code`, { code: recoveryCodes[0] });
  assert.equal(old.status, 401, JSON.stringify(old.body));
  assert.equal(old.body.code, "factor_code_invalid");
  const fresh = await post(`/v1/flows/${flow}/mfa/recovery-code`, { code: renewed[0] });
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  recoveryCodes = renewed.slice(1);

  // Removing the app (the sign-in proved it): the list says two-step verification is off.
  await section(page).getByRole("button", { name: "Delete Authenticator app" }).click();
  await page.getByRole("status").filter({ hasText: "Authenticator app removed." }).waitFor();
  await section(page).getByText("Two-step verification is off.").waitFor();
  await newestMail(edge, ada.email, "An authenticator app was removed from your Blog account");
  const after = await flowAfterPassword("shop");
  assert.equal(after.first.body.status, "authorization_code", "no second step without an app");
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("a client that requires MFA keeps the account's last authenticator app", async () => {
  const bo = { email: `bo-${tag}@example.com`, password: passphrase((t) => `copper ${t} lantern tide`) };
  const page = await newTab();
  await open(page, "vault");
  await signUp(page, bo);
  // The sign-up sets up the app (the client requires one), then the signed-in area lists it.
  const key = (await page.locator(".pc-key code").textContent()).trim();
  await page.getByLabel("Code", { exact: true }).fill(await new Phone(key).next());
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("button", { name: "I've saved them, continue" }).click();
  await signedIn(page);
  await section(page).getByText("Recovery codes left: 10").waitFor();

  await section(page).getByRole("button", { name: "Delete Authenticator app" }).click();
  const refused = section(page).getByText("This site requires two-step verification, so your only authenticator app can't be removed.");
  await refused.waitFor();
  await focusLandsOn(page, "pc-factors-error");
  await section(page).getByRole("button", { name: "Delete Authenticator app" }).waitFor();
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("someone without the person's account token changes nothing: every factor route refuses a script without one, or with a forged one", async () => {
  const routes = [
    ["GET", "/v1/me/factors"],
    ["POST", "/v1/me/factors/totp"],
    ["POST", "/v1/me/factors/totp/confirm", { code: "123456" }],
    ["DELETE", "/v1/me/factors/anything"],
    ["POST", "/v1/me/recovery-codes"],
  ];
  for (const auth of [undefined, "Bearer not-a-token", `Bearer ${ada.email}`]) {
    for (const [method, path, body] of routes) {
      const headers = { ...(auth ? { authorization: auth } : {}), ...(body ? { "content-type": "application/json" } : {}) };
      const response = await recordingFetch(`${edge.api}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
      assert.equal(response.status, 401, `${method} ${path} with ${auth}`);
      assert.equal((await response.json()).code, "unauthorized");
    }
  }
});
