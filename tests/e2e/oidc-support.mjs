// Shared by the OpenID Connect end-to-end tests: an edge with clients registered through
// scripts/clients, a relying party's redirect target on another loopback origin, users
// made through the first-party API, and small HTTP helpers that remember every status
// (no response may ever be a 500).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";

import * as oidc from "openid-client";

import { freePort, passphrase, ROOT, startEdge, toolEnv } from "./harness.mjs";

// --- every response seen ----------------------------------------------------------------

const seen = [];

/** `fetch` that records the status of every response (for `assertNoServerErrors`). */
export async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  seen.push({ method: init?.method ?? "GET", url: String(url), status: response.status });
  return response;
}

/** Records what a browser context receives too (document and API responses alike). */
export function watchContext(context) {
  context.on("response", (response) =>
    seen.push({ method: response.request().method(), url: response.url(), status: response.status() }),
  );
  return context;
}

/** Fails if any response so far was a 5xx. */
/**
 * A JSON API call to `edge` (recorded for `assertNoServerErrors`): the status, the body
 * parsed when it is JSON, and the raw text.
 */
export async function callJson(edge, method, path, body, headers = {}) {
  const response = await recordingFetch(`${edge.api}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: response.status, body: json, text };
}

/** Starts an embedded flow for the demo client through `call`; returns its handle and PKCE verifier. */
export async function startDemoFlow(call) {
  const { verifier, challenge } = pkce();
  const started = await call("POST", "/v1/flows", {
    client_id: "demo",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "openid email offline_access",
  });
  assert.equal(started.status, 201);
  return { flow: started.body.flow_id, verifier };
}

export function assertNoServerErrors() {
  const bad = seen.filter((r) => r.status >= 500);
  assert.deepEqual(bad, [], "no response may be a server error");
}

// --- encoding -------------------------------------------------------------------------

export const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
export const sha256 = (text) => createHash("sha256").update(text).digest();
export const random = (n = 16) => randomBytes(n).toString("base64url");

export function pkce() {
  const verifier = random(32);
  return { verifier, challenge: b64url(sha256(verifier)) };
}

/** The parts of a compact JWS, decoded (no verification). */
export function decodeJws(token) {
  const [h, p, s] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url")),
    payload: JSON.parse(Buffer.from(p, "base64url")),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s ?? "", "base64url"),
  };
}

/** Verifies an ES256 compact JWS against a JWKS with node:crypto; returns its parts. */
export function verifyEs256(token, jwks) {
  const jws = decodeJws(token);
  assert.equal(jws.header.alg, "ES256", "signed with ES256");
  const jwk = jwks.keys.find((k) => k.kid === jws.header.kid);
  assert.ok(jwk, `kid ${jws.header.kid} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: "jwk" });
  const ok = verify("sha256", Buffer.from(jws.signingInput), { key, dsaEncoding: "ieee-p1363" }, jws.signature);
  assert.ok(ok, "the signature verifies with the published key");
  return jws;
}

/** OIDC Core §3.1.3.6: left half of SHA-256 of the access token's ASCII, base64url. */
export const atHash = (accessToken) => b64url(sha256(accessToken).subarray(0, 16));

// --- the relying party's redirect target ------------------------------------------------

/** An HTTP server on 127.0.0.1 that answers every path with a small page. */
export async function startRelyingParty(port) {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>RP</title><link rel="icon" href="data:,"><p>Relying party: ${req.url.split("?")[0]}</p>`);
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { origin: `http://localhost:${port}`, close: () => new Promise((r) => server.close(r)) };
}

// --- clients --------------------------------------------------------------------------

