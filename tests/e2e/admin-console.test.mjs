// Administrators signing in as people, against the live edge: the console client
// (`portcullis-console`) yields admin rights only to members of the administrators
// groups, read at every call; a customer's console token, a token of another client and
// a removed administrator get 403 with nothing changed; every call an administrator makes
// is in the System Log with them as its actor. (A sign-in older than 15 minutes is
// refused too: the native tests move the clock, rfc9470_console_admin_*.)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  basic,
  clientsCli,
  createUser,
  decodeJws,
  pkce,
  postForm,
  recordingFetch,
} from "./oidc-support.mjs";

const CONSOLE = "portcullis-console";
const SCIM = "application/scim+json";

/** Calls `read` until `ok` holds of its answer (at most 30 s): events reach D1 through a queue. */
async function eventually(read, ok) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await read();
    if (ok(answer) || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("admin console: administrators sign in as people", () => {
  let edge;
  let ops;
  let opsSecret;

  before(async () => {
    edge = await startEdge({
      setup: ({ stateDir, origin }) => {
        clientsCli(stateDir, [
          "add", "--id", CONSOLE, "--name", "Admin console",
          "--redirect-uri", `${origin}/admin/`, "--origin", origin,
          "--scope", "openid email profile offline_access", "--mfa", "optional",
        ]);
        // The operator's machine client, which creates the administrators group.
        opsSecret = clientsCli(stateDir, [
          "add", "--id", "ops", "--name", "Operations", "--type", "confidential",
          "--grant-type", "client_credentials",
          "--scope", "admin.users.manage admin.groups.manage admin.logs.read admin.clients.manage",
        ]).client_secret;
      },
    });
    ops = await clientToken("ops", opsSecret);
  });
  after(async () => {
    await edge?.dispose();
    assertNoServerErrors();
  });

  async function clientToken(id, secret) {
    const response = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic(id, secret) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.access_token;
  }

  async function call(method, path, token, body, type = "application/json") {
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = path.startsWith("/scim") ? SCIM : type;
    const response = await recordingFetch(`${edge.api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (an empty 204).
    }
    return { status: response.status, body: parsed, challenge: response.headers.get("www-authenticate") };
  }

  /** Signs `person` in to `clientId` with their password through the first-party API; the token response. */
  async function signIn(person, clientId) {
    const { verifier, challenge } = pkce();
    const started = await recordingFetch(`${edge.api}/v1/flows`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: edge.origin },
      body: JSON.stringify({ client_id: clientId, code_challenge: challenge, code_challenge_method: "S256", scope: "openid email offline_access" }),
    });
    const { flow_id: flow } = await started.json();
    assert.equal(started.status, 201);
    const step = await recordingFetch(`${edge.api}/v1/flows/${flow}/password`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: edge.origin },
      body: JSON.stringify({ email: person.email, password: person.password }),
    });
    const outcome = await step.json();
    assert.equal(outcome.status, "authorization_code", JSON.stringify(outcome));
    const tokens = await postForm(edge, "/token", {
      grant_type: "authorization_code", code: outcome.authorization_code, code_verifier: verifier, client_id: clientId,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return tokens.body;
  }

  async function person(clientId = CONSOLE) {
    const made = await createUser(edge, clientId);
    const tokens = await signIn(made, clientId);
    return { ...made, id: decodeJws(tokens.access_token).payload.sub, tokens };
  }

  async function makeGroup(name, members) {
    const created = await call("POST", "/scim/v2/Groups", ops, {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: name,
      members: members.map((value) => ({ value })),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id;
  }

  function refresh(tokens, clientId) {
    return postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId });
  }

  /** Every admin route, one call each that would read or change something. */
  function everyAdminRoute(victim) {
    const lifecycle = ["suspend", "unsuspend", "unlock", "reset_password", "reset_factors", "revoke_sessions", "delete"];
    return [
      ["GET", "/scim/v2/Users"],
      ["GET", `/scim/v2/Users/${victim}`],
      ["POST", "/scim/v2/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "mallory@example.com" }],
      ["PATCH", `/scim/v2/Users/${victim}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }],
      ["DELETE", `/scim/v2/Users/${victim}`],
      ["GET", "/scim/v2/Groups"],
      ["POST", "/scim/v2/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "portcullis-admins" }],
      ["GET", "/api/v1/logs"],
      ["GET", "/admin/v1/clients"],
      ["POST", "/admin/v1/clients", { id: "evil", name: "Evil", redirect_uris: ["https://evil.example/cb"] }],
      ["DELETE", `/admin/v1/clients/${CONSOLE}`],
      ["POST", "/admin/v1/clients/ops/secret"],
      ["GET", "/admin/v1/hooks"],
      ["POST", "/admin/v1/hooks", { name: "h", url: "https://evil.example/hook", events: ["user.session.start"] }],
      ["GET", "/admin/v1/inline-hooks"],
      ...lifecycle.map((action) => ["POST", `/admin/v1/users/${victim}/lifecycle/${action}`]),
    ];
  }

  /** What an attacker could change, as the operator's machine client reads it. */
  async function world(victim) {
    const users = await call("GET", "/scim/v2/Users?count=200", ops);
    const groups = await call("GET", "/scim/v2/Groups", ops);
    const clients = await call("GET", "/admin/v1/clients", ops);
    const target = await call("GET", `/scim/v2/Users/${victim}`, ops);
    return JSON.stringify([users.body.totalResults, groups.body, clients.body, target.body]);
  }

  test("a customer signed in to the console gets 403 on every admin route, and nothing changes", async () => {
    const victim = await person("demo");
    const mallory = await person();
    const before = await world(victim.id);
    for (const [method, path, body] of everyAdminRoute(victim.id)) {
      const refused = await call(method, path, mallory.tokens.access_token, body);
      assert.equal(refused.status, 403, `${method} ${path}: ${JSON.stringify(refused.body)}`);
      assert.match(refused.challenge ?? "", /insufficient_scope/, `${method} ${path}`);
    }
    assert.equal(await world(victim.id), before);
    assert.equal((await refresh(victim.tokens, "demo")).status, 200, "the victim's grant is untouched");
    // The refusals name Mallory, a person, as their actor.
    const filter = encodeURIComponent(`eventType eq "system.admin_api.access_denied" and actor.id eq "${mallory.id}"`);
    const denied = await eventually(
      () => call("GET", `/api/v1/logs?filter=${filter}&limit=100`, ops),
      (r) => r.body?.length >= everyAdminRoute(victim.id).length,
    );
    assert.equal(denied.body.length, everyAdminRoute(victim.id).length, JSON.stringify(denied.body?.[0]));
    assert.ok(denied.body.every((e) => e.actor.type === "User" && e.outcome.result === "FAILURE"));
  });

  test("an administrator acts through the console; the System Log names them; leaving the group ends it at once", async () => {
    const customer = await person("demo");
    const admin = await person();
    const groupId = await makeGroup("portcullis-admins", [admin.id]);
    const token = admin.tokens.access_token;

    const found = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${customer.email}"`)}`, token);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.Resources.map((u) => u.id), [customer.id]);

    const suspended = await call("POST", `/admin/v1/users/${customer.id}/lifecycle/suspend`, token);
    assert.deepEqual([suspended.status, suspended.body], [200, { id: customer.id, status: "SUSPENDED" }]);
    const refused = await refresh(customer.tokens, "demo");
    assert.deepEqual([refused.status, refused.body.error], [400, "invalid_grant"]);
    const back = await call("POST", `/admin/v1/users/${customer.id}/lifecycle/unsuspend`, token);
    assert.deepEqual([back.status, back.body.status], [200, "ACTIVE"]);

    const filter = encodeURIComponent(`eventType eq "user.lifecycle.suspend" and target.id eq "${customer.id}"`);
    const events = await eventually(() => call("GET", `/api/v1/logs?filter=${filter}`, token), (r) => r.body?.length === 1);
    assert.equal(events.status, 200);
    const [event] = events.body;
    assert.deepEqual(
      [event.actor.id, event.actor.type, event.actor.alternateId, event.client.id],
      [admin.id, "User", admin.email, CONSOLE],
    );

    // The operator takes them out of the group: their very next call is refused.
    const removed = await call("PATCH", `/scim/v2/Groups/${groupId}`, ops, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "remove", path: `members[value eq "${admin.id}"]` }],
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const after = await call("POST", `/admin/v1/users/${customer.id}/lifecycle/suspend`, token);
    assert.equal(after.status, 403);
    const stillActive = await call("GET", `/scim/v2/Users/${customer.id}`, ops);
    assert.equal(stillActive.body.active, true);
  });

  test("an administrator's token for another client is never an admin token", async () => {
    const admin = await person();
    await makeGroup("portcullis-auditors", [admin.id]);
    const elsewhere = await signIn(admin, "demo");
    const refused = await call("GET", "/api/v1/logs", elsewhere.access_token);
    assert.equal(refused.status, 403);
    // Through the console the same person reads (an auditor) but changes nothing.
    assert.equal((await call("GET", "/api/v1/logs", admin.tokens.access_token)).status, 200);
    const suspend = await call("POST", `/admin/v1/users/${admin.id}/lifecycle/suspend`, admin.tokens.access_token);
    assert.deepEqual([suspend.status, suspend.body.code], [403, "insufficient_scope"]);
  });
});
