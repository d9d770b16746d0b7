// Federation end to end: panva's `oidc-provider` (a certified OpenID Provider this
// project did not write) runs on 127.0.0.1 as the upstream, registered with
// scripts/connections twice: `corp` (trusted for no domain) and `trusted` (trusted for
// trusted.example). In Chromium through the widget on the demo page: the provider's
// button, its login and consent pages, and the way back (OIDC Core §3.1, RFC 7636,
// RFC 9207). The ID tokens are RS256, from the provider's own keys. A small local server
// speaks GitHub's OAuth 2.0 and REST formats (`/login/oauth/authorize`,
// `/login/oauth/access_token`, `/api/v3/user`, `/api/v3/user/emails`, as a GitHub
// Enterprise Server serves them) for the GitHub preset, registered through the admin API.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import Provider from "oidc-provider";

import { main as connections } from "../../scripts/connections.mjs";
import { d1, openDemo as openDemoPage, signedInSub, upstreamClient } from "./federation-support.mjs";
import { freePort, keyEncryptionKey, launchBrowser, passphrase, signUpWithPassword, startEdge } from "./harness.mjs";
import { basic, clientsCli, postForm } from "./oidc-support.mjs";

let edge;
let browser;
let upstream;
let upstreamServer;
let github;
/** The admin client registered with scripts/clients: `{client_id, client_secret}`. */
let ops;
const scratch = mkdtempSync(join(tmpdir(), "portcullis-federation-"));

/** Logins typed at the provider become accounts there: `unverified+…` has an unverified address. */
function account(login) {
  return {
    accountId: login,
    async claims() {
      const unverified = login.startsWith("unverified+");
      return { sub: login, email: login.replace(/^unverified\+/, ""), email_verified: !unverified, name: "Ada Upstream" };
    },
  };
}

async function startUpstream(edgeOrigin) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clients = ["corp", "trusted", "viaapi"].map((id) => upstreamClient(edgeOrigin, id));
  // `corp` keeps the provider's tokens (`--store-tokens`): it gets refresh tokens, and
  // access tokens that expire at once, so the next read refreshes.
  clients[0].grant_types = ["authorization_code", "refresh_token"];
  const provider = new Provider(issuer, {
    clients,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    ttl: { AccessToken: (_ctx, _token, client) => (client.clientId === "portcullis-corp" ? 5 : 3600) },
    findAccount: (_ctx, id) => account(id),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The claims go into the ID token itself, as Google's and Microsoft's do.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: { devInteractions: { enabled: true } },
  });
  const seen = { refreshGrants: 0 };
  provider.on("grant.success", (ctx) => {
    if (ctx.oidc.params.grant_type === "refresh_token") seen.refreshGrants += 1;
  });
  const server = createServer(provider.callback());
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { issuer, clients, server, seen };
}

/**
 * A stand-in for GitHub speaking its real formats: the authorize endpoint (the person
 * is `github.nextUser`, already signed in at GitHub, so it redirects at once), the token
 * endpoint (client_secret_post; JSON only with `Accept: application/json`, form-encoded
 * otherwise; a refused code is `200 {"error": "bad_verification_code"}`; PKCE S256),
 * and the REST API (`Authorization: Bearer`, a User-Agent required).
 */
