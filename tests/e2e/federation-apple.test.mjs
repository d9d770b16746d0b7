// Federation presets and claims end to end, in Chromium through the widget, with panva's
// `oidc-provider` (a certified OpenID Provider this project did not write) as upstream:
//
// - Dressed as Apple (`apple`, registered through the admin API): it answers with
//   `response_mode=form_post` from another site (127.0.0.1, the edge being localhost),
//   adds Apple's `user` field (the name) to its form on an account's first consent only,
//   writes `email_verified` and `is_private_email` as strings, and its token endpoint
//   takes Apple's client secret: an ES256 JWT (`kid` the key id, `iss` the team id,
//   `sub` the Services ID, `aud` https://appleid.apple.com) that the stand-in verifies
//   with the public half of the key the connection holds sealed, before letting
//   oidc-provider see the request.
// - A company's provider (`claims`) whose ID tokens carry nothing but `sub`
//   (oidc-provider's default): the address and the profile come from its userinfo
//   endpoint, which the connection asks for, mapped to the profile by the connection.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, verify as verifySignature } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";

import Provider from "oidc-provider";

import { d1 as d1In, openDemo as openDemoPage, signedInSub } from "./federation-support.mjs";
import { freePort, keyEncryptionKey, launchBrowser, passphrase, ROOT, signUpWithPassword, startEdge } from "./harness.mjs";
import { basic, clientsCli, newestMail, postForm } from "./oidc-support.mjs";

const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

const TEAM_ID = "TEAM123456";
const KEY_ID = "KEY1234567";
const SERVICES_ID = "com.example.portcullis.web";
/** The Sign in with Apple key, as Apple hands it out (AuthKey_KEY1234567.p8). */
const authKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
const authKeyPem = authKey.privateKey.export({ type: "pkcs8", format: "pem" });

let edge;
let browser;
let apple;
let corp;
let ops;

const tag = () => randomBytes(5).toString("hex");
const part = (jwt, n) => JSON.parse(Buffer.from(jwt.split(".")[n], "base64url").toString());

/** Apple's rules for the client secret, checked with the key's public half. */
function appleClientSecretOk(jwt) {
  try {
    const [header, payload, signature] = jwt.split(".");
    const signed = verifySignature(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      { key: authKey.publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
    const [h, c] = [part(jwt, 0), part(jwt, 1)];
    const now = Math.floor(Date.now() / 1000);
    return signed && h.alg === "ES256" && h.kid === KEY_ID && c.iss === TEAM_ID && c.sub === SERVICES_ID
      && c.aud === "https://appleid.apple.com" && c.iat <= now + 60 && c.exp > now && c.exp - c.iat <= 15_777_000;
  } catch {
    return false;
  }
}

const htmlAttribute = (text) => text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

async function startApple(edgeOrigin) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const internalSecret = randomBytes(16).toString("hex");
  const consented = new Set();
  const state = { clientSecrets: [], forgedUser: undefined };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: SERVICES_ID,
      client_secret: internalSecret,
      redirect_uris: [`${edgeOrigin}/callback/apple`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    }],
    findAccount: (_ctx, login) => ({
      accountId: login,
      async claims() {
        // Apple writes its flags as strings; a private relay address comes with
        // is_private_email.
        const relay = login.endsWith("@privaterelay.appleid.com");
        return { sub: login, email: login, ...(relay ? { is_private_email: "true" } : { email_verified: "true" }) };
      },
    }),
    scopes: ["openid", "email", "name"],
    claims: { openid: ["sub"], email: ["email", "email_verified", "is_private_email"] },
    // Apple's ID tokens carry the address.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: { devInteractions: { enabled: true } },
  });
  provider.use(async (ctx, next) => {
    if (ctx.method === "POST" && ctx.path === "/token") {
      let body = "";
      for await (const chunk of ctx.req) body += chunk;
      const form = new URLSearchParams(body);
      const secret = form.get("client_secret") ?? "";
      state.clientSecrets.push(secret);
      form.set("client_secret", appleClientSecretOk(secret) ? internalSecret : "refused");
      ctx.req.body = form.toString();
    }
    await next();
    // Apple's form POST carries `user` (the name) on the account's first consent only.
    if (typeof ctx.body === "string" && ctx.body.includes(`action="${edgeOrigin}/callback/apple"`)) {
      const account = ctx.oidc?.session?.accountId;
      let user = state.forgedUser;
      if (!user && account && !consented.has(account)) {
        user = { name: { firstName: "Ada", lastName: "Lovelace" }, email: account };
      }
      if (account) consented.add(account);
      if (user) {
        ctx.body = ctx.body.replace(/(<form method="post"[^>]*>)/, `$1<input type="hidden" name="user" value="${htmlAttribute(JSON.stringify(user))}"/>`);
      }
    }
  });
  const server = createServer(provider.callback());
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { issuer, server, state };
}

