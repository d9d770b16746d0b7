// Passkeys through the real widget in headless Chromium, against the edge under wrangler
// dev: Chromium's virtual authenticator (CDP WebAuthn domain) plays the person's device,
// pages are on the edge's origin (http://localhost:PORT, the RP ID's origin), elements are
// found by role and label, and every sign-in ends in tokens that verify against the edge's
// JWKS with `jose`.
//
// The virtual authenticator answers a pending conditional-mediation (autofill) request at
// once when it holds a matching discoverable credential, so the button flows run on a
// page with passkey-autofill="off", and the autofill flows on pages with it on.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { createRemoteJWKSet, jwtVerify } from "jose";

import { addVirtualAuthenticator, focusLandsOn as focusLandsOnElement, launchBrowser, passphrase, startEdge } from "./harness.mjs";

let edge;
let browser;
let page;
let cdp;
let authenticatorId;
let jwks;
const problems = [];

/** The widget on a page of the edge's origin, with these attributes on the element. */
const TEST_PAGE = "/__passkeys-test";

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
  jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  page = await browser.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location().url})`));
  // Every page load records the widget's events (they bubble and are composed).
  await page.addInitScript(() => {
    window.__events = [];
    for (const name of ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"]) {
      document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }), true);
    }
  });
  // Pages with other attributes on the widget, served as if by the edge (same origin).
  await page.route(`${edge.origin}${TEST_PAGE}?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    const attrs = [...query].map(([k, v]) => `${k}="${v}"`).join(" ");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Passkeys</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><h1>Shop</h1><p id="outside">Host text</p><button id="host-button" type="button">Host button</button>
<input id="host-input" aria-label="Host input">
<portcullis-signin client-id="demo" ${attrs}></portcullis-signin></body></html>`,
    });
  });
  // Added before the first page loads, so the widget's capability check sees a device
  // that can make passkeys; it stays with the tab across navigations.
  ({ cdp, authenticatorId } = await addVirtualAuthenticator(page));
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** Opens a page and waits for the widget's first screen. */
async function open(path) {
  await page.goto(`${edge.origin}${path}`);
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
}

const buttonsPage = `${TEST_PAGE}?passkey-autofill=off`;
const events = (name) => page.evaluate((name) => window.__events.filter((e) => e.name === name), name);

/** Waits for the `n`th portcullis:signed-in of this page load; returns its tokens. */
async function signedIn(n = 1) {
  await page.waitForFunction(
    (n) => window.__events.filter((e) => e.name === "portcullis:signed-in").length >= n,
    n,
    { timeout: 30_000 },
  );
  return (await events("portcullis:signed-in"))[n - 1].detail;
}

/** Both tokens verify against the edge's JWKS; returns the ID token's claims. */
async function verified(tokens) {
  const { payload: claims } = await jwtVerify(tokens.id_token, jwks, { issuer: edge.origin, audience: "demo" });
  const { payload: access } = await jwtVerify(tokens.access_token, jwks, { issuer: edge.origin, typ: "at+jwt" });
  assert.equal(access.sub, claims.sub);
  return claims;
}

const widget = () => page.locator("portcullis-signin");
const alert = (text) => widget().getByRole("alert").filter({ hasText: text });

/** The element the focus is on, looking through the widget's shadow root. */
const focused = () =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { id: el?.id, text: el?.textContent };
  });

/** Waits for focus to land on `#id`; fails saying where focus is if it never does. */
async function focusLandsOn(id, what) {
  try {
    await focusLandsOnElement(page, id);
  } catch {
    assert.fail(`${what}: focus is on ${JSON.stringify(await focused())}, not #${id}`);
  }
}

