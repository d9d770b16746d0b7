// Microsoft preset end to end: panva's `oidc-provider` (a certified OpenID Provider this
// project did not write) dressed as Microsoft's identity platform on 127.0.0.1. Each
// tenant is one provider whose issuer is `…/{tenant id}/v2.0` and whose ID tokens carry
// `tid`; the `common` endpoint publishes the issuer template `…/{tenantid}/v2.0` in its
// discovery and sends the person on to their home tenant, as Microsoft does. As
// Microsoft, the authorization response carries no RFC 9207 `iss`, so the ID token's
// issuer alone says which tenant answered. Two connections, registered with
// scripts/connections: `entra` (multi-tenant, `common`) and `contoso` (tenant A only).
// In Chromium through the widget on the demo page.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import Provider from "oidc-provider";

import { main as connections } from "../../scripts/connections.mjs";
import { d1, openDemo as openDemoPage, signedInSub, upstreamClient } from "./federation-support.mjs";
import { freePort, keyEncryptionKey, launchBrowser, startEdge } from "./harness.mjs";

let edge;
let browser;
let microsoft;
const scratch = mkdtempSync(join(tmpdir(), "portcullis-federation-microsoft-"));
const tenantA = randomUUID();
const tenantB = randomUUID();

/**
 * Microsoft's endpoints on one local port. `tenants[tid]` is that tenant's provider;
 * `home` is the tenant `common` sends the person to; `route` maps a tenant path to the
 * provider that answers there (a test points tenant A's path at tenant B's provider);
 * `claimedTenant[tid]` is the `tid` that provider writes in its tokens (its own, unless
 * a test makes it lie).
 */