async function startGitHub(edgeOrigin) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = { client_id: "Iv1.8a61f9b3a7aba766", client_secret: `gh-${randomBytes(16).toString("hex")}` };
  const codes = new Map();
  const tokens = new Map();
  const seen = { tokenRequests: [], apiRequests: [] };
  const state = { client, seen, nextUser: undefined };
  const json = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    let body = "";
    for await (const chunk of req) body += chunk;
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== client.client_id || q.get("redirect_uri") !== `${edgeOrigin}/callback/github`) {
        res.writeHead(400).end("The redirect_uri MUST match the registered callback URL for this application.");
        return;
      }
      const code = randomBytes(10).toString("hex");
      codes.set(code, { user: state.nextUser, challenge: q.get("code_challenge"), method: q.get("code_challenge_method") });
      const back = new URL(q.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state"));
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(body);
      seen.tokenRequests.push({ accept: req.headers.accept, form: Object.fromEntries(form) });
      const grant = codes.get(form.get("code"));
      codes.delete(form.get("code"));
      const verifier = form.get("code_verifier") ?? "";
      const ok = grant && form.get("client_id") === client.client_id && form.get("client_secret") === client.client_secret
        && grant.method === "S256" && createHash("sha256").update(verifier).digest("base64url") === grant.challenge;
      const answer = ok
        ? (() => {
          const token = `gho_${randomBytes(18).toString("hex")}`;
          tokens.set(token, grant.user);
          return { access_token: token, token_type: "bearer", scope: "read:user,user:email" };
        })()
        : { error: "bad_verification_code", error_description: "The code passed is incorrect or expired.", error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code" };
      if (req.headers.accept === "application/json") json(res, 200, answer);
      else res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" }).end(new URLSearchParams(answer).toString());
      return;
    }
    if (req.method === "GET" && (url.pathname === "/api/v3/user" || url.pathname === "/api/v3/user/emails")) {
      seen.apiRequests.push({ path: url.pathname, userAgent: req.headers["user-agent"], version: req.headers["x-github-api-version"] });
      const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!req.headers["user-agent"]) {
        json(res, 403, { message: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header" });
      } else if (!user) {
        json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      } else if (url.pathname === "/api/v3/user") {
        json(res, 200, { login: user.login, id: user.id, node_id: "MDQ6VXNlcjE=", type: "User", name: user.name, email: user.publicEmail ?? null });
      } else {
        json(res, 200, user.emails);
      }
      return;
    }
    json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { ...state, base, server, get state() { return state; } };
}

/** Runs scripts/connections against the edge's local state. */
async function connectionsCli(stateDir, args) {
  const code = await connections(["--persist-to", stateDir, ...args]);
  assert.equal(code, 0, `scripts/connections ${args.join(" ")}`);
}

before(async () => {
  edge = await startEdge({
    setup: async ({ stateDir, origin }) => {
      upstream = await startUpstream(origin);
      upstreamServer = upstream.server;
      const kek = join(stateDir, "key-encryption-key");
      keyEncryptionKey(stateDir);
      ops = clientsCli(stateDir, [
        "add", "--id", "ops", "--name", "Operations", "--type", "confidential",
        "--grant-type", "client_credentials", "--scope", "admin.connections.manage", "--scope", "admin.users.manage",
      ]);
      for (const [id, name, extra] of [
        ["corp", "Corp SSO", ["--store-tokens"]],
        ["trusted", "Trusted SSO", ["--trust-email-domain", "trusted.example"]],
      ]) {
        const client = upstream.clients.find((c) => c.client_id === `portcullis-${id}`);
        const secretFile = join(scratch, `${id}.secret`);
        writeFileSync(secretFile, client.client_secret, { mode: 0o600 });
        await connectionsCli(stateDir, [
          "add", "--id", id, "--name", name, "--issuer", upstream.issuer, "--client-id", client.client_id,
          "--client-secret-file", secretFile, "--key-encryption-key-file", kek, ...extra,
        ]);
      }
    },
  });
  github = await startGitHub(edge.origin);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  await new Promise((r) => (upstreamServer ? upstreamServer.close(r) : r()));
  await new Promise((r) => (github ? github.server.close(r) : r()));
  rmSync(scratch, { recursive: true, force: true });
});

const openDemo = () => openDemoPage(browser, edge.origin);

/** Clicks "Continue with {name}" and signs in at the provider's own pages as `login`. */
async function viaProvider(page, name, login) {
  await page.locator("portcullis-signin").getByRole("button", { name: `Continue with ${name}` }).click();
  await page.waitForURL((url) => url.href.startsWith(upstream.issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("anything");
  await page.locator('button[type="submit"]').click();
  // Consent, the first time this login meets the client.
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(edge.origin));
}

const identities = (userId) =>
  d1(edge.stateDir, `SELECT connection_id, subject FROM federated_identities WHERE user_id = '${userId.replaceAll("'", "''")}'`);
const userByEmail = (email) => d1(edge.stateDir, `SELECT id, email_verified FROM users WHERE email = '${email}'`)[0];

/** A password account made through the first-party API, its address then marked proven. */
async function verifiedPasswordAccount(email) {
  const password = passphrase((t) => `harbour ${t} lantern orchard`);
  await signUpWithPassword(edge, { email, password });
  const [{ id }] = d1(edge.stateDir, `UPDATE users SET email_verified = 1 WHERE email = '${email}' RETURNING id`);
  return { email, password, id };
}

const tag = () => randomBytes(5).toString("hex");

test("a first sign-in with the provider creates the account; the next finds the same one", async () => {
  const login = `jit-${tag()}@example.com`;
  const first = await openDemo();
  await viaProvider(first.page, "Corp SSO", login);
  const sub = await signedInSub(first.page);
  assert.equal(new URL(first.page.url()).hash, "", "the ticket left the address bar");
  const created = userByEmail(login);
  assert.equal(created.id, sub);
  assert.equal(created.email_verified, 1);
  assert.deepEqual(identities(sub), [{ connection_id: "corp", subject: login }]);
  assert.deepEqual(first.problems, []);
  await first.page.close();

  const again = await openDemo();
  await viaProvider(again.page, "Corp SSO", login);
  assert.equal(await signedInSub(again.page), sub, "the same account");
  await again.page.close();
  assert.equal(identities(sub).length, 1);
});

test("an existing account with the address and an untrusted connection: the person proves the account, then it links", async () => {
  const person = await verifiedPasswordAccount(`linked-${tag()}@example.com`);
  const { page } = await openDemo();
  await viaProvider(page, "Corp SSO", person.email);
  const widget = page.locator("portcullis-signin");
  await widget.getByRole("alert").filter({ hasText: "sign in to your account here first" }).waitFor();
  assert.deepEqual(identities(person.id), [], "nothing linked before the proof");

  await widget.getByLabel("Email", { exact: true }).fill(person.email);
  await widget.getByRole("button", { name: "Continue", exact: true }).click();
  await widget.getByLabel("Password", { exact: true }).fill(person.password);
  await widget.getByRole("button", { name: "Sign in", exact: true }).click();
  assert.equal(await signedInSub(page), person.id);
  assert.deepEqual(identities(person.id), [{ connection_id: "corp", subject: person.email }]);
  await page.close();

  // From now on the provider alone signs in to that account.
  const again = await openDemo();
  await viaProvider(again.page, "Corp SSO", person.email);
  assert.equal(await signedInSub(again.page), person.id);
  await again.page.close();
});

test("a connection trusted for the address's domain links a verified address automatically", async () => {
  const person = await verifiedPasswordAccount(`auto-${tag()}@trusted.example`);
  const { page } = await openDemo();
  await viaProvider(page, "Trusted SSO", person.email);
  assert.equal(await signedInSub(page), person.id);
  assert.deepEqual(identities(person.id), [{ connection_id: "trusted", subject: person.email }]);
  await page.close();
});

test("an unverified upstream address never links, even on a trusted connection, and creates nothing", async () => {
  const person = await verifiedPasswordAccount(`unverified-${tag()}@trusted.example`);
  const { page } = await openDemo();
  await viaProvider(page, "Trusted SSO", `unverified+${person.email}`);
  await page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "sign in to your account here first" }).waitFor();
  assert.deepEqual(identities(person.id), []);

  const nobody = `unverified-${tag()}@example.com`;
  const other = await openDemo();
  await viaProvider(other.page, "Corp SSO", `unverified+${nobody}`);
  await other.page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "sign in to your account here first" }).waitFor();
  assert.equal(userByEmail(nobody), undefined, "no account for an address nobody proved");
  await page.close();
  await other.page.close();
});

