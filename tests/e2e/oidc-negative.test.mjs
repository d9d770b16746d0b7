// What the OpenID Connect provider must refuse, one rule per test, named after the rule.
// Plain HTTP from Node (no browser): a session is made the way the hosted page makes it
// (`/authorize` → `/signin?flow=…` → `POST /v1/flows/{flow}/password` from the issuer's
// origin), and its cookie then gets codes straight from `/authorize`.
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { after, before, test } from "node:test";

import {
  assertNoServerErrors,
  assertTokenError,
  authorizeUrl,
  authorizeWithSession,
  b64url,
  basic,
  clientsCli,
  createUser,
  decodeJws,
  getManual,
  hostedSession,
  pkce,
  postForm,
  random,
  recordingFetch,
  redeem,
  startOidcEdge,
} from "./oidc-support.mjs";

let env;
let edge;
let user;
let cookie;
let jwks;
const cb = {};

before(async () => {
  env = await startOidcEdge();
  edge = env.edge;
  cb.spa = `${env.rp.origin}/cb`;
  cb.web = `${env.rp.origin}/web/cb`;
  cb.other = `${env.rp.origin}/other/cb`;
  user = await createUser(edge, "spa");
  cookie = await hostedSession(edge, "spa", cb.spa, user);
  const meta = await (await recordingFetch(`${edge.api}/.well-known/openid-configuration`)).json();
  jwks = await (await recordingFetch(meta.jwks_uri.replace(edge.origin, edge.api))).json();
});
after(async () => {
  await env?.close();
});

const webAuth = () => basic("web", env.clients.web.client_secret);

/** A fresh code for `clientId` from `/authorize` with the session. */
async function codeFor(clientId, extra = {}) {
  const response = await authorizeWithSession(edge, cookie, clientId, cb[clientId], extra);
  const code = response.params.get("code");
  assert.ok(code, `a code: ${response.location}`);
  return { ...response, code };
}