async function startMicrosoft(edgeOrigin) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Microsoft signs every tenant's tokens with the same published keys.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };
  const clients = ["entra", "contoso"].map((id) => upstreamClient(edgeOrigin, id));
  const state = { home: tenantA, route: {}, claimedTenant: { [tenantA]: tenantA, [tenantB]: tenantB } };
  const tenant = (tid) => new Provider(`${base}/${tid}/v2.0`, {
    clients,
    jwks: { keys: [signingKey] },
    findAccount: (_ctx, login) => ({
      accountId: login,
      async claims() {
        return { sub: login, tid: state.claimedTenant[tid], email: login, email_verified: true, name: "Ada Entra" };
      },
    }),
    claims: { openid: ["sub", "tid"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: { devInteractions: { enabled: true } },
  });
  const tenants = { [tenantA]: tenant(tenantA), [tenantB]: tenant(tenantB) };
  const seen = { tokenRequests: 0 };

  /** Hands the request to `tid`'s provider as if it were mounted at `/{tid}/v2.0`. */
  const dispatch = (tid, rest, req, res) => {
    const provider = tenants[state.route[tid] ?? tid];
    req.originalUrl = `/${tid}/v2.0${rest}`;
    req.url = rest;
    // Microsoft's authorization responses carry no RFC 9207 `iss`.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => {
      if (name.toLowerCase() === "location" && String(value).startsWith(`${edgeOrigin}/callback/`)) {
        const back = new URL(value);
        back.searchParams.delete("iss");
        return setHeader(name, back.href);
      }
      return setHeader(name, value);
    };
    provider.callback()(req, res);
  };
  /** A discovery document as Microsoft's: no RFC 9207 `iss` announced. */
  const discovery = (res, issuer, endpoints) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      issuer,
      authorization_endpoint: endpoints.authorize,
      token_endpoint: endpoints.token,
      jwks_uri: endpoints.keys,
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
    }));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, base);
    const common = "/common";
    if (url.pathname === `${common}/v2.0/.well-known/openid-configuration`) {
      discovery(res, `${base}/{tenantid}/v2.0`, {
        authorize: `${base}${common}/oauth2/v2.0/authorize`,
        token: `${base}${common}/oauth2/v2.0/token`,
        keys: `${base}${common}/discovery/v2.0/keys`,
      });
      return;
    }
    const tenantDiscovery = /^\/([0-9a-f-]{36})\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (tenantDiscovery && tenants[tenantDiscovery[1]]) {
      const issuer = `${base}/${tenantDiscovery[1]}/v2.0`;
      discovery(res, issuer, { authorize: `${issuer}/auth`, token: `${issuer}/token`, keys: `${issuer}/jwks` });
      return;
    }
    if (url.pathname === `${common}/oauth2/v2.0/authorize`) {
      // The person's home tenant signs them in.
      res.writeHead(302, { location: `${base}/${state.home}/v2.0/auth${url.search}` }).end();
      return;
    }
    if (url.pathname === `${common}/oauth2/v2.0/token`) {
      seen.tokenRequests += 1;
      dispatch(state.home, `/token${url.search}`, req, res);
      return;
    }
    if (url.pathname === `${common}/discovery/v2.0/keys`) {
      dispatch(tenantA, "/jwks", req, res);
      return;
    }
    const match = /^\/([0-9a-f-]{36})\/v2\.0(\/.*)$/.exec(url.pathname);
    if (match && tenants[match[1]]) {
      dispatch(match[1], `${match[2]}${url.search}`, req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { base, clients, server, state, seen };
}

async function connectionsCli(args) {
  return connections(["--persist-to", edge.stateDir, ...args]);
}

before(async () => {
  edge = await startEdge({
    setup: async ({ stateDir, origin }) => {
      microsoft = await startMicrosoft(origin);
      const kek = join(stateDir, "key-encryption-key");
      keyEncryptionKey(stateDir);
      for (const [id, name, issuer, extra] of [
        ["entra", "Entra ID", `${microsoft.base}/common/v2.0`, ["--home-realm-domain", "fabrikam.example"]],
        ["contoso", "Contoso", `${microsoft.base}/${tenantA}/v2.0`, []],
      ]) {
        const client = microsoft.clients.find((c) => c.client_id === `portcullis-${id}`);
        const secretFile = join(scratch, `${id}.secret`);
        writeFileSync(secretFile, client.client_secret, { mode: 0o600 });
        const code = await connections([
          "--persist-to", stateDir, "add", "--kind", "microsoft", "--id", id, "--name", name, "--issuer", issuer,
          "--client-id", client.client_id, "--client-secret-file", secretFile, "--key-encryption-key-file", kek, ...extra,
        ]);
        assert.equal(code, 0, `scripts/connections add --id ${id}`);
      }
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  await new Promise((r) => (microsoft ? microsoft.server.close(r) : r()));
  rmSync(scratch, { recursive: true, force: true });
});

const tag = () => randomBytes(5).toString("hex");
const openDemo = () => openDemoPage(browser, edge.origin);
const quoted = (text) => `'${text.replaceAll("'", "''")}'`;
/** The account with the address `login` (its id, or null) and the identities whose subject
 * is `login` (`[{user_id, connection_id}]`), in one read of D1. */
function stateOf(login) {
  const [row] = d1(edge.stateDir, `SELECT (SELECT id FROM users WHERE email = ${quoted(login)}) AS user,
    (SELECT json_group_array(json_object('user_id', user_id, 'connection_id', connection_id))
       FROM federated_identities WHERE subject = ${quoted(login)}) AS identities`);
  return { user: row.user, identities: JSON.parse(row.identities) };
}

/** Clicks "Continue with {name}" and signs in at the tenant's own pages as `login`. */
async function viaMicrosoft(page, name, login) {
  await page.locator("portcullis-signin").getByRole("button", { name: `Continue with ${name}` }).click();
  // "commit": the provider's pages import a web font this machine cannot reach.
  await page.waitForURL((url) => url.href.startsWith(microsoft.base) && url.pathname.includes("/interaction/"), { waitUntil: "commit" });
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("anything");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(edge.origin), { waitUntil: "commit" });
}

/** The widget's message for a refused provider answer; nothing was created for `login`. */
async function refusedAndNothingCreated(page, login) {
  await page.locator("portcullis-signin").getByRole("alert").filter({ hasText: "Signing in with the provider didn't work" }).waitFor();
  assert.deepEqual(stateOf(login), { user: null, identities: [] }, "no account, no identity");
}

test("Microsoft multi-tenant: a person of tenant A signs in through `common`; the account is created, and found again", async () => {
  const login = `ada-${tag()}@contoso.example`;
  const first = await openDemo();
  await viaMicrosoft(first.page, "Entra ID", login);
  const sub = await signedInSub(first.page);
  assert.deepEqual(first.problems, []);
  await first.page.close();
  assert.deepEqual(stateOf(login), { user: sub, identities: [{ user_id: sub, connection_id: "entra" }] });

  const again = await openDemo();
  await viaMicrosoft(again.page, "Entra ID", login);
  assert.equal(await signedInSub(again.page), sub, "the same account");
  await again.page.close();
});

test("Microsoft issuer validation: a token whose iss names another tenant than its tid is refused, nothing created", async () => {
  // Tenant B's provider answers, and writes tenant A's id in `tid`.
  microsoft.state.home = tenantB;
  microsoft.state.claimedTenant[tenantB] = tenantA;
  try {
    const login = `mallory-${tag()}@contoso.example`;
    const before = microsoft.seen.tokenRequests;
    const { page } = await openDemo();
    await viaMicrosoft(page, "Entra ID", login);
    await refusedAndNothingCreated(page, login);
    assert.equal(microsoft.seen.tokenRequests, before + 1, "the code was exchanged: the ID token itself was refused");
    await page.close();
  } finally {
    microsoft.state.home = tenantA;
    microsoft.state.claimedTenant[tenantB] = tenantB;
  }
});

test("Microsoft single tenant: a connection to tenant A refuses a token of tenant B, nothing created", async () => {
  // Tenant A's own people are welcome.
  const member = `ada-${tag()}@contoso.example`;
  const { page } = await openDemo();
  await viaMicrosoft(page, "Contoso", member);
  const sub = await signedInSub(page);
  await page.close();
  assert.deepEqual(stateOf(member), { user: sub, identities: [{ user_id: sub, connection_id: "contoso" }] });

  // Whatever answers at tenant A's endpoints, a token of tenant B (iss and tid B) is not
  // tenant A's.
  microsoft.state.route[tenantA] = tenantB;
  try {
    const guest = `guest-${tag()}@fabrikam.example`;
    const other = await openDemo();
    await viaMicrosoft(other.page, "Contoso", guest);
    await refusedAndNothingCreated(other.page, guest);
    await other.page.close();
  } finally {
    delete microsoft.state.route[tenantA];
  }
});

test("scripts/connections add refuses a home-realm domain another connection claims, with the admin API's words", async () => {
  const secretFile = join(scratch, "overlap.secret");
  writeFileSync(secretFile, "overlap-secret", { mode: 0o600 });
  const errors = [];
  const error = console.error;
  console.error = (...args) => errors.push(args.join(" "));
  let code;
  try {
    code = await connectionsCli([
      "add", "--kind", "microsoft", "--id", "overlap", "--name", "Overlap", "--issuer", `${microsoft.base}/${tenantB}/v2.0`,
      "--client-id", "overlap", "--client-secret-file", secretFile, "--key-encryption-key-file", join(edge.stateDir, "key-encryption-key"),
      "--home-realm-domain", "other.example", "--home-realm-domain", "Fabrikam.Example",
    ]);
  } finally {
    console.error = error;
  }
  assert.notEqual(code, 0);
  assert.match(errors.join("\n"), /--home-realm-domain: "fabrikam\.example" is claimed by connection "entra" already: a domain goes to one provider/);
  assert.deepEqual(d1(edge.stateDir, "SELECT id FROM connections WHERE id = 'overlap'"), [], "nothing registered");
});
