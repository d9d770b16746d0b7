// The edge as an OpenID Connect provider, driven by a relying-party library this project
// did not write (openid-client 6), with the hosted sign-in page in headless Chromium.
// Clients are registered with scripts/clients; users through the first-party API.
//
// The tests run in order and build on each other (sign in, then use what was issued).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oidc from "openid-client";

import { launchBrowser } from "./harness.mjs";
import {
  assertNoServerErrors,
  atHash,
  basic,
  clientsCli,
  createUser,
  decodeJws,
  getManual,
  postForm,
  random,
  recordingFetch,
  startOidcEdge,
  verifyEs256,
  watchContext,
} from "./oidc-support.mjs";

let env; // { edge, rp, clients }
let browser;
let user;
let issuer;
let jwks;
let spa; // openid-client Configuration: public client, PKCE, no authentication
let web; // confidential client, client_secret_basic
let webPost; // the same client, client_secret_post
let context; // the browser context that holds the SSO session
const started = Math.floor(Date.now() / 1000);
let first; // { tokens, claims } from the first sign-in

/** openid-client's discovery against the live edge (an http issuer on loopback). */
function discover(clientId, auth, metadata) {
  return oidc.discovery(issuer, clientId, metadata, auth, {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
    [oidc.customFetch]: recordingFetch,
  });
}

before(async () => {
  env = await startOidcEdge();
  issuer = new URL(env.edge.origin);
  browser = await launchBrowser();
  user = await createUser(env.edge, "spa");
});
after(async () => {
  await browser?.close();
  await env?.close();
});

/** A page in a fresh browser context (no cookies) whose responses are recorded. */
async function freshPage() {
  const page = await browser.newPage();
  watchContext(page.context());
  return page;
}

/** Starts a code flow for `config`; returns the URL and what the callback is checked with. */
function startCodeFlow(config, redirectUri, extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  return oidc.calculatePKCECodeChallenge(verifier).then((challenge) => ({
    url: oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid profile email offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
      nonce,
      ...extra,
    }),
    checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
  }));
}

/** Waits until `page` is at the relying party and returns that URL. */
async function atRelyingParty(page) {
  await page.waitForURL((url) => url.origin === env.rp.origin, { timeout: 30_000 });
  return new URL(page.url());
}