/** Code → tokens for `clientId` (confidential `web` authenticates with Basic). */
async function tokensFor(clientId, extra = {}) {
  const { code, verifier } = await codeFor(clientId, extra);
  const response = await redeem(edge, {
    code,
    verifier,
    clientId,
    redirectUri: cb[clientId],
    auth: clientId === "web" ? webAuth() : undefined,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

function refresh(clientId, refreshToken, extra = {}) {
  const params = { grant_type: "refresh_token", refresh_token: refreshToken, ...extra };
  if (clientId !== "web") params.client_id = clientId;
  return postForm(edge, "/token", params, { auth: clientId === "web" ? webAuth() : undefined });
}

async function userinfo(accessToken) {
  const response = await recordingFetch(`${edge.api}/userinfo`, {
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** RFC 6750 §3.1: 401 with a Bearer challenge naming invalid_token. */
function assertInvalidToken(response, label) {
  assert.equal(response.status, 401, `${label}: ${response.status} ${response.text}`);
  const challenge = response.headers.get("www-authenticate") ?? "";
  assert.match(challenge, /^Bearer\b/i, `${label}: WWW-Authenticate ${challenge}`);
  assert.match(challenge, /error="invalid_token"/, `${label}: WWW-Authenticate ${challenge}`);
}

const introspect = (token, auth = webAuth()) => postForm(edge, "/introspect", { token }, { auth });

/** An authorization error sent back to the (validated) redirect URI. */
function assertRedirectedError(response, redirectUri, error, state) {
  const label = `${response.status} ${response.location} ${response.text.slice(0, 200)}`;
  assert.equal(response.status, 302, label);
  assert.ok(response.location.href.startsWith(`${redirectUri}?`), `to the redirect URI: ${label}`);
  assert.equal(response.location.searchParams.get("error"), error, label);
  assert.equal(response.location.searchParams.get("state"), state, `state is returned: ${label}`);
  assert.equal(response.location.searchParams.get("iss"), edge.origin, `RFC 9207 iss: ${label}`);
  assert.equal(response.location.searchParams.get("code"), null, label);
}

/** An error shown on the issuer's page: never a redirect to an unvalidated URI. */
function assertErrorPage(response, label) {
  assert.equal(response.status, 400, `${label}: ${response.status} ${response.location}`);
  assert.equal(response.location, null, `${label}: must not redirect`);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/, label);
}

// --- PKCE -----------------------------------------------------------------------------

test("RFC 7636 §4.4.1: missing code_challenge is rejected", async () => {
  const state = random();
  const response = await getManual(
    authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, state, code_challenge: undefined }),
    { cookie },
  );
  assertRedirectedError(response, cb.spa, "invalid_request", state);
});

test("RFC 7636 §4.4.1, RFC 9700 §2.1.1: code_challenge_method plain (or absent, which means plain) is rejected", async () => {
  const { verifier, challenge } = pkce();
  for (const [method, value] of [["plain", verifier], [undefined, verifier], ["S512", challenge], ["s256", challenge]]) {
    const state = random();
    const response = await getManual(
      authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, state, code_challenge: value, code_challenge_method: method }),
      { cookie },
    );
    assertRedirectedError(response, cb.spa, "invalid_request", state);
  }
});

test("RFC 7636 §4.6: a wrong code_verifier gets invalid_grant", async () => {
  const { code } = await codeFor("spa");
  const response = await redeem(edge, { code, verifier: pkce().verifier, clientId: "spa", redirectUri: cb.spa });
  assertTokenError(response, "invalid_grant");
});

test("RFC 7636 §4.5: a missing code_verifier is refused", async () => {
  const { code } = await codeFor("spa");
  const response = await postForm(edge, "/token", {
    grant_type: "authorization_code",
    code,
    redirect_uri: cb.spa,
    client_id: "spa",
  });
  assertTokenError(response, ["invalid_grant", "invalid_request"]);
});

// --- redirect URIs --------------------------------------------------------------------

test("RFC 6749 §3.1.2.4, RFC 9700 §4.1.3: a redirect URI not exactly registered gets an error page, never a redirect", async () => {
  const port = new URL(env.rp.origin).port;
  const variants = {
    "trailing slash": `${cb.spa}/`,
    "path case": `${env.rp.origin}/CB`,
    "host case": `http://LOCALHOST:${port}/cb`,
    "extra query": `${cb.spa}?x=1`,
    "empty query": `${cb.spa}?`,
    "127.0.0.1 for localhost": `http://127.0.0.1:${port}/cb`,
    "another client's URI": cb.other,
    "unregistered host": "https://evil.example/cb",
    "a fragment": `${cb.spa}#x`,
  };
  for (const [label, uri] of Object.entries(variants)) {
    const { challenge } = pkce();
    const url = authorizeUrl(edge, { client_id: "spa", redirect_uri: uri, state: random(), code_challenge: challenge, code_challenge_method: "S256" });
    assertErrorPage(await getManual(url, { cookie }), `${label} (session)`);
    assertErrorPage(await getManual(url), `${label} (no session)`);
    // Even prompt=none, whose error would otherwise go to the client, stays on the page.
    url.searchParams.set("prompt", "none");
    assertErrorPage(await getManual(url), `${label} (prompt=none)`);
  }
  const unknown = authorizeUrl(edge, { client_id: "nobody", redirect_uri: cb.spa, code_challenge: pkce().challenge, code_challenge_method: "S256" });
  assertErrorPage(await getManual(unknown, { cookie }), "unknown client");
});

test("RFC 6749 §4.1.3: the redirect_uri at /token must be identical to the one at /authorize", async () => {
  for (const [label, uri] of [["trailing slash", `${cb.spa}/`], ["another URI", cb.other], ["absent", undefined]]) {
    const { code, verifier } = await codeFor("spa");
    const params = { grant_type: "authorization_code", code, code_verifier: verifier, client_id: "spa" };
    if (uri !== undefined) params.redirect_uri = uri;
    const response = await postForm(edge, "/token", params);
    assertTokenError(response, ["invalid_grant", "invalid_request"], 400);
    assert.ok(label === "absent" || response.body.error === "invalid_grant", `${label}: ${JSON.stringify(response.body)}`);
  }
});

// --- codes ----------------------------------------------------------------------------

test("RFC 6749 §4.1.2 and §10.5: a reused code is refused and the tokens it produced are revoked", async () => {
  const { code, verifier } = await codeFor("web");
  const args = { code, verifier, clientId: "web", redirectUri: cb.web, auth: webAuth() };
  const firstRedemption = await redeem(edge, args);
  assert.equal(firstRedemption.status, 200, JSON.stringify(firstRedemption.body));
  const { access_token, refresh_token } = firstRedemption.body;
  assert.equal((await introspect(access_token)).body.active, true, "active before the reuse");
  assert.equal((await userinfo(access_token)).status, 200);

  assertTokenError(await redeem(edge, args), "invalid_grant");

  assert.deepEqual((await introspect(access_token)).body, { active: false }, "the access token is revoked");
  assert.deepEqual((await introspect(refresh_token)).body, { active: false }, "the refresh token is revoked");
  assertInvalidToken(await userinfo(access_token), "userinfo after code reuse");
  assertTokenError(await refresh("web", refresh_token), "invalid_grant");
});

test("RFC 6749 §4.1.3: a code issued to one client is refused to another", async () => {
  {
    const { code, verifier } = await codeFor("spa");
    const response = await redeem(edge, { code, verifier, clientId: "other", redirectUri: cb.spa });
    assertTokenError(response, "invalid_grant");
  }
  {
    const { code, verifier } = await codeFor("spa");
    const response = await redeem(edge, { code, verifier, clientId: "web", redirectUri: cb.spa, auth: webAuth() });
    assertTokenError(response, "invalid_grant");
  }
});

test("RFC 6749 §4.1.2: authorization codes expire within 10 minutes", { skip: "waiting 10 minutes is too long for an end-to-end run; the expiry is covered by the edge's native tests with a fixed clock" }, () => {});

// --- refresh tokens -------------------------------------------------------------------

test("RFC 9700 §4.14.2: reuse of a rotated refresh token revokes the whole family", async () => {
  const t0 = await tokensFor("spa");
  const r1 = await refresh("spa", t0.refresh_token);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  const r2 = await refresh("spa", r1.body.refresh_token);
  assert.equal(r2.status, 200, JSON.stringify(r2.body));
  assert.equal((await userinfo(r2.body.access_token)).status, 200);

  // The first token was rotated twice ago: presenting it is reuse, not a retry.
  assertTokenError(await refresh("spa", t0.refresh_token), "invalid_grant");
  assertTokenError(await refresh("spa", r2.body.refresh_token), "invalid_grant");
  assertInvalidToken(await userinfo(r2.body.access_token), "an access token of the revoked family");
  assertInvalidToken(await userinfo(t0.access_token), "the first access token of the revoked family");
});

test("RFC 9700 §4.14.2: after the retry grace, presenting the previous refresh token is reuse", async () => {
  const t0 = await tokensFor("spa");
  const r1 = await refresh("spa", t0.refresh_token);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  await new Promise((r) => setTimeout(r, 10_500)); // the edge's grace is 10 s
  assertTokenError(await refresh("spa", t0.refresh_token), "invalid_grant");
  assertTokenError(await refresh("spa", r1.body.refresh_token), "invalid_grant");
});

test("RFC 9700 §4.14.2 (retry grace): two concurrent refreshes of one token get the same successor", async () => {
  const t0 = await tokensFor("spa");
  const [a, b] = await Promise.all([refresh("spa", t0.refresh_token), refresh("spa", t0.refresh_token)]);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(b.status, 200, JSON.stringify(b.body));
  assert.equal(a.body.refresh_token, b.body.refresh_token, "the same successor");
  const next = await refresh("spa", a.body.refresh_token);
  assert.equal(next.status, 200, `the family is intact: ${JSON.stringify(next.body)}`);
});

test("RFC 6749 §6: a refresh token is refused to another client and stays valid for its own", async () => {
  const t0 = await tokensFor("spa");
  assertTokenError(await refresh("other", t0.refresh_token), "invalid_grant");
  const own = await refresh("spa", t0.refresh_token);
  assert.equal(own.status, 200, `a stranger's attempt does not revoke it: ${JSON.stringify(own.body)}`);
});

test("RFC 6749 §6: a refresh asking for a scope beyond the grant gets invalid_scope", async () => {
  const t0 = await tokensFor("spa", { scope: "openid offline_access" });
  assertTokenError(await refresh("spa", t0.refresh_token, { scope: "openid email offline_access" }), "invalid_scope");
});

test("RFC 7009 §2.1: a client cannot revoke another client's refresh token", async () => {
  const t0 = await tokensFor("spa");
  const response = await postForm(edge, "/revoke", { token: t0.refresh_token, client_id: "other" });
  assert.ok([200, 400].includes(response.status), `${response.status} ${JSON.stringify(response.body)}`);
  const still = await refresh("spa", t0.refresh_token);
  assert.equal(still.status, 200, `still valid: ${JSON.stringify(still.body)}`);
});

test("RFC 7009 §2.2: a made-up secret for a real grant id revokes nothing; an access token does not reveal the grant id", async () => {
  const t0 = await tokensFor("spa");
  const grantId = t0.refresh_token.split(".")[0];
  const forged = await postForm(edge, "/revoke", { token: `${grantId}.${random(32)}`, client_id: "spa" });
  assert.equal(forged.status, 200, `§2.2: the same answer (${forged.status} ${JSON.stringify(forged.body)})`);
  assert.ok(!JSON.stringify(decodeJws(t0.access_token).payload).includes(grantId), "no grant id in the access token");
  assertTokenError(await refresh("spa", `${grantId}.${random(32)}`), "invalid_grant");
  assert.equal((await userinfo(t0.access_token)).status, 200, "the access token still works");
  const still = await refresh("spa", t0.refresh_token);
  assert.equal(still.status, 200, `neither attempt revoked the family: ${JSON.stringify(still.body)}`);
});

// --- client authentication and grant types --------------------------------------------

test("RFC 6749 §5.2: wrong client credentials get invalid_client (401 and a Basic challenge for Basic)", async () => {
  const wrongBasic = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("web", "not-the-secret") });
  assertTokenError(wrongBasic, "invalid_client", 401);
  assert.match(wrongBasic.headers.get("www-authenticate") ?? "", /^Basic\b/i, "WWW-Authenticate matches the scheme used");

  const wrongPost = await postForm(edge, "/token", { grant_type: "client_credentials", client_id: "web", client_secret: "nope" });
  assertTokenError(wrongPost, "invalid_client", [400, 401]);
  const missing = await postForm(edge, "/token", { grant_type: "client_credentials", client_id: "web" });
  assertTokenError(missing, ["invalid_client", "unauthorized_client"], [400, 401]);
  const unknown = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("nobody", "x") });
  assertTokenError(unknown, "invalid_client", 401);
  const both = await postForm(
    edge,
    "/token",
    { grant_type: "client_credentials", client_secret: env.clients.web.client_secret },
    { auth: webAuth() },
  );
  assertTokenError(both, ["invalid_request", "invalid_client"], [400, 401]);
  // A confidential client must authenticate for the code grant too.
  const { code, verifier } = await codeFor("web");
  assertTokenError(await redeem(edge, { code, verifier, clientId: "web", redirectUri: cb.web }), "invalid_client", [400, 401]);
});

