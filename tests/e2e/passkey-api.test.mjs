// The passkey API of the edge under wrangler dev (workerd, local D1 and Durable
// Objects), with Chromium's virtual authenticator as the passkey: every ceremony goes
// through the browser's own WebAuthn client on http://localhost:PORT, so the edge sees
// what real browsers send. Tokens are checked with `jose` against the published JWKS.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createRemoteJWKSet, jwtVerify } from "jose";

import { addVirtualAuthenticator, launchBrowser, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  newestMail,
  pkce,
  postForm,
  recordingFetch,
  redeemFlow,
  watchContext,
} from "./oidc-support.mjs";

let edge;
let browser;
let page;
let cdp;
let authenticatorId;

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
  page = await browser.newPage();
  watchContext(page.context());
  // A page of the edge's own origin without the widget, so nothing else asks for passkeys.
  await page.goto(`${edge.origin}/v1/health`);
  ({ cdp, authenticatorId } = await addVirtualAuthenticator(page));
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** Calls the edge from the page (same origin), as the widget does. */
function api(method, path, body, token) {
  return page.evaluate(
    async ({ method, path, body, token }) => {
      const headers = { "content-type": "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body, token },
  );
}

/** `navigator.credentials.create()` / `.get()` with options as the edge sent them. */
function ceremony(kind, options) {
  return page.evaluate(
    async ({ kind, options }) => {
      try {
        const credential =
          kind === "create"
            ? await navigator.credentials.create({
                publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
              })
            : await navigator.credentials.get({
                publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
              });
        return { credential: credential.toJSON() };
      } catch (error) {
        return { error: error.name };
      }
    },
    { kind, options },
  );
}

/** An embedded flow; by default with the account API's scope, as the widget asks. */
async function startFlow(scope = "openid email profile offline_access account") {
  const { verifier, challenge } = pkce();
  const started = await api("POST", "/v1/flows", {
    client_id: "demo",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope,
  });
  assert.equal(started.status, 201);
  return { flow: started.body.flow_id, verifier };
}

const redeem = (outcome, verifier) => redeemFlow(edge, outcome, verifier);

/**
 * RFC 8707 §2.2: the account API's token (audience `{issuer}/v1/me`) from the refresh
 * token of `tokens`' grant, as the widget gets it; `tokens` keeps the rotated refresh
 * token. Returns the whole response.
 */
async function forAccountApi(tokens) {
  const response = await postForm(edge, "/token", {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: "demo",
    resource: `${edge.origin}/v1/me`,
  });
  if (response.status === 200) tokens.refresh_token = response.body.refresh_token;
  return response;
}

async function accountToken(tokens) {
  const response = await forAccountApi(tokens);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.access_token;
}

/** Both tokens verify against the JWKS; returns the ID token's claims. */
async function verified(tokens) {
  const jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  const { payload: idToken } = await jwtVerify(tokens.id_token, jwks, {
    issuer: edge.origin,
    audience: "demo",
  });
  const { payload: access } = await jwtVerify(tokens.access_token, jwks, {
    issuer: edge.origin,
    typ: "at+jwt",
  });
  assert.equal(access.sub, idToken.sub);
  return idToken;
}

async function signInWithPasskey(email, tweak = (options) => options) {
  const { flow, verifier } = await startFlow();
  const options = await api("POST", `/v1/flows/${flow}/passkey/options`, email ? { email } : {});
  assert.equal(options.status, 200);
  const got = await ceremony("get", tweak(options.body));
  assert.ok(got.credential, `get() failed: ${got.error}`);
  const outcome = await api("POST", `/v1/flows/${flow}/passkey`, got.credential);
  return { outcome, verifier, options: options.body, credential: got.credential };
}

let account;

test("a passkey-only sign-up through the browser's WebAuthn client ends in JWKS-valid tokens", async () => {
  const { flow, verifier } = await startFlow();
  const options = await api("POST", `/v1/flows/${flow}/passkey/sign-up/options`, {
    email: "grace@example.com",
    name: "Grace Hopper",
  });
  assert.equal(options.status, 200);
  assert.equal(options.body.publicKey.rp.id, "localhost");
  assert.equal(options.body.publicKey.authenticatorSelection.userVerification, "required");
  const created = await ceremony("create", options.body);
  assert.ok(created.credential, `create() failed: ${created.error}`);
  const outcome = await api("POST", `/v1/flows/${flow}/passkey/sign-up`, created.credential);
  const tokens = await redeem(outcome, verifier);
  const claims = await verified(tokens);
  assert.equal(claims.email, "grace@example.com");
  assert.ok(claims.amr.includes("swk") && claims.amr.includes("mfa"), `amr ${claims.amr}`);
  account = { tokens, credentialId: created.credential.id, sub: claims.sub };
});

test("usernameless sign-in finds the account from the passkey; its counter is stored", async () => {
  for (let i = 0; i < 2; i += 1) {
    const { outcome, verifier, options } = await signInWithPasskey(undefined);
    assert.deepEqual(options.publicKey.allowCredentials, []);
    const claims = await verified(await redeem(outcome, verifier));
    assert.equal(claims.sub, account.sub);
  }
});

test("sign-in for an email lists its passkey; an unknown email gets stable decoys shaped like real passkeys", async () => {
  const { outcome, verifier, options } = await signInWithPasskey("Grace@Example.com");
  assert.deepEqual(
    options.publicKey.allowCredentials.map((c) => c.id),
    [account.credentialId],
  );
  await redeem(outcome, verifier);

  const decoys = [];
  for (let i = 0; i < 2; i += 1) {
    const { flow } = await startFlow();
    const response = await api("POST", `/v1/flows/${flow}/passkey/options`, {
      email: "nobody@example.com",
    });
    assert.equal(response.status, 200);
    decoys.push(response.body.publicKey.allowCredentials.map((c) => c.id));
  }
  // One or two decoys, as some real accounts have, each shaped like a platform passkey's id.
  assert.ok([1, 2].includes(decoys[0].length), `${decoys[0].length} decoys`);
  for (const id of decoys[0]) {
    assert.ok([16, 20, 32, 64].includes(Buffer.from(id, "base64url").length), `decoy id ${id}`);
  }
  assert.deepEqual(decoys[0], decoys[1]);
  assert.notDeepEqual(decoys[0], [account.credentialId]);
});

test("the account API takes only its own tokens (RFC 8707 audience, account scope); userinfo refuses them", async () => {
  // The token a page gets (and hands its backend): for userinfo and the site's APIs.
  const pageToken = account.tokens.access_token;
  const jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  const { payload: page } = await jwtVerify(pageToken, jwks, { issuer: edge.origin, audience: edge.origin, typ: "at+jwt" });
  assert.ok(!page.scope.split(" ").includes("account"), `scope ${page.scope}`);
  for (const [method, path] of [["GET", "/v1/me/passkeys"], ["POST", "/v1/me/passkeys/options"]]) {
    const refused = await api(method, path, undefined, pageToken);
    assert.equal(refused.status, 401, `${method} ${path}`);
    assert.equal(refused.body.code, "unauthorized");
  }

  // The same grant's token for the account API: its own audience, only `account`.
  const token = await accountToken(account.tokens);
  const { payload: claims } = await jwtVerify(token, jwks, { issuer: edge.origin, audience: `${edge.origin}/v1/me`, typ: "at+jwt" });
  assert.equal(claims.scope, "account");
  assert.equal(claims.sub, account.sub);
  assert.equal(typeof claims.auth_time, "number", "RFC 9470 reads auth_time");
  assert.equal((await api("GET", "/v1/me/passkeys", undefined, token)).status, 200);
  const userinfo = await recordingFetch(`${edge.api}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(userinfo.status, 401, "userinfo takes only tokens for the issuer");
  assert.match(userinfo.headers.get("www-authenticate") ?? "", /error="invalid_token"/);

  // A grant without `account` yields no account API token (RFC 8707 invalid_target).
  const { flow, verifier } = await startFlow("openid email offline_access");
  const options = await api("POST", `/v1/flows/${flow}/passkey/options`, {});
  const got = await ceremony("get", options.body);
  const plain = await redeem(await api("POST", `/v1/flows/${flow}/passkey`, got.credential), verifier);
  const refused = await forAccountApi(plain);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, "invalid_target");
});

test("the account API adds, renames and deletes passkeys; a deleted passkey no longer signs in", async () => {
  // A fresh sign-in: changes need one within the last five minutes (RFC 9470).
  const { outcome: signedIn, verifier } = await signInWithPasskey(undefined);
  const token = await accountToken(await redeem(signedIn, verifier));
  const unauthorised = await api("GET", "/v1/me/passkeys");
  assert.equal(unauthorised.status, 401);
  assert.equal(unauthorised.body.code, "unauthorized");

  const options = await api("POST", "/v1/me/passkeys/options", undefined, token);
  assert.equal(options.status, 200);
  assert.deepEqual(
    options.body.publicKey.excludeCredentials.map((c) => c.id),
    [account.credentialId],
  );
  // The same authenticator refuses a second passkey for the account (excludeCredentials).
  const duplicate = await ceremony("create", options.body);
  assert.equal(duplicate.error, "InvalidStateError");

  // A second authenticator (another device) adds one.
  const second = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
  const again = await api("POST", "/v1/me/passkeys/options", undefined, token);
  const created = await ceremony("create", again.body);
  assert.ok(created.credential, `create() failed: ${created.error}`);
  const added = await api("POST", "/v1/me/passkeys", created.credential, token);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.equal(added.body.name, "Passkey 2");
  // The owner hears of the new way into the account.
  const mail = await newestMail(edge, "grace@example.com", "A passkey was added to your Portcullis Demo account");
  assert.match(mail.text, /If it wasn't, someone else may have access to your account/);

  const renamed = await api(
    "PATCH",
    `/v1/me/passkeys/${created.credential.id}`,
    { name: "Security key" },
    token,
  );
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.name, "Security key");

  const deleted = await api("DELETE", `/v1/me/passkeys/${created.credential.id}`, undefined, token);
  assert.equal(deleted.status, 204);
  const listed = await api("GET", "/v1/me/passkeys", undefined, token);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.rp_id, "localhost");
  assert.deepEqual(
    listed.body.passkeys.map((p) => p.id),
    [account.credentialId],
  );
  const last = await api("DELETE", `/v1/me/passkeys/${account.credentialId}`, undefined, token);
  assert.equal(last.status, 409);
  assert.equal(last.body.code, "last_sign_in_method");

  // The device still holds the deleted passkey; the edge refuses it cleanly.
  const { outcome } = await signInWithPasskey(undefined);
  assert.equal(outcome.status, 400);
  assert.equal(outcome.body.code, "webauthn_unknown_credential");
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: second.authenticatorId });
});

test("/.well-known/webauthn lists the origins that may use the RP ID", async () => {
  const response = await recordingFetch(`${edge.api}/.well-known/webauthn`);
  assert.equal(response.status, 200);
  const { origins } = await response.json();
  assert.ok(origins.includes(edge.origin), JSON.stringify(origins));
  assertNoServerErrors();
});