/** Signs in on the hosted page by its labels: Email, Continue, Password, Sign in. */
async function signInOnHostedPage(page, { email, password }) {
  const emailField = page.getByLabel("Email", { exact: true });
  const passwordField = page.getByLabel("Password", { exact: true });
  await emailField.or(passwordField).first().waitFor({ timeout: 30_000 });
  if (await emailField.isVisible()) {
    await emailField.fill(email);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
  }
  await passwordField.fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** OIDC Core §3.1.3.7 and §3.1.3.8 beyond what openid-client checks for a code flow. */
function checkIdToken(tokens, clientId) {
  const { header, payload } = verifyEs256(tokens.id_token, jwks);
  assert.equal(payload.iss, env.edge.origin);
  assert.deepEqual([payload.aud].flat(), [clientId]);
  assert.equal(payload.at_hash, atHash(tokens.access_token), "at_hash (§3.1.3.8)");
  assert.equal(typeof payload.auth_time, "number", "auth_time");
  assert.ok(payload.auth_time >= started - 5 && payload.auth_time <= Date.now() / 1000 + 5, `auth_time ${payload.auth_time}`);
  assert.ok(Array.isArray(payload.amr) && payload.amr.includes("pwd"), `amr ${JSON.stringify(payload.amr)} (RFC 8176 "pwd")`);
  assert.ok(payload.exp > payload.iat, "exp after iat");
  assert.ok(header.kid, "the ID token names its key");
  return payload;
}

/** RFC 9068: the access token is a JWT with typ at+jwt, signed with a published key. */
function checkAccessToken(token, clientId) {
  const { header, payload } = verifyEs256(token, jwks);
  assert.equal(header.typ.toLowerCase(), "at+jwt", "RFC 9068 §2.1: typ at+jwt");
  assert.equal(payload.iss, env.edge.origin);
  assert.equal(payload.client_id, clientId);
  for (const claim of ["aud", "exp", "iat", "jti", "sub"]) assert.ok(payload[claim] !== undefined, `RFC 9068 §2.2: ${claim}`);
  return payload;
}

test("OIDC Discovery 1.0 §4 and RFC 8414 §3: metadata at both well-known URIs", async () => {
  const response = await recordingFetch(`${env.edge.api}/.well-known/openid-configuration`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^application\/json/);
  const meta = await response.json();
  const origin = env.edge.origin;
  assert.equal(meta.issuer, origin, "the pinned ISSUER");
  for (const [key, path] of [
    ["authorization_endpoint", "/authorize"],
    ["token_endpoint", "/token"],
    ["userinfo_endpoint", "/userinfo"],
    ["revocation_endpoint", "/revoke"],
    ["introspection_endpoint", "/introspect"],
    ["end_session_endpoint", "/logout"],
  ]) {
    assert.equal(meta[key], `${origin}${path}`, key);
  }
  assert.ok(meta.jwks_uri.startsWith(origin), "jwks_uri");
  assert.deepEqual(meta.response_types_supported, ["code"], "code flow only (no implicit)");
  assert.deepEqual(meta.code_challenge_methods_supported, ["S256"], "PKCE S256 only");
  assert.deepEqual(meta.id_token_signing_alg_values_supported, ["ES256"]);
  assert.equal(meta.authorization_response_iss_parameter_supported, true, "RFC 9207 §3");
  for (const grant of ["authorization_code", "refresh_token", "client_credentials"]) {
    assert.ok(meta.grant_types_supported.includes(grant), grant);
  }
  for (const forbidden of ["implicit", "password"]) assert.ok(!meta.grant_types_supported.includes(forbidden), forbidden);
  for (const method of ["client_secret_basic", "client_secret_post", "none"]) {
    assert.ok(meta.token_endpoint_auth_methods_supported.includes(method), method);
  }
  for (const scope of ["openid", "profile", "email", "offline_access"]) assert.ok(meta.scopes_supported.includes(scope), scope);
  assert.ok(meta.subject_types_supported.includes("public"));
  for (const prompt of ["none", "login"]) assert.ok(meta.prompt_values_supported?.includes(prompt) ?? true, prompt);

  const oauth = await recordingFetch(`${env.edge.api}/.well-known/oauth-authorization-server`);
  assert.equal(oauth.status, 200);
  const oauthMeta = await oauth.json();
  assert.equal(oauthMeta.issuer, origin);
  assert.equal(oauthMeta.token_endpoint, meta.token_endpoint);
  assert.equal(oauthMeta.jwks_uri, meta.jwks_uri);

  // The third-party client accepts the metadata (issuer check included).
  spa = await discover("spa", oidc.None());
  web = await discover("web", oidc.ClientSecretBasic(env.clients.web.client_secret));
  webPost = await discover("web", oidc.ClientSecretPost(env.clients.web.client_secret));
  assert.equal(spa.serverMetadata().issuer, origin);
});

test("RFC 7517: the JWKS publishes ES256 P-256 public keys with a kid, and nothing private", async () => {
  const jwksUri = spa.serverMetadata().jwks_uri;
  const response = await recordingFetch(jwksUri.replace(env.edge.origin, env.edge.api));
  assert.equal(response.status, 200);
  jwks = await response.json();
  assert.ok(jwks.keys.length >= 1);
  for (const key of jwks.keys) {
    assert.equal(key.kty, "EC");
    assert.equal(key.crv, "P-256");
    assert.ok(typeof key.kid === "string" && key.kid.length > 0, "kid");
    assert.ok(key.alg === undefined || key.alg === "ES256", `alg ${key.alg}`);
    assert.ok(key.use === undefined || key.use === "sig", `use ${key.use}`);
    for (const secret of ["d", "p", "q", "dp", "dq", "qi", "k"]) assert.equal(key[secret], undefined, `no ${secret}`);
  }
  assert.equal(new Set(jwks.keys.map((k) => k.kid)).size, jwks.keys.length, "kids are unique");
});

test("first-party flow: the embedded sign-up's code is redeemed at /token with the PKCE verifier", async () => {
  const response = await postForm(env.edge, "/token", {
    grant_type: "authorization_code",
    code: user.code,
    code_verifier: user.verifier,
    client_id: "spa",
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.token_type.toLowerCase(), "bearer");
  assert.match(response.headers.get("cache-control") ?? "", /no-store/, "RFC 6749 §5.1");
  checkAccessToken(response.body.access_token, "spa");
  user.sub = decodeJws(response.body.access_token).payload.sub;
});

test("RFC 6749 §4.1 + RFC 7636 + RFC 9207: code flow with PKCE through the hosted sign-in page", async () => {
  context = (await freshPage()).context();
  const page = context.pages()[0];
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`);

  // Without a session, /authorize sends the person to the hosted sign-in page.
  const bounce = await getManual(flow.url.href.replace(env.edge.origin, env.edge.api));
  assert.equal(bounce.status, 302);
  assert.equal(bounce.location.pathname, "/signin");
  assert.ok(bounce.location.searchParams.get("flow"), "flow handle");
  assert.equal(bounce.location.searchParams.get("client_id"), "spa");

  await page.goto(flow.url.href);
  assert.equal(new URL(page.url()).pathname, "/signin");
  await signInOnHostedPage(page, user);
  const callback = await atRelyingParty(page);
  assert.equal(callback.pathname, "/cb");
  assert.equal(callback.searchParams.get("iss"), env.edge.origin, "RFC 9207 iss");
  assert.ok(callback.searchParams.get("code"));

  // openid-client checks state, iss, PKCE, and the ID token (signature against the
  // JWKS, iss, aud, exp, iat, nonce).
  const tokens = await oidc.authorizationCodeGrant(spa, callback, flow.checks);
  assert.equal(tokens.token_type.toLowerCase(), "bearer");
  assert.ok(tokens.refresh_token, "offline_access + refresh_token grant: a refresh token");
  assert.ok(tokens.expiresIn() > 0 && tokens.expiresIn() <= 600, `expires_in ${tokens.expires_in}`);
  const claims = checkIdToken(tokens, "spa");
  assert.equal(claims.sub, user.sub, "the same person as at sign-up");
  assert.equal(claims.nonce, flow.checks.expectedNonce);
  assert.deepEqual(tokens.claims().sub, claims.sub);
  checkAccessToken(tokens.access_token, "spa");
  first = { tokens, claims };
});

test("RFC 6265bis §4.1.2.5–7, §4.1.3.2: the SSO cookie is __Host-, HttpOnly, Secure and SameSite (DESIGN.md)", async () => {
  // http://localhost is a secure context and Chromium keeps Secure cookies it sets, so
  // Secure is testable here, not only behind https.
  const cookies = await context.cookies(env.edge.origin);
  assert.ok(cookies.length >= 1, "an SSO cookie was set");
  // RFC 6265bis §4.1.3.2: `__Host-` (Secure, Path=/, no Domain), so no sibling host can
  // plant a session cookie of that name.
  const session = cookies.find((c) => c.name === "__Host-portcullis_session");
  assert.ok(session, `the session cookie is __Host- prefixed: ${cookies.map((c) => c.name)}`);
  assert.equal(session.path, "/");
  assert.ok(!session.domain.startsWith("."), `host-only: ${session.domain}`);
  for (const cookie of cookies) {
    assert.equal(cookie.httpOnly, true, `${cookie.name} HttpOnly`);
    assert.notEqual(cookie.sameSite, "None", `${cookie.name} SameSite`);
    assert.equal(cookie.secure, true, `${cookie.name} Secure`);
  }
});

test("OIDC Core §5.3: userinfo answers with the claims of the granted scopes", async () => {
  const info = await oidc.fetchUserInfo(spa, first.tokens.access_token, first.claims.sub);
  assert.equal(info.sub, user.sub);
  assert.equal(info.email, user.email);
  assert.equal(typeof info.email_verified, "boolean");
  assert.equal(info.name, user.name);
});

test("RFC 6749 §6: a refresh rotates the refresh token and issues a new access token", async () => {
  const refreshed = await oidc.refreshTokenGrant(spa, first.tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.access_token, first.tokens.access_token);
  assert.ok(refreshed.refresh_token, "rotated: a new refresh token");
  assert.notEqual(refreshed.refresh_token, first.tokens.refresh_token);
  checkAccessToken(refreshed.access_token, "spa");
  if (refreshed.id_token) {
    // OIDC Core §12.2: same iss, sub, aud as the original ID token.
    const claims = checkIdToken(refreshed, "spa");
    assert.equal(claims.sub, first.claims.sub);
  }
  const info = await oidc.fetchUserInfo(spa, refreshed.access_token, first.claims.sub);
  assert.equal(info.sub, user.sub);
  first.refreshed = refreshed;
});

test("RFC 7009: a revoked refresh token can no longer be used", async () => {
  const token = first.refreshed.refresh_token;
  await oidc.tokenRevocation(spa, token, { token_type_hint: "refresh_token" });
  await assert.rejects(oidc.refreshTokenGrant(spa, token), (e) => e.error === "invalid_grant");
  // §2.2: revoking an unknown or already revoked token is not an error.
  await oidc.tokenRevocation(spa, token);
  await oidc.tokenRevocation(spa, random(32));
});

let webTokens;

test("OIDC Core §3.1.2.1: with the SSO session a second /authorize (another client) returns at once", async () => {
  const page = await context.newPage();
  const flow = await startCodeFlow(web, `${env.rp.origin}/web/cb`);
  const seen = [];
  page.on("framenavigated", (frame) => frame === page.mainFrame() && seen.push(new URL(frame.url()).pathname));
  await page.goto(flow.url.href);
  const callback = await atRelyingParty(page);
  assert.equal(callback.pathname, "/web/cb");
  assert.ok(!seen.includes("/signin"), `no sign-in page on the way: ${seen}`);
  webTokens = await oidc.authorizationCodeGrant(web, callback, flow.checks);
  const claims = checkIdToken(webTokens, "web");
  assert.equal(claims.sub, first.claims.sub);
  assert.equal(claims.auth_time, first.claims.auth_time, "the same authentication event");
  await page.close();
});

test("OIDC Core §3.1.2.1: max_age returns at once while the session is younger, asks again when older", async () => {
  const page = await context.newPage();
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`, { max_age: "3600" });
  await page.goto(flow.url.href);
  const callback = await atRelyingParty(page);
  const tokens = await oidc.authorizationCodeGrant(spa, callback, { ...flow.checks, maxAge: 3600 });
  assert.equal(tokens.claims().auth_time, first.claims.auth_time);

  // A max_age the session has outlived sends the person to sign in again.
  const age = Date.now() / 1000 - first.claims.auth_time;
  if (age < 2.5) await new Promise((r) => setTimeout(r, (2.5 - age) * 1000));
  const stale = await startCodeFlow(spa, `${env.rp.origin}/cb`, { max_age: "1" });
  await page.goto(stale.url.href);
  assert.equal(new URL(page.url()).pathname, "/signin", "max_age=1 after more than a second: sign in again");
  await page.close();
});

test("OIDC Core §3.1.2.1: prompt=login asks again despite the session; login_hint fills in the email", async () => {
  const page = await context.newPage();
  await new Promise((r) => setTimeout(r, 1100)); // a later auth_time (seconds)
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`, { prompt: "login", login_hint: user.email });
  await page.goto(flow.url.href);
  assert.equal(new URL(page.url()).pathname, "/signin", "the sign-in page, not the client");
  const emailField = page.getByLabel("Email", { exact: true });
  const passwordField = page.getByLabel("Password", { exact: true });
  await emailField.or(passwordField).first().waitFor();
  if (await emailField.isVisible()) {
    assert.equal(await emailField.inputValue(), user.email, "login_hint pre-fills the email");
  } else {
    await page.getByText(user.email).first().waitFor();
  }
  await signInOnHostedPage(page, user);
  const tokens = await oidc.authorizationCodeGrant(spa, await atRelyingParty(page), flow.checks);
  const claims = checkIdToken(tokens, "spa");
  assert.ok(claims.auth_time > first.claims.auth_time, "a new authentication");
  first.latest = tokens;
  await page.close();
});

test("RFC 7662: the confidential client introspects its tokens (client_secret_basic)", async () => {
  const active = await oidc.tokenIntrospection(web, webTokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, "web");
  assert.equal(active.sub, first.claims.sub);
  assert.equal(active.iss, env.edge.origin);
  assert.ok(active.scope.split(" ").includes("openid"));
  assert.ok(active.exp > Date.now() / 1000);
  const refresh = await oidc.tokenIntrospection(web, webTokens.refresh_token, { token_type_hint: "refresh_token" });
  assert.equal(refresh.active, true);
  const unknown = await oidc.tokenIntrospection(web, random(32));
  assert.deepEqual(unknown, { active: false }, "§2.2: an unknown token is only active: false");
  // The same with client_secret_post.
  assert.equal((await oidc.tokenIntrospection(webPost, webTokens.access_token)).active, true);
});

test("RFC 6749 §4.4: client credentials with client_secret_basic and client_secret_post", async () => {
  for (const config of [web, webPost]) {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "api:read" });
    assert.equal(tokens.token_type.toLowerCase(), "bearer");
    assert.equal(tokens.refresh_token, undefined, "§4.4.3: no refresh token");
    assert.equal(tokens.id_token, undefined, "no user, no ID token");
    const claims = checkAccessToken(tokens.access_token, "web");
    assert.equal(claims.sub, "web", "RFC 9068 §2.2: sub is the client for client credentials");
    assert.ok(String(claims.scope).split(" ").includes("api:read"));
    const introspected = await oidc.tokenIntrospection(web, tokens.access_token);
    assert.equal(introspected.active, true);
  }
});

test("OIDC Core §3.1.2.6: prompt=none without a session gets login_required at the redirect URI", async () => {
  const page = await freshPage(); // a fresh context: no session
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`, { prompt: "none" });
  await page.goto(flow.url.href);
  const callback = await atRelyingParty(page);
  assert.equal(callback.searchParams.get("error"), "login_required");
  assert.equal(callback.searchParams.get("state"), flow.checks.expectedState);
  assert.equal(callback.searchParams.get("iss"), env.edge.origin);
  assert.equal(callback.searchParams.get("code"), null);
  await assert.rejects(
    oidc.authorizationCodeGrant(spa, callback, flow.checks),
    (e) => e instanceof oidc.AuthorizationResponseError && e.error === "login_required",
  );
  await page.context().close();
});

