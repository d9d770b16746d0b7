// The hosted account page (`/account`, the widget in account mode for the first-party
// client `portcullis-account`) against the edge under wrangler dev, in headless Chromium:
// the person signs in there, corrects their details (a bad value is named under its
// field), changes their email address with the code sent to the new one (the old one is
// told), sets a new password (the owner is told), ends another session and removes another application's access (their refresh
// tokens then fail at /token), withdraws a consent, downloads their data and asks for the
// account's deletion; axe finds nothing to fix at 360 px, nothing scrolls sideways at
// 320 px, and one action is done with the keyboard alone. One edge for the file.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser, passphrase, ROOT, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  callJson,
  clientsCli,
  newestMail,
  pkce,
  postForm,
  random,
  redeemFlow,
} from "./oidc-support.mjs";
import { recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in"];
const SCOPE = "openid email profile offline_access account";

let edge;
let browser;

before(async () => {
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      // The operator's registration of the account page's client (README), and another
      // application the person uses.
      clientsCli(stateDir, [
        "add", "--id", "portcullis-account", "--name", "Your account",
        "--redirect-uri", `${origin}/account`, "--origin", origin, "--scope", SCOPE,
      ]);
      clientsCli(stateDir, [
        "add", "--id", "shop", "--name", "Shop",
        "--redirect-uri", `${origin}/callback`, "--origin", origin, "--scope", SCOPE,
      ]);
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  assertNoServerErrors();
});

const address = (label) => `${label}-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;

/** One embedded sign-up or sign-in to `client` through the API; its tokens. */
async function signThroughApi(client, person, up) {
  const { verifier, challenge } = pkce();
  const started = await callJson(edge, "POST", "/v1/flows", {
    client_id: client, code_challenge: challenge, code_challenge_method: "S256", scope: SCOPE,
  });
  assert.equal(started.status, 201, started.text);
  const step = up ? "sign-up" : "password";
  const outcome = await callJson(edge, "POST", `/v1/flows/${started.body.flow_id}/${step}`, person);
  return redeemFlow(edge, outcome, verifier, client);
}

/** An account-API token of a session of `client`, and the session's refresh token. */
async function accountSession(client, tokens) {
  const answer = await postForm(edge, "/token", {
    grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client,
    resource: `${edge.origin}/v1/me`,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return { token: answer.body.access_token, refresh: answer.body.refresh_token, client };
}

/** Refreshes a session's refresh token at /token (RFC 6749 §6); the answer's status. */
async function refresh(session) {
  const answer = await postForm(edge, "/token", {
    grant_type: "refresh_token", refresh_token: session.refresh, client_id: session.client,
  });
  if (answer.status === 200) session.refresh = answer.body.refresh_token;
  return answer.status;
}

const me = (session, method, path, body) =>
  callJson(edge, method, path, body, { authorization: `Bearer ${session.token}` });

/** axe on the widget, the rules the other widget tests use. */
const axe = (page) =>
  page.locator("portcullis-signin").evaluate(async (element) => {
    const { violations, incomplete } = await window.axe.run(element, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
  });

test("on /account a person signs in and manages their whole account: details, email address, password, sessions, applications, consents, export and deletion", async () => {
  const person = { email: address("ada"), password: passphrase((t) => `amber ${t} window lantern`) };
  // Another session (the demo client) and another application (the shop), both with
  // live refresh tokens; a marketing opt-in recorded through the shop.
  const demo = await accountSession("demo", await signThroughApi("demo", person, true));
  const shop = await accountSession("shop", await signThroughApi("shop", person, false));
  const marketing = await me(shop, "POST", "/v1/me/consents", {
    purpose: "marketing_email", state: "granted", document_version: "4", text_sha256: "ab".repeat(32),
  });
  assert.equal(marketing.status, 201, marketing.text);

  const page = await recordingTab(browser, EVENTS, AXE);
  await page.setViewportSize({ width: 360, height: 800 });
  const response = await page.goto(`${edge.origin}/account`);
  assert.match(response.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  assert.equal(response.headers()["cache-control"], "no-store");
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));

  // Signs in on the page itself.
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.keyboard.press("Enter");
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.keyboard.press("Enter");
  await signedIn(page);
  const details = page.getByRole("region", { name: "Your details" });
  await details.getByLabel(/^Phone number/).waitFor();
  await page.getByRole("button", { name: "Sign out Portcullis Demo" }).waitFor();
  await page.getByRole("button", { name: "Withdraw marketing email" }).waitFor();
  assert.deepEqual(await axe(page), []);

  // Nothing scrolls sideways on a 320 px phone.
  await page.setViewportSize({ width: 320, height: 800 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "no sideways scroll at 320 px");
  await page.setViewportSize({ width: 360, height: 800 });

  // Details: a bad phone number is named under its field; a good one is saved.
  await details.getByLabel(/^Phone number/).fill("12345");
  await details.getByLabel(/^First name/).fill("Ada");
  await details.getByRole("button", { name: "Save details" }).click();
  const phoneError = page.locator("#pc-profile-phone_number-error");
  await page.waitForFunction(() => document.querySelector("#pc-profile-phone_number-error")?.textContent.includes("international format"));
  assert.match(await phoneError.textContent(), /international format/);
  assert.equal((await me(shop, "GET", "/v1/me/profile")).body.attributes.given_name, undefined, "nothing saved");
  await details.getByLabel(/^Phone number/).fill("+14155550123");
  await details.getByRole("button", { name: "Save details" }).click();
  await page.getByText("Details saved.").waitFor();
  const profile = (await me(shop, "GET", "/v1/me/profile")).body.attributes;
  assert.equal(profile.phone_number, "+14155550123");
  assert.equal(profile.given_name, "Ada");

  // Email address: the new one only with the code sent to it; the old one is told.
  const newAddress = address("ada-new");
  const emailSection = page.getByRole("region", { name: "Email address" });
  await emailSection.getByLabel("New email address").fill(newAddress);
  await emailSection.getByRole("button", { name: "Send a code" }).click();
  const codeField = emailSection.getByLabel("Code");
  await codeField.waitFor();
  assert.deepEqual(await axe(page), []);
  const mail = await newestMail(edge, newAddress);
  const code = mail.text.match(/\b(\d{6})\b/)[1];
  assert.equal((await me(shop, "GET", "/v1/me/export")).body.profile.email, person.email, "not before the code");
  await codeField.fill(code === "000000" ? "111111" : "000000");
  await emailSection.getByRole("button", { name: "Confirm" }).click();
  await page.waitForFunction(() => document.querySelector("#pc-email-code-error")?.textContent.trim().length > 0);
  await codeField.fill(code);
  await emailSection.getByRole("button", { name: "Confirm" }).click();
  await emailSection.getByText(newAddress).waitFor();
  assert.equal((await me(shop, "GET", "/v1/me/export")).body.profile.email, newAddress);
  assert.match((await newestMail(edge, person.email)).subject, /email address/i);

  // Sessions: ending the demo client's session kills its refresh token; the shop's lives.
  await page.getByRole("button", { name: "Sign out Portcullis Demo" }).click();
  await page.getByRole("button", { name: "Sign out Portcullis Demo" }).waitFor({ state: "detached" });
  assert.equal(await refresh(demo), 400);
  assert.equal(await refresh(shop), 200);

  // Applications: removing the shop's access kills its refresh token.
  await page.getByRole("button", { name: "Remove access Shop" }).click();
  await page.getByRole("button", { name: "Remove access Shop" }).waitFor({ state: "detached" });
  assert.equal(await refresh(shop), 400);

  // Consents, with the keyboard alone: from the section's heading, Tab to Withdraw, Enter.
  await page.locator("#pc-consents-title").focus();
  await page.keyboard.press("Tab");
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent.trim()),
    "Withdraw marketing email",
  );
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Withdraw marketing email" }).waitFor({ state: "detached" });

  // Password: the password rules first; a new one tells the owner and signs in.
  const passwordSection = page.getByRole("region", { name: "Password", exact: true });
  await passwordSection.getByLabel("New password", { exact: true }).fill("short");
  await passwordSection.getByRole("button", { name: "Change password" }).click();
  await page.waitForFunction(() => document.querySelector("#pc-new-password-error")?.textContent.trim().length > 0);
  const newPassword = passphrase((t) => `copper ${t} orchard lantern`);
  await passwordSection.getByLabel("New password", { exact: true }).fill(newPassword);
  await passwordSection.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Password changed.").waitFor();
  assert.match((await newestMail(edge, newAddress)).subject, /password/i);
  const again = await signThroughApi("demo", { email: newAddress, password: newPassword }, false);
  assert.ok(again.refresh_token, "the new password signs in");

  // Export: the downloaded file holds the profile, the sessions and the consents.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download my data" }).click(),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(exported.profile.email, newAddress);
  assert.equal(exported.profile.given_name, "Ada");
  assert.equal(exported.profile.attributes.phone_number, "+14155550123");
  assert.ok(exported.app_sessions.some((s) => s.client_id === "portcullis-account" && s.current), "this session");
  assert.deepEqual(
    exported.consents.filter((r) => r.purpose === "marketing_email").map((r) => r.state),
    ["withdrawn", "granted"],
  );

  // Deletion: the grace period is said, and the emailed link cancels it.
  await page.getByRole("button", { name: "Delete my account" }).click();
  const said = page.getByText(/Your account will be deleted on .+ To keep it, use the link in the email we sent you\./);
  await said.waitFor();
  assert.deepEqual(await axe(page), []);
  assert.match((await newestMail(edge, newAddress)).text, /cancel-deletion/);
  assert.deepEqual(unexpected(page.problems), []);
  await page.close();
});
