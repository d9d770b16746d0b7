// The admin API against the live edge. Clients (`/admin/v1/clients`): what a caller
// without the right gets (403, nothing changed), a secret shown once that works at
// /token until it is rotated, the same rules as scripts/clients, and a change that the
// isolate cache does not hide. Lifecycle (`/admin/v1/users/{id}/lifecycle/…`): suspend
// ends the next refresh, unsuspend lets the person sign in again, reset_factors takes
// the authenticator app away, reset_password mails a link, a STAGED account neither signs
// in nor gets mail until activated, each in the System Log.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { generateSync } from "otplib";

import { passphrase, ROOT, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  authorizeWithSession,
  basic,
  clientsCli,
  createUser,
  hostedSession,
  newestMail,
  pkce,
  postForm,
  recordingFetch,
  signInWithOpenIdClient,
} from "./oidc-support.mjs";

/** Where the relying parties' codes go; only the redirect's Location is read. */
const RP_CALLBACK = "http://localhost:9/cb";

describe("admin API: clients, lifecycle, claims", () => {
  let edge;
  const registered = {};

  before(async () => {
    edge = await startEdge({
      // The isolate keeps clients for a minute: a change through the API must still
      // show at once.
      vars: { CACHE_TTL_SECONDS: "60" },
      // The first administrator comes from scripts/clients; the API registers the rest.
      setup: ({ stateDir }) => {
        registered.ops = clientsCli(stateDir, [
          "add", "--id", "ops", "--name", "Operations", "--type", "confidential",
          "--grant-type", "client_credentials", "--scope", "admin.clients.manage",
        ]);
      },
    });
    const ops = await tokenOf("ops");
    const register = async (client) => {
      const created = await call("POST", "/admin/v1/clients", ops, client);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      registered[client.id] = created.body;
    };
    const admin = (id, scopes) =>
      register({ id, name: id, client_type: "confidential", grant_types: ["client_credentials"], allowed_scopes: scopes });
    await admin("hr", ["admin.users.manage", "admin.groups.manage", "admin.logs.read"]);
    await admin("reader", ["admin.users.read", "admin.clients.manage"]);
    await register({ id: "spa", name: "SPA", redirect_uris: [`${edge.origin}/callback`], allowed_scopes: ["openid", "email", "admin.clients.manage"] });
    await register({ id: "vault", name: "Vault", redirect_uris: [`${edge.origin}/callback`], mfa: "required" });
    // A shop that reads roles and one custom claim; a plain client that maps neither.
    const shop = {
      redirect_uris: [RP_CALLBACK],
      allowed_scopes: ["openid", "email", "offline_access", "hr", "roles"],
      custom_claims: [{ scope: "hr", claim: "full_name", attribute: "name" }],
      roles_prefix: "shop-",
    };
    await register({ id: "shop", name: "Shop", ...shop });
    await register({ id: "plain", name: "Plain", redirect_uris: [RP_CALLBACK], allowed_scopes: ["openid", "email", "roles"] });
  });
  after(async () => {
    await edge?.dispose();
    assertNoServerErrors();
  });

  async function tokenOf(id, secret = registered[id].client_secret) {
    const response = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic(id, secret) });
    return response.status === 200 ? response.body.access_token : null;
  }

  async function call(method, path, token, body, headers = {}) {
    const response = await recordingFetch(`${edge.api}${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }

  test("RFC 6750 §3.1: without admin.clients.manage (another admin right, a person's token, none) every route is refused and nothing changes", async () => {
    const ops = await tokenOf("ops");
    const before = await call("GET", "/admin/v1/clients", ops);
    assert.equal(before.status, 200);

    // A person signed in to a client registered with the scope: still not an admin.
    const person = await createUser(edge, "spa");
    const personal = await postForm(edge, "/token", {
      grant_type: "authorization_code", code: person.code, code_verifier: person.verifier,
      client_id: "spa",
    });
    assert.equal(personal.status, 200, JSON.stringify(personal.body));

    const attackers = [
      ["another admin right", await tokenOf("hr"), 403, "insufficient_scope"],
      ["a person's token", personal.body.access_token, 403, "insufficient_scope"],
      ["no token", null, 401, "unauthorized"],
      ["a forged token", "eyJhbGciOiJub25lIn0.e30.", 401, "unauthorized"],
    ];
    const calls = [
      ["GET", "/admin/v1/clients"],
      ["POST", "/admin/v1/clients", { id: "evil", name: "Evil", redirect_uris: ["https://evil.example/cb"] }],
      ["GET", "/admin/v1/clients/ops"],
      ["PUT", "/admin/v1/clients/ops", { name: "Hijacked", client_type: "confidential", grant_types: ["client_credentials"] }],
      ["PATCH", "/admin/v1/clients/spa", { redirect_uris: ["https://evil.example/cb"] }],
      ["DELETE", "/admin/v1/clients/ops"],
      ["POST", "/admin/v1/clients/ops/secret"],
    ];
    // Scripted in parallel, as an attacker would.
    const answers = await Promise.all(
      attackers.flatMap(([who, token, status, code]) =>
        calls.map(async ([method, path, body]) => ({ who, method, path, status, code, got: await call(method, path, token, body) })),
      ),
    );
    for (const { who, method, path, status, code, got } of answers) {
      assert.equal(got.status, status, `${who}: ${method} ${path}`);
      assert.equal(got.body.code, code, `${who}: ${method} ${path}`);
      assert.match(got.headers.get("www-authenticate") ?? "", /^Bearer realm="portcullis"/);
      assert.ok(!JSON.stringify(got.body).includes("redirect_uris"), "nothing about a client is shown");
    }
    const afterwards = await call("GET", "/admin/v1/clients", ops);
    assert.deepEqual(afterwards.body, before.body, "nothing changed");
    assert.equal(await tokenOf("ops") !== null, true, "the secret was not rotated");
  });

  test("a confidential client registered through the API gets its secret once; it works at /token until rotated", async () => {
    const ops = await tokenOf("ops");
    const created = await call("POST", "/admin/v1/clients", ops, {
      id: "batch", name: "Batch job", client_type: "confidential",
      grant_types: ["client_credentials"], allowed_scopes: ["api:read"],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get("location"), "/admin/v1/clients/batch");
    assert.equal(created.headers.get("cache-control"), "no-store");
    const secret = created.body.client_secret;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    const token = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("batch", secret) });
    assert.equal(token.status, 200);
    assert.equal(token.body.scope, "api:read");

    const read = await call("GET", "/admin/v1/clients/batch", ops);
    assert.equal(read.body.has_secret, true);
    assert.ok(!JSON.stringify(read.body).includes(secret), "the secret is shown only once");
    assert.ok(!("client_secret" in read.body) && !("secret_hash" in read.body));

    const rotated = await call("POST", "/admin/v1/clients/batch/secret", ops);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.client_secret, secret);
    assert.equal(await tokenOf("batch", secret), null, "the old secret stopped working at once");
    assert.ok(await tokenOf("batch", rotated.body.client_secret));

    // scripts/clients reads what the API wrote.
    const shown = clientsCli(edge.stateDir, ["show", "batch"]);
    assert.equal(shown.name, "Batch job");
    assert.deepEqual(shown.allowed_scopes, ["api:read"]);
  });

  test("the API and scripts/clients refuse a client by the same rules, in the same words", async () => {
    const ops = await tokenOf("ops");
    const bad = { name: "Shop", redirect_uris: ["https://shop.example/cb"], allowed_origins: ["https://Shop.example/"] };
    const refused = await call("POST", "/admin/v1/clients", ops, bad);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, "invalid_client_settings");
    assert.equal(refused.body.field, "allowed_origins");
    const problem = refused.body.message.replace(/^allowed_origins: /, "");
    assert.match(problem, /did you mean "https:\/\/shop.example"/);

    const cli = spawnSync(join(ROOT, "scripts/clients"), [
      "--persist-to", edge.stateDir, "add", "--name", "Shop",
      "--redirect-uri", "https://shop.example/cb", "--origin", "https://Shop.example/",
    ], { cwd: ROOT, encoding: "utf8" });
    assert.equal(cli.status, 2);
    assert.equal(cli.stderr.trim(), `clients: --origin: ${problem}`);

    for (const [body, field] of [
      [{ name: "X", grant_types: ["client_credentials"] }, "grant_types"],
      [{ name: "X", redirect_uris: ["http://shop.example/cb"] }, "redirect_uris"],
      [{ name: "X", grant_types: ["implicit"], redirect_uris: ["https://a.example/cb"] }, "grant_types"],
    ]) {
      const answer = await call("POST", "/admin/v1/clients", ops, body);
      assert.equal(answer.body.field, field, JSON.stringify(answer.body));
    }
    const duplicate = await call("POST", "/admin/v1/clients", ops, { id: "spa", name: "Again", redirect_uris: ["https://a.example/cb"] });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, "client_exists");
    const huge = await call("POST", "/admin/v1/clients", ops, { name: "x".repeat(20_000) });
    assert.equal(huge.status, 413);
  });

  test("a change through the API takes effect at once although the isolate keeps clients for a minute", async () => {
    const ops = await tokenOf("ops");
    const created = await call("POST", "/admin/v1/clients", ops, {
      id: "cron", name: "Cron", client_type: "confidential", grant_types: ["client_credentials"], allowed_scopes: ["api:read"],
    });
    const secret = created.body.client_secret;
    assert.ok(await tokenOf("cron", secret), "used once: now in the isolate's cache");

    const narrowed = await call("PATCH", "/admin/v1/clients/cron", ops, { allowed_scopes: ["api:write"] });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.equal(narrowed.body.name, "Cron");
    const token = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic("cron", secret) });
    assert.equal(token.body.scope, "api:write");

    const deleted = await call("DELETE", "/admin/v1/clients/cron", ops);
    assert.equal(deleted.status, 204);
    assert.equal(await tokenOf("cron", secret), null, "a deleted client is refused at once");
    assert.equal((await call("GET", "/admin/v1/clients/cron", ops)).status, 404);
  });

  /** The JSON sign-in API as a script (no Origin header). */
  async function api(method, path, body, headers) {
    return call(method, path, null, body, headers);
  }

  /** Signs `person` up or in with a password at `clientId`: the flow's answer and its PKCE verifier. */
  async function passwordFlow(clientId, person, step, scope, headers) {
    const { challenge, verifier } = pkce();
    const started = await api("POST", "/v1/flows", {
      client_id: clientId, code_challenge: challenge, code_challenge_method: "S256", ...(scope && { scope }),
    }, headers);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const answer = await api("POST", `/v1/flows/${started.body.flow_id}/${step}`, person, headers);
    return { flow: started.body.flow_id, answer, verifier };
  }

  async function redeem(clientId, answer, verifier) {
    const tokens = await postForm(edge, "/token", {
      grant_type: "authorization_code", code: answer.body.authorization_code, code_verifier: verifier, client_id: clientId,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return tokens.body;
  }

  const subOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url")).sub;
  const newPerson = () => ({
    email: `pat-${Math.random().toString(36).slice(2, 10)}@people.example`,
    password: passphrase((t) => `copper ${t} lantern meadow`),
  });
  const lifecycle = (id, action, token, query = "") => call("POST", `/admin/v1/users/${id}/lifecycle/${action}${query}`, token);

  test("lifecycle: suspend ends the person's next refresh and sign-in; unsuspend lets them sign in again; a second suspend is 409", async () => {
    const hr = await tokenOf("hr");
    const pat = newPerson();
    const signedUp = await passwordFlow("demo", pat, "sign-up", "openid email offline_access");
    assert.equal(signedUp.answer.body.status, "authorization_code", JSON.stringify(signedUp.answer.body));
    const tokens = await redeem("demo", signedUp.answer, signedUp.verifier);
    assert.ok(tokens.refresh_token);
    const id = subOf(tokens.access_token);

    // Without the right, nothing happens: the refresh token still works afterwards.
    for (const token of [await tokenOf("reader"), tokens.access_token, null]) {
      const refused = await lifecycle(id, "suspend", token);
      assert.ok([401, 403].includes(refused.status), JSON.stringify(refused.body));
    }
    const stillGood = await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "demo" });
    assert.equal(stillGood.status, 200, "a refused call changed nothing");

    const suspended = await lifecycle(id, "suspend", hr);
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.deepEqual(suspended.body, { id, status: "SUSPENDED" });
    const refreshed = await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: stillGood.body.refresh_token, client_id: "demo" });
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body.error, "invalid_grant");
    const blocked = await passwordFlow("demo", pat, "password");
    assert.notEqual(blocked.answer.body.status, "authorization_code", "a suspended person cannot sign in");
    const twice = await lifecycle(id, "suspend", hr);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, "invalid_lifecycle_transition");

    const back = await lifecycle(id, "unsuspend", hr);
    assert.deepEqual(back.body, { id, status: "ACTIVE" });
    const again = await passwordFlow("demo", pat, "password");
    assert.equal(again.answer.body.status, "authorization_code", JSON.stringify(again.answer.body));
    assert.ok((await redeem("demo", again.answer, again.verifier)).access_token);

    const reset = await lifecycle(id, "reset_password", hr, "?client_id=demo");
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const mail = await newestMail(edge, pat.email);
    assert.match(mail.text, /\/reset-password\?token=/);
  });

  test("lifecycle: a STAGED account (SCIM activate=false) gets no mail and answers as an unknown address; activate mails the link that sets its first password; deactivate ends its refresh", async () => {
    const hr = await tokenOf("hr");
    const pat = newPerson();
    const created = await call("POST", "/scim/v2/Users?activate=false", hr, {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: pat.email, name: { givenName: "Pat" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.active, false);
    const id = created.body.id;
    const mailbox = async (to) => (await api("GET", `/v1/dev/mailbox?to=${encodeURIComponent(to)}`)).body.messages;
    assert.deepEqual(await mailbox(pat.email), [], "creating a STAGED account sends nothing");

    // Someone who knows only the address: password, reset and email code all answer as
    // for an address without an account, and nothing that signs in reaches the mailbox.
    const unknown = { email: `nobody-${id.slice(0, 6).toLowerCase()}@people.example`, password: pat.password };
    const [staged, none] = [await passwordFlow("demo", pat, "password"), await passwordFlow("demo", unknown, "password")];
    assert.deepEqual([staged.answer.status, staged.answer.body], [none.answer.status, none.answer.body]);
    const reset = (email) => api("POST", "/v1/recovery/password", { client_id: "demo", email });
    const [stagedReset, noneReset] = [await reset(pat.email), await reset(unknown.email)];
    assert.deepEqual([stagedReset.status, stagedReset.body], [noneReset.status, noneReset.body]);
    const byEmail = async (email) => (await passwordFlow("demo", { email }, "email")).answer;
    const [stagedCode, noneCode] = [await byEmail(pat.email), await byEmail(unknown.email)];
    assert.deepEqual([stagedCode.status, stagedCode.body], [noneCode.status, noneCode.body]);
    const subjects = async (to) => (await mailbox(to)).map((m) => m.subject).sort();
    assert.deepEqual(await subjects(pat.email), await subjects(unknown.email));
    assert.ok((await mailbox(pat.email)).every((m) => !/reset-password\?token=/.test(m.text)));

    const missing = await lifecycle(id, "activate", hr);
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    const activated = await lifecycle(id, "activate", hr, "?client_id=demo");
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.deepEqual(activated.body, { id, status: "ACTIVE" });
    const welcome = await newestMail(edge, pat.email);
    assert.match(welcome.subject, /account is ready/);
    const token = new URL(welcome.text.match(/https?:\/\/\S+\/reset-password\?\S+/)[0]).searchParams.get("token");
    const chosen = await api("POST", "/v1/recovery/password/reset", { token, password: pat.password });
    assert.equal(chosen.status, 204, JSON.stringify(chosen.body));
    const signedIn = await passwordFlow("demo", pat, "password", "openid email offline_access");
    assert.equal(signedIn.answer.body.status, "authorization_code", JSON.stringify(signedIn.answer.body));
    const tokens = await redeem("demo", signedIn.answer, signedIn.verifier);

    const deactivated = await lifecycle(id, "deactivate", hr);
    assert.deepEqual(deactivated.body, { id, status: "DEPROVISIONED" });
    const refreshed = await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "demo" });
    assert.equal(refreshed.status, 400);
    const blocked = await passwordFlow("demo", pat, "password");
    assert.notEqual(blocked.answer.body.status, "authorization_code");
    const read = await call("GET", `/scim/v2/Users/${id}`, hr);
    assert.equal(read.body.userName, pat.email, "DEPROVISIONED keeps the profile");
  });

  test("lifecycle: unlock ends the under-attack state that wrong passwords from many addresses put an account in", async () => {
    const hr = await tokenOf("hr");
    const pat = newPerson();
    const signedUp = await passwordFlow("demo", pat, "sign-up");
    const id = subOf((await redeem("demo", signedUp.answer, signedUp.verifier)).access_token);
    // SECOND_PROOF_AFTER_FAILURES (edge/src/throttle.rs) is 10: eleven guesses, each from another address.
    for (let n = 0; n < 11; n++) {
      const guess = await passwordFlow("demo", { ...pat, password: `wrong ${n} ${pat.password}` }, "password", undefined, { "cf-connecting-ip": `198.51.100.${n + 1}` });
      assert.ok([401, 200].includes(guess.answer.status), JSON.stringify(guess.answer.body));
    }
    const owner = { "cf-connecting-ip": "203.0.113.77" };
    const underAttack = await passwordFlow("demo", pat, "password", undefined, owner);
    assert.equal(underAttack.answer.body.status, "verify_email", "a right password alone no longer signs in");

    const unlocked = await lifecycle(id, "unlock", hr);
    assert.deepEqual(unlocked.body, { id, status: "ACTIVE" });
    const after = await passwordFlow("demo", pat, "password", undefined, owner);
    assert.equal(after.answer.body.status, "authorization_code", JSON.stringify(after.answer.body));
  });

  test("lifecycle: reset_factors takes the authenticator app away, so the next sign-in enrols one again", async () => {
    const hr = await tokenOf("hr");
    const pat = newPerson();
    const signedUp = await passwordFlow("vault", pat, "sign-up");
    assert.equal(signedUp.answer.body.status, "enrol_second_factor", JSON.stringify(signedUp.answer.body));
    const shown = await api("POST", `/v1/flows/${signedUp.flow}/mfa/totp/enrolment`);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    const confirmed = await api("POST", `/v1/flows/${signedUp.flow}/mfa/totp/enrolment/confirm`, { code: generateSync({ secret: shown.body.secret }) });
    assert.equal(confirmed.body.status, "authorization_code", JSON.stringify(confirmed.body));
    const id = subOf((await redeem("vault", confirmed, signedUp.verifier)).access_token);

    const withApp = await passwordFlow("vault", pat, "password");
    assert.equal(withApp.answer.body.status, "second_factor", "the app is asked for");

    const reset = await lifecycle(id, "reset_factors", hr);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const afterReset = await passwordFlow("vault", pat, "password");
    assert.equal(afterReset.answer.body.status, "enrol_second_factor", JSON.stringify(afterReset.answer.body));

    const unknown = await lifecycle(id, "reactivate", hr);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "unknown_action");
  });

  test("custom claims and roles: openid-client sees them only for a client that maps them and only for the scopes asked and granted", async () => {
    const hr = await tokenOf("hr");
    const person = await createUser(edge, "shop", "Ada Lovelace");
    const found = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${person.email}"`)}`, hr);
    const sub = found.body.Resources[0].id;
    for (const name of ["shop-admins", "hr-payroll"]) {
      const group = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: name, members: [{ value: sub }] };
      assert.equal((await call("POST", "/scim/v2/Groups", hr, group)).status, 201);
    }
    const signIn = (clientId, scope) => signInWithOpenIdClient(edge, clientId, RP_CALLBACK, person, scope);
    const granted = await signIn("shop", "openid hr roles");
    for (const claims of [granted.id, granted.access]) {
      assert.equal(claims.full_name, "Ada Lovelace");
      assert.deepEqual(claims.roles, ["admins"], "only shop- groups, without the prefix");
    }
    const onlyRoles = await signIn("shop", "openid roles");
    assert.equal(onlyRoles.id.full_name, undefined, "not without the hr scope");
    assert.deepEqual(onlyRoles.id.roles, ["admins"]);
    const neither = await signIn("shop", "openid email");
    assert.equal(neither.id.full_name, undefined);
    assert.equal(neither.id.roles, undefined);
    assert.equal(neither.access.roles, undefined);
    const unmapped = await signIn("plain", "openid roles");
    assert.equal(unmapped.id.roles, undefined, "not for a client that maps no roles");
    // A scope the client does not have is refused, not ignored.
    const cookie = await hostedSession(edge, "plain", RP_CALLBACK, person);
    const refused = await authorizeWithSession(edge, cookie, "plain", RP_CALLBACK, { scope: "openid hr" });
    assert.equal(refused.params.get("error"), "invalid_scope");
  });
});