/** Runs scripts/clients against a state directory; returns its JSON output. */
export function clientsCli(stateDir, args) {
  const result = spawnSync(join(ROOT, "scripts/clients"), ["--persist-to", stateDir, ...args, "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    env: toolEnv(),
  });
  assert.equal(result.status, 0, `scripts/clients ${args.join(" ")}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * Starts the edge with three clients registered through scripts/clients, and the
 * relying party's server:
 * - `spa`: public, code + refresh, redirect `RP/cb`, post-logout `RP/bye`
 * - `web`: confidential, code + refresh + client_credentials, redirect `RP/web/cb`,
 *   post-logout `RP/web/bye`, scopes also `api:read`
 * - `other`: public, code + refresh, redirect `RP/other/cb`, post-logout `RP/other/bye`
 *
 * `vars` are worker variables, as for `startEdge`.
 */
export async function startOidcEdge({ vars, separateObjects } = {}) {
  const rpPort = await freePort();
  const rp = await startRelyingParty(rpPort);
  const clients = {};
  let edge;
  try {
    edge = await startEdge({
      vars,
      separateObjects,
      setup: ({ stateDir }) => {
        const add = (args) => clientsCli(stateDir, ["add", ...args]);
        clients.spa = add([
          "--id", "spa", "--name", "Single-page app",
          "--redirect-uri", `${rp.origin}/cb`, "--origin", rp.origin,
          "--post-logout-redirect-uri", `${rp.origin}/bye`,
        ]);
        clients.web = add([
          "--id", "web", "--name", "Web app", "--type", "confidential",
          "--redirect-uri", `${rp.origin}/web/cb`, "--post-logout-redirect-uri", `${rp.origin}/web/bye`,
          "--grant-type", "authorization_code,refresh_token,client_credentials",
          "--scope", "openid profile email offline_access api:read",
        ]);
        clients.other = add([
          "--id", "other", "--name", "Other app",
          "--redirect-uri", `${rp.origin}/other/cb`, "--post-logout-redirect-uri", `${rp.origin}/other/bye`,
        ]);
      },
    });
  } catch (error) {
    await rp.close();
    throw error;
  }
  return {
    edge,
    rp,
    clients,
    async close() {
      await rp.close();
      await edge.dispose();
    },
  };
}

// --- users ----------------------------------------------------------------------------

/**
 * Signs `person` (`{email, password, name?}`) up through the first-party API (`POST
 * /v1/flows` with a PKCE S256 challenge, then `sign-up`), as a widget would. Returns what
 * the flow ended with and the PKCE verifier.
 */
export async function signUpThroughApi(edge, person, clientId) {
  const { verifier, challenge } = pkce();
  const started = await recordingFetch(`${edge.api}/v1/flows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: clientId, code_challenge: challenge, code_challenge_method: "S256" }),
  });
  assert.equal(started.status, 201, `POST /v1/flows: ${await started.clone().text()}`);
  const { flow_id } = await started.json();
  const signedUp = await recordingFetch(`${edge.api}/v1/flows/${flow_id}/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(person),
  });
  const outcome = await signedUp.json();
  assert.equal(signedUp.status, 200, `sign-up: ${JSON.stringify(outcome)}`);
  return { outcome, verifier };
}

/**
 * Creates a person through the first-party API. Returns the credentials and what the
 * flow ended with (an authorization code for `clientId`, redeemable with `verifier`).
 */
export async function createUser(edge, clientId = "spa", name = "Ada Lovelace") {
  const email = `ada-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;
  const password = passphrase((t) => `correct horse ${t} staple`);
  const { outcome, verifier } = await signUpThroughApi(edge, { email, password, name }, clientId);
  assert.equal(outcome.status, "authorization_code", JSON.stringify(outcome));
  return { email, password, name, code: outcome.authorization_code, verifier };
}

/**
 * The newest message to `to` in the development mailbox (`GET /v1/dev/mailbox`), only
 * among those with `subject` when it is given.
 */