test("RFC 6749 §5.2: an unknown grant type gets unsupported_grant_type", async () => {
  for (const grant of ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "made_up"]) {
    const response = await postForm(edge, "/token", { grant_type: grant, username: "a", password: "b" }, { auth: webAuth() });
    assertTokenError(response, "unsupported_grant_type");
  }
  const missing = await postForm(edge, "/token", { code: "x" }, { auth: webAuth() });
  assertTokenError(missing, "invalid_request");
});

test("RFC 6749 §4.4, §5.2: a public client cannot use client_credentials", async () => {
  const response = await postForm(edge, "/token", { grant_type: "client_credentials", client_id: "spa" });
  assertTokenError(response, ["unauthorized_client", "invalid_client"], [400, 401]);
});

test("RFC 6749 §3.3, §5.2: client_credentials beyond the client's scopes gets invalid_scope", async () => {
  const response = await postForm(edge, "/token", { grant_type: "client_credentials", scope: "api:admin" }, { auth: webAuth() });
  assertTokenError(response, "invalid_scope");
});

// --- bearer tokens at userinfo --------------------------------------------------------

const encode = (object) => b64url(Buffer.from(JSON.stringify(object)));

test("RFC 6750 §3.1: userinfo without a token asks for one; a malformed one is invalid_token", async () => {
  const none = await userinfo(undefined);
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer\b/i);
  for (const bad of ["x", "a.b.c", "....", random(200)]) assertInvalidToken(await userinfo(bad), `token ${bad.slice(0, 10)}`);
});