async function credentials() {
  return (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
}

/** Waits until the device's passkeys satisfy `check` (Signal API calls are asynchronous). */
async function deviceUntil(check, what) {
  const deadline = Date.now() + 5_000;
  while (!check(await credentials())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tag = randomBytes(5).toString("hex");
const passkeyPerson = { email: `pk-${tag}@example.com`, name: "Katherine Johnson" };
const passwordPerson = { email: `pw-${tag}@example.com`, password: passphrase((t) => `quarry ${t} tangerine ladder`) };
let passkeyOnlySub;
let passkeyOnlyKey;

test("the identify screen offers passkeys: autofill on the email field and a button", async () => {
  await open("/");
  const email = page.getByLabel("Email", { exact: true });
  assert.equal(await email.getAttribute("autocomplete"), "username webauthn");
  await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
  assert.equal(await widget().evaluate((el) => el.shadowRoot !== null), true, "shadow DOM by default");
});

test("passkey-only sign-up: email and name, no password; tokens verify and amr says swk and mfa, acr says multi-factor", async () => {
  await open(buttonsPage);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByRole("button", { name: "Create with a passkey instead" }).click();
  assert.equal(await page.getByLabel("Password", { exact: true }).count(), 0, "no password field");
  await page.getByLabel("Email", { exact: true }).fill(passkeyPerson.email);
  await page.getByLabel("Name (optional)").fill(passkeyPerson.name);
  await page.getByRole("button", { name: "Create account with a passkey" }).click();

  const claims = await verified(await signedIn());
  assert.ok(claims.amr.includes("swk"), `amr ${claims.amr}`);
  assert.ok(!claims.amr.includes("hwk") && claims.amr.includes("mfa"), `amr ${claims.amr}`);
  assert.equal(claims.acr, "http://schemas.openid.net/pape/policies/2007/06/multi-factor");
  assert.equal(claims.email, passkeyPerson.email);
  passkeyOnlySub = claims.sub;
  await widget().getByText(`Signed in as ${passkeyPerson.email}`).waitFor();
  [passkeyOnlyKey] = await credentials();
  assert.ok(passkeyOnlyKey, "the device holds the new passkey");

  // No offer after a passkey sign-in; the list shows the passkey the account was made with.
  const list = widget().getByRole("region", { name: "Your passkeys" });
  await list.getByRole("listitem").filter({ hasText: "Passkey" }).waitFor();
  assert.equal(await widget().getByRole("region", { name: "Sign in faster next time" }).count(), 0);

  // Its only way to sign in cannot be deleted: the widget explains.
  await list.getByRole("button", { name: "Delete Passkey" }).click();
  const refused = alert("only way to sign in");
  await refused.waitFor();
  await focusLandsOn(await refused.getAttribute("id"), "focus moved to the message");
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "last_sign_in_method");
  assert.equal(await list.getByRole("listitem").count(), 1);

  // Nothing in web storage; sign-out returns to the first screen.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.equal(stored, "{}{}");
  await widget().getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  assert.equal((await events("portcullis:signed-out")).length, 1);
});

test("usernameless sign-in with the button", async () => {
  await open(buttonsPage);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  const tokens = await signedIn();
  const claims = await verified(tokens);
  assert.equal(claims.sub, passkeyOnlySub);
  assert.ok(claims.amr.includes("swk"), `amr ${claims.amr}`);
  // The widget was never told the email: the account's passkey list names it.
  await widget().getByText(`Signed in as ${passkeyPerson.email}`).waitFor();
  const options = (await page.evaluate(() => performance.getEntriesByType("resource").map((r) => r.name)))
    .filter((url) => url.endsWith("/passkey/options"));
  assert.equal(options.length, 1, "one request for options, none for autofill");
});

test("sign-in from the email field's autofill (conditional mediation), in shadow and light DOM", async () => {
  const requests = [];
  const onRequest = (r) => r.url().endsWith("/passkey/options") && requests.push(r.postData());
  page.on("request", onRequest);
  try {
    // The demo page: autofill on, shadow DOM. Nothing is clicked.
    await open("/");
    const claims = await verified(await signedIn());
    assert.equal(claims.sub, passkeyOnlySub);
    assert.ok(claims.amr.includes("swk"));
    assert.deepEqual(requests.map((body) => JSON.parse(body)), [{}], "usernameless options");
    // The demo page asked /userinfo with the access token.
    const account = page.getByRole("region", { name: "Signed-in user" });
    await account.getByRole("definition").filter({ hasText: passkeyPerson.email }).waitFor();

    // Light DOM: no shadow root, and the widget's CSS leaves the page alone.
    await open(`${TEST_PAGE}?dom=light&passkey-autofill=off`);
    assert.equal(await widget().evaluate((el) => el.shadowRoot), null);
    const input = widget().getByLabel("Email", { exact: true });
    assert.equal(await input.getAttribute("autocomplete"), "username webauthn");
    assert.equal(await widget().evaluate((el) => el.querySelector("#pc-email") !== null), true);
    const hostStyles = () =>
      page.evaluate(() =>
        ["outside", "host-button", "host-input"].map((id) => {
          const s = getComputedStyle(document.getElementById(id));
          return [s.fontFamily, s.color, s.backgroundColor, s.borderRadius, s.boxSizing, s.padding, s.outlineStyle].join("|");
        }),
      );
    await page.waitForFunction(() =>
      [...document.styleSheets].some((sheet) => sheet.href?.endsWith("/widget/widget.css")),
    );
    const styled = await hostStyles();
    await page.evaluate(() => {
      for (const sheet of document.styleSheets) sheet.disabled = true;
    });
    const without = await hostStyles();
    await page.evaluate(() => {
      for (const sheet of document.styleSheets) sheet.disabled = false;
    });
    assert.deepEqual(styled, without, "the host page's elements look the same with and without the widget's CSS");

    await open(`${TEST_PAGE}?dom=light`);
    const light = await verified(await signedIn());
    assert.equal(light.sub, passkeyOnlySub);
    assert.equal(await widget().evaluate((el) => el.shadowRoot), null);
    await page.getByText(`Signed in as ${passkeyPerson.email}`).waitFor();
  } finally {
    page.off("request", onRequest);
  }
});

test("the loader offers passkeys in autofill before the widget's wasm has run; the widget adopts its flow and request", async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const wasm = "**/widget/*/portcullis-widget_bg.wasm";
  await page.route(wasm, async (route) => {
    await gate;
    await route.continue();
  });
  const asked = [];
  const onRequest = (r) => {
    const path = new URL(r.url()).pathname;
    if (r.method() === "POST" && (path === "/v1/flows" || path.endsWith("/passkey/options"))) asked.push(path);
  };
  page.on("request", onRequest);
  try {
    await page.goto(`${edge.origin}/`);
    // The edge's first screen, and the loader's flow and options, with no wasm run yet.
    await widget().getByLabel("Email", { exact: true }).waitFor();
    const deadline = Date.now() + 10_000;
    while (asked.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(asked.map((p) => p.replace(/flows\/[^/]+\//, "flows/{id}/")), ["/v1/flows", "/v1/flows/{id}/passkey/options"]);
    assert.deepEqual(await page.evaluate(() => window.__events.map((e) => e.name)), [], "the widget has not run");

    release();
    const claims = await verified(await signedIn());
    assert.equal(claims.sub, passkeyOnlySub);
    assert.ok(claims.amr.includes("swk"));
    assert.equal(asked.length, 2, "the widget made no flow or request of its own");
  } finally {
    release();
    page.off("request", onRequest);
    await page.unroute(wasm);
  }
});

test("a cancelled or impossible passkey request is explained and the other ways stay", async () => {
  await open(buttonsPage);
  // An address without passkeys: the options list decoys this device does not hold, so
  // the browser answers NotAllowedError, as it does for a cancel or a timeout.
  await page.getByLabel("Email", { exact: true }).fill(`nobody-${tag}@example.com`);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  const message = alert("No passkey was used");
  await message.waitFor();
  await focusLandsOn(await message.getAttribute("id"), "focus moves there");
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "passkey_cancelled");
  assert.equal(await page.getByLabel("Password", { exact: true }).isEditable(), true);
  assert.equal(await page.getByRole("button", { name: "Use a passkey instead" }).isEnabled(), true);
});

test("a password account signs in, adds a passkey from the offer, a second one, renames and deletes one", async () => {
  // The account, made through the first-party API.
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const started = await fetch(`${edge.api}/v1/flows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: "demo", code_challenge: challenge, code_challenge_method: "S256" }),
  });
  const { flow_id } = await started.json();
  const made = await fetch(`${edge.api}/v1/flows/${flow_id}/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(passwordPerson),
  });
  assert.ok(made.ok, await made.text());

  await open(buttonsPage);
  await page.getByLabel("Email", { exact: true }).fill(passwordPerson.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(passwordPerson.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const claims = await verified(await signedIn());
  assert.deepEqual(claims.amr, ["pwd"]);

  const list = widget().getByRole("region", { name: "Your passkeys" });
  await list.getByText("You have no passkeys yet.").waitFor();
  const offer = widget().getByRole("region", { name: "Sign in faster next time" });
  await offer.getByRole("button", { name: "Add a passkey" }).click();
  await list.getByRole("listitem").filter({ hasText: "Passkey" }).waitFor();
  assert.equal(await offer.count(), 0, "the offer is gone once taken");
  await widget().getByRole("status").filter({ hasText: "Passkey added." }).waitFor();
  const held = await credentials();
  assert.equal(held.length, 2, "the passkey-only account's and this one");

  // The same device again: the browser refuses (excludeCredentials), the widget says why.
  await list.getByRole("button", { name: "Add a passkey" }).click();
  await alert("This device already has a passkey for this account.").waitFor();
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "passkey_already_registered");

  // Another device: this passkey leaves the authenticator, a new one is made.
  const before = new Set((await credentials()).map((c) => c.credentialId));
  const passwordAccountKey = held.find((c) => c.credentialId !== passkeyOnlyKey.credentialId);
  await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: passwordAccountKey.credentialId });
  await list.getByRole("button", { name: "Add a passkey" }).click();
  await list.getByRole("listitem").filter({ hasText: "Passkey 2" }).waitFor();
  const second = (await credentials()).find((c) => !before.has(c.credentialId));
  assert.ok(second, "the second passkey is on the device");

  // Rename it, by the labelled field.
  await list.getByRole("button", { name: "Rename Passkey 2" }).click();
  const name = list.getByLabel("Passkey name");
  await focusLandsOn(await name.getAttribute("id"), "the name field takes focus");
  await name.fill("");
  await list.getByRole("button", { name: "Save" }).click();
  await alert("Enter a name for this passkey.").waitFor();
  await name.fill("Work laptop");
  await list.getByRole("button", { name: "Save" }).click();
  await list.getByRole("listitem").filter({ hasText: "Work laptop" }).waitFor();
  await widget().getByRole("status").filter({ hasText: "Passkey renamed." }).waitFor();

  // Delete it.
  await list.getByRole("button", { name: "Delete Work laptop" }).click();
  await widget().getByRole("status").filter({ hasText: "Passkey deleted." }).waitFor();
  assert.equal(await list.getByRole("listitem").count(), 1);
  assert.equal(await list.getByRole("listitem").filter({ hasText: "Work laptop" }).count(), 0);
  // WebAuthn §5.1.11.2 signalAllAcceptedCredentials: the device drops the deleted passkey.
  await deviceUntil(
    (held) => !held.some((c) => c.credentialId === second.credentialId),
    "the browser was told which passkeys the account still accepts",
  );

  // Leave only the deleted passkey on the device (a device that missed the signal), and
  // sign in with it: the edge does not know it, the widget says so and nothing breaks.
  for (const c of await credentials()) {
    await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: c.credentialId });
  }
  await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: second });
  await widget().getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  const unknown = alert("We don't recognise that passkey.");
  await unknown.waitFor();
  await focusLandsOn(await unknown.getAttribute("id"), "focus moved to the message");
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "webauthn_unknown_credential");
  assert.equal((await events("portcullis:signed-in")).length, 1, "no second sign-in");
  // §5.1.11.1 signalUnknownCredential: the device drops the passkey the edge refused.
  await deviceUntil((held) => held.length === 0, "the browser was told the passkey is unknown");
  // The other ways are still there and work: the password signs in.
  assert.equal(await page.getByRole("button", { name: "Sign in with a passkey" }).isEnabled(), true);
  await page.getByLabel("Email", { exact: true }).fill(passwordPerson.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(passwordPerson.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await verified(await signedIn(2));
});

