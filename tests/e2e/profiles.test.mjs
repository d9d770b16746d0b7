// Profiles and progressive profiling against the edge under wrangler dev, the widget in
// headless Chromium: a client (registered with scripts/clients and a profiling policy)
// asks for phone_number and birthdate only when its `phone` scope is requested, for the
// "later" attributes at the third sign-in, and for its terms again when their version
// changes, the consent history keeping both versions with their hashes. The account API
// (`/v1/me/profile`) refuses bad values per type with field errors in the person's
// language and administrator-only attributes, and never reaches anyone else's data;
// userinfo releases what each scope covers. One edge for the file; each test has people
// of its own.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser, passphrase, ROOT, startEdge, toolEnv } from "./harness.mjs";
import {
  assertNoServerErrors,
  callJson,
  clientsCli,
  pkce,
  postForm,
  random,
} from "./oidc-support.mjs";
import { recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const TEST_PAGE = "/__profiles-test";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in"];
const CLIENT = "shop";
const hex = (text) => createHash("sha256").update(text).digest("hex");
const TERMS_V1 = "Terms of service, 2026-01: be kind.";
const TERMS_V2 = "Terms of service, 2026-06: be kind, and say so.";

const policy = (termsVersion, termsText) => ({
  attributes: [
    { attribute: "phone_number", ask: "scope:phone", required: true },
    { attribute: "birthdate", ask: "scope:phone", required: true },
    { attribute: "country", ask: "sign_in:3" },
    { attribute: "zoneinfo", ask: "sign_in:3" },
  ],
  documents: [
    { purpose: "terms", version: termsVersion, text_sha256: hex(termsText), required: true, url: "https://shop.example/terms" },
  ],
});

let edge;
let browser;

before(async () => {
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      const file = join(mkdtempSync(join(tmpdir(), "portcullis-profile-")), "policy.json");
      writeFileSync(file, JSON.stringify(policy("2026-01", TERMS_V1)));
      const added = clientsCli(stateDir, [
        "add", "--id", CLIENT, "--name", "Shop",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
        "--scope", "openid profile email phone offline_access account",
        "--profile-file", file,
      ]);
      assert.equal(added.profile.documents[0].version, "2026-01");
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  assertNoServerErrors();
});

/** Rows of `sql` in the edge's local D1. */
function d1(sql) {
  const result = spawnSync(
    `${ROOT}/node_modules/.bin/wrangler`,
    ["d1", "execute", "DB", "--local", "--persist-to", edge.stateDir, "--json", "--command", sql],
    { cwd: ROOT, env: toolEnv(), encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout)[0].results;
}

const newPerson = (label) => ({
  email: `${label}-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`,
  password: passphrase((t) => `quiet ${t} meadow lantern`),
});

/** One embedded sign-up or sign-in through the API, as a script (no Origin header). */
async function signThroughApi(person, { scope = "openid email", up = false, language = "en" } = {}) {
  const { verifier, challenge } = pkce();
  const started = await callJson(edge, "POST", "/v1/flows", {
    client_id: CLIENT, code_challenge: challenge, code_challenge_method: "S256", scope,
  });
  assert.equal(started.status, 201, started.text);
  const flow = started.body.flow_id;
  const step = up ? "sign-up" : "password";
  const outcome = await callJson(edge, "POST", `/v1/flows/${flow}/${step}`, person, { "accept-language": language });
  assert.equal(outcome.status, 200, outcome.text);
  return { flow, verifier, outcome: outcome.body };
}

const answer = (flow, answers, language = "en") =>
  callJson(edge, "POST", `/v1/flows/${flow}/profile`, answers, { "accept-language": language });

/** The names of the attributes a `profile_required` outcome asks for. */
function asked(outcome) {
  assert.equal(outcome.status, "profile_required", JSON.stringify(outcome));
  return outcome.attributes.map((a) => a.attribute.name);
}

/** The tokens for a flow's authorization code. */
async function redeem(outcome, verifier) {
  assert.equal(outcome.status, "authorization_code", JSON.stringify(outcome));
  const response = await postForm(edge, "/token", {
    grant_type: "authorization_code", code: outcome.authorization_code, code_verifier: verifier, client_id: CLIENT,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

/**
 * Signs `person` up, agreeing to the terms and giving `attributes` if asked; their tokens
 * and an account-API token.
 */
async function signedUp(person, scope = "openid email offline_access account", attributes = {}) {
  const { flow, verifier, outcome } = await signThroughApi(person, { scope, up: true });
  assert.deepEqual(outcome.documents.map((d) => d.purpose), ["terms"]);
  const done = await answer(flow, { attributes, agreed: ["terms"] });
  assert.equal(done.status, 200, done.text);
  const tokens = await redeem(done.body, verifier);
  const account = await postForm(edge, "/token", {
    grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: CLIENT,
    resource: `${edge.origin}/v1/me`,
  });
  assert.equal(account.status, 200, JSON.stringify(account.body));
  return { tokens, token: account.body.access_token };
}

const me = (token, method, body, language = "en") =>
  callJson(edge, method, "/v1/me/profile", body, { authorization: `Bearer ${token}`, "accept-language": language });

async function newTab() {
  const page = await recordingTab(browser, EVENTS);
  await page.route(`${edge.origin}${TEST_PAGE}?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    const attrs = [...query].map(([k, v]) => `${k}="${v}"`).join(" ");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><h1>Shop</h1><portcullis-signin client-id="${CLIENT}" passkey-autofill="off" ${attrs}></portcullis-signin></body></html>`,
    });
  });
  return page;
}

async function open(page, query) {
  await page.goto(`${edge.origin}${TEST_PAGE}?${query}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
}

test("in the widget, phone_number and birthdate are asked only when the phone scope is requested, with the right input types, and field errors in the person's language", async () => {
  const ada = newPerson("ada");
  const page = await newTab();
  // A phone-sized window: the step must work there too.
  await page.setViewportSize({ width: 375, height: 740 });
  await open(page, "scope=openid email");
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(ada.email);
  await page.getByLabel("Password", { exact: true }).fill(ada.password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();

  // Sign-up without the phone scope: only the terms, no phone or birthdate.
  const terms = page.getByLabel("I agree to: Terms of service (version 2026-01)");
  await terms.waitFor();
  assert.equal(await page.locator("#pc-profile-phone_number").count(), 0);
  assert.equal(await page.locator("#pc-profile-birthdate").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Skip for now" }).count(), 0, "the terms are required");
  // Keyboard only: tick the box and submit.
  await terms.focus();
  await page.keyboard.press("Space");
  assert.equal(await terms.isChecked(), true);
  await page.getByRole("button", { name: "Continue", exact: true }).focus();
  await page.keyboard.press("Enter");
  const first = await signedIn(page);
  assert.equal(first.id_token.split(".").length, 3);
  await page.context().close();

  // With the phone scope, in French: both are asked, with their input types.
  const fr = await newTab();
  await open(fr, "scope=openid phone&lang=fr");
  await fr.getByLabel("Adresse e-mail", { exact: true }).fill(ada.email);
  await fr.keyboard.press("Enter");
  await fr.getByLabel("Mot de passe", { exact: true }).fill(ada.password);
  await fr.keyboard.press("Enter");
  const phone = fr.getByLabel("Numéro de téléphone");
  await phone.waitFor();
  assert.equal(await phone.getAttribute("type"), "tel");
  assert.equal(await phone.getAttribute("autocomplete"), "tel");
  const birthdate = fr.getByLabel("Date de naissance");
  assert.equal(await birthdate.getAttribute("type"), "date");
  assert.equal(await birthdate.getAttribute("autocomplete"), "bday");
  assert.equal(await fr.getByRole("button", { name: "Passer pour l'instant" }).count(), 0);

  await phone.fill("06 12 34 56 78");
  await birthdate.fill("1990-04-01");
  await fr.getByRole("button", { name: "Continuer", exact: true }).click();
  await fr.getByText("Saisissez le numéro au format international : + puis l'indicatif du pays et le numéro.").waitFor();
  assert.equal(await phone.getAttribute("aria-invalid"), "true");
  await phone.fill("+33 6 12 34 56 78");
  await fr.getByRole("button", { name: "Continuer", exact: true }).click();
  const tokens = await signedIn(fr);
  const claims = JSON.parse(Buffer.from(tokens.id_token.split(".")[1], "base64url"));
  assert.equal(claims.phone_number, "+33612345678");
  assert.equal(claims.phone_number_verified, false);
  assert.deepEqual(unexpected(fr.problems), []);
  await fr.context().close();
});

test("the third sign-in asks for the 'later' attributes, once, and they may be skipped", async () => {
  const bo = newPerson("bo");
  await signedUp(bo);
  const second = await signThroughApi(bo);
  assert.equal(second.outcome.status, "authorization_code");
  const third = await signThroughApi(bo);
  assert.deepEqual(asked(third.outcome), ["country", "zoneinfo"]);
  assert.ok(third.outcome.attributes.every((a) => a.required === false));
  const skipped = await answer(third.flow, {});
  assert.equal(skipped.body.status, "authorization_code");
  const fourth = await signThroughApi(bo);
  assert.equal(fourth.outcome.status, "authorization_code", "asked at the third sign-in only");
});

test("a new terms version asks again at the next sign-in; the record keeps both versions with their hashes", async () => {
  const cy = newPerson("cy");
  const { token } = await signedUp(cy);
  const json = JSON.stringify(policy("2026-06", TERMS_V2)).replaceAll("'", "''");
  d1(`UPDATE clients SET profile_policy = '${json}' WHERE id = '${CLIENT}'`);
  try {
    const next = await signThroughApi(cy, { language: "de" });
    assert.equal(next.outcome.status, "profile_required");
    assert.deepEqual(next.outcome.documents.map((d) => [d.purpose, d.version, d.text_sha256]), [["terms", "2026-06", hex(TERMS_V2)]]);
    const refused = await answer(next.flow, { agreed: [] }, "de");
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.fields.map((f) => [f.field, f.code]), [["terms", "required"]]);
    assert.equal(refused.body.fields[0].message, "Diese Angabe ist erforderlich.");
    const done = await answer(next.flow, { agreed: ["terms"] }, "de");
    assert.equal(done.body.status, "authorization_code");
  } finally {
    const back = JSON.stringify(policy("2026-01", TERMS_V1)).replaceAll("'", "''");
    d1(`UPDATE clients SET profile_policy = '${back}' WHERE id = '${CLIENT}'`);
  }
  const consents = await callJson(edge, "GET", "/v1/me/consents", undefined, { authorization: `Bearer ${token}` });
  assert.equal(consents.status, 200, consents.text);
  const history = consents.body.history.filter((r) => r.purpose === "terms");
  assert.deepEqual(
    history.map((r) => [r.document_version, r.text_sha256, r.state, r.method, r.client_id]),
    [
      ["2026-06", hex(TERMS_V2), "granted", "widget", CLIENT],
      ["2026-01", hex(TERMS_V1), "granted", "widget", CLIENT],
    ],
  );
  assert.equal(history[0].locale, "de");
});

test("/v1/me/profile: bad values per type get field errors in the person's language, admin-only attributes are refused, nothing of anyone else is reachable", async () => {
  const dee = newPerson("dee");
  const eve = newPerson("eve");
  const deeTokens = await signedUp(dee, "openid email profile phone offline_access account", {
    phone_number: "+44 7700 900123", birthdate: "1980-01-01",
  });
  const eveTokens = await signedUp(eve, "openid email offline_access account");

  const bad = await me(deeTokens.token, "PATCH", {
    birthdate: "2001-02-29", phone_number: "0612345678", country: "XX", sms_updates: "yes",
    zoneinfo: "Mars/Olympus", customer_tier: "platinum", crm_segment: "vip", given_name: "Dee",
  }, "de-DE,de;q=0.9");
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.code, "invalid_profile");
  const byField = Object.fromEntries(bad.body.fields.map((f) => [f.field, f]));
  assert.deepEqual(
    Object.fromEntries(Object.entries(byField).map(([k, f]) => [k, f.code])),
    {
      birthdate: "invalid_date", phone_number: "invalid_phone_number", country: "invalid_country",
      sms_updates: "invalid_boolean", zoneinfo: "invalid_time_zone", customer_tier: "not_editable",
      crm_segment: "unknown_attribute",
    },
  );
  assert.equal(byField.birthdate.message, "Geben Sie ein gültiges Datum im Format JJJJ-MM-TT ein.");
  assert.equal(byField.customer_tier.message, "Nur die Administratoren der Website können dies ändern.");
  const unchanged = await me(deeTokens.token, "GET");
  assert.equal(unchanged.body.attributes.given_name, undefined, "all or nothing");
  const tier = unchanged.body.schema.find((a) => a.name === "customer_tier");
  assert.deepEqual([tier.editable, tier.type], [false, "enum"]);
  assert.equal(unchanged.body.schema.find((a) => a.name === "crm_segment"), undefined, "hook-only attributes are not shown");

  // Parallel changes of different attributes all land.
  const results = await Promise.all([
    me(deeTokens.token, "PATCH", { given_name: "Dee" }),
    me(deeTokens.token, "PATCH", { birthdate: "1985-07-14" }),
    me(deeTokens.token, "PATCH", { phone_number: "+1 202 555 0143" }),
  ]);
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
  const deeNow = (await me(deeTokens.token, "GET")).body.attributes;
  assert.deepEqual(
    [deeNow.given_name, deeNow.birthdate, deeNow.phone_number],
    ["Dee", "1985-07-14", "+12025550143"],
  );

  // Eve sees only herself, whatever she sends; without a token, nothing.
  const eves = await me(eveTokens.token, "GET");
  assert.deepEqual(eves.body.attributes, {});
  const sneaky = await me(eveTokens.token, "PATCH", { sub: "x", id: "y", email: dee.email });
  assert.deepEqual(sneaky.body.fields.map((f) => f.code), ["unknown_attribute", "unknown_attribute", "unknown_attribute"]);
  assert.equal((await me("not-a-token", "GET")).status, 401);
  // The userinfo token of the grant is not an account-API token.
  assert.equal((await me(deeTokens.tokens.access_token, "GET")).status, 401);

  // userinfo: the scopes granted decide what is released.
  const info = await callJson(edge, "GET", "/userinfo", undefined, { authorization: `Bearer ${deeTokens.tokens.access_token}` });
  assert.equal(info.status, 200, info.text);
  assert.equal(info.body.phone_number, "+12025550143");
  assert.equal(info.body.birthdate, "1985-07-14");
  const eveInfo = await callJson(edge, "GET", "/userinfo", undefined, { authorization: `Bearer ${eveTokens.tokens.access_token}` });
  assert.equal(eveInfo.body.phone_number, undefined);
  assert.equal(eveInfo.body.birthdate, undefined);
});
