// The real widget in headless Chromium, against the edge under wrangler dev.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, passphrase, serveHostPage, startEdge } from "./harness.mjs";
import { createUser, verifyEs256 } from "./oidc-support.mjs";

let edge;
let browser;
let allowedPort;
let refusedPort;

before(async () => {
  allowedPort = await freePort();
  refusedPort = await freePort();
  edge = await startEdge({ extraOrigins: [`http://localhost:${allowedPort}`] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** A page that fails the test on any uncaught error or console error. */
async function openPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location().url})`));
  await page.goto(url);
  return { page, problems };
}

/** Collects portcullis:* events dispatched on the widget element. */
async function recordEvents(page) {
  await page.evaluate(() => {
    window.__events = [];
    const el = document.querySelector("portcullis-signin");
    const names = ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];
    for (const name of names) {
      el.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }));
    }
  });
}

const events = (page) => page.evaluate(() => window.__events);

function hostPage(edgeOrigin, extraCss = "") {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<style>${extraCss}</style>
<script type="module" src="${edgeOrigin}/widget.js"></script></head>
<body><h1>Shop</h1><portcullis-signin client-id="demo"></portcullis-signin></body></html>`;
}

test("the demo page renders the widget, which reads its client from the edge", async () => {
  const { page, problems } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  assert.equal(await page.getByLabel("Email").getAttribute("autocomplete"), "username webauthn");
  assert.deepEqual(problems, []);
  await page.close();
});

test("identify step: by its label, the email starts a flow on the edge and can be cancelled", async () => {
  const { page, problems } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await recordEvents(page);

  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("ada@example.com").waitFor();

  const step = (await events(page)).find((e) => e.name === "portcullis:step");
  assert.ok(step, "a portcullis:step event was dispatched");
  assert.equal(step.detail.step, "password");
  assert.match(step.detail.flow_id, /^[A-Za-z0-9_-]{43}$/);

  await page.getByRole("button", { name: "Use another account" }).click();
  await page.getByLabel("Email").waitFor();
  // The widget cancelled the flow on the edge: its handle is spent.
  const again = await fetch(`${edge.api}/v1/flows/${step.detail.flow_id}`, { method: "DELETE" });
  assert.equal(again.status, 404);
  assert.deepEqual(problems, []);
  await page.close();
});

test("an empty email is caught in the widget, announced, and focused", async () => {
  const { page } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await page.getByRole("button", { name: "Continue" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Enter your email address" });
  await alert.waitFor();
  const input = page.getByLabel("Email");
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  assert.equal(await input.evaluate((el) => el.getRootNode().activeElement === el), true);
  await page.close();
});

test("embedded cross-origin on an allowed site, behind hostile CSS, the widget signs in and hands the page tokens", async () => {
  const hostile = "* { all: unset !important; } input, button { display: none !important; }";
  const host = await serveHostPage(hostPage(edge.origin, hostile), allowedPort);
  try {
    const person = await createUser(edge, "demo");
    const { page, problems } = await openPage(`${host.origin}/`);
    await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await recordEvents(page);
    const input = page.getByLabel("Email");
    assert.equal(await input.isVisible(), true, "host CSS does not reach into the widget");
    await input.fill(person.email);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Password", { exact: true }).fill(person.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await signedInAs(page, person.email).waitFor();
    const names = (await events(page)).map((e) => e.name);
    assert.ok(names.includes("portcullis:step"), `${names}`);
    // The page on the other origin got the tokens, signed by the edge, for this client.
    const tokens = (await events(page)).find((e) => e.name === "portcullis:signed-in")?.detail;
    assert.equal(tokens?.token_type, "Bearer");
    const jwks = await (await fetch(`${edge.api}/.well-known/jwks.json`)).json();
    const id = verifyEs256(tokens.id_token, jwks).payload;
    assert.equal(id.aud, "demo");
    assert.equal(id.email, person.email);
    const userinfo = await fetch(`${edge.api}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await userinfo.json()).sub, id.sub);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await host.close();
  }
});

test("embedded on a site not on the allow-list, the widget says so and emits portcullis:error", async () => {
  const host = await serveHostPage(hostPage(edge.origin), refusedPort);
  try {
    const { page } = await openPage(`${host.origin}/`);
    await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await recordEvents(page);
    await page.getByLabel("Email").fill("mallory@example.com");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("alert").filter({ hasText: "Sign-in isn't available on this website" }).waitFor();
    const error = (await events(page)).find((e) => e.name === "portcullis:error");
    assert.equal(error?.detail.code, "origin_not_allowed");
    await page.close();
  } finally {
    await host.close();
  }
});

// --- Signing up and in, by the labels a person reads ------------------------------------

/** A fresh address and a passphrase the password policy accepts. */
function newcomer() {
  const tag = randomBytes(6).toString("hex");
  return { email: `ada-${tag}@example.com`, password: passphrase((t) => `lighthouse ${t} marmalade voyage`), name: "Ada Lovelace" };
}

/** The element the focus is on, looking through the widget's shadow root. */
const focused = (page) =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { id: el?.id, tag: el?.tagName };
  });

/** Waits for the demo page's widget to be ready for input. */
async function openDemo() {
  const opened = await openPage(`${edge.origin}/`);
  await opened.page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await recordEvents(opened.page);
  return opened;
}

async function signIn(page, { email, password }) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const signedInAs = (page, email) => page.getByText(`Signed in as ${email}`, { exact: true });

/** The error under the password field: announced (role=alert) and described by the field. */
async function assertPasswordError(page, text) {
  const alert = page.getByRole("alert").filter({ hasText: text });
  await alert.waitFor();
  const field = page.getByLabel("Password", { exact: true });
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  const errorId = await alert.getAttribute("id");
  assert.ok((await field.getAttribute("aria-describedby")).split(" ").includes(errorId), "the field is described by its error");
  assert.equal((await focused(page)).id, await field.getAttribute("id"), "focus moved to the field in error");
}

test("a newcomer signs up and in on the demo page, in a real browser, by the field labels", async () => {
  const { page, problems } = await openDemo();
  const person = newcomer();

  // Create an account; first with a password the policy refuses (NIST SP 800-63B-4: 15).
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create an account for Portcullis Demo" }).waitFor();
  assert.equal((await focused(page)).id, await page.getByLabel("Email", { exact: true }).getAttribute("id"));
  await page.getByText("Use at least 15 characters").waitFor();
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Name (optional)").fill(person.name);
  const password = page.getByLabel("Password", { exact: true });
  assert.equal(await password.getAttribute("autocomplete"), "new-password");
  await password.fill("too short");
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await assertPasswordError(page, "That password is too short. Use at least 15 characters.");
  const rejected = (await events(page)).find((e) => e.name === "portcullis:error");
  assert.equal(rejected?.detail.code, "password_rejected");

  await password.fill(person.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await signedInAs(page, person.email).waitFor();
  await page.getByRole("heading", { name: "Signed in to Portcullis Demo" }).waitFor();

  // The page got the token response, and the widget kept nothing in storage.
  const signedIn = (await events(page)).find((e) => e.name === "portcullis:signed-in");
  assert.ok(signedIn, "portcullis:signed-in was dispatched");
  const tokens = signedIn.detail;
  assert.equal(tokens.token_type.toLowerCase(), "bearer");
  assert.ok(tokens.access_token && tokens.id_token, "an access token and an ID token");
  assert.ok(tokens.scope.split(" ").includes("openid"), `scope ${tokens.scope}`);
  assert.ok(tokens.expires_in > 0);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes(tokens.access_token) && !stored.includes(tokens.id_token), "no tokens in web storage");

  // The demo page asked /userinfo with the access token, the standard way.
  const account = page.getByRole("region", { name: "Signed-in user" });
  await account.getByRole("definition").filter({ hasText: person.email }).waitFor();
  await account.getByRole("definition").filter({ hasText: person.name }).waitFor();
  const claims = JSON.parse(await page.locator("#id-token-claims").textContent());
  assert.equal(claims.iss, edge.origin);
  assert.deepEqual([claims.aud].flat(), ["demo"]);
  assert.ok(claims.sub);
  assert.equal(JSON.parse(await page.locator("#id-token-header").textContent()).alg, "ES256");

  // Sign out in the widget: the page forgets, the widget is back at the start.
  await page.locator("portcullis-signin").getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  assert.equal(await account.isVisible(), false, "the page hid the account on portcullis:signed-out");
  assert.ok((await events(page)).some((e) => e.name === "portcullis:signed-out"));

  // Sign in again with the same credentials; sign out with the page's own button.
  await signIn(page, person);
  await signedInAs(page, person.email).waitFor();
  await account.getByRole("definition").filter({ hasText: person.email }).waitFor();
  await account.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  assert.equal(await account.isVisible(), false);

  // A wrong password: one generic message, announced, on the password field, focused.
  await signIn(page, { email: person.email, password: `${person.password} but wrong` });
  await assertPasswordError(page, "That email and password don't match an account.");
  assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "", "the wrong password is cleared");
  const wrong = (await events(page)).filter((e) => e.name === "portcullis:error").at(-1);
  assert.equal(wrong.detail.code, "invalid_credentials");

  // The flow survives a failed attempt: the right password on the same flow signs in.
  const flowIds = (await events(page)).filter((e) => e.name === "portcullis:step").map((e) => e.detail.flow_id);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await signedInAs(page, person.email).waitFor();
  const after = (await events(page)).filter((e) => e.name === "portcullis:step").map((e) => e.detail.flow_id);
  assert.deepEqual(after, flowIds, "no new flow was needed");

  assert.deepEqual(problems.filter((p) => !/status of 40[01]/.test(p)), []);
  await page.close();
});

test("an unknown email gets the same message as a wrong password", async () => {
  const { page } = await openDemo();
  await signIn(page, newcomer());
  await assertPasswordError(page, "That email and password don't match an account.");
  await page.close();
});

test("the password can be shown and hidden with a toggle button that says its state", async () => {
  const { page } = await openDemo();
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const field = page.getByLabel("Password", { exact: true });
  await field.waitFor();
  assert.equal(await field.getAttribute("autocomplete"), "current-password");
  assert.equal((await focused(page)).id, await field.getAttribute("id"), "the password step takes focus");
  const toggle = page.getByRole("button", { name: "Show password" });
  assert.equal(await toggle.getAttribute("aria-pressed"), "false");
  assert.equal(await field.getAttribute("type"), "password");
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  assert.equal(await field.getAttribute("type"), "text");
  await toggle.press("Enter");
  assert.equal(await field.getAttribute("type"), "password");
  await page.close();
});

test("an expired flow says so, and the widget starts a fresh one so that trying again works", async () => {
  const { page, problems } = await openDemo();
  const person = newcomer();
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await signedInAs(page, person.email).waitFor();
  await page.locator("portcullis-signin").getByRole("button", { name: "Sign out" }).click();

  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).waitFor();
  const first = (await events(page)).filter((e) => e.name === "portcullis:step").at(-1).detail.flow_id;
  // The flow ends behind the widget's back (as when it times out).
  assert.equal((await fetch(`${edge.api}/v1/flows/${first}`, { method: "DELETE" })).status, 204);

  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: "This sign-in has expired. Start again." });
  await alert.waitFor();
  assert.equal((await focused(page)).id, await alert.getAttribute("id"), "focus moved to the message");
  assert.equal((await events(page)).filter((e) => e.name === "portcullis:error").at(-1).detail.code, "flow_not_found");
  await page.waitForFunction(
    (old) => window.__events.some((e) => e.name === "portcullis:step" && e.detail.flow_id !== old),
    first,
  );

  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await signedInAs(page, person.email).waitFor();
  assert.deepEqual(problems.filter((p) => !/status of 404/.test(p)), []);
  await page.close();
});

test("when the edge cannot be reached, the widget says so and the next try works", async () => {
  const { page } = await openDemo();
  await page.route("**/v1/flows", (route) => route.abort("internetdisconnected"));
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "We couldn't reach the sign-in service. Check your connection and try again." }).waitFor();
  const button = page.getByRole("button", { name: "Continue", exact: true });
  assert.equal(await button.isEnabled(), true, "the button is usable again");
  await page.unroute("**/v1/flows");
  await button.click();
  await page.getByLabel("Password", { exact: true }).waitFor();
  await page.close();
});

test("while a request runs the form is busy and its button says what is happening", async () => {
  const { page } = await openDemo();
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/v1/flows", async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const busy = page.getByRole("button", { name: "Continuing…" });
  await busy.waitFor();
  assert.equal(await busy.isDisabled(), true);
  assert.equal(await page.locator("portcullis-signin form").getAttribute("aria-busy"), "true");
  release();
  await page.getByLabel("Password", { exact: true }).waitFor();
  await page.close();
});
