// The hot paths with the isolate cache on, under workerd: the cache keeps signing keys
// and clients for CACHE_TTL_SECONDS (2 here), and a key rotated by another isolate or a
// client disabled with scripts/clients still takes effect once that time has passed.
// Then a bounded refresh load: 8 families refreshed concurrently, every refresh token
// used exactly once, each rotation accepted once, and a reused token revoking its family.
// Every token is checked against the JWKS with node:crypto (the edge signs through
// WebCrypto). The edge reports each request's D1 statements and Durable Object calls
// (REPORT_ROUND_TRIPS, loopback only): once warm, refresh, userinfo and introspection
// make one Durable Object call (the grant, which keeps its person) and read nothing from
// D1, and a person suspended through SCIM is refused at once all the same.
import assert from "node:assert/strict";
import { createCipheriv, createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { keyEncryptionKey, ROOT, toolEnv } from "./harness.mjs";
import {
  assertNoServerErrors,
  assertTokenError,
  authorizeWithSession,
  basic,
  clientsCli,
  createUser,
  decodeJws,
  hostedSession,
  postForm,
  recordingFetch,
  redeem,
  startOidcEdge,
  verifyEs256,
} from "./oidc-support.mjs";

const TTL_SECONDS = 2;
/** Long enough for every isolate's entries to have expired. */
const pastTtl = () => new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 500));

const FAMILIES = 8;
const ROTATIONS = 6;
const LOAD_CAP_MS = 90_000;

let env;

before(async () => {
  // The version key is read on the isolate's first request only (an hour's interval), so
  // each request's round trips are its own; the time to live still bounds what is kept.
  env = await startOidcEdge({
    vars: {
      CACHE_TTL_SECONDS: String(TTL_SECONDS),
      VERSION_CHECK_SECONDS: "3600",
      REPORT_ROUND_TRIPS: "true",
      MAX_GRANTS_PER_PERSON: String(FAMILIES),
    },
  });
});

after(async () => {
  await env?.close();
});

const jwks = async () => {
  const response = await recordingFetch(`${env.edge.api}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return response.json();
};

const clientCredentials = (clientId, secret) =>
  postForm(env.edge, "/token", { grant_type: "client_credentials", scope: "api:read" }, { auth: basic(clientId, secret) });

test("RFC 9110 §13.1.2: the JWKS carries an entity tag and answers 304 to it", async () => {
  const url = `${env.edge.api}/.well-known/jwks.json`;
  const first = await recordingFetch(url);
  assert.equal(first.status, 200);
  const etag = first.headers.get("etag");
  assert.match(etag ?? "", /^"[0-9a-f]{32}"$/);
  assert.equal(first.headers.get("cache-control"), "public, max-age=300");
  const body = await first.json();
  assert.ok(body.keys.length >= 1);

  const revalidated = await recordingFetch(url, { headers: { "if-none-match": etag } });
  assert.equal(revalidated.status, 304);
  assert.equal(await revalidated.text(), "");
  assert.equal(revalidated.headers.get("etag"), etag);

  const stale = await recordingFetch(url, { headers: { "if-none-match": '"0123456789abcdef0123456789abcdef"' } });
  assert.equal(stale.status, 200);
  assert.deepEqual(await stale.json(), body);
});

test("a client disabled with scripts/clients is refused once the cache time to live has passed", async () => {
  const { stateDir } = env.edge;
  const { client_secret } = clientsCli(stateDir, [
    "add", "--id", "batch", "--name", "Batch job", "--type", "confidential",
    "--grant-type", "client_credentials", "--scope", "api:read",
  ]);
  const accepted = await clientCredentials("batch", client_secret);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  verifyEs256(accepted.body.access_token, await jwks());

  clientsCli(stateDir, ["disable", "batch"]);
  await pastTtl();
  assertTokenError(await clientCredentials("batch", client_secret), "invalid_client", 401);
});

/** RFC 7638 thumbprint of a P-256 public JWK. */
const thumbprint = ({ x, y }) =>
  createHash("sha256").update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`).digest("base64url");

/**
 * Rotates the signing key the way another isolate's scheduled rotation does: a new P-256
 * key sealed under the deployment's KEY_ENCRYPTION_KEY (AES-256-GCM, the kid as
 * associated data) made current and the old one retired, in D1. Returns the new kid.
 */
function rotateSigningKeyInD1(stateDir) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { x, y, d } = privateKey.export({ format: "jwk" });
  const kid = thumbprint({ x, y });
  const kek = Buffer.from(keyEncryptionKey(stateDir), "base64url");
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek, nonce);
  cipher.setAAD(Buffer.from(kid));
  const sealed = Buffer.concat([nonce, cipher.update(Buffer.from(d, "base64url")), cipher.final(), cipher.getAuthTag()]);
  const publicJwk = JSON.stringify({ kty: "EC", crv: "P-256", x, y, kid, use: "sig", alg: "ES256" });
  const now = Date.now();
  const sql =
    `UPDATE signing_keys SET retired_at = ${now} WHERE alg = 'ES256' AND retired_at IS NULL; ` +
    `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at) ` +
    `VALUES ('${kid}', 'ES256', '${publicJwk}', '${sealed.toString("base64url")}', ${now}, NULL);`;
  const result = spawnSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", sql],
    { cwd: ROOT, env: toolEnv(), encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return kid;
}