test("OIDC RP-Initiated Logout 1.0 §2: id_token_hint and a registered post_logout_redirect_uri end the session", async () => {
  const page = await context.newPage();
  const state = random();
  const url = oidc.buildEndSessionUrl(spa, {
    id_token_hint: first.latest.id_token,
    post_logout_redirect_uri: `${env.rp.origin}/bye`,
    state,
  });
  await page.goto(url.href);
  const back = await atRelyingParty(page);
  assert.equal(back.pathname, "/bye");
  assert.equal(back.searchParams.get("state"), state);

  // The session is gone: prompt=none now gets login_required in the same browser.
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`, { prompt: "none" });
  await page.goto(flow.url.href);
  const callback = await atRelyingParty(page);
  assert.equal(callback.searchParams.get("error"), "login_required");
  await page.close();
});

test("hosted page: Create an account signs a new person up and returns to the client", async () => {
  const page = await freshPage();
  const flow = await startCodeFlow(spa, `${env.rp.origin}/cb`);
  await page.goto(flow.url.href);
  await page.getByRole("button", { name: "Create an account" }).or(page.getByRole("link", { name: "Create an account" })).click();
  const email = `grace-${random(4).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Name (optional)").fill("Grace Hopper");
  await page.getByLabel("Password", { exact: true }).fill(`cobol compiler ${random(9)} moth`);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  const tokens = await oidc.authorizationCodeGrant(spa, await atRelyingParty(page), flow.checks);
  const claims = checkIdToken(tokens, "spa");
  assert.notEqual(claims.sub, user.sub);
  const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub);
  assert.equal(info.email, email);
  assert.equal(info.name, "Grace Hopper");
  await page.context().close();
});