test("RFC 8725 §3.1, RFC 7518 §3.6: an alg none access token is rejected at userinfo", async () => {
  const { access_token } = await tokensFor("spa");
  const { header, payload, signature } = decodeJws(access_token);
  for (const alg of ["none", "None", "NONE"]) {
    const forged = `${encode({ ...header, alg })}.${encode(payload)}.`;
    assertInvalidToken(await userinfo(forged), `alg ${alg}`);
    assertInvalidToken(await userinfo(`${forged}${b64url(signature)}`), `alg ${alg} with the old signature`);
  }
});

test("RFC 7515 §4.1.4: a token signed under an unknown kid, or another key under the real kid, is rejected", async () => {
  const { access_token } = await tokensFor("spa");
  const { header, payload } = decodeJws(access_token);
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const es256 = (h, p) => {
    const input = `${encode(h)}.${encode(p)}`;
    return `${input}.${b64url(sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }))}`;
  };
  assertInvalidToken(await userinfo(es256({ ...header, kid: "not-a-published-kid" }, payload)), "unknown kid");
  assertInvalidToken(await userinfo(es256({ ...header, kid: undefined }, payload)), "no kid");
  assertInvalidToken(await userinfo(es256(header, payload)), "another key under the real kid");
  // Algorithm confusion: HS256 keyed with the published public key.
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  const hsInput = `${encode({ ...header, alg: "HS256" })}.${encode(payload)}`;
  const hs = `${hsInput}.${b64url(createHmac("sha256", JSON.stringify(jwk)).update(hsInput).digest())}`;
  assertInvalidToken(await userinfo(hs), "HS256 with the public key");
});

