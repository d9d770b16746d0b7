// The hosted sign-in page (/signin) in headless Chromium: /authorize sends a person there
// with a flow handle, the widget continues that flow same-origin, and the edge redirects
// back to the client with the code (RFC 6749 §4.1.2, RFC 9207 iss).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { launchBrowser, passphrase, startEdge } from "./harness.mjs";

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A page that records uncaught errors and console errors (CSP violations are both). */
async function openPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  await page.goto(url);
  return { page, problems };
}

/** Console errors other than the browser's note about an expected 4xx response. */
const unexpected = (problems) => problems.filter((p) => !/status of 40[0-9]/.test(p));

/** An account made through the first-party API, as a widget would (RFC 7636 S256). */
async function createAccount() {
  const tag = randomBytes(6).toString("hex");
  const person = { email: `hosted-${tag}@example.com`, password: passphrase((t) => `harbour ${t} lantern orchard`) };
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  const started = await fetch(`${edge.api}/v1/flows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: "demo", code_challenge: challenge, code_challenge_method: "S256" }),
  });
  assert.equal(started.status, 201, await started.clone().text());
  const { flow_id } = await started.json();
  const signedUp = await fetch(`${edge.api}/v1/flows/${flow_id}/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(person),
  });
  assert.ok(signedUp.ok, await signedUp.clone().text());
  return person;
}

test("without a flow in its URL, the page says the link is incomplete", async () => {
  for (const query of ["", "?client_id=demo", "?flow=abc", "?flow=a%20b&client_id=demo"]) {
    const { page, problems } = await openPage(`${edge.origin}/signin${query}`);
    await page.getByRole("alert").filter({ hasText: "This sign-in link is incomplete" }).waitFor();
    assert.equal(await page.locator("portcullis-signin").count(), 0, query);
    assert.deepEqual(problems, [], query);
    await page.close();
  }
});

test("the page is served with a CSP that forbids framing and inline code, and no Referer", async () => {
  const response = await fetch(`${edge.api}/signin?flow=x&client_id=demo`);
  assert.equal(response.status, 200);
  const csp = response.headers.get("content-security-policy") ?? "";
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(response.headers.get("referrer-policy"), "no-referrer");
});

test("an expired or unknown flow: the widget says so and how to start again", async () => {
  const flow = b64url(randomBytes(32));
  const { page, problems } = await openPage(`${edge.origin}/signin?flow=${flow}&client_id=demo`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill("whatever it is, it is long");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "This sign-in has expired. Start again." }).waitFor();
  await page.getByText("go back to the app or site you came from").waitFor();
  assert.deepEqual(unexpected(problems), []);
  await page.close();
});

test("RFC 6749 §4.1 via /authorize: the hosted page signs in, then the edge redirects with code, state and iss", async () => {
  const person = await createAccount();
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
    nonce: b64url(randomBytes(16)),
    code_challenge: b64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    login_hint: person.email,
  })) {
    authorize.searchParams.set(k, v);
  }

  const { page, problems } = await openPage(authorize.href);
  assert.equal(new URL(page.url()).pathname, "/signin");
  const email = page.getByLabel("Email", { exact: true });
  await email.waitFor();
  assert.equal(await email.inputValue(), person.email, "login_hint fills in the email");
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  // A wrong password keeps the hosted flow: one generic message, then the right one works.
  const password = page.getByLabel("Password", { exact: true });
  await password.fill(`${person.password}!`);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "That email and password don't match an account." }).waitFor();
  await password.fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  await page.waitForURL((url) => url.pathname === "/callback", { timeout: 30_000 });
  const callback = new URL(page.url());
  assert.equal(callback.searchParams.get("state"), state);
  assert.equal(callback.searchParams.get("iss"), edge.origin, "RFC 9207");
  const code = callback.searchParams.get("code");
  assert.ok(code);

  const cookies = await page.context().cookies(edge.origin);
  assert.ok(cookies.some((c) => c.httpOnly), "the edge set its HttpOnly session cookie");

  const token = await fetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: "demo", redirect_uri: redirectUri }),
  });
  assert.equal(token.status, 200, await token.clone().text());
  assert.ok((await token.json()).id_token);
  assert.deepEqual(unexpected(problems), []);
  await page.close();
});