test("the provider's access_denied (the person cancelled there): a clear message, nothing created", async () => {
  const { page } = await openDemo();
  await page.locator("portcullis-signin").getByRole("button", { name: "Continue with Corp SSO" }).click();
  await page.waitForURL((url) => url.href.startsWith(upstream.issuer));
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await page.waitForURL((url) => url.href.startsWith(edge.origin));
  await page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "You cancelled signing in with the provider" }).waitFor();
  assert.equal(new URL(page.url()).hash, "");
  await page.close();
});

test("state: missing, forged, replayed or from another browser, the callback is refused with a page", async () => {
  for (const query of ["", "?code=x", `?code=x&state=${"A".repeat(43)}`]) {
    const response = await fetch(`${edge.api}/callback/corp${query}`, { redirect: "manual" });
    assert.equal(response.status, 400, query);
    assert.match(response.headers.get("content-type") ?? "", /text\/html/);
  }
  // The provider's real answer, caught on its way back and replayed by a script with no cookie.
  const { page } = await openDemo();
  let callback;
  page.on("request", (request) => {
    if (request.url().startsWith(`${edge.origin}/callback/`)) callback ??= request.url();
  });
  await viaProvider(page, "Corp SSO", `replay-${tag()}@example.com`);
  await signedInSub(page);
  const replayed = await fetch(callback.replace(edge.origin, edge.api), { redirect: "manual" });
  assert.equal(replayed.status, 400, "a used state");
  await page.close();
});

