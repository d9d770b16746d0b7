// Email through the real widget in headless Chromium, against the edge under wrangler dev
// with the development mailbox: a person signs up and confirms their address from the
// mail, forgets their password and chooses a new one on the reset page, signs in with an
// emailed code and with an emailed link opened in another tab, and meets a client that
// signs in only verified addresses. Mail is read "as a person": on the demo site's
// /dev/mailbox.html page, whose links are clicked. Elements are found by role and label;
// tokens verify against the edge's JWKS with `jose`.
//
// No virtual authenticator is added, so passkey autofill offers nothing; the test pages
// turn it off anyway (passkey-autofill="off"), as passkeys.test.mjs does for button flows.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { createRemoteJWKSet, jwtVerify } from "jose";

import { focusLandsOn, launchBrowser, passphrase, startEdge } from "./harness.mjs";
import { clientsCli, signUpThroughApi } from "./oidc-support.mjs";

let edge;
let browser;
let jwks;

/** The widget on a page of the edge's origin, with these attributes on the element. */
const TEST_PAGE = "/__email-test";
const EVENTS = ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `lantern ${t} orchard harbour`) };
const NEW_PASSWORD = `copper ${tag} meadow violin kettle`;
// Each address gets at most five emails in 15 minutes: the tests share them out.
const cyd = { email: `cyd-${tag}@example.com`, password: passphrase((t) => `walnut ${t} signal thistle`) };
const dot = { email: `dot-${tag}@example.com`, password: passphrase((t) => `ember ${t} pylon cascade`) };

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** An account made through the first-party API, as a widget would. */
const createAccount = (person) => signUpThroughApi(edge, person, "demo");

before(async () => {
  edge = await startEdge({
    // A client that signs in only verified addresses, registered as an operator would.
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, [
        "add", "--id", "strict", "--name", "Strict Shop",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
        "--require-verified-email",
      ]);
    },
  });
  browser = await launchBrowser();
  jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  await createAccount(cyd);
  await createAccount(dot);
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** A tab in a fresh browser context that records the widget's events and page errors. */
async function newTab(context) {
  const page = context ? await context.newPage() : await browser.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && page.problems.push(`console: ${m.text()}`));
  await page.addInitScript((names) => {
    window.__events = [];
    for (const name of names) {
      document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }), true);
    }
  }, EVENTS);
  await page.route(`${edge.origin}${TEST_PAGE}?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    const attrs = [...query].map(([k, v]) => `${k}="${v}"`).join(" ");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><h1>Shop</h1><portcullis-signin passkey-autofill="off" ${attrs}></portcullis-signin></body></html>`,
    });
  });
  return page;
}