test("OIDC Core §10.1.1: a key rotated by another isolate signs here once the cache time to live has passed", async () => {
  const web = env.clients.web.client_secret;
  const before = await clientCredentials("web", web);
  assert.equal(before.status, 200);
  const oldKid = decodeJws(before.body.access_token).header.kid;

  const newKid = rotateSigningKeyInD1(env.edge.stateDir);
  assert.notEqual(newKid, oldKid);
  await pastTtl();

  const after = await clientCredentials("web", web);
  assert.equal(after.status, 200);
  const published = await jwks();
  assert.equal(verifyEs256(after.body.access_token, published).header.kid, newKid, "signed with the new key");
  assert.deepEqual(
    published.keys.map((k) => k.kid),
    [newKid, oldKid],
    "the new key first; the retired one stays published",
  );
  verifyEs256(before.body.access_token, published);
});

test("RFC 9700 §4.14.2 under load: 8 concurrent families, every refresh token used once, then a reuse revokes", async () => {
  const redirect = `${env.rp.origin}/cb`;
  const user = await createUser(env.edge, "spa");
  const cookie = await hostedSession(env.edge, "spa", redirect, user);
  const families = [];
  for (let i = 0; i < FAMILIES; i++) {
    const { params, verifier } = await authorizeWithSession(env.edge, cookie, "spa", redirect);
    const tokens = await redeem(env.edge, { code: params.get("code"), verifier, clientId: "spa", redirectUri: redirect });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    families.push([tokens.body.refresh_token]);
  }
  const published = await jwks();
  const refresh = (token) => postForm(env.edge, "/token", { grant_type: "refresh_token", refresh_token: token, client_id: "spa" });

  // Every family refreshes in turn, all families at once; each token is presented once.
  const deadline = Date.now() + LOAD_CAP_MS;
  await Promise.all(
    families.map(async (chain) => {
      for (let n = 0; n < ROTATIONS; n++) {
        assert.ok(Date.now() < deadline, "the load finishes within its time cap");
        const response = await refresh(chain.at(-1));
        assert.equal(response.status, 200, JSON.stringify(response.body));
        verifyEs256(response.body.access_token, published);
        verifyEs256(response.body.id_token, published);
        chain.push(response.body.refresh_token);
      }
    }),
  );
  const issued = families.flat();
  assert.equal(issued.length, FAMILIES * (ROTATIONS + 1));
  assert.equal(new Set(issued).size, issued.length, "every rotation issued a token of its own");

  // A rotated token presented again: reuse. Its family dies, the newest token with it;
  // the other families are untouched.
  const [victim, ...others] = families;
  assertTokenError(await refresh(victim[1]), "invalid_grant");
  assertTokenError(await refresh(victim.at(-1)), "invalid_grant");
  for (const chain of others) {
    const response = await refresh(chain.at(-1));
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }
});