test("a flow's return ticket works once, and only for its flow", async () => {
  const response = await fetch(`${edge.api}/v1/flows/${"A".repeat(43)}/federation`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ticket: "B".repeat(43) }),
  });
  assert.equal(response.status, 404);
  assert.equal((await response.json()).code, "flow_not_found");
  const start = await fetch(`${edge.api}/federation/start?ticket=${"C".repeat(43)}`, { redirect: "manual" });
  assert.equal(start.status, 400);
});

test("the hosted sign-in page: /authorize, the provider, and back to the client with a code (RFC 6749 §4.1.2)", async () => {
  const login = `hosted-${tag()}@example.com`;
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(16).toString("base64url");
  const redirectUri = `${edge.origin}/callback`;
  const authorize = new URL("/authorize", edge.origin);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: "demo",
    redirect_uri: redirectUri,
    scope: "openid email",
    state,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  })) {
    authorize.searchParams.set(k, v);
  }
  const page = await browser.newPage();
  await page.goto(authorize.href);
  assert.equal(new URL(page.url()).pathname, "/signin");
  await viaProvider(page, "Corp SSO", login);
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
  const { id_token: idToken } = await token.json();
  const claims = JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString());
  assert.equal(claims.email, login);
  assert.deepEqual(claims.amr, ["fed"]);
  await page.close();
});

