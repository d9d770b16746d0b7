// Federation's refusals end to end (OIDC Core §3.1.3.7, RFC 6749 §4.1.2.1, RFC 9207),
// against the live edge. A real provider will not mint a broken ID token, so the
// upstream here is a small local stand-in that speaks the OpenID Provider's formats
// (discovery, JWKS, token endpoint with client_secret_basic and PKCE S256) and signs the
// ID tokens the test asks for with keys the test holds (node:crypto). The person's side
// is scripted, as an attacker would script it: start a flow, leave for the provider,
// then come back to /callback with the answer the test chooses. Each refusal is checked
// twice: what the page is told (the fragment the widget reads) and that no account and
// no identity exist afterwards (D1). The browser flows are in federation.test.mjs.
import assert from "node:assert/strict";
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { main as connections } from "../../scripts/connections.mjs";
import { d1 } from "./federation-support.mjs";
import { freePort, keyEncryptionKey, passphrase, signUpWithPassword, startEdge } from "./harness.mjs";

let edge;
let upstream;
const scratch = mkdtempSync(join(tmpdir(), "portcullis-federation-negative-"));
const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);
const tag = () => randomBytes(5).toString("hex");

function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `rsa-${tag()}`;
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" } };
}

/**
 * One stand-in provider per path (`{base}/{name}`): its discovery, its JWKS (`published`
 * keys; every fetch counted in `jwksFetches`), and its token endpoint, which answers a
 * code with the ID token `mint(grant)` makes (`grant`: the nonce and PKCE challenge of
 * the authorization request the code stands for).
 */
async function startUpstream() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const providers = new Map();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const [, name, ...rest] = url.pathname.split("/");
    const op = providers.get(name);
    const path = `/${rest.join("/")}`;
    let body = "";
    for await (const chunk of req) body += chunk;
    const json = (status, value) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(value));
    };
    if (!op) return json(404, { error: "not_found" });
    if (path === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: op.issuer,
        authorization_endpoint: `${op.issuer}/authorize`,
        token_endpoint: `${op.issuer}/token`,
        jwks_uri: `${op.issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (path === "/jwks") {
      op.jwksFetches += 1;
      return json(200, { keys: op.published.map((k) => k.jwk) });
    }
    if (path === "/token" && req.method === "POST") {
      const form = new URLSearchParams(body);
      const grant = op.codes.get(form.get("code"));
      op.codes.delete(form.get("code"));
      const basicAuth = `Basic ${Buffer.from(`${encodeURIComponent(op.clientId)}:${encodeURIComponent(op.clientSecret)}`).toString("base64")}`;
      const verifier = form.get("code_verifier") ?? "";
      if (req.headers.authorization !== basicAuth) return json(401, { error: "invalid_client" });
      if (!grant || createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return json(400, { error: "invalid_grant" });
      }
      op.tokenRequests += 1;
      return json(200, { access_token: `at-${tag()}`, token_type: "Bearer", expires_in: 3600, id_token: grant.mint(grant) });
    }
    return json(404, { error: "not_found" });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const add = (name) => {
    const key = rsaKey();
    const op = {
      issuer: `${base}/${name}`,
      clientId: `portcullis-${name}`,
      clientSecret: `secret-${randomBytes(16).toString("hex")}`,
      keys: [key],
      published: [key],
      codes: new Map(),
      jwksFetches: 0,
      tokenRequests: 0,
    };
    providers.set(name, op);
    return op;
  };
  return { base, server, add };
}

/** A compact JWS: RS256 with `key`, HS256 with a secret, or `none`. */
function jws(header, claims, key) {
  const input = `${b64(header)}.${b64(claims)}`;
  if (header.alg === "none") return `${input}.`;
  if (header.alg === "HS256") return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
  return `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
}

/** The claims a good ID token of `op` carries for `grant`, with `changes` applied. */
function claimsFor(op, grant, changes = {}) {
  return {
    iss: op.issuer,
    sub: grant.login,
    aud: op.clientId,
    iat: now(),
    exp: now() + 300,
    nonce: grant.nonce,
    email: grant.login,
    email_verified: true,
    ...changes,
  };
}