/** The D1 statements and Durable Object calls the edge made for `response`. */
function roundTrips(response) {
  const header = response.headers.get("x-portcullis-round-trips") ?? "";
  const match = header.match(/^d1=(\d+), do=(\d+)$/);
  assert.ok(match, `the loopback edge reports its round trips: ${JSON.stringify(header)}`);
  return { d1: Number(match[1]), durableObject: Number(match[2]) };
}

/** A person signed in to `spa` with `openid email offline_access`: their tokens. */
async function signedIn() {
  const redirect = `${env.rp.origin}/cb`;
  const user = await createUser(env.edge, "spa");
  const cookie = await hostedSession(env.edge, "spa", redirect, user);
  const { params, verifier } = await authorizeWithSession(env.edge, cookie, "spa", redirect);
  const tokens = await redeem(env.edge, { code: params.get("code"), verifier, clientId: "spa", redirectUri: redirect });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return { user, ...tokens.body };
}

const refreshSpa = (token) => postForm(env.edge, "/token", { grant_type: "refresh_token", refresh_token: token, client_id: "spa" });
const userinfo = (accessToken) =>
  recordingFetch(`${env.edge.api}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
const introspect = (token) => postForm(env.edge, "/introspect", { token }, { auth: basic("web", env.clients.web.client_secret) });

test("grants keep their person: once warm, refresh, userinfo and introspection read nothing from D1", async () => {
  const person = await signedIn();
  let token = person.refresh_token;
  const refresh = async () => {
    const response = await refreshSpa(token);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    token = response.body.refresh_token;
    return response;
  };
  const access = person.access_token;
  const info = async () => {
    const response = await userinfo(access);
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  const active = () => introspect(access);
  const issued = () => clientCredentials("web", env.clients.web.client_secret);
  const requests = [refresh, info, active, issued];
  // Every entry expired, so each request kind reads what it needs again; then each once
  // more at once, warm (well within the 2 s time to live), measured.
  await pastTtl();
  for (const once of requests) await once();
  const measured = [];
  for (const once of requests) measured.push(await once());
  const [r, i, a, c] = measured;

  assert.deepEqual(roundTrips(r), { d1: 0, durableObject: 1 }, "refresh: the grant's Durable Object only");
  assert.equal(verifyEs256(r.body.id_token, await jwks()).payload.email, person.user.email, "claims from the grant");
  assert.equal(i.status, 200);
  assert.deepEqual(roundTrips(i), { d1: 0, durableObject: 1 }, "userinfo");
  assert.equal(i.body.email, person.user.email);
  assert.equal(a.body.active, true, JSON.stringify(a.body));
  assert.deepEqual(roundTrips(a), { d1: 0, durableObject: 1 }, "introspection");
  assert.equal(c.status, 200);
  assert.deepEqual(roundTrips(c), { d1: 0, durableObject: 0 }, "client credentials");
});

test("RFC 7515 §5.2: the edge's WebCrypto check refuses our tokens altered in payload, signature, key id or algorithm", async () => {
  const person = await signedIn();
  const good = person.access_token;
  assert.equal((await userinfo(good)).status, 200);
  const [header, payload, signature] = good.split(".");
  const json = (part) => JSON.parse(Buffer.from(part, "base64url"));
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const flipped = Buffer.from(signature, "base64url");
  flipped[10] ^= 1;
  const altered = [
    [header, encode({ ...json(payload), sub: "someone-else" }), signature].join("."),
    [header, payload, flipped.toString("base64url")].join("."),
    [header, payload, flipped.subarray(0, 63).toString("base64url")].join("."),
    [encode({ ...json(header), kid: "not-ours" }), payload, signature].join("."),
    [encode({ ...json(header), alg: "none" }), payload, ""].join("."),
  ];
  for (const token of altered) {
    assert.equal((await userinfo(token)).status, 401, token);
    assert.deepEqual((await introspect(token)).body, { active: false });
  }
  assert.equal((await userinfo(good)).status, 200, "the genuine token still works");
});

/** The HR system's client, registered on first use. */
let hr;
/** Suspends `sub` through SCIM with the HR system's token; the PATCH's response. */
async function suspendThroughScim(sub) {
  hr ??= clientsCli(env.edge.stateDir, [
    "add", "--id", "hr", "--name", "HR system", "--type", "confidential",
    "--grant-type", "client_credentials", "--scope", "admin.users.manage",
  ]);
  const admin = await postForm(env.edge, "/token", { grant_type: "client_credentials" }, { auth: basic("hr", hr.client_secret) });
  assert.equal(admin.status, 200, JSON.stringify(admin.body));
  return recordingFetch(`${env.edge.api}/scim/v2/Users/${sub}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${admin.body.access_token}`, "content-type": "application/scim+json" },
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: false }],
    }),
  });
}

test("One policy, every path: a person suspended through SCIM is refused at once by a warm edge, however the token is replayed", async () => {
  const person = await signedIn();
  const sub = decodeJws(person.access_token).payload.sub;
  const refreshed = await refreshSpa(person.refresh_token);
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  const access = refreshed.body.access_token;
  assert.equal((await userinfo(access)).status, 200);
  assert.equal((await introspect(access)).body.active, true);

  const suspended = await suspendThroughScim(sub);
  assert.equal(suspended.status, 200);
  assert.equal((await suspended.json()).active, false);

  // At once, within the cache's time to live: the grant has heard.
  const stolen = refreshed.body.refresh_token;
  const replays = await Promise.all(Array.from({ length: 8 }, () => refreshSpa(stolen)));
  for (const replay of replays) assertTokenError(replay, "invalid_grant");
  const info = await userinfo(access);
  assert.equal(info.status, 401);
  assert.match(info.headers.get("www-authenticate") ?? "", /invalid_token/);
  assert.deepEqual((await introspect(access)).body, { active: false });
  assert.deepEqual((await introspect(stolen)).body, { active: false });
});

test(`a person holds at most MAX_GRANTS_PER_PERSON (${FAMILIES}) grants: one more ends the oldest, and a suspension calls on no more than that`, async () => {
  const redirect = `${env.rp.origin}/cb`;
  const user = await createUser(env.edge, "spa");
  const cookie = await hostedSession(env.edge, "spa", redirect, user);
  const tokens = [];
  for (let i = 0; i < FAMILIES + 3; i++) {
    const { params, verifier } = await authorizeWithSession(env.edge, cookie, "spa", redirect);
    const redeemed = await redeem(env.edge, { code: params.get("code"), verifier, clientId: "spa", redirectUri: redirect });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    tokens.push(redeemed.body);
  }
  const ended = tokens.slice(0, 3);
  const kept = tokens.slice(3);
  for (const t of ended) {
    assertTokenError(await refreshSpa(t.refresh_token), "invalid_grant");
    assert.deepEqual((await introspect(t.access_token)).body, { active: false }, "its access tokens end with it");
  }
  const live = [];
  for (const t of kept) {
    const response = await refreshSpa(t.refresh_token);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    live.push(response.body);
  }

  const sub = decodeJws(kept[0].access_token).payload.sub;
  const suspended = await suspendThroughScim(sub);
  assert.equal(suspended.status, 200);
  // One call per live grant (and the version key's, if this isolate's check is due).
  const calls = roundTrips(suspended).durableObject;
  assert.ok(calls >= FAMILIES && calls <= FAMILIES + 1, `Durable Object calls: ${calls}`);
  for (const t of live) assertTokenError(await refreshSpa(t.refresh_token), "invalid_grant");
});

test("no response in this file was a server error, the signing key went into WebCrypto, and the version key was read", () => {
  assertNoServerErrors();
  assert.doesNotMatch(env.edge.output(), /WebCrypto key import failed/);
  assert.doesNotMatch(env.edge.output(), /cache version (unreadable|not moved)/);
});
