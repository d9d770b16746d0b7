// Administrators signing in as people, against the live edge: the console client
// (`portcullis-console`) yields admin rights only to members of the administrators
// groups, read at every call; a customer's console token, a token of another client and
// a removed administrator get 403 with nothing changed; every call an administrator makes
// is in the System Log with them as its actor. (A sign-in older than 15 minutes is
// refused too: the native tests move the clock, rfc9470_console_admin_*.)
// Then the console at /admin/ in Chromium, by keyboard: an administrator finds a person by
// email, suspends them (their next refresh fails), reactivates them and sees the events;
// a customer who signs in there sees a refusal and no data; an administrator makes a group,
// adds a person found by email and removes them, registers a client and rotates its secret
// (shown once: the shown one works at /token, the old one is invalid_client, a reload
// shows none), at phone width; axe finds nothing on any view.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, ROOT, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  basic,
  clientsCli,
  createUser,
  decodeJws,
  eventually,
  pkce,
  postForm,
  recordingFetch,
} from "./oidc-support.mjs";

const CONSOLE = "portcullis-console";
const SCIM = "application/scim+json";
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
// Every WCAG 2.x success criterion axe can check, at levels A and AA, and best practices.
const AXE_OPTIONS = {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
};


describe("admin console: administrators sign in as people", () => {
  let edge;
  let browser;
  let ops;
  let opsSecret;

  before(async () => {
    edge = await startEdge({
      // The operator's machine client, which registers the console and makes the
      // administrators group.
      setup: ({ stateDir }) => {
        opsSecret = clientsCli(stateDir, [
          "add", "--id", "ops", "--name", "Operations", "--type", "confidential",
          "--grant-type", "client_credentials",
          "--scope", "admin.users.manage admin.groups.manage admin.logs.read admin.clients.manage",
        ]).client_secret;
      },
    });
    ops = await clientToken("ops", opsSecret);
    const registered = await call("POST", "/admin/v1/clients", ops, {
      id: CONSOLE, name: "Admin console", redirect_uris: [`${edge.origin}/admin/`],
      allowed_origins: [edge.origin], allowed_scopes: ["openid", "email", "profile", "offline_access"],
      mfa: "optional",
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
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
    const lifecycle = ["activate", "deactivate", "suspend", "unsuspend", "unlock", "reset_password", "reset_factors", "revoke_sessions", "delete"];
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
      ["GET", `/admin/v1/users/${victim}`],
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
  // --- the console in Chromium ---------------------------------------------------------

  /** Puts `id` in portcullis-admins (made by an earlier test, or here). */
  async function joinAdmins(id) {
    const filter = encodeURIComponent('displayName eq "portcullis-admins"');
    const found = await call("GET", `/scim/v2/Groups?filter=${filter}`, ops);
    const group = found.body.Resources?.[0];
    if (!group) return makeGroup("portcullis-admins", [id]);
    const added = await call("PATCH", `/scim/v2/Groups/${group.id}`, ops, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: [{ value: id }] }],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  }

  /** The console in a fresh tab, signed in as `who` through the widget. */
  async function openConsole(who, options = {}) {
    const page = await browser.newPage(options);
    page.problems = [];
    page.on("pageerror", (e) => page.problems.push(e.message));
    await page.addInitScript(AXE);
    await page.goto(`${edge.origin}/admin/`);
    await page.getByLabel("Email", { exact: true }).fill(who.email);
    await page.getByLabel("Email", { exact: true }).press("Enter");
    await page.getByLabel("Password", { exact: true }).fill(who.password);
    await page.getByLabel("Password", { exact: true }).press("Enter");
    return page;
  }

  /** axe's findings on the whole page (the widget's shadow root included); "needs review" counts. */
  async function axe(page, view) {
    const found = await page.evaluate(async (options) => {
      const { violations, incomplete } = await window.axe.run(document, options);
      return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
    }, AXE_OPTIONS);
    assert.deepEqual(found, [], `axe on ${view}`);
  }

  /** The text of the focused element. */
  const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent.trim());

  test("in Chromium an administrator finds a person, suspends and reactivates them, ends their sessions and deletes them by keyboard with a confirmation each, and sees the events", async () => {
    const customer = await person("demo");
    await makeGroup("shop-buyers", [customer.id]);
    const admin = await person();
    await joinAdmins(admin.id);
    const page = await openConsole(admin);
    await page.getByRole("button", { name: "Users" }).waitFor();
    await axe(page, "users");

    const search = page.getByLabel("Email address");
    await search.fill(customer.email);
    await search.press("Enter");
    const result = page.getByRole("button", { name: `${customer.email} · Active` });
    await result.press("Enter");
    const heading = page.getByRole("heading", { name: customer.email });
    await heading.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "detail-title");
    // The detail comes from GET /admin/v1/users/{id}: groups, grants, factors, sessions.
    assert.equal(await page.locator("#detail-groups").textContent(), "shop-buyers");
    await axe(page, "user detail");

    await page.getByRole("button", { name: "Suspend", exact: true }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    assert.equal(await focusedText(page), "Confirm");
    await page.getByText(`Suspend ${customer.email}?`).waitFor();
    await axe(page, "confirmation");
    await page.keyboard.press("Enter");
    await page.locator("#detail-status", { hasText: "Suspended" }).waitFor();
    const refused = await refresh(customer.tokens, "demo");
    assert.deepEqual([refused.status, refused.body.error], [400, "invalid_grant"]);

    await page.getByRole("button", { name: "Reactivate", exact: true }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    await page.keyboard.press("Enter");
    await page.locator("#detail-status", { hasText: "Active" }).waitFor();
    const back = await call("GET", `/scim/v2/Users/${customer.id}`, ops);
    assert.equal(back.body.active, true);

    // Ending the sessions, asked and confirmed by keyboard like any action.
    await page.getByRole("button", { name: "End sessions", exact: true }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    await page.getByText(`End every session of ${customer.email}?`).waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".detail p[role=status]", { hasText: "Done." }).waitFor();

    // The person's events (they reach the log through a queue): refresh until both show.
    const table = page.locator(".detail .events");
    for (let i = 0; i < 30; i++) {
      const text = await table.textContent();
      if (text.includes("user.lifecycle.suspend") && text.includes("user.lifecycle.unsuspend")) break;
      await page.locator(".detail").getByRole("button", { name: "Refresh" }).press("Enter");
      await page.waitForTimeout(500);
    }
    const rows = await table.textContent();
    assert.match(rows, /user\.lifecycle\.suspend/);
    assert.match(rows, /user\.lifecycle\.unsuspend/);
    assert.ok(rows.includes(admin.email), "the administrator is the actor");
    await axe(page, "user detail with events");

    // Deleting is asked for first; Cancel keeps the person, Confirm erases them.
    await page.getByRole("button", { name: "Delete", exact: true }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    await page.getByText(`Delete ${customer.email}?`).waitFor();
    await axe(page, "delete confirmation");
    await page.getByRole("button", { name: "Cancel", exact: true }).press("Enter");
    assert.equal((await call("GET", `/scim/v2/Users/${customer.id}`, ops)).status, 200, "Cancel deletes nothing");
    await page.getByRole("button", { name: "Delete", exact: true }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    await page.keyboard.press("Enter");
    await page.getByText("The account was deleted.").waitFor();
    assert.equal((await call("GET", `/scim/v2/Users/${customer.id}`, ops)).status, 404);

    // The System Log, filtered by type.
    await page.getByRole("button", { name: "System Log" }).press("Enter");
    await page.getByLabel("Event type").fill("user.lifecycle.unsuspend");
    await page.getByLabel("Outcome").selectOption("SUCCESS");
    await page.getByLabel("Event type").press("Enter");
    await page.locator("tbody tr", { hasText: "user.lifecycle.unsuspend" }).first().waitFor();
    const types = await page.locator("tbody tr td:nth-child(2)").allTextContents();
    assert.ok(types.length > 0 && types.every((t) => t === "user.lifecycle.unsuspend"), types.join());
    await axe(page, "system log");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  /** Whether the page scrolls sideways (it must not at phone width). */
  const overflows = (page) => page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

  test("in Chromium an administrator creates a group, adds a person found by email, sees them and removes them, by keyboard", async () => {
    const customer = await person("demo");
    const admin = await person();
    await joinAdmins(admin.id);
    const page = await openConsole(admin, { viewport: { width: 360, height: 740 } });
    await page.getByRole("button", { name: "Groups" }).press("Enter");
    const name = `buyers-${Date.now()}`;
    await page.getByLabel("New group's name").fill(name);
    await page.getByLabel("New group's name").press("Enter");
    await page.getByRole("heading", { name }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "group-title");
    assert.equal(await page.locator("#group-members").textContent(), "None");
    await axe(page, "new group");

    // Someone who is not a user is not added; the person found by email is.
    await page.getByLabel("Email address of the person to add").fill(`nobody-${Date.now()}@example.com`);
    await page.getByLabel("Email address of the person to add").press("Enter");
    await page.locator(".detail p[role=status]", { hasText: "No user has this email address." }).waitFor();
    await page.getByLabel("Email address of the person to add").fill(customer.email);
    await page.getByLabel("Email address of the person to add").press("Enter");
    await page.locator("#group-members li", { hasText: customer.email }).waitFor();
    const group = await call("GET", `/scim/v2/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`, ops);
    assert.deepEqual(group.body.Resources[0].members.map((m) => m.value), [customer.id]);
    const detail = await call("GET", `/admin/v1/users/${customer.id}`, ops);
    assert.ok(detail.body.groups.includes(name), JSON.stringify(detail.body.groups));
    assert.equal(await overflows(page), false, "no sideways scrolling at phone width");
    await axe(page, "group with a member");

    await page.getByRole("button", { name: `Remove ${customer.email}` }).press("Enter");
    await page.locator("#group-members", { hasText: "None" }).waitFor();
    const emptied = await call("GET", `/scim/v2/Groups/${group.body.Resources[0].id}`, ops);
    assert.deepEqual(emptied.body.members, []);
    // The changes are the administrator's in the System Log.
    const filter = encodeURIComponent(`eventType eq "group.user_membership.add" and actor.id eq "${admin.id}"`);
    const added = await eventually(() => call("GET", `/api/v1/logs?filter=${filter}`, ops), (r) => r.body?.length >= 1);
    assert.ok(added.body.some((e) => e.target.some((t) => t.id === customer.id)), JSON.stringify(added.body[0]));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("in Chromium an administrator registers a client and rotates its secret: shown once, it works at /token, the old one is invalid_client", async () => {
    const admin = await person();
    await joinAdmins(admin.id);
    const page = await openConsole(admin, { viewport: { width: 360, height: 740 } });
    await page.getByRole("button", { name: "Clients" }).press("Enter");
    const name = `Orders API ${Date.now()}`;
    await page.getByLabel("New client's name").fill(name);
    await page.getByLabel("Kind of client").selectOption("machine");
    await page.getByLabel("Allowed scopes (separated by spaces)").fill("orders.read");
    await page.getByLabel("Allowed scopes (separated by spaces)").press("Enter");
    await page.getByRole("heading", { name }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "client-title");
    const id = (await page.locator("#client-id").textContent()).trim();
    const first = (await page.locator("#client-secret").textContent()).trim();
    const grant = { grant_type: "client_credentials", scope: "orders.read" };
    const before = await postForm(edge, "/token", grant, { auth: basic(id, first) });
    assert.equal(before.status, 200, JSON.stringify(before.body));
    await axe(page, "new client with its secret");

    await page.getByRole("button", { name: "Rotate secret" }).press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent.trim() === "Confirm");
    await page.getByText(`Give ${name} a new secret?`).waitFor();
    await axe(page, "rotation confirmation");
    await page.keyboard.press("Enter");
    await page.waitForFunction((old) => {
      const shown = document.getElementById("client-secret")?.textContent.trim();
      return shown && shown !== old;
    }, first);
    const second = (await page.locator("#client-secret").textContent()).trim();
    const now = await postForm(edge, "/token", grant, { auth: basic(id, second) });
    assert.equal(now.status, 200, JSON.stringify(now.body));
    const old = await postForm(edge, "/token", grant, { auth: basic(id, first) });
    assert.deepEqual([old.status, old.body.error], [401, "invalid_client"]);
    assert.equal(await overflows(page), false, "no sideways scrolling at phone width");

    // Shown once: opening the client again, or reloading, shows no secret.
    await page.getByRole("button", { name: "Users" }).press("Enter");
    await page.getByRole("button", { name: "Clients" }).press("Enter");
    await page.getByRole("button", { name: `${name} · ${id}` }).press("Enter");
    await page.getByRole("heading", { name }).waitFor();
    assert.equal(await page.locator("#client-secret").count(), 0);
    assert.ok(!(await page.content()).includes(second));
    await axe(page, "client without its secret");
    const listed = await call("GET", `/admin/v1/clients/${id}`, ops);
    assert.equal(JSON.stringify(listed.body).includes(second), false);
    assert.deepEqual([listed.body.has_secret, listed.body.client_secret], [true, undefined]);
    // The rotation is in the System Log, the administrator its actor.
    const filter = encodeURIComponent(`eventType eq "application.client_secret.rotate" and target.id eq "${id}"`);
    const rotated = await eventually(() => call("GET", `/api/v1/logs?filter=${filter}`, ops), (r) => r.body?.length === 1);
    assert.equal(rotated.body[0].actor.id, admin.id);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("in Chromium a customer who signs in on the console sees a refusal and no data", async () => {
    const customer = await person();
    const page = await openConsole(customer);
    const refusal = page.getByRole("alert").filter({ hasText: "This account is not an administrator" });
    await refusal.waitFor();
    assert.equal(await page.getByRole("button", { name: "Users" }).count(), 0);
    assert.equal(await page.locator("table").count(), 0);
    assert.equal(await page.getByLabel("Email address").count(), 0);
    await axe(page, "refusal");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