test("the page's tokens are not the account API's; an old sign-in asks to sign in again before a change (RFC 9470)", async () => {
  await open(buttonsPage);
  await page.getByLabel("Email", { exact: true }).fill(passwordPerson.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(passwordPerson.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const tokens = await signedIn();
  await verified(tokens);
  // The page gets the issuer's token only: the widget keeps the account API's to itself
  // (RFC 8707), and the refresh token it used for it goes nowhere (no offline_access
  // asked for by the page).
  const { payload: access } = await jwtVerify(tokens.access_token, jwks, { issuer: edge.origin, audience: edge.origin, typ: "at+jwt" });
  assert.ok(!access.scope.split(" ").includes("account"), `scope ${access.scope}`);
  assert.equal(tokens.refresh_token, undefined);
  const list = widget().getByRole("region", { name: "Your passkeys" });
  await list.getByRole("listitem").filter({ hasText: "Passkey" }).waitFor();

  // Five minutes after signing in, the edge answers a change with RFC 9470 step-up; the
  // answer is played here rather than waited for (the edge's side is tested natively).
  const stepUp = (route) =>
    route.fulfill({
      status: 401,
      contentType: "application/json",
      headers: {
        "www-authenticate":
          'Bearer error="insufficient_user_authentication", error_description="Sign in again.", max_age="300"',
      },
      body: JSON.stringify({ code: "reauthentication_required", message: "Sign in again." }),
    });
  const changes = (url) => url.pathname.startsWith("/v1/me/passkeys/");
  await page.route(changes, stepUp);
  await list.getByRole("button", { name: "Rename Passkey" }).click();
  await list.getByLabel("Passkey name").fill("Laptop");
  await list.getByRole("button", { name: "Save" }).click();

  // Back to the password step for the same address, saying why; nothing changed.
  const notice = widget().locator('[part~="notice"]').filter({ hasText: "For your security, sign in again to change your passkeys." });
  await notice.waitFor();
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "reauthentication_required");
  await widget().getByText(passwordPerson.email, { exact: true }).waitFor();
  const password = page.getByLabel("Password", { exact: true });
  await focusLandsOn(await password.getAttribute("id"), "the password field takes focus");
  await page.unroute(changes, stepUp);

  // Signing in again brings the list back, and the change goes through.
  await password.fill(passwordPerson.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await verified(await signedIn(2));
  await list.getByRole("button", { name: "Rename Passkey" }).click();
  await list.getByLabel("Passkey name").fill("Laptop");
  await list.getByRole("button", { name: "Save" }).click();
  await list.getByRole("listitem").filter({ hasText: "Laptop" }).waitFor();
  await widget().getByRole("status").filter({ hasText: "Passkey renamed." }).waitFor();
});

test("with autofill pending, the button asks instead, and autofill resumes after a failure", async () => {
  for (const c of await credentials()) {
    await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: c.credentialId });
  }
  const optionsRequests = () =>
    page.evaluate(() => performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/passkey/options")).length);
  // The demo page, autofill on; an empty device leaves the autofill request pending.
  await open("/");
  await page.waitForFunction(() =>
    performance.getEntriesByType("resource").some((r) => r.name.endsWith("/passkey/options")),
  );
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await alert("No passkey was used").waitFor();
  assert.equal((await events("portcullis:error")).at(-1).detail.code, "passkey_cancelled");
  assert.equal(await page.getByRole("button", { name: "Sign in with a passkey" }).isEnabled(), true);
  // Autofill, then the button, then autofill again with a fresh challenge.
  await page.waitForFunction(
    () => performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/passkey/options")).length === 3,
  );
  assert.equal(await optionsRequests(), 3);
});

test("the hosted sign-in page: passkey sign-up, then autofill sign-in, each redirecting with a code", async () => {
  const redirectUri = `${edge.origin}/callback`;
  /** RFC 6749 §4.1 with PKCE: /authorize, the hosted page, the code at /token. */
  async function authorize(prompt, signIn) {
    const verifier = randomBytes(32).toString("base64url");
    const url = new URL("/authorize", edge.origin);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: "demo",
      redirect_uri: redirectUri,
      scope: "openid email",
      state: randomBytes(8).toString("hex"),
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      ...(prompt ? { prompt } : {}),
    })) {
      url.searchParams.set(k, v);
    }
    await page.goto(url.href);
    assert.equal(new URL(page.url()).pathname, "/signin");
    await signIn();
    await page.waitForURL((u) => u.pathname === "/callback", { timeout: 30_000 });
    const code = new URL(page.url()).searchParams.get("code");
    const response = await fetch(`${edge.api}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: "demo", redirect_uri: redirectUri }),
    });
    assert.equal(response.status, 200);
    return verified(await response.json());
  }

  const email = `hosted-${tag}@example.com`;
  const made = await authorize(undefined, async () => {
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByRole("button", { name: "Create with a passkey instead" }).click();
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Create account with a passkey" }).click();
  });
  assert.equal(made.email, email);
  assert.ok(made.amr.includes("swk"), `amr ${made.amr}`);

  // prompt=login past the SSO session: the page offers the passkey in the email field's
  // autofill, which the device answers at once; nothing is clicked.
  const again = await authorize("login", async () => {});
  assert.equal(again.sub, made.sub);
  assert.ok(again.amr.includes("swk"));
});

test("nothing failed in the page: no uncaught errors, no console errors but expected 4xx", () => {
  // 400 (unknown passkey), 401 (a refused sign-up), 409 (last sign-in method), and the
  // redirect URI, which the edge does not serve.
  const expected = (p) => /status of 4(00|01|09)/.test(p) || /status of 404.*\/callback\?/.test(p);
  assert.deepEqual(problems.filter((p) => !expected(p)), []);
});