test("RFC 9068 §4: a tampered payload under a real signature is rejected", async () => {
  const { access_token } = await tokensFor("spa");
  const [h, , s] = access_token.split(".");
  const { payload } = decodeJws(access_token);
  for (const change of [{ sub: "someone-else" }, { exp: payload.exp + 3600 }, { scope: `${payload.scope} admin` }]) {
    assertInvalidToken(await userinfo(`${h}.${encode({ ...payload, ...change })}.${s}`), Object.keys(change)[0]);
  }
});

test("RFC 9068 §4: an ID token (typ JWT, audience the client) is not accepted as an access token", async () => {
  const { id_token } = await tokensFor("spa");
  assert.ok(id_token);
  const { payload } = decodeJws(id_token);
  assert.equal(payload.aud, "spa");
  assertInvalidToken(await userinfo(id_token), "ID token at userinfo");
});

test("OIDC Core §5.3: a client-credentials token carries no person: userinfo refuses it", async () => {
  const cc = await postForm(edge, "/token", { grant_type: "client_credentials", scope: "api:read" }, { auth: webAuth() });
  assert.equal(cc.status, 200, JSON.stringify(cc.body));
  const response = await userinfo(cc.body.access_token);
  assert.ok([401, 403].includes(response.status), `${response.status} ${response.text}`);
  assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer\b.*error="(invalid_token|insufficient_scope)"/i);
});