export async function newestMail(edge, to, subject) {
  const response = await fetch(`${edge.api}/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200);
  const { messages } = await response.json();
  const found = messages
    .filter((m) => subject === undefined || m.subject === subject)
    .sort((a, b) => b.created_at - a.created_at);
  assert.ok(found.length, `a mail${subject ? ` "${subject}"` : ""} to ${to}`);
  return found[0];
}

// --- HTTP -----------------------------------------------------------------------------

/** Basic credentials per RFC 6749 §2.3.1 (both parts form-encoded first). */
export const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

/**
 * A form POST to an edge endpoint (`/token`, `/revoke`, `/introspect`). Returns status,
 * headers and the parsed JSON body (or the text when it is not JSON).
 */
export async function postForm(edge, path, params, { auth, headers = {} } = {}) {
  const response = await recordingFetch(`${edge.api}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(auth && { authorization: auth }),
      ...headers,
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

/** GET without following redirects; returns status, `location` as a URL (or null), text. */
export async function getManual(url, headers = {}) {
  const response = await recordingFetch(url, { redirect: "manual", headers });
  const location = response.headers.get("location");
  return {
    status: response.status,
    headers: response.headers,
    location: location ? new URL(location, url) : null,
    text: await response.text(),
  };
}

/** An `/authorize` URL with the usual parameters, overridable (`undefined` drops one). */
export function authorizeUrl(edge, params) {
  const url = new URL("/authorize", edge.origin);
  const all = { response_type: "code", scope: "openid", ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** `name=value; …` of the cookies a response sets (for a session cookie header). */
export function cookieHeader(headers) {
  return headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/**
 * Signs `user` in the way the hosted page does, over HTTP: `/authorize` redirects to
 * `/signin?flow=…`, then `POST /v1/flows/{flow}/password` from the issuer's own origin
 * answers with the redirect and sets the SSO cookie. Returns the cookie header.
 */
export async function hostedSession(edge, clientId, redirectUri, user) {
  const { challenge } = pkce();
  const start = await getManual(
    authorizeUrl(edge, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", state: random() }),
  );
  assert.equal(start.status, 302, `/authorize without a session: ${start.status} ${start.text}`);
  assert.equal(start.location.pathname, "/signin");
  const flow = start.location.searchParams.get("flow");
  assert.ok(flow, `the sign-in page gets the flow handle: ${start.location}`);
  const signedIn = await recordingFetch(`${edge.api}/v1/flows/${flow}/password`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: edge.origin },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  const outcome = await signedIn.json();
  assert.equal(signedIn.status, 200, JSON.stringify(outcome));
  assert.equal(outcome.status, "redirect", JSON.stringify(outcome));
  const cookie = cookieHeader(signedIn.headers);
  assert.ok(cookie, "the hosted sign-in sets a session cookie");
  return cookie;
}

/**
 * With a session cookie, runs `/authorize` for `clientId` and returns the authorization
 * response (the redirect's query) plus the PKCE verifier, state and nonce used.
 */
export async function authorizeWithSession(edge, cookie, clientId, redirectUri, extra = {}) {
  const { verifier, challenge } = pkce();
  const state = random();
  const nonce = random();
  const response = await getManual(
    authorizeUrl(edge, {
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: "openid profile email offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
      nonce,
      ...extra,
    }),
    { cookie },
  );
  assert.equal(response.status, 302, `/authorize with a session: ${response.status} ${response.text}`);
  assert.ok(response.location.href.startsWith(redirectUri), `redirected to ${response.location}`);
  return { params: response.location.searchParams, verifier, state, nonce, location: response.location };
}

/**
 * Signs `person` in to the public client `clientId` with openid-client (a relying party
 * this project did not write) through the hosted sign-in page, asking for `scope`.
 * Returns the ID token's claims as openid-client validated them and the access token's
 * payload.
 */
export async function signInWithOpenIdClient(edge, clientId, redirectUri, person, scope) {
  const config = await oidc.discovery(new URL(edge.origin), clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: recordingFetch,
  });
  const cookie = await hostedSession(edge, clientId, redirectUri, person);
  const flow = await authorizeWithSession(edge, cookie, clientId, redirectUri, { scope });
  const tokens = await oidc.authorizationCodeGrant(config, flow.location, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1], "base64url"));
  return { id: tokens.claims(), access, refreshToken: tokens.refresh_token };
}

/** Redeems a code at `/token` (public client unless `auth` is given). */
export function redeem(edge, { code, verifier, clientId, redirectUri, auth }) {
  const params = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirectUri };
  if (!auth) params.client_id = clientId;
  return postForm(edge, "/token", params, { auth });
}

/**
 * Redeems the code of a finished embedded flow (`outcome` is the flow step's
 * `{status, body}`) for `client` (the demo client unless named); returns the token response.
 */
export async function redeemFlow(edge, outcome, verifier, client = "demo") {
  assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
  assert.equal(outcome.body.status, "authorization_code");
  const response = await postForm(edge, "/token", {
    grant_type: "authorization_code",
    code: outcome.body.authorization_code,
    code_verifier: verifier,
    client_id: client,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

/**
 * Calls `read` until `ok` holds of its answer (at most 30 s): System Log events reach D1
 * through the events queue, a moment after the response.
 */
export async function eventually(read, ok) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await read();
    if (ok(answer) || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** RFC 6749 §5.2: the error shape of the token endpoint (`codes`, `status`: one or a list). */
export function assertTokenError(response, codes, status = 400) {
  const expected = [codes].flat();
  const label = JSON.stringify({ status: response.status, body: response.body });
  assert.ok(expected.includes(response.body?.error), `error is one of ${expected.join(", ")}: ${label}`);
  assert.ok([status].flat().includes(response.status), `status ${[status].flat().join(" or ")}: ${label}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, label);
  assert.match(response.headers.get("cache-control") ?? "", /no-store/, `Cache-Control: no-store (${label})`);
  for (const key of Object.keys(response.body)) {
    assert.ok(["error", "error_description", "error_uri"].includes(key), `only §5.2 members: ${key} in ${label}`);
  }
}