/** A good RS256 ID token, its claims changed by `changes`, signed with `key`. */
const signed = (op, changes = {}, key = op.keys[0]) => (grant) =>
  jws({ alg: "RS256", kid: key.kid, typ: "JWT" }, claimsFor(op, grant, changes), key);

let neg;
let rot;
/** When the edge first fetched `rot`'s keys (its first flow, right after the start). */
let rotKeysFetchedAt;
let rotFirst;

before(async () => {
  upstream = await startUpstream();
  neg = upstream.add("neg");
  rot = upstream.add("rot");
  edge = await startEdge({
    // The isolate keeps each provider's metadata and keys (as deployed), so the key
    // refresh rules can be seen.
    vars: { CACHE_TTL_SECONDS: "300" },
    setup: async ({ stateDir }) => {
      const kek = join(stateDir, "key-encryption-key");
      keyEncryptionKey(stateDir);
      for (const [id, op] of [["neg", neg], ["rot", rot]]) {
        const secretFile = join(scratch, `${id}.secret`);
        writeFileSync(secretFile, op.clientSecret, { mode: 0o600 });
        const code = await connections([
          "--persist-to", stateDir, "add", "--id", id, "--name", `Stand-in ${id}`, "--issuer", op.issuer,
          "--client-id", op.clientId, "--client-secret-file", secretFile, "--key-encryption-key-file", kek,
        ]);
        assert.equal(code, 0, `scripts/connections add --id ${id}`);
      }
    },
  });
  // The rotation test (last) needs a minute to have passed since this first fetch.
  rotFirst = await depart("rot");
  rotKeysFetchedAt = Date.now();
  assert.equal(rot.jwksFetches, 1);
});
after(async () => {
  await edge?.dispose();
  await new Promise((r) => (upstream ? upstream.server.close(r) : r()));
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Starts a flow on the demo client and leaves for `connection` as the widget does; the
 * edge's redirect to the provider is caught. Returns the authorization request's
 * parameters and the browser-binding cookie.
 */
async function depart(connection) {
  const json = { "content-type": "application/json", origin: edge.origin };
  const flow = await (await fetch(`${edge.api}/v1/flows`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ client_id: "demo", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" }),
  })).json();
  assert.ok(flow.flow_id, JSON.stringify(flow));
  const leave = await fetch(`${edge.api}/v1/flows/${flow.flow_id}/federation/${connection}`, {
    method: "POST", headers: json, body: JSON.stringify({ return_to: `${edge.origin}/` }),
  });
  assert.equal(leave.status, 200, await leave.clone().text());
  const { redirect_to: redirectTo } = await leave.json();
  const start = await fetch(redirectTo.replace(edge.origin, edge.api), { redirect: "manual" });
  assert.equal(start.status, 302);
  const authorize = new URL(start.headers.get("location"));
  const cookie = start.headers.get("set-cookie").split(";")[0];
  return { params: Object.fromEntries(authorize.searchParams), cookie, flowId: flow.flow_id };
}

/**
 * The provider's side: a code for `login` whose ID token `mint` makes, then the browser
 * back at /callback with `answer` (by default the code, the state and RFC 9207 `iss`).
 * Returns where the edge sends the browser: `{status, fragment}` (the page's
 * `portcullis_federation[_error]`), or the error page.
 */
async function comeBack(op, departure, { login, mint, answer, cookie = departure.cookie }) {
  const code = `code-${tag()}`;
  op.codes.set(code, { login, mint, nonce: departure.params.nonce, challenge: departure.params.code_challenge });
  const query = new URLSearchParams(answer ?? { code, state: departure.params.state, iss: op.issuer });
  const connection = op === neg ? "neg" : "rot";
  const response = await fetch(`${edge.api}/callback/${connection}?${query}`, {
    redirect: "manual",
    headers: cookie ? { cookie } : {},
  });
  const location = response.headers.get("location");
  const fragment = location ? Object.fromEntries(new URLSearchParams(new URL(location).hash.slice(1))) : undefined;
  return { status: response.status, fragment, text: location ? "" : await response.text() };
}

const quoted = (text) => `'${text.replaceAll("'", "''")}'`;

/** No account has any of the addresses `logins`, and no identity any of them as its
 * subject (one read of D1). */
function assertNothingCreated(...logins) {
  const list = logins.map(quoted).join(", ");
  const [row] = d1(edge.stateDir, `SELECT (SELECT COUNT(*) FROM users WHERE email IN (${list})) AS accounts,
    (SELECT COUNT(*) FROM federated_identities WHERE subject IN (${list})) AS identities`);
  assert.deepEqual(row, { accounts: 0, identities: 0 }, "no account, no identity");
}

/** Leaves for `op`, comes back with an ID token from `mint`: the page is told it failed
 * (check with [`assertNothingCreated`] on the login returned). */
async function refusedToken(op, mint) {
  const login = `victim-${tag()}@example.com`;
  const departure = await depart(op === neg ? "neg" : "rot");
  const tokensBefore = op.tokenRequests;
  const back = await comeBack(op, departure, { login, mint });
  assert.equal(back.status, 302);
  assert.deepEqual(back.fragment, { portcullis_federation_error: "server_error" }, "the page is told signing in failed");
  assert.equal(op.tokenRequests, tokensBefore + 1, "the code was exchanged: the ID token itself was refused");
  return login;
}

test("the stand-in's good ID token signs in (the control for every refusal below)", async () => {
  const login = `good-${tag()}@example.com`;
  const departure = await depart("neg");
  assert.equal(departure.params.code_challenge_method, "S256");
  assert.ok(departure.params.nonce && departure.params.state);
  const back = await comeBack(neg, departure, { login, mint: signed(neg) });
  assert.ok(back.fragment?.portcullis_federation, JSON.stringify(back));
  const [identity] = d1(edge.stateDir, `SELECT connection_id FROM federated_identities WHERE subject = ${quoted(login)}`);
  assert.equal(identity?.connection_id, "neg");
});

test("OIDC Core §3.1.3.7 step 2: an ID token of another issuer is refused, nothing created", async () => {
  const login0 = await refusedToken(neg, signed(neg, { iss: `${neg.issuer}/other` }));
  const login1 = await refusedToken(neg, signed(neg, { iss: rot.issuer }));
  assertNothingCreated(login0, login1);
});

test("OIDC Core §3.1.3.7 step 3: an ID token for another audience (or with one more) is refused, nothing created", async () => {
  const login0 = await refusedToken(neg, signed(neg, { aud: rot.clientId }));
  const login1 = await refusedToken(neg, signed(neg, { aud: [neg.clientId, "someone-else"] }));
  assertNothingCreated(login0, login1);
});

test("OIDC Core §3.1.3.7 step 7: alg none and HS256 (the client secret as key) are refused, nothing created", async () => {
  const login0 = await refusedToken(neg, (grant) => jws({ alg: "none", typ: "JWT" }, claimsFor(neg, grant)));
  const login1 = await refusedToken(neg, (grant) => jws({ alg: "HS256", typ: "JWT" }, claimsFor(neg, grant), neg.clientSecret));
  assertNothingCreated(login0, login1);
});

test("OIDC Core §3.1.3.7 step 6: a signature by a key that is not the provider's is refused, nothing created", async () => {
  const stranger = rsaKey();
  // The attacker's key under the provider's own kid.
  const login0 = await refusedToken(neg, (grant) => jws({ alg: "RS256", kid: neg.keys[0].kid }, claimsFor(neg, grant), stranger));
  assertNothingCreated(login0);
});

test("OIDC Core §3.1.3.7 step 9: an expired ID token is refused, nothing created", async () => {
  const login0 = await refusedToken(neg, signed(neg, { iat: now() - 400, exp: now() - 200 }));
  assertNothingCreated(login0);
});

test("OIDC Core §3.1.3.7 step 11: a nonce mismatch (or no nonce) is refused, nothing created", async () => {
  const login0 = await refusedToken(neg, signed(neg, { nonce: randomBytes(16).toString("base64url") }));
  const login1 = await refusedToken(neg, signed(neg, { nonce: undefined }));
  assertNothingCreated(login0, login1);
});

test("unknown kid: a token signed with a key the provider never published is refused, and its keys are not fetched for each such request", async () => {
  const unpublished = rsaKey();
  const fetches = neg.jwksFetches;
  const logins = [];
  for (let i = 0; i < 3; i += 1) logins.push(await refusedToken(neg, signed(neg, {}, unpublished)));
  assert.ok(neg.jwksFetches - fetches <= 1, `the JWKS was fetched ${neg.jwksFetches - fetches} times for three unknown kids`);
  assertNothingCreated(...logins);
});

test("RFC 9207: an answer that names another issuer, or none, is refused before the code is used, nothing created", async () => {
  const logins = [];
  for (const iss of [rot.issuer, undefined]) {
    const login = `iss-${tag()}@example.com`;
    const departure = await depart("neg");
    const code = `code-${tag()}`;
    neg.codes.set(code, { login, mint: signed(neg), nonce: departure.params.nonce, challenge: departure.params.code_challenge });
    const tokensBefore = neg.tokenRequests;
    const answer = { code, state: departure.params.state, ...(iss && { iss }) };
    const back = await comeBack(neg, departure, { login, mint: signed(neg), answer });
    assert.deepEqual(back.fragment, { portcullis_federation_error: "server_error" });
    assert.equal(neg.tokenRequests, tokensBefore, "the code was never exchanged");
    logins.push(login);
  }
  assertNothingCreated(...logins);
});

test("state: wrong, missing, of another connection, without the browser's cookie, or reused: the error page, nothing exchanged", async () => {
  const login = `state-${tag()}@example.com`;
  const departure = await depart("neg");
  const code = `code-${tag()}`;
  const good = { code, state: departure.params.state, iss: neg.issuer };
  const tokensBefore = neg.tokenRequests;
  const refusals = [
    ["wrong state", { ...good, state: randomBytes(32).toString("base64url") }, departure.cookie],
    ["missing state", { code, iss: neg.issuer }, departure.cookie],
  ];
  for (const [what, answer, cookie] of refusals) {
    const back = await comeBack(neg, departure, { login, mint: signed(neg), answer, cookie });
    assert.equal(back.status, 400, what);
    assert.match(back.text, /<html/i, what);
  }
  // Without the cookie the state is spent: the browser that left is the only one that
  // can come back, and a script that stole the URL burns it.
  const stolen = await comeBack(neg, departure, { login, mint: signed(neg), answer: good, cookie: null });
  assert.equal(stolen.status, 400);
  const replay = await comeBack(neg, departure, { login, mint: signed(neg), answer: good });
  assert.equal(replay.status, 400, "a spent state");

  // The state of a flow bound for `rot`, brought to `neg`'s callback.
  const other = await depart("rot");
  const crossed = await fetch(`${edge.api}/callback/neg?${new URLSearchParams({ code, state: other.params.state, iss: neg.issuer })}`, {
    redirect: "manual", headers: { cookie: other.cookie },
  });
  assert.equal(crossed.status, 400);
  assert.equal(neg.tokenRequests, tokensBefore, "no code was exchanged");
  assertNothingCreated(login);

  // A good answer, used twice in parallel: one of them at most is accepted.
  const twice = await depart("neg");
  const code2 = `code-${tag()}`;
  neg.codes.set(code2, { login, mint: signed(neg), nonce: twice.params.nonce, challenge: twice.params.code_challenge });
  const query = new URLSearchParams({ code: code2, state: twice.params.state, iss: neg.issuer });
  const answers = await Promise.all([0, 1].map(() => fetch(`${edge.api}/callback/neg?${query}`, {
    redirect: "manual", headers: { cookie: twice.cookie },
  })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [302, 400]);
});

test("the provider's error: a clear code for the page, anything unregistered becomes server_error, nothing created", async () => {
  const logins = [];
  for (const [error, told] of [["access_denied", "access_denied"], ["temporarily_unavailable", "temporarily_unavailable"], ["<script>alert(1)</script>", "server_error"]]) {
    const login = `err-${tag()}@example.com`;
    const departure = await depart("neg");
    const tokensBefore = neg.tokenRequests;
    const back = await comeBack(neg, departure, {
      login, mint: signed(neg),
      answer: { error, error_description: "<b>your account is locked, call +1 555 0100</b>", state: departure.params.state, iss: neg.issuer },
    });
    assert.deepEqual(back.fragment, { portcullis_federation_error: told }, error);
    assert.equal(neg.tokenRequests, tokensBefore);
    logins.push(login);
  }
  // The token endpoint refuses the code (invalid_grant): the same.
  const login = `grant-${tag()}@example.com`;
  const departure = await depart("neg");
  const back = await comeBack(neg, departure, {
    login, mint: signed(neg), answer: { code: "never-issued", state: departure.params.state, iss: neg.issuer },
  });
  assert.deepEqual(back.fragment, { portcullis_federation_error: "server_error" });
  assertNothingCreated(...logins, login);
});

test("unverified upstream email never links: the account with the address is untouched, the flow asks for proof", async () => {
  const login = `claimed-${tag()}@example.com`;
  await signUpWithPassword(edge, { email: login, password: passphrase((t) => `harbour ${t} lantern orchard`) });
  const [owner] = d1(edge.stateDir, `UPDATE users SET email_verified = 1 WHERE email = ${quoted(login)} RETURNING id`);
  const departure = await depart("neg");
  const back = await comeBack(neg, departure, { login, mint: signed(neg, { email_verified: false }) });
  const ticket = back.fragment?.portcullis_federation;
  assert.ok(ticket, JSON.stringify(back));
  const resumed = await fetch(`${edge.api}/v1/flows/${departure.flowId}/federation`, {
    method: "POST", headers: { "content-type": "application/json", origin: edge.origin }, body: JSON.stringify({ ticket }),
  });
  const outcome = await resumed.json();
  assert.equal(outcome.code, "link_proof_required", JSON.stringify(outcome));
  const [after] = d1(edge.stateDir, `SELECT (SELECT COUNT(*) FROM federated_identities WHERE user_id = ${quoted(owner.id)}) AS linked,
    (SELECT COUNT(*) FROM users WHERE email = ${quoted(login)}) AS accounts`);
  assert.deepEqual(after, { linked: 0, accounts: 1 }, "nothing linked, no second account");
});

test("kid rotation: a kid that appears after the provider rotated is fetched once, not per request", async () => {
  const login = `rot-${tag()}@example.com`;
  assert.ok((await comeBack(rot, rotFirst, { login, mint: signed(rot) })).fragment?.portcullis_federation);
  const rotated = rsaKey();
  rot.published = [rot.keys[0], rotated];
  if (Date.now() < rotKeysFetchedAt + 50_000) {
    // Too soon after the last fetch: the new kid is refused rather than the JWKS fetched
    // again (a flood of made-up kids cannot make the edge hammer the provider).
    await refusedToken(rot, signed(rot, {}, rotated));
    assert.equal(rot.jwksFetches, 1);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, rotKeysFetchedAt + 61_000 - Date.now())));
  for (let i = 0; i < 3; i += 1) {
    const departure = await depart("rot");
    const back = await comeBack(rot, departure, { login, mint: signed(rot, {}, rotated) });
    assert.ok(back.fragment?.portcullis_federation, JSON.stringify(back));
  }
  assert.equal(rot.jwksFetches, 2, "one fetch for the rotated key, then it is known");
});