// --- introspection and logout ---------------------------------------------------------

test("RFC 7662 §2.1: introspection needs an authenticated confidential client", async () => {
  const { access_token } = await tokensFor("spa");
  assertTokenError(await postForm(edge, "/introspect", { token: access_token }), "invalid_client", [400, 401]);
  assertTokenError(await postForm(edge, "/introspect", { token: access_token, client_id: "spa" }), ["invalid_client", "unauthorized_client"], [400, 401]);
  assertTokenError(await introspect(access_token, basic("web", "wrong")), "invalid_client", 401);
  assert.equal((await introspect(access_token)).body.active, true, "the confidential client may");
});

test("OIDC RP-Initiated Logout 1.0 §2, §3: only an exactly registered post_logout_redirect_uri is redirected to", async () => {
  const { id_token } = await tokensFor("spa");
  const logout = (params) => {
    const url = new URL("/logout", edge.api);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return getManual(url, { cookie });
  };
  const cases = {
    "unregistered URI": { id_token_hint: id_token, post_logout_redirect_uri: "https://evil.example/" },
    "trailing slash": { id_token_hint: id_token, post_logout_redirect_uri: `${env.rp.origin}/bye/` },
    "another client's URI": { id_token_hint: id_token, post_logout_redirect_uri: `${env.rp.origin}/other/bye` },
    "client_id that is not the hint's audience": { id_token_hint: id_token, client_id: "other", post_logout_redirect_uri: `${env.rp.origin}/other/bye` },
    "forged alg none hint": {
      id_token_hint: `${encode({ alg: "none", typ: "JWT" })}.${encode(decodeJws(id_token).payload)}.`,
      post_logout_redirect_uri: `${env.rp.origin}/bye`,
    },
  };
  for (const [label, params] of Object.entries(cases)) {
    const response = await logout(params);
    assert.ok(response.status < 500, label);
    assert.ok(
      response.location === null || !response.location.href.startsWith(params.post_logout_redirect_uri),
      `${label}: must not redirect to ${params.post_logout_redirect_uri} (${response.status} ${response.location})`,
    );
  }
  // The session survived all of that.
  const still = await authorizeWithSession(edge, cookie, "spa", cb.spa, { prompt: "none" });
  assert.ok(still.params.get("code"), `the session is intact: ${still.location}`);
});