/** A call to the admin API with `token`: `{status, body}`. */
async function adminCall(method, path, token, body) {
  const response = await fetch(`${edge.api}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body && { "content-type": "application/json" }),
    },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

/** A person signs up through the first-party API; their access token from /token. */
async function personAccessToken(email) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const json = { "content-type": "application/json", origin: edge.origin };
  const started = await fetch(`${edge.api}/v1/flows`, {
    method: "POST", headers: json,
    body: JSON.stringify({ client_id: "demo", code_challenge: challenge, code_challenge_method: "S256" }),
  });
  const { flow_id } = await started.json();
  const password = passphrase((t) => `harbour ${t} lantern orchard`);
  const outcome = await (await fetch(`${edge.api}/v1/flows/${flow_id}/sign-up`, {
    method: "POST", headers: json, body: JSON.stringify({ email, password }),
  })).json();
  assert.equal(outcome.status, "authorization_code", JSON.stringify(outcome));
  const tokens = await postForm(edge, "/token", {
    grant_type: "authorization_code", code: outcome.authorization_code, code_verifier: verifier, client_id: "demo",
  }, { headers: { origin: edge.origin } });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body.access_token;
}

async function buttons() {
  const response = await fetch(`${edge.api}/v1/clients/demo`, { headers: { origin: edge.origin } });
  return (await response.json()).connections.map((c) => c.id);
}

test("/admin/v1/connections: a connection registered through the API signs people in; its secret is never shown; people and other scopes are refused", async () => {
  const token = await opsToken();
  const upstreamClient = upstream.clients.find((c) => c.client_id === "portcullis-viaapi");
  const connection = {
    id: "viaapi", display_name: "Via API", issuer: upstream.issuer,
    client_id: upstreamClient.client_id, client_secret: upstreamClient.client_secret,
  };

  // Someone who knows only the route: no token, or a signed-in person's own token.
  const personToken = await personAccessToken(`admin-probe-${tag()}@example.com`);
  assert.equal((await adminCall("POST", "/admin/v1/connections", undefined, connection)).status, 401);
  const asPerson = await adminCall("POST", "/admin/v1/connections", personToken, connection);
  assert.equal(asPerson.status, 403);
  assert.equal(asPerson.body.code, "insufficient_scope");
  assert.ok(!(await buttons()).includes("viaapi"), "nothing was registered");

  const refused = await adminCall("POST", "/admin/v1/connections", token, { ...connection, issuer: "http://idp.example" });
  assert.equal(refused.status, 400);
  assert.deepEqual([refused.body.code, refused.body.field], ["invalid_connection_settings", "issuer"]);

  const created = await adminCall("POST", "/admin/v1/connections", token, connection);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.has_secret, true);
  assert.equal(created.body.callback_url, `${edge.origin}/callback/viaapi`);
  assert.ok(!created.text.includes(upstreamClient.client_secret));
  const listed = await adminCall("GET", "/admin/v1/connections", token);
  assert.deepEqual(listed.body.map((c) => c.id).sort(), ["corp", "trusted", "viaapi"], "the CLI's and the API's, one table");
  assert.ok(!listed.text.includes(upstreamClient.client_secret));
  const [row] = d1(edge.stateDir, "SELECT sealed_client_secret FROM connections WHERE id = 'viaapi'");
  assert.ok(row.sealed_client_secret && !row.sealed_client_secret.includes(upstreamClient.client_secret), "sealed at rest");

  // The edge opens the secret it sealed at the provider's token endpoint.
  const login = `api-${tag()}@example.com`;
  const { page } = await openDemo();
  await viaProvider(page, "Via API", login);
  const sub = await signedInSub(page);
  await page.close();
  assert.deepEqual(identities(sub), [{ connection_id: "viaapi", subject: login }]);

  const disabled = await adminCall("PATCH", "/admin/v1/connections/viaapi", token, { enabled: false });
  assert.equal(disabled.body.enabled, false);
  assert.ok(!(await buttons()).includes("viaapi"), "a disabled connection is offered no more");

  assert.equal((await adminCall("DELETE", "/admin/v1/connections/viaapi", token)).status, 204);
  assert.deepEqual(identities(sub), [], "its identities went with it");
  assert.equal((await adminCall("GET", "/admin/v1/connections/viaapi", token)).body.code, "connection_not_found");
  const log = d1(edge.stateDir, "SELECT event_type, data FROM events WHERE event_type LIKE 'system.idp.lifecycle.%'");
  assert.deepEqual(log.map((e) => e.event_type).sort(), [
    "system.idp.lifecycle.create", "system.idp.lifecycle.delete", "system.idp.lifecycle.update",
  ]);
  assert.ok(!JSON.stringify(log).includes(upstreamClient.client_secret), "nor in the System Log");
});

/** The admin client's own token (admin.connections.manage, admin.users.manage). A pooled connection the
 * dev server closed while idle ("other side closed") is retried once, on a new one. */
async function opsToken() {
  const request = () => postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("ops", ops.client_secret) });
  const response = await request().catch((error) => {
    if (error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    return request();
  });
  return response.body.access_token;
}

/** Registers the GitHub preset through the admin API, once. */
let githubRegistered;
async function githubConnection() {
  githubRegistered ??= (async () => {
    const created = await adminCall("POST", "/admin/v1/connections", await opsToken(), {
      id: "github", kind: "github", display_name: "GitHub", issuer: github.base,
      client_id: github.client.client_id, client_secret: github.client.client_secret,
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.scopes, ["read:user", "user:email"]);
  })().catch((error) => {
    githubRegistered = undefined;
    throw error;
  });
  return githubRegistered;
}

function gitHubUser(emails, extra = {}) {
  const id = 1000000 + Math.floor(Math.random() * 1e6);
  return { id, login: `octo-${id}`, name: "Octo Cat", emails, ...extra };
}

test("GitHub preset: only a verified primary address counts; the account is the numeric id, found again on the next sign-in", async () => {
  await githubConnection();
  const address = `octo-${tag()}@example.com`;
  github.state.nextUser = gitHubUser([
    { email: `other-${tag()}@example.com`, primary: false, verified: true, visibility: null },
    { email: address, primary: true, verified: true, visibility: "public" },
  ], { publicEmail: `typed-${tag()}@example.com` });
  const first = await openDemo();
  await first.page.locator("portcullis-signin").getByRole("button", { name: "Continue with GitHub" }).click();
  const sub = await signedInSub(first.page);
  await first.page.close();
  const created = userByEmail(address);
  assert.equal(created.id, sub, "the verified primary address, not the secondary or the public one");
  assert.equal(created.email_verified, 1);
  assert.deepEqual(identities(sub), [{ connection_id: "github", subject: String(github.state.nextUser.id) }]);
  const exchange = github.seen.tokenRequests.at(-1);
  assert.equal(exchange.accept, "application/json");
  assert.ok(exchange.form.code_verifier, "PKCE");
  assert.ok(github.seen.apiRequests.every((r) => r.userAgent && r.version === "2022-11-28"));

  // The same GitHub account, its address since changed there: the same account here.
  github.state.nextUser = { ...github.state.nextUser, emails: [{ email: `moved-${tag()}@example.com`, primary: true, verified: true }] };
  const again = await openDemo();
  await again.page.locator("portcullis-signin").getByRole("button", { name: "Continue with GitHub" }).click();
  assert.equal(await signedInSub(again.page), sub);
  await again.page.close();
});

test("GitHub unverified email ignored: an unverified primary address creates and links nothing, and the person is told it failed", async () => {
  await githubConnection();
  const person = await verifiedPasswordAccount(`octo-victim-${tag()}@example.com`);
  github.state.nextUser = gitHubUser([{ email: person.email, primary: true, verified: false, visibility: "private" }]);
  const { page } = await openDemo();
  await page.locator("portcullis-signin").getByRole("button", { name: "Continue with GitHub" }).click();
  await page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "Signing in with the provider didn't work" }).waitFor();
  await page.close();
  assert.deepEqual(identities(person.id), []);
  assert.equal(d1(edge.stateDir, `SELECT COUNT(*) AS n FROM federated_identities WHERE subject = '${github.state.nextUser.id}'`)[0].n, 0);
});

test("home-realm discovery: an address at a claimed domain goes straight to its provider with login_hint and domain_hint, account or not", async () => {
  const token = await opsToken();
  const claimed = await adminCall("PATCH", "/admin/v1/connections/corp", token, { home_realm_domains: ["hrd.example"] });
  assert.equal(claimed.status, 200, claimed.text);
  try {
    // The first screen's answer depends on the domain alone: same shape with or without an account.
    const existing = await verifiedPasswordAccount(`known-${tag()}@hrd.example`);
    const shapes = [];
    for (const email of [existing.email, `unknown-${tag()}@hrd.example`]) {
      const response = await fetch(`${edge.api}/v1/flows`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: edge.origin },
        body: JSON.stringify({ client_id: "demo", login_hint: email, code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" }),
      });
      const { flow_id, ...rest } = await response.json();
      assert.ok(flow_id);
      shapes.push([response.status, rest]);
    }
    assert.deepEqual(shapes[0], shapes[1]);
    assert.equal(shapes[0][1].next, "provider");
    assert.equal(shapes[0][1].connection, "corp");

    // In the widget: type the address, and the person is at the company's provider.
    const login = `hrd-${tag()}@hrd.example`;
    const { page, problems } = await openDemo();
    const upstreamRequests = [];
    page.on("request", (request) => {
      if (request.url().startsWith(upstream.issuer)) upstreamRequests.push(new URL(request.url()));
    });
    const widget = page.locator("portcullis-signin");
    await widget.getByLabel("Email", { exact: true }).fill(login);
    await widget.getByRole("button", { name: "Continue", exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(upstream.issuer));
    const authorize = upstreamRequests.find((url) => url.searchParams.has("client_id"));
    assert.equal(authorize.searchParams.get("login_hint"), login);
    assert.equal(authorize.searchParams.get("domain_hint"), "hrd.example");
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("anything");
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    const sub = await signedInSub(page);
    assert.deepEqual(identities(sub), [{ connection_id: "corp", subject: login }]);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await adminCall("PATCH", "/admin/v1/connections/corp", token, { home_realm_domains: null });
  }
});

test("store_tokens: the provider's tokens are kept sealed per identity, refreshed through the admin API, erased there and with the account; other connections keep nothing", async () => {
  const login = `keep-${tag()}@example.com`;
  const signIn = async () => {
    const { page } = await openDemo();
    await viaProvider(page, "Corp SSO", login);
    const sub = await signedInSub(page);
    await page.close();
    return sub;
  };
  const sub = await signIn();
  const kept = () => d1(edge.stateDir, `SELECT sealed_tokens FROM upstream_tokens WHERE connection_id = 'corp' AND subject = '${login}'`);
  assert.equal(kept().length, 1, "kept for (corp, subject)");
  const token = await opsToken();
  const path = `/admin/v1/users/${sub}/identities/corp/tokens`;
  const held = await adminCall("GET", path, token);
  assert.equal(held.status, 200, held.text);
  assert.equal(held.body.held, true);
  assert.ok(held.body.scopes.includes("openid"));
  assert.equal(held.body.access_token, undefined, "never a token unless asked");

  // The kept access token has expired: the refresh token gets a new one (RFC 6749 §6).
  const before = upstream.seen.refreshGrants;
  const live = await adminCall("GET", `${path}?include=access_token`, token);
  assert.equal(live.status, 200, live.text);
  assert.equal(upstream.seen.refreshGrants - before, 1, "one refresh_token grant at the provider");
  const me = await fetch(`${upstream.issuer}/me`, { headers: { authorization: `Bearer ${live.body.access_token}` } });
  assert.equal((await me.json()).sub, login, "a live token the provider honours");
  assert.ok(!kept()[0].sealed_tokens.includes(live.body.access_token), "sealed at rest");
  const wrong = await adminCall("GET", `${path}?include=refresh_token`, token);
  assert.deepEqual([wrong.status, wrong.body.code], [400, "invalid_request"]);

  assert.equal((await adminCall("DELETE", path, token)).status, 204);
  assert.deepEqual(kept(), []);
  assert.equal((await adminCall("GET", path, token)).body.held, false);
  const log = d1(edge.stateDir, `SELECT event_type FROM events WHERE event_type LIKE 'user.identity.tokens.%' AND data LIKE '%${sub}%'`);
  assert.deepEqual(log.map((e) => e.event_type).sort(), ["user.identity.tokens.erase", "user.identity.tokens.read"]);

  // Kept again at the next sign-in, and erased with the account.
  assert.equal(await signIn(), sub);
  assert.equal(kept().length, 1);
  assert.equal((await adminCall("POST", `/admin/v1/users/${sub}/lifecycle/delete`, token)).status, 204);
  assert.deepEqual(kept(), [], "erased with the account");
  const gone = await adminCall("GET", path, token);
  assert.deepEqual([gone.status, gone.body.code], [404, "user_not_found"]);

  // The connections without store_tokens (trusted, the GitHub preset, the API's) kept nothing.
  assert.deepEqual(d1(edge.stateDir, "SELECT connection_id FROM upstream_tokens WHERE connection_id <> 'corp'"), []);
});