async function startCorp(edgeOrigin) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const client = {
    client_id: "portcullis-claims",
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${edgeOrigin}/callback/claims`],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  };
  const provider = new Provider(issuer, {
    clients: [client],
    findAccount: (_ctx, login) => ({
      accountId: login,
      async claims() {
        const unverified = login.startsWith("unverified+");
        return {
          sub: login, email: login.replace(/^unverified\+/, ""), email_verified: !unverified,
          name: "Ada Upstream", nickname: "Countess", locale: "fr-FR", zoneinfo: "Europe/Paris",
        };
      },
    }),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "nickname", "locale", "zoneinfo"] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: { devInteractions: { enabled: true } },
  });
  const server = createServer(provider.callback());
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { issuer, server, client };
}

before(async () => {
  edge = await startEdge({
    setup: async ({ stateDir, origin }) => {
      keyEncryptionKey(stateDir);
      apple = await startApple(origin);
      corp = await startCorp(origin);
      ops = clientsCli(stateDir, [
        "add", "--id", "ops", "--name", "Operations", "--type", "confidential",
        "--grant-type", "client_credentials", "--scope", "admin.connections.manage",
      ]);
    },
  });
  browser = await launchBrowser();
  const token = await opsToken();
  const registered = await adminCall("POST", "/admin/v1/connections", token, {
    id: "apple", kind: "apple", display_name: "Apple", issuer: apple.issuer, client_id: SERVICES_ID,
    client_secret: authKeyPem, apple: { team_id: TEAM_ID, key_id: KEY_ID }, position: 1,
  });
  assert.equal(registered.status, 201, registered.text);
  assert.deepEqual(registered.body.apple, { team_id: TEAM_ID, key_id: KEY_ID });
  assert.deepEqual(registered.body.scopes, ["openid", "name", "email"]);
  assert.equal(registered.body.has_secret, true);
  assert.ok(!registered.text.includes("PRIVATE KEY"), "the key is never shown");
  const claims = await adminCall("POST", "/admin/v1/connections", token, {
    id: "claims", display_name: "Claims SSO", issuer: corp.issuer, client_id: corp.client.client_id,
    client_secret: corp.client.client_secret, trusted_email_domains: ["trusted.example"], position: 2,
    userinfo: true, claims: { name: "nickname", locale: "locale", zoneinfo: "zoneinfo" },
  });
  assert.equal(claims.status, 201, claims.text);
  assert.deepEqual([claims.body.userinfo, claims.body.claims.name], [true, "nickname"]);
}, { timeout: 600_000 });
after(async () => {
  await browser?.close();
  await edge?.dispose();
  for (const upstream of [apple, corp]) await new Promise((r) => (upstream ? upstream.server.close(r) : r()));
});

async function adminCall(method, path, token, body) {
  const response = await fetch(`${edge.api}${path}`, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body && { "content-type": "application/json" }) },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

async function opsToken() {
  const request = () => postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("ops", ops.client_secret) });
  const response = await request().catch((error) => {
    if (error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    return request();
  });
  return response.body.access_token;
}

const d1 = (sql) => d1In(edge.stateDir, sql);
const person = (email) => d1(`SELECT id, name, given_name, family_name, email_verified, profile FROM users WHERE email = '${email}'`)[0];
const identities = (userId) => d1(`SELECT connection_id, subject FROM federated_identities WHERE user_id = '${userId}'`);

const openDemo = () => openDemoPage(browser, edge.origin, AXE);

/** "Continue with {name}", then the provider's own login and consent pages as `login`. */
async function atProvider(page, name, issuer, login) {
  await page.locator("portcullis-signin").getByRole("button", { name: `Continue with ${name}` }).click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("anything");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
}

test("Apple: the form_post answer from another site comes back to the browser that left; the first consent's name names the new account", async () => {
  const login = `apple-${tag()}@example.com`;
  const { page, problems } = await openDemo();
  const posts = [];
  page.on("request", (request) => {
    if (request.url() === `${edge.origin}/callback/apple`) posts.push({ method: request.method(), body: request.postData() });
  });
  await atProvider(page, "Apple", apple.issuer, login);
  const sub = await signedInSub(page);
  await page.close();
  assert.deepEqual(posts.map((p) => p.method), ["POST"], "response_mode=form_post");
  assert.ok(new URLSearchParams(posts[0].body).has("user"), "Apple's first-consent user field");
  const created = person(login);
  assert.equal(created.id, sub);
  assert.deepEqual([created.name, created.given_name, created.family_name], ["Ada Lovelace", "Ada", "Lovelace"]);
  assert.equal(created.email_verified, 1, "email_verified \"true\" as a string");
  assert.deepEqual(identities(sub), [{ connection_id: "apple", subject: login }]);
  assert.ok(apple.state.clientSecrets.length > 0 && apple.state.clientSecrets.every(appleClientSecretOk), "a valid ES256 client secret at each exchange");
  assert.deepEqual(problems, []);
  const [event] = d1(`SELECT event_type FROM events WHERE event_type = 'user.authentication.auth_via_social' AND data LIKE '%${sub}%' LIMIT 1`);
  assert.ok(event, "user.authentication.auth_via_social");
});

test("Apple: a forged user field on a later sign-in renames nobody", async () => {
  const login = `apple-forged-${tag()}@example.com`;
  const first = await openDemo();
  await atProvider(first.page, "Apple", apple.issuer, login);
  const sub = await signedInSub(first.page);
  await first.page.close();
  apple.state.forgedUser = { name: { firstName: "Eve", lastName: "Mallory" } };
  try {
    const again = await openDemo();
    await atProvider(again.page, "Apple", apple.issuer, login);
    assert.equal(await signedInSub(again.page), sub);
    await again.page.close();
  } finally {
    apple.state.forgedUser = undefined;
  }
  assert.equal(person(login).name, "Ada Lovelace");
});

test("Apple: a form_post without the browser's cookie, or replayed, is refused and creates nothing", async () => {
  const login = `apple-csrf-${tag()}@example.com`;
  const { page } = await openDemo();
  let caught;
  await page.route(`${edge.origin}/callback/apple`, async (route) => {
    caught = route.request().postData();
    await route.abort();
  });
  await atProvider(page, "Apple", apple.issuer, login).catch(() => {});
  await page.waitForFunction(() => true);
  for (let i = 0; i < 50 && !caught; i += 1) await new Promise((r) => setTimeout(r, 100));
  await page.close();
  assert.ok(caught, "the provider's form POST");
  const post = () => fetch(`${edge.api}/callback/apple`, {
    method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: caught,
  });
  const scripted = await post();
  assert.equal(scripted.status, 400, "no cookie: a script, or another browser");
  assert.match(scripted.headers.get("content-type") ?? "", /text\/html/);
  assert.equal((await post()).status, 400, "replayed");
  assert.equal(person(login), undefined, "nothing created");
});

test("Apple: a private relay address is the new account's verified address", async () => {
  const relay = `${tag()}@privaterelay.appleid.com`;
  const { page } = await openDemo();
  await atProvider(page, "Apple", apple.issuer, relay);
  const sub = await signedInSub(page);
  await page.close();
  const created = person(relay);
  assert.equal(created.id, sub);
  assert.equal(created.email_verified, 1, "is_private_email, no email_verified");
});

test("Apple's client secret is never accepted as a user token", async () => {
  const secret = apple.state.clientSecrets.at(-1);
  assert.ok(secret, "an exchange happened");
  for (const path of ["/userinfo", "/v1/me/identities", "/admin/v1/connections"]) {
    const response = await fetch(`${edge.api}${path}`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(response.status, 401, path);
  }
});

test("claim mapping and userinfo: the address and the profile of a new account come from the provider's userinfo, mapped and checked", async () => {
  const login = `claims-${tag()}@example.com`;
  const { page } = await openDemo();
  await atProvider(page, "Claims SSO", corp.issuer, login);
  const sub = await signedInSub(page);
  await page.close();
  const created = person(login);
  assert.equal(created.id, sub, "the ID token had no address: userinfo's, verified, made the account");
  assert.equal(created.name, "Countess", "name ← nickname");
  assert.deepEqual(JSON.parse(created.profile), { locale: "fr-FR", zoneinfo: "Europe/Paris" });
});

test("an unverified address from userinfo never links, even on a connection trusted for its domain", async () => {
  const email = `victim-${tag()}@trusted.example`;
  await signUpWithPassword(edge, { email, password: passphrase((t) => `harbour ${t} lantern orchard`) });
  const [{ id }] = d1(`UPDATE users SET email_verified = 1 WHERE email = '${email}' RETURNING id`);
  const { page } = await openDemo();
  await atProvider(page, "Claims SSO", corp.issuer, `unverified+${email}`);
  await page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "sign in to your account here first" }).waitFor();
  await page.close();
  assert.deepEqual(identities(id), []);
});

/** What axe finds to fix in the widget (its shadow tree included); "needs review" counts. */
async function axe(page) {
  return page.locator("portcullis-signin").evaluate(async (element, tags) => {
    const { violations, incomplete } = await window.axe.run(element, { runOnly: { type: "tag", values: tags } });
    return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
  }, AXE_TAGS);
}

test("signed-in area: linked accounts are listed; the only way to sign in stays; unlinking another tells the owner by email; axe-clean", async () => {
  // An account made through Apple: Apple is its only way to sign in.
  const login = `apple-only-${tag()}@example.com`;
  const only = await openDemo();
  await atProvider(only.page, "Apple", apple.issuer, login);
  const sub = await signedInSub(only.page);
  const widget = only.page.locator("portcullis-signin");
  const section = widget.getByRole("region", { name: "Linked accounts" });
  await section.getByRole("listitem").filter({ hasText: `Apple (${login})` }).waitFor();
  assert.deepEqual(await axe(only.page), [], "the list");
  await section.getByRole("button", { name: `Unlink Apple (${login})` }).click();
  await widget.getByText("only way to sign in", { exact: false }).waitFor();
  assert.deepEqual(identities(sub), [{ connection_id: "apple", subject: login }], "kept");
  assert.deepEqual(only.problems, []);
  await only.page.close();

  // A password account linked automatically (a trusted domain): the owner is told, and
  // may unlink it from the signed-in area.
  const email = `linked-${tag()}@trusted.example`;
  await signUpWithPassword(edge, { email, password: passphrase((t) => `harbour ${t} lantern orchard`) });
  const [{ id }] = d1(`UPDATE users SET email_verified = 1 WHERE email = '${email}' RETURNING id`);
  const { page, problems } = await openDemo();
  await atProvider(page, "Claims SSO", corp.issuer, email);
  assert.equal(await signedInSub(page), id);
  const linkedMail = await newestMail(edge, email);
  assert.match(linkedMail.subject, /Claims SSO was linked/);
  const area = page.locator("portcullis-signin").getByRole("region", { name: "Linked accounts" });
  await area.getByRole("button", { name: `Unlink Claims SSO (${email})` }).click();
  await area.waitFor({ state: "hidden" });
  assert.deepEqual(identities(id), []);
  const unlinkedMail = await newestMail(edge, email);
  assert.match(unlinkedMail.subject, /Claims SSO was removed/);
  const [event] = d1(`SELECT event_type FROM events WHERE event_type = 'user.identity.unlink' AND data LIKE '%${id}%'`);
  assert.ok(event, "user.identity.unlink");
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});