test("OIDC RP-Initiated Logout 1.0 §2: another person's id_token_hint only asks, and a POST without the form's token signs nobody out", async () => {
  const mallory = await createUser(edge, "spa", "Mallory");
  const theirs = await postForm(edge, "/token", {
    grant_type: "authorization_code", code: mallory.code, code_verifier: mallory.verifier, client_id: "spa",
  });
  assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
  const url = new URL("/logout", edge.api);
  url.searchParams.set("id_token_hint", theirs.body.id_token);
  url.searchParams.set("post_logout_redirect_uri", `${env.rp.origin}/bye`);
  const asked = await getManual(url, { cookie });
  assert.equal(asked.status, 200, `a confirmation page: ${asked.status} ${asked.location}`);
  assert.equal(asked.location, null);
  assert.equal(asked.headers.get("set-cookie"), null, "the cookie is not cleared");
  assert.match(asked.text, /<form method=post action=\/logout>/);
  assert.match(asked.text, /name=confirmation value="[^"]+"/);

  const postLogout = async (params, sessionCookie) => {
    const response = await recordingFetch(`${edge.api}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: sessionCookie },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, headers: response.headers, location: response.headers.get("location"), text: await response.text() };
  };
  for (const params of [{ client_id: "spa" }, { client_id: "spa", confirmation: random(32) }]) {
    const posted = await postLogout(params, cookie);
    assert.ok(posted.status < 500, `${posted.status}`);
    assert.equal(posted.location, null, `no sign-out redirect: ${JSON.stringify(params)}`);
    assert.equal(posted.headers.get("set-cookie"), null, `the cookie is not cleared: ${JSON.stringify(params)}`);
  }
  const still = await authorizeWithSession(edge, cookie, "spa", cb.spa, { prompt: "none" });
  assert.ok(still.params.get("code"), `the session is intact: ${still.location}`);

  // The form's own token, posted with its session, does sign out (a second session of
  // the same person, so the one the other tests use stays).
  const second = await hostedSession(edge, "spa", cb.spa, user);
  const page = await getManual(new URL("/logout", edge.api), { cookie: second });
  const token = page.text.match(/name=confirmation value="([^"]+)"/)?.[1];
  assert.ok(token, "the confirmation form carries its token");
  const confirmed = await postLogout(
    { client_id: "spa", post_logout_redirect_uri: `${env.rp.origin}/bye`, confirmation: token },
    second,
  );
  assert.equal(confirmed.status, 302, `${confirmed.status} ${confirmed.text.slice(0, 200)}`);
  assert.equal(confirmed.location, `${env.rp.origin}/bye`);
  const gone = await authorizeWithSession(edge, second, "spa", cb.spa, { prompt: "none" });
  assert.equal(gone.params.get("error"), "login_required", `signed out: ${gone.location}`);
  const kept = await authorizeWithSession(edge, cookie, "spa", cb.spa, { prompt: "none" });
  assert.ok(kept.params.get("code"), `only that session ended: ${kept.location}`);
});

test("RFC 6265bis §4.1.3.2: the session cookie is __Host- prefixed, read by its exact name, and sent twice it is no session", async () => {
  // The browser also holds the remembered-device cookie; only the session's counts here.
  const session = (header) => header.split("; ").find((c) => c.startsWith("__Host-portcullis_session="));
  const own = session(cookie);
  assert.match(own ?? "", /^__Host-portcullis_session=[^;]+$/, cookie);
  const other = session(await hostedSession(edge, "spa", cb.spa, user));
  const start = (sessionCookie) =>
    getManual(
      authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, code_challenge: pkce().challenge, code_challenge_method: "S256", state: random() }),
      { cookie: sessionCookie },
    );
  for (const [label, sessionCookie] of [
    ["two session cookies", `${other}; ${own}`],
    ["the unprefixed name", own.replace(/^__Host-/, "")],
  ]) {
    const response = await start(sessionCookie);
    assert.equal(response.status, 302, `${label}: ${response.status}`);
    assert.equal(response.location.pathname, "/signin", `${label}: no session, so sign in (${response.location})`);
  }
});

test("One policy, every path (DESIGN.md), OIDC Core §3.1.2.6: silent SSO applies the client's verified-email policy", async () => {
  const strictCb = `${env.rp.origin}/strict/cb`;
  clientsCli(env.edge.stateDir, [
    "add", "--id", "strict", "--name", "Verified addresses only",
    "--redirect-uri", strictCb, "--require-verified-email",
  ]);
  // The session's person signed up for `spa`, which does not ask for a verified address.
  const params = { client_id: "strict", redirect_uri: strictCb, code_challenge: pkce().challenge, code_challenge_method: "S256", state: random() };
  assertRedirectedError(await getManual(authorizeUrl(edge, { ...params, prompt: "none" }), { cookie }), strictCb, "interaction_required", params.state);
  const interactive = await getManual(authorizeUrl(edge, params), { cookie });
  assert.equal(interactive.status, 302, `${interactive.status}`);
  assert.equal(interactive.location.pathname, "/signin", `sign-in, not a code: ${interactive.location}`);
});

// --- malformed authorization requests -------------------------------------------------

test("RFC 6749 §3.1: a repeated authorization parameter is invalid_request", async () => {
  const state = random();
  const url = authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, state, code_challenge: pkce().challenge, code_challenge_method: "S256" });
  url.searchParams.append("code_challenge", pkce().challenge);
  const response = await getManual(url, { cookie });
  if (response.status === 302) assertRedirectedError(response, cb.spa, "invalid_request", state);
  else assertErrorPage(response, "repeated parameter");
  // A repeated redirect_uri is never redirected to.
  const twice = authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, state, code_challenge: pkce().challenge, code_challenge_method: "S256" });
  twice.searchParams.append("redirect_uri", cb.spa);
  assertErrorPage(await getManual(twice, { cookie }), "repeated redirect_uri");
});

test("RFC 6749 §4.1.2.1, RFC 9700 §2.1.2: response_type token (implicit) gets unsupported_response_type", async () => {
  for (const type of ["token", "id_token", "code token", "code id_token"]) {
    const state = random();
    const response = await getManual(
      authorizeUrl(edge, { client_id: "spa", redirect_uri: cb.spa, response_type: type, state, code_challenge: pkce().challenge, code_challenge_method: "S256" }),
      { cookie },
    );
    assertRedirectedError(response, cb.spa, "unsupported_response_type", state);
  }
});

// --- robustness -----------------------------------------------------------------------

test("no malformed request to any endpoint gets a 5xx", async () => {
  const api = edge.api;
  const requests = [
    ["GET", "/token"],
    ["POST", "/token", { "content-type": "application/json" }, '{"grant_type":"client_credentials"}'],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded" }, "%%%=%%%&grant_type"],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded" }, `grant_type=authorization_code&code=${"A".repeat(5000)}`],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded", authorization: "Basic !!!" }, "grant_type=client_credentials"],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("web").toString("base64")}` }, "grant_type=client_credentials"],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded" }, "grant_type=refresh_token&client_id=spa&refresh_token=..."],
    ["POST", "/token", { "content-type": "application/x-www-form-urlencoded" }, `grant_type=refresh_token&client_id=spa&refresh_token=${random(64)}`],
    ["POST", "/revoke", { "content-type": "application/x-www-form-urlencoded" }, ""],
    ["POST", "/revoke", { "content-type": "application/x-www-form-urlencoded" }, "token=abc&client_id=spa&token_type_hint=bogus"],
    ["POST", "/introspect", { "content-type": "text/plain" }, "token=abc"],
    ["GET", "/introspect"],
    ["GET", "/userinfo", { authorization: "Bearer" }],
    ["GET", "/userinfo", { authorization: "Basic abc" }],
    ["POST", "/userinfo", { authorization: `Bearer ${random(10)}`, "content-type": "application/x-www-form-urlencoded" }, ""],
    ["GET", "/authorize"],
    ["GET", "/authorize?client_id=spa"],
    ["GET", "/authorize?client_id=%FF%FE&redirect_uri=%E0%A4%A"],
    ["GET", `/authorize?client_id=spa&redirect_uri=${encodeURIComponent(cb.spa)}&state=${"s".repeat(4000)}`],
    ["POST", "/authorize", { "content-type": "application/x-www-form-urlencoded" }, "client_id=spa"],
    ["GET", "/logout?id_token_hint=abc"],
    ["GET", "/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"],
    ["POST", "/logout", { "content-type": "application/x-www-form-urlencoded" }, "id_token_hint=a.b.c"],
    ["GET", "/signin?flow=nope&client_id=nope"],
    ["DELETE", "/.well-known/openid-configuration"],
    ["GET", "/.well-known/openid-configuration/extra"],
  ];
  for (const [method, path, headers = {}, body] of requests) {
    const response = await recordingFetch(`${api}${path}`, { method, headers, body, redirect: "manual" });
    assert.ok(response.status < 500, `${method} ${path}: ${response.status} ${await response.text()}`);
  }
});

test("no response in this file was a server error", () => {
  assertNoServerErrors();
});