/** Opens `path` and waits for the widget's first screen. */
async function open(page, path) {
  await page.goto(`${edge.origin}${path}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
}

/** The test page for the demo client, asking for a refresh token too. */
const DEMO = `${TEST_PAGE}?client-id=demo&scope=${encodeURIComponent("openid email offline_access")}`;
const STRICT = `${TEST_PAGE}?client-id=strict`;

const events = (page, name) => page.evaluate((name) => window.__events.filter((e) => e.name === name), name);

/** Waits for the `n`th portcullis:signed-in of this page load; returns its tokens. */
async function signedIn(page, n = 1) {
  await page.waitForFunction(
    (n) => window.__events.filter((e) => e.name === "portcullis:signed-in").length >= n,
    n,
    { timeout: 30_000 },
  );
  return (await events(page, "portcullis:signed-in"))[n - 1].detail;
}

/** The ID token verifies against the edge's JWKS for `audience`; returns its claims. */
async function idClaims(tokens, audience = "demo") {
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: edge.origin, audience });
  return payload;
}

const alert = (page, text) => page.getByRole("alert").filter({ hasText: text });

/**
 * Opens the development mailbox for `to` in `page` and returns the newest message whose
 * subject is `subject`: its text, and a way to click one of its links.
 */
async function readMail(page, to, subject) {
  await page.goto(`${edge.origin}/dev/mailbox.html?to=${encodeURIComponent(to)}`);
  const message = page.getByRole("article").filter({ has: page.getByRole("heading", { name: subject, exact: true }) }).first();
  await message.waitFor();
  const text = await message.locator("pre").textContent();
  return {
    text,
    code: /Your code: (\d{6})/.exec(text)?.[1],
    /** Clicks the link that follows `label: ` in the text, as a person would. */
    async follow(label) {
      const url = new RegExp(`${label}: (\\S+)`).exec(text)?.[1];
      assert.ok(url, `a "${label}" link in:\n${text}`);
      await message.getByRole("link", { name: url }).click();
      return url;
    },
  };
}

async function signUp(page, person) {
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
}

async function signInWithPassword(page, email, password) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Asks for an emailed code from the first screen and waits for the code screen. */
async function askForCode(page, email) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Email me a sign-in code" }).click();
  const code = page.getByLabel("Code", { exact: true });
  await code.waitFor();
  return code;
}

/** Console errors other than the browser's note about an expected 4xx response. */
const unexpected = (problems) => problems.filter((p) => !/status of 4[0-9][0-9]/.test(p));

let adaRefreshToken;

test("sign-up in the widget signs in at once, unverified, and mails no verification link anyone could follow", async () => {
  const page = await newTab();
  await open(page, DEMO);
  await signUp(page, ada);
  const tokens = await signedIn(page);
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");
  adaRefreshToken = tokens.refresh_token;
  assert.equal((await idClaims(tokens)).email_verified, false);
  // A link would prove only that someone opened the mailbox, not who signed up.
  const kept = await (await fetch(`${edge.api}/v1/dev/mailbox?to=${encodeURIComponent(ada.email)}`)).json();
  assert.deepEqual(kept.messages, []);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page, ada.email, ada.password);
  assert.equal((await idClaims(await signedIn(page, 2))).email_verified, false);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("forgot password: the reset link's page sets a new one; the old password and refresh token stop working", async () => {
  const page = await newTab();
  await open(page, DEMO);
  await page.getByLabel("Email", { exact: true }).fill(ada.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("button", { name: "Forgot password?" }).click();
  await page.getByRole("heading", { name: "Reset your password" }).waitFor();
  const email = page.getByLabel("Email", { exact: true });
  assert.equal(await email.inputValue(), ada.email, "the address typed so far");
  await focusLandsOn(page, "pc-email");
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  await page.getByText("works for 15 minutes").waitFor();
  const confirmation = await page.locator(".pc-card").innerText();

  // An address without an account reads exactly the same.
  await page.getByRole("button", { name: "Back to sign in" }).click();
  await page.getByRole("button", { name: "Create an account" }).waitFor();
  await page.getByLabel("Email", { exact: true }).fill(`nobody-${tag}@example.com`);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("button", { name: "Forgot password?" }).click();
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const other = await page.locator(".pc-card").innerText();
  assert.equal(other.replace(`nobody-${tag}@example.com`, ada.email), confirmation);

  // "Forgot which email you used?" sends a reminder, with the same confirmation.
  await page.getByRole("button", { name: "Back to sign in" }).click();
  await page.getByLabel("Email", { exact: true }).fill(ada.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("button", { name: "Forgot password?" }).click();
  await page.getByRole("button", { name: "Forgot which email you used?" }).click();
  await page.getByRole("heading", { name: "Find your account" }).waitFor();
  await page.getByRole("button", { name: "Email me a reminder" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const mailbox = await newTab(page.context());
  const reminder = await readMail(mailbox, ada.email, "How you sign in to Portcullis Demo");
  assert.match(reminder.text, /password/);

  // The reset link, clicked in the mailbox, opens the reset page.
  const mail = await readMail(mailbox, ada.email, "Reset your password for Portcullis Demo");
  const link = await mail.follow("Choose a new password");
  assert.equal(new URL(link).pathname, "/reset-password");
  await mailbox.getByRole("heading", { name: "Choose a new password", level: 2 }).waitFor();
  assert.equal(await mailbox.locator("portcullis-signin").evaluate((el) => el.shadowRoot), null, "light DOM");
  const password = mailbox.getByLabel("New password", { exact: true });
  assert.equal(await password.getAttribute("autocomplete"), "new-password");
  // A password the policy refuses: said at the field, and the link still works.
  await password.fill("too short");
  await mailbox.getByRole("button", { name: "Change password" }).click();
  await alert(mailbox, "That password is too short. Use at least 15 characters.").waitFor();
  await focusLandsOn(mailbox, "pc-new-password");
  await mailbox.getByRole("button", { name: "Show password" }).click();
  assert.equal(await password.getAttribute("type"), "text");
  await password.fill(NEW_PASSWORD);
  await mailbox.getByRole("button", { name: "Change password" }).click();
  await mailbox.getByRole("heading", { name: "Your password has been changed" }).waitFor();
  await mailbox.getByRole("button", { name: "Sign in", exact: true }).click();
  await mailbox.getByLabel("Email", { exact: true }).waitFor();
  assert.deepEqual(unexpected(mailbox.problems), []);

  // The link works once: a second use says so and offers a new one.
  await mailbox.goto(link);
  await mailbox.getByLabel("New password", { exact: true }).fill(`${NEW_PASSWORD} again`);
  await mailbox.getByRole("button", { name: "Change password" }).click();
  await alert(mailbox, "This link has expired or was already used").waitFor();
  await mailbox.getByRole("button", { name: "Ask for a new link" }).click();
  await mailbox.getByRole("heading", { name: "Reset your password" }).waitFor();

  // The old password fails in the widget; the new one works.
  await open(page, DEMO);
  await signInWithPassword(page, ada.email, ada.password);
  await alert(page, "That email and password don't match an account.").waitFor();
  await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await idClaims(await signedIn(page));

  // The refresh token issued before the reset is revoked (RFC 6749 §5.2).
  const refreshed = await fetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: adaRefreshToken, client_id: "demo" }),
  });
  assert.equal(refreshed.status, 400);
  assert.equal((await refreshed.json()).error, "invalid_grant");
  ada.password = NEW_PASSWORD;
  await page.context().close();
});

test("the reset page is served with a strict CSP, no Referer and no caching", async () => {
  // The .html path: static assets redirect it to the clean URL the emails use, keeping the query.
  const link = await fetch(`${edge.api}/reset-password.html?token=x&client_id=demo`, { redirect: "manual" });
  assert.equal(link.status, 307);
  assert.equal(link.headers.get("location"), "/reset-password?token=x&client_id=demo");
  const page = await fetch(`${edge.api}/reset-password?token=x&client_id=demo`);
  assert.equal(page.status, 200);
  for (const response of [link, page]) {
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("cache-control"), "no-store");
  }
  const tab = await newTab();
  await tab.goto(`${edge.origin}/reset-password.html?client_id=demo`);
  await alert(tab, "This reset link is incomplete").waitFor();
  assert.equal(await tab.locator("portcullis-signin").count(), 0);
  assert.deepEqual(tab.problems, []);
  await tab.context().close();
});

test("an emailed code typed into the demo page's widget signs in; wrong, used and exhausted codes say so", async () => {
  const page = await newTab();
  await page.goto(`${edge.origin}/`);
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
  const code = await askForCode(page, cyd.email);
  assert.equal(await code.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await code.getAttribute("inputmode"), "numeric");
  await focusLandsOn(page, "pc-code");
  await page.getByRole("status").filter({ hasText: "Enter the code we emailed you." }).waitFor();
  await page.getByText(`We've sent an email to ${cyd.email}. Enter the 6-digit code`).waitFor();

  const mailbox = await newTab(page.context());
  const mail = await readMail(mailbox, cyd.email, "Your sign-in code for Portcullis Demo");
  assert.match(mail.code, /^\d{6}$/);
  const wrong = mail.code === "000000" ? "111111" : "000000";

  // Not six digits: caught before a round trip.
  await code.fill("12");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await alert(page, "Enter the 6-digit code from the email.").waitFor();
  // Wrong: said at the field, which takes focus, and the code can be typed again.
  await code.fill(wrong);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await alert(page, "That code isn't right.").waitFor();
  await focusLandsOn(page, "pc-code");
  assert.equal((await events(page, "portcullis:error")).at(-1).detail.code, "code_invalid");
  await code.fill(mail.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const claims = await idClaims(await signedIn(page));
  assert.equal(claims.email, cyd.email);
  assert.deepEqual(claims.amr, ["otp"]);
  assert.equal(claims.email_verified, true);
  // The address had not been proven: the password set before is gone, and the widget says so.
  await page.locator("portcullis-signin").getByText("wasn't confirmed before, so the password and passkeys").waitFor();
  // The demo page asked /userinfo with the access token.
  await page.getByRole("region", { name: "Signed-in user" }).getByRole("definition").filter({ hasText: cyd.email }).waitFor();

  // The used code does not work again.
  await page.locator("portcullis-signin").getByRole("button", { name: "Sign out" }).click();
  await askForCode(page, cyd.email);
  await page.getByLabel("Code", { exact: true }).fill(mail.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await alert(page, "That code isn't right.").waitFor();

  // Five wrong codes end it; "Send a new code" then starts over and its code works.
  for (let i = 0; i < 4; i += 1) {
    await page.getByLabel("Code", { exact: true }).fill(wrong);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    const message = i < 3 ? "That code isn't right." : "Too many attempts.";
    await alert(page, message).waitFor();
  }
  await page.getByRole("button", { name: "Send a new code" }).click();
  await page.getByRole("status").filter({ hasText: "We've emailed you a new code." }).waitFor();
  const fresh = await readMail(mailbox, cyd.email, "Your sign-in code for Portcullis Demo");
  await page.getByLabel("Code", { exact: true }).fill(fresh.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await signedIn(page, 2);

  // "Use another way" goes back to the password step.
  await page.locator("portcullis-signin").getByRole("button", { name: "Sign out" }).click();
  await askForCode(page, cyd.email);
  await page.getByRole("button", { name: "Use another way" }).click();
  await page.getByLabel("Password", { exact: true }).fill(cyd.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  // Proof of the address wiped what came before it: the old password no longer works.
  await alert(page, "That email and password don't match an account.").waitFor();
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("a code signs in only the window it is typed into: the email holds no link and the widget waits for the code", async () => {
  const page = await newTab();
  await open(page, DEMO);
  await askForCode(page, dot.email);
  await page.getByText(`We've sent an email to ${dot.email}. Enter the 6-digit code from it.`).waitFor();
  const second = await newTab(page.context());
  const mail = await readMail(second, dot.email, "Your sign-in code for Portcullis Demo");
  assert.doesNotMatch(mail.text, /https?:\/\//, "no link that could finish a flow in another browser");
  assert.equal((await events(page, "portcullis:signed-in")).length, 0, "reading the mail finishes nothing");

  await page.getByLabel("Code", { exact: true }).fill(mail.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const claims = await idClaims(await signedIn(page));
  assert.equal(claims.email, dot.email);
  assert.deepEqual(claims.amr, ["otp"]);
  await page.locator("portcullis-signin").getByText(`Signed in as ${dot.email}`).waitFor();
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("a client that requires verified addresses: sign-up shows 'Confirm your email address', and the code completes it", async () => {
  const grace = { email: `grace-${tag}@example.com`, password: passphrase((t) => `saffron ${t} glacier pebble`) };
  const page = await newTab();
  await open(page, STRICT);
  await page.getByRole("heading", { name: "Sign in to Strict Shop" }).waitFor();
  await signUp(page, grace);
  await page.getByRole("heading", { name: "Confirm your email address" }).waitFor();
  await page.getByText("To finish, confirm that this email address is yours.").waitFor();
  await focusLandsOn(page, "pc-code");
  assert.equal((await events(page, "portcullis:signed-in")).length, 0, "not signed in yet");
  assert.equal((await events(page, "portcullis:error")).length, 0, "no unsupported step");

  const mailbox = await newTab(page.context());
  const mail = await readMail(mailbox, grace.email, "Confirm your email address for Strict Shop");
  await page.getByLabel("Code", { exact: true }).fill(mail.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const claims = await idClaims(await signedIn(page), "strict");
  assert.equal(claims.email, grace.email);
  assert.equal(claims.email_verified, true);

  // Signing in again: the address is verified, so no confirmation step.
  await page.locator("portcullis-signin").getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page, grace.email, grace.password);
  assert.equal((await idClaims(await signedIn(page, 2), "strict")).email_verified, true);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("the hosted sign-in page signs in with an emailed code and redirects back to the client", async () => {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const redirectUri = `${edge.origin}/callback`;
  const authorize = new URL("/authorize", edge.origin);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: "demo",
    redirect_uri: redirectUri,
    scope: "openid email",
    state,
    code_challenge: b64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    login_hint: dot.email,
  })) {
    authorize.searchParams.set(k, v);
  }
  const page = await newTab();
  await page.goto(authorize.href);
  assert.equal(new URL(page.url()).pathname, "/signin");
  await page.getByRole("button", { name: "Email me a sign-in code" }).click();
  await page.getByLabel("Code", { exact: true }).waitFor();
  const mailbox = await newTab(page.context());
  const mail = await readMail(mailbox, dot.email, "Your sign-in code for Portcullis Demo");
  await page.getByLabel("Code", { exact: true }).fill(mail.code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/callback", { timeout: 30_000 });
  const callback = new URL(page.url());
  assert.equal(callback.searchParams.get("state"), state);
  const token = await fetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: callback.searchParams.get("code"),
      code_verifier: verifier,
      client_id: "demo",
      redirect_uri: redirectUri,
    }),
  });
  assert.equal(token.status, 200, await token.clone().text());
  assert.deepEqual((await idClaims(await token.json())).amr, ["otp"]);
  await page.context().close();
});
