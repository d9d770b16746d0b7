// A code emailed to the account's verified address as the second factor, through the
// real widget in headless Chromium against the edge under wrangler dev: a client that
// requires MFA and allows email codes (`--email-second-factor`) asks an account without
// an app for an emailed code after the password; the code is read from the development
// mailbox; the tokens say `pwd` and `otp`, without `mfa` (a weak second factor). A wrong
// code is refused in the person's language. The attacker's side, scripted (no Origin
// header): someone who knows only the address gets no code sent, and a client that does
// not allow email codes refuses the step with `factor_not_allowed`.
//
// One edge, one account (ada), made and verified through the JSON API.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { launchBrowser, passphrase, startEdge } from "./harness.mjs";
import { callJson, clientsCli, newestMail, pkce, verifyEs256 } from "./oidc-support.mjs";
import { recordingTab, serveWidgetPage, signedIn, unexpected } from "./widget-support.mjs";

const TEST_PAGE = "/__mfa-email-test";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];

let edge;
let browser;
let jwks;

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `meadow ${t} quartz lantern`) };

before(async () => {
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, [
        "add", "--id", "inbox", "--name", "Inbox", "--mfa", "required", "--email-second-factor",
        "--require-verified-email", "--redirect-uri", `${origin}/callback`, "--origin", origin,
      ]);
      // The same policy without email codes.
      clientsCli(stateDir, [
        "add", "--id", "strict", "--name", "Strict", "--mfa", "required",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
      ]);
    },
  });
  browser = await launchBrowser();
  jwks = await (await fetch(`${edge.api}/.well-known/jwks.json`)).json();
  await signUpVerified(ada);
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** The JSON API as a script (no Origin header). */
const call = (method, path, body) => callJson(edge, method, path, body);

async function startFlow(clientId) {
  const { challenge } = pkce();
  const started = await call("POST", "/v1/flows", { client_id: clientId, code_challenge: challenge, code_challenge_method: "S256" });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  return started.body.flow_id;
}

/** The six-digit code of a mail, in whatever language it is written. */
const codeIn = (mail) => /(?<!\d)(\d{6})(?!\d)/.exec(mail.text)[1];

/** Signs `person` up on inbox and confirms the address with the emailed code. */
async function signUpVerified(person) {
  const flow = await startFlow("inbox");
  const signedUp = await call("POST", `/v1/flows/${flow}/sign-up`, { email: person.email, password: person.password });
  assert.equal(signedUp.body.status, "verify_email", JSON.stringify(signedUp.body));
  const mail = await newestMail(edge, person.email, "Confirm your email address for Inbox");
  const confirmed = await call("POST", `/v1/flows/${flow}/email/code`, { code: codeIn(mail) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  // Verified now, without an app: the client's required second factor is an emailed code.
  assert.deepEqual(confirmed.body, { status: "second_factor", methods: ["email_code"] });
}

async function mailCount(to) {
  const response = await fetch(`${edge.api}/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  return (await response.json()).messages.length;
}

async function newTab() {
  const page = await recordingTab(browser, EVENTS);
  await serveWidgetPage(page, `${edge.origin}${TEST_PAGE}`, "Inbox");
  return page;
}

async function open(page, query = "") {
  await page.goto(`${edge.origin}${TEST_PAGE}?client-id=inbox${query}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
}

/** The address, then the password (by field, whatever the language). */
async function password(page) {
  await page.locator("#pc-email").fill(ada.email);
  await page.locator("#pc-email").press("Enter");
  await page.locator("#pc-password").fill(ada.password);
  await page.locator("#pc-password").press("Enter");
}

/** The code of the newest mail to ada, once there are more than `count`, waited for. */
async function nextCode(count, subject) {
  for (let i = 0; i < 50 && (await mailCount(ada.email)) <= count; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return codeIn(await newestMail(edge, ada.email, subject));
}

test("RFC 8176: password then a code emailed to the verified address signs in; the tokens say pwd and otp, not mfa", async () => {
  const page = await newTab();
  const before = await mailCount(ada.email);
  await open(page);
  await password(page);
  // The only way this account has: the code is sent at once.
  await page.getByText(`We've sent an email to ${ada.email}. Enter the 6-digit code from it.`).waitFor();
  const code = await nextCode(before, "Your sign-in code for Inbox");
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const tokens = await signedIn(page);
  const { payload } = verifyEs256(tokens.id_token, jwks);
  assert.equal(payload.aud, "inbox");
  assert.deepEqual(payload.amr, ["pwd", "otp"], "RFC 8176: an emailed code is otp, and no mfa");
  assert.equal(payload.acr, "0", "a weak second factor claims no multi-factor acr");
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("a wrong emailed code is refused in the person's language, and the right one then signs in", async () => {
  const page = await newTab();
  const before = await mailCount(ada.email);
  await open(page, "&lang=de");
  await password(page);
  await page.getByText(`Wir haben eine E-Mail an ${ada.email} gesendet`, { exact: false }).waitFor();
  // The email is in the person's language too.
  const code = await nextCode(before, "Ihr Anmeldecode für Inbox");
  const wrong = code === "000000" ? "111111" : "000000";
  await page.locator("#pc-code").fill(wrong);
  await page.locator("#pc-code").press("Enter");
  await page.getByText("Dieser Code ist nicht richtig. Prüfen Sie die E-Mail und versuchen Sie es erneut.").waitFor();
  assert.equal(await page.locator("#pc-code").inputValue(), "", "the wrong code is cleared");
  await page.locator("#pc-code").fill(code);
  await page.locator("#pc-code").press("Enter");
  const { payload } = verifyEs256((await signedIn(page)).id_token, jwks);
  assert.deepEqual(payload.amr, ["pwd", "otp"]);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("scripted: no code is sent without the password, nor where the client does not allow email codes", async () => {
  const before = await mailCount(ada.email);
  // Someone who knows only the address.
  const flow = await startFlow("inbox");
  const sent = await call("POST", `/v1/flows/${flow}/mfa/email/send`);
  assert.equal(sent.status, 409);
  assert.equal(sent.body.code, "step_not_expected");
  const guessed = await call("POST", `/v1/flows/${flow}/mfa/email`, { code: "123456" });
  assert.equal(guessed.body.code, "step_not_expected");
  // With the password, on a client that does not allow email codes.
  const strict = await startFlow("strict");
  const first = await call("POST", `/v1/flows/${strict}/password`, { email: ada.email, password: ada.password });
  assert.equal(first.body.status, "enrol_second_factor", JSON.stringify(first.body));
  for (const [path, body] of [["mfa/email/send", undefined], ["mfa/email", { code: "123456" }]]) {
    const refused = await call("POST", `/v1/flows/${strict}/${path}`, body);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.code, "factor_not_allowed");
  }
  assert.equal(await mailCount(ada.email), before, "no email was sent");
});