test("scripts/clients on the running edge: rotate-secret retires the old secret, disable refuses the client", async () => {
  const { stateDir } = env.edge;
  const cc = (secret) =>
    postForm(env.edge, "/token", { grant_type: "client_credentials", scope: "api:read" }, { auth: basic("web", secret) });
  const old = env.clients.web.client_secret;
  assert.equal((await cc(old)).status, 200);
  const { client_secret } = clientsCli(stateDir, ["rotate-secret", "web"]);
  assert.equal((await cc(client_secret)).status, 200, "the new secret works at once");
  const refused = await cc(old);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, "invalid_client", "the old secret no longer works");

  clientsCli(stateDir, ["disable", "web"]);
  assert.equal((await cc(client_secret)).body.error, "invalid_client", "a disabled client cannot authenticate");
  const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  const page = await getManual(
    `${env.edge.api}/authorize?${new URLSearchParams({
      client_id: "web", redirect_uri: `${env.rp.origin}/web/cb`, response_type: "code", scope: "openid",
      code_challenge: challenge, code_challenge_method: "S256", state: random(),
    })}`,
  );
  assert.equal(page.status, 400, "a disabled client's authorization request gets the error page");
  assert.equal(page.location, null);

  clientsCli(stateDir, ["enable", "web"]);
  assert.equal((await cc(client_secret)).status, 200, "enabled again");
});

test("no response in this file was a server error", () => {
  assertNoServerErrors();
});
