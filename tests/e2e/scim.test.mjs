// The admin API against the live edge: SCIM 2.0 driven by a third-party client (PyPI
// scim2-client) and checked by a third-party conformance probe (PyPI scim-sanity), the lifecycle reaching refresh tokens, the System Log API paging through
// thousands of events, and every admin route refusing what must be refused.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ROOT, startEdge, toolEnv } from "./harness.mjs";

import {
  assertNoServerErrors,
  basic,
  clientsCli,
  createUser,
  eventually,
  pkce,
  postForm,
  random,
  recordingFetch,
  signInWithOpenIdClient,
} from "./oidc-support.mjs";

const SCIM = "application/scim+json";
/** Where the relying parties' codes go; only the redirect's Location is read. */
const RP_CALLBACK = "http://localhost:9/cb";
// PORTCULLIS_LOG_EVENTS=10000 measures a larger log (the figure is printed).
const SEEDED = Number(process.env.PORTCULLIS_LOG_EVENTS ?? 2_000);
const SEED_FROM = Date.parse("2026-06-01T00:00:00.000Z");

/** `SEEDED` System Log events, two to a second, in the shape the edge stores (100 rows a statement: D1 caps statements at 100 KB). */
function seedEvents(stateDir) {
  const uuids = [];
  const statements = [];
  for (let chunk = 0; chunk < SEEDED; chunk += 100) {
    const rows = [];
    for (let i = chunk; i < Math.min(chunk + 100, SEEDED); i++) {
      const uuid = randomUUID();
      uuids.push(uuid);
      const published = new Date(SEED_FROM + Math.floor(i / 2) * 1000).toISOString();
      const type = i % 2 ? "seed.odd" : "seed.even";
      const event = {
        uuid, published, eventType: type, severity: "INFO", displayMessage: `seeded ${i}`,
        actor: { id: `actor-${i % 7}`, type: "User" }, client: {}, request: {},
        outcome: { result: i % 10 ? "SUCCESS" : "FAILURE" }, target: [{ id: `target-${i}`, type: "User" }],
      };
      rows.push(
        // `published` is stored as Unix milliseconds (migration 0015); the JSON keeps RFC 3339.
        `('${uuid}', ${Date.parse(published)}, '${type}', 'INFO', '${event.outcome.result}', 'actor-${i % 7}', NULL, NULL, '${JSON.stringify(event)}')`,
      );
    }
    statements.push(
      `INSERT INTO events (uuid, published, event_type, severity, outcome, actor_id, client_id, ip_address, data) VALUES ${rows.join(",\n")};`,
    );
  }
  const file = join(stateDir, "events.sql");
  writeFileSync(file, statements.join("\n"));
  const result = spawnSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", file],
    { cwd: ROOT, encoding: "utf8", env: toolEnv() },
  );
  assert.equal(result.status, 0, result.stderr);
  return uuids;
}

describe("admin API: SCIM 2.0 and the System Log", () => {
  let edge;
  let seeded;
  const clients = {};

  before(async () => {
    edge = await startEdge({
      setup: ({ stateDir }) => {
        const add = (id, scope) =>
          (clients[id] = clientsCli(stateDir, [
            "add", "--id", id, "--name", id, "--type", "confidential",
            "--grant-type", "client_credentials", "--scope", scope,
          ]));
        add("provisioner", "admin.users.manage admin.groups.manage");
        // The conformance probe's own client, so its calls stay apart in the System Log.
        add("conformance", "admin.users.manage admin.groups.manage");
        add("reader", "admin.users.read");
        add("auditor", "admin.logs.read");
        for (const [id, extra] of [["roles", ["--groups-claim", "shop-*"]], ["plain", []]]) {
          clients[id] = clientsCli(stateDir, [
            "add", "--id", id, "--name", id, "--redirect-uri", RP_CALLBACK,
            "--scope", "openid email groups offline_access", ...extra,
          ]);
        }
        seeded = seedEvents(stateDir);
      },
    });
  });
  after(async () => {
    await edge?.dispose();
    assertNoServerErrors();
  });

  async function tokenOf(id) {
    const response = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic(id, clients[id].client_secret) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.access_token;
  }

  async function call(method, path, token, body, headers = {}) {
    const response = await recordingFetch(`${edge.api}${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { "content-type": SCIM }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }

  const newUser = (email) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: email,
    name: { givenName: "Test", familyName: "Person" },
  });

  /** A person signed up through the embedded flow, with a refresh token. */
  async function personWithRefreshToken() {
    const { verifier, challenge } = pkce();
    const email = `p-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@people.example`;
    const flow = await recordingFetch(`${edge.api}/v1/flows`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "demo", code_challenge: challenge, code_challenge_method: "S256", scope: "openid email offline_access" }),
    }).then((r) => r.json());
    const signedUp = await recordingFetch(`${edge.api}/v1/flows/${flow.flow_id}/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: `correct horse ${random(4)} staple`, name: "Pat" }),
    }).then((r) => r.json());
    assert.equal(signedUp.status, "authorization_code", JSON.stringify(signedUp));
    const tokens = await postForm(edge, "/token", {
      grant_type: "authorization_code", code: signedUp.authorization_code, code_verifier: verifier, client_id: "demo",
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token, "offline_access gives a refresh token");
    const sub = JSON.parse(Buffer.from(tokens.body.access_token.split(".")[1], "base64url")).sub;
    return { email, sub, ...tokens.body };
  }

  const refresh = (refreshToken) =>
    postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "demo" });

  test("RFC 7643/7644 conformance: scim-sanity's live probe (a third-party checker) passes against the edge but for the member that names no user, which the edge refuses", async () => {
    const token = await tokenOf("conformance");
    // Discovery, user and group lifecycles (POST, GET, PUT, PATCH, DELETE, 404 after),
    // search and pagination, and error handling; it deletes what it creates.
    const run = spawnSync(
      "python3",
      ["-m", "scim_sanity", "probe", `${edge.api}/scim/v2`, "--token", token, "--json-output", "--i-accept-side-effects", "--timeout", "30"],
      { encoding: "utf8", timeout: 120_000 },
    );
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf("{\n")));
    // The one check the edge fails on purpose: it adds to a group a member whose value
    // names no user ("fake-member-id") and expects 200; the edge refuses a member that
    // is nobody (400 invalidValue, RFC 7644 §3.12) rather than keep a dangling reference.
    const failed = report.results.filter((r) => !["pass", "skip"].includes(r.status));
    assert.deepEqual(
      failed.map((r) => `${r.name}: ${r.message}`),
      ["PATCH /Groups/{id} add member: Expected 200, got 400"],
      `scim-sanity: ${JSON.stringify(report.summary)}`,
    );
    assert.ok(report.summary.passed >= 25, JSON.stringify(report.summary));
  });

  test("RFC 7644: a third-party SCIM client (scim2-client) discovers, provisions, filters, replaces, patches and deletes users and groups", async () => {
    const token = await tokenOf("provisioner");
    const run = spawnSync("python3", [join(ROOT, "tests/e2e/scim_client.py")], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, SCIM_BASE_URL: `${edge.api}/scim/v2`, SCIM_TOKEN: token, SCIM_DOMAIN: "hr.example" },
    });
    assert.equal(run.status, 0, `scim2-client: ${run.stderr}`);
    const seen = JSON.parse(run.stdout);
    assert.deepEqual(seen.discovered, ["Group", "User"]);
    assert.equal(seen.created.length, 3);
    assert.ok(seen.versions.every((v) => /^W\/"\d+"$/.test(v)), seen.versions.join());
    assert.deepEqual(seen.by_user_name, { total: 1, users: ["grace@hr.example"] });
    assert.deepEqual(seen.starts_with, { total: 2, users: ["alan@hr.example", "ada@hr.example"] });
    assert.deepEqual(seen.or, { total: 2, users: ["alan@hr.example", "ada@hr.example"] });
    assert.equal(seen.present.total, 3);
    assert.equal(seen.replaced, "Amazing Grace");
    assert.equal(seen.active_after_patch, false);
    assert.deepEqual(seen.inactive, { total: 1, users: ["alan@hr.example"] });
    assert.deepEqual(seen.after_delete, { total: 2, users: ["grace@hr.example", "alan@hr.example"] });
    assert.equal(seen.group_found, true, "a group is found by its name, in any case");
    assert.deepEqual(seen.group_members, [seen.created[0], seen.created[2]].sort());
    assert.deepEqual(seen.members_after_delete, [seen.created[0]], "a deleted person leaves every group");
    assert.deepEqual(seen.members_after_patch, [seen.created[1]]);

    // Every call is in the System Log with the client as its actor and the user as target.
    const auditor = await tokenOf("auditor");
    const filter = encodeURIComponent('actor.id eq "provisioner" and eventType sw "user.lifecycle."');
    const log = await eventually(
      () => call("GET", `/api/v1/logs?filter=${filter}&limit=50`, auditor),
      (r) => r.status !== 200 || (r.body.filter((e) => e.eventType === "user.lifecycle.create").length >= 3 && r.body.some((e) => e.eventType === "user.lifecycle.delete.completed")),
    );
    assert.equal(log.status, 200, JSON.stringify(log.body));
    const types = log.body.map((e) => e.eventType);
    assert.deepEqual(
      types.filter((t) => t === "user.lifecycle.create").length, 3, types.join());
    assert.ok(types.includes("user.lifecycle.suspend") && types.includes("user.lifecycle.delete.completed"), types.join());
    const create = log.body.find((e) => e.eventType === "user.lifecycle.create");
    assert.equal(create.actor.type, "PublicClientApp");
    assert.equal(create.target[0].type, "User");
    assert.equal(create.target[0].alternateId, "grace@hr.example");
    const deleted = log.body.find((e) => e.eventType === "user.lifecycle.delete.completed");
    assert.equal(deleted.target[0].id, seen.created[2]);
    const reads = await eventually(
      () => call("GET", `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.admin_api.read" and actor.id eq "provisioner"')}`, auditor),
      (r) => r.body.length >= 5,
    );
    assert.ok(reads.body.length >= 5, `reads are logged too: ${reads.body.length}`);
  });

  test("RFC 6750 §3.1: without the scope, or with a person's token, every admin route is refused and nothing changes", async () => {
    const manage = await tokenOf("provisioner");
    const created = await call("POST", "/scim/v2/Users", manage, newUser("victim@refused.example"));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id } = created.body;
    const before = created.headers.get("etag");
    const person = await personWithRefreshToken();
    const reader = await tokenOf("reader");
    const auditor = await tokenOf("auditor");
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] };
    const routes = [
      ["GET", "/scim/v2/Users", undefined, "admin.users.read"],
      ["POST", "/scim/v2/Users", newUser("intruder@refused.example"), "admin.users.manage"],
      ["GET", `/scim/v2/Users/${id}`, undefined, "admin.users.read"],
      ["PUT", `/scim/v2/Users/${id}`, newUser("taken@refused.example"), "admin.users.manage"],
      ["PATCH", `/scim/v2/Users/${id}`, patch, "admin.users.manage"],
      ["DELETE", `/scim/v2/Users/${id}`, undefined, "admin.users.manage"],
      ["GET", "/api/v1/logs", undefined, "admin.logs.read"],
      ["GET", "/scim/v2/Groups", undefined, "admin.groups.manage"],
      ["POST", "/scim/v2/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Intruders", members: [{ value: id }] }, "admin.groups.manage"],
    ];
    for (const [method, path, body, scope] of routes) {
      const callers = [["a person's token", person.access_token], ["a token for another right", path.startsWith("/api") ? manage : auditor]];
      if (scope === "admin.users.manage") callers.push(["a read-only token", reader]);
      for (const [who, token] of callers) {
        const refused = await call(method, path, token, body);
        assert.equal(refused.status, 403, `${method} ${path} with ${who}: ${JSON.stringify(refused.body)}`);
        assert.match(refused.headers.get("www-authenticate"), new RegExp(`error="insufficient_scope", scope="${scope}"`));
      }
      const anonymous = await call(method, path, null, body);
      assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
      assert.match(anonymous.headers.get("www-authenticate"), /^Bearer/);
    }
    const after = await call("GET", `/scim/v2/Users/${id}`, manage);
    assert.equal(after.headers.get("etag"), before, "the user did not change");
    assert.equal(after.body.active, true);
    const intruder = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent('userName eq "intruder@refused.example"')}`, manage);
    assert.equal(intruder.body.totalResults, 0, "nothing was created");
    const groups = await call("GET", `/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Intruders"')}`, manage);
    assert.equal(groups.body.totalResults, 0, "no group was created");
  });

  test("lifecycle: suspending stops the person's next refresh; reactivating does not revive it; deleting erases the address", async () => {
    const manage = await tokenOf("provisioner");
    const pat = await personWithRefreshToken();
    const rotated = await refresh(pat.refresh_token);
    assert.equal(rotated.status, 200, "refresh works before");
    const suspend = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] };
    const suspended = await call("PATCH", `/scim/v2/Users/${pat.sub}`, manage, suspend);
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.equal(suspended.body.active, false);
    const refused = await refresh(rotated.body.refresh_token);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, "invalid_grant");
    const userinfo = await recordingFetch(`${edge.api}/userinfo`, { headers: { authorization: `Bearer ${rotated.body.access_token}` } });
    assert.equal(userinfo.status, 401, "the access token stops working too");

    const reactivate = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: true } }] };
    assert.equal((await call("PATCH", `/scim/v2/Users/${pat.sub}`, manage, reactivate)).body.active, true);
    assert.equal((await refresh(rotated.body.refresh_token)).status, 400, "what was revoked stays revoked");

    const other = await personWithRefreshToken();
    const gone = await call("DELETE", `/scim/v2/Users/${other.sub}`, manage);
    assert.equal(gone.status, 204);
    assert.equal((await refresh(other.refresh_token)).status, 400, "a deprovisioned person's refresh token stops working");
    assert.equal((await call("GET", `/scim/v2/Users/${other.sub}`, manage)).status, 404);
    const search = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${other.email}"`)}`, manage);
    assert.equal(search.body.totalResults, 0);
    // The pseudonymous record: events the person acted in keep the id, not the address.
    const auditor = await tokenOf("auditor");
    const theirs = await eventually(
      () => call("GET", `/api/v1/logs?filter=${encodeURIComponent(`actor.id eq "${other.sub}"`)}`, auditor),
      (r) => r.body.length > 0,
    );
    assert.ok(theirs.body.length > 0, "their sign-up is still in the log");
    assert.ok(!JSON.stringify(theirs.body).includes(other.email), "without their address");
  });

  test("RFC 7644 §3.12 negative cases: filter injection, unknown attributes, If-Match conflicts, pages past the end, 10 MB bodies", async () => {
    const manage = await tokenOf("provisioner");
    const all = async () => (await call("GET", "/scim/v2/Users?count=0", manage)).body.totalResults;
    const total = await all();
    assert.ok(total > 0);
    for (const filter of ['userName eq "x" or 1=1', "userName eq 'x' OR '1'='1'", 'userName eq "x") OR (1=1', 'password pr', 'nickName eq "x"', 'emails[type eq "work"]']) {
      const refused = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(filter)}`, manage);
      assert.equal(refused.status, 400, filter);
      assert.equal(refused.body.scimType, "invalidFilter", filter);
      assert.deepEqual(refused.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);
    }
    for (const value of [`x" or "1"="1`, `' OR 1=1; DROP TABLE users; --`, "%", "_"]) {
      const filter = `userName eq "${value.replaceAll('"', '\\"')}" or name.familyName co "${value.replaceAll('"', '\\"')}"`;
      const quiet = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(filter)}`, manage);
      assert.equal(quiet.status, 200, `${filter}: ${JSON.stringify(quiet.body)}`);
      assert.equal(quiet.body.totalResults, 0, `a value is only a value: ${filter}`);
    }
    assert.equal(await all(), total, "users intact");

    const unknown = await call("POST", "/scim/v2/Users", manage, { ...newUser("u@neg.example"), nickName: "x" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.scimType, "invalidSyntax");

    const created = await call("POST", "/scim/v2/Users", manage, newUser("etag@neg.example"));
    const stale = created.headers.get("etag");
    const rename = (name) => ({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: name }] });
    const [first, second] = await Promise.all(
      ["One", "Two"].map((name) => call("PATCH", `/scim/v2/Users/${created.body.id}`, manage, rename(name), { "if-match": stale })),
    );
    assert.deepEqual([first.status, second.status].sort(), [200, 412], "two writers from one version: one wins");
    const loser = first.status === 412 ? first : second;
    assert.equal(loser.body.status, "412");

    const beyond = await call("GET", `/scim/v2/Users?startIndex=${total + 100}&count=10`, manage);
    assert.equal(beyond.status, 200);
    assert.equal(beyond.body.itemsPerPage, 0);
    assert.deepEqual(beyond.body.Resources, []);
    assert.ok(beyond.body.totalResults >= total);

    const huge = "x".repeat(10 * 1024 * 1024);
    const tooLarge = await call("POST", "/scim/v2/Users", manage, huge);
    assert.equal(tooLarge.status, 413);
    assert.deepEqual(tooLarge.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);
    assert.equal(await all(), total + 1);
  });

  test("groups claim: openid-client sees only the groups a client maps, and only with the groups scope", async () => {
    const manage = await tokenOf("provisioner");
    const person = await createUser(edge, "roles");
    const found = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${person.email}"`)}`, manage);
    const sub = found.body.Resources[0].id;
    for (const name of ["shop-buyers", "hr-payroll"]) {
      const group = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: name, members: [{ value: sub }] };
      assert.equal((await call("POST", "/scim/v2/Groups", manage, group)).status, 201);
    }
    const signIn = (clientId, scope) => signInWithOpenIdClient(edge, clientId, RP_CALLBACK, person, scope);
    const mapped = await signIn("roles", "openid groups");
    assert.deepEqual(mapped.id.groups, ["shop-buyers"], "only the groups the client maps");
    assert.deepEqual(mapped.access.groups, ["shop-buyers"]);
    const unasked = await signIn("roles", "openid email");
    assert.equal(unasked.id.groups, undefined, "not without the groups scope");
    assert.equal(unasked.access.groups, undefined);
    const unmapped = await signIn("plain", "openid groups");
    assert.equal(unmapped.id.groups, undefined, "not for a client that maps no groups");
  });

  test("a group of more people than one request calls on (11): renamed, a member's next refresh shows it once the holders queue has carried it", async () => {
    const manage = await tokenOf("provisioner");
    const person = await createUser(edge, "roles");
    const found = await call("GET", `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${person.email}"`)}`, manage);
    const members = [found.body.Resources[0].id];
    for (let i = 0; i < 10; i++) {
      const created = await call("POST", "/scim/v2/Users", manage, newUser(`crowd-${i}-${random(6)}@crowd.example`));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      members.push(created.body.id);
    }
    const group = await call("POST", "/scim/v2/Groups", manage, {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "shop-crowd",
      members: members.map((value) => ({ value })),
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const signedIn = await signInWithOpenIdClient(edge, "roles", RP_CALLBACK, person, "openid groups offline_access");
    assert.ok(signedIn.id.groups.includes("shop-crowd"), JSON.stringify(signedIn.id.groups));
    assert.ok(signedIn.refreshToken, "a refresh token");

    const renamed = await call("PATCH", `/scim/v2/Groups/${group.body.id}`, manage, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "displayName", value: "shop-throng" }],
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));

    let token = signedIn.refreshToken;
    const groupsNow = async () => {
      const response = await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: token, client_id: "roles" });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      token = response.body.refresh_token;
      return JSON.parse(Buffer.from(response.body.id_token.split(".")[1], "base64url")).groups ?? [];
    };
    const groups = await eventually(groupsNow, (names) => names.includes("shop-throng"));
    assert.ok(groups.includes("shop-throng") && !groups.includes("shop-crowd"), JSON.stringify(groups));
    assert.match(edge.output(), /QUEUE portcullis-holders 5\/5/, "carried by the holders queue, five people a batch");
  });

  test(`System Log API: ${SEEDED} events paged through Link rel="next" without gaps or repeats, filtered and in both orders`, async () => {
    const auditor = await tokenOf("auditor");
    const since = new Date(SEED_FROM).toISOString();
    const until = new Date(SEED_FROM + SEEDED * 1000).toISOString();
    const started = Date.now();
    const seen = [];
    let next = `/api/v1/logs?since=${since}&until=${until}&limit=200`;
    let pages = 0;
    while (next) {
      assert.ok(++pages <= SEEDED / 200 + 2, "bounded");
      const page = await call("GET", next, auditor);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.map((e) => e.uuid));
      const link = (page.headers.get("link") ?? "").split(", ").find((l) => l.endsWith('rel="next"'));
      next = link ? new URL(link.slice(1, link.indexOf(">"))).pathname + new URL(link.slice(1, link.indexOf(">"))).search : null;
    }
    const elapsed = Date.now() - started;
    assert.equal(seen.length, SEEDED, "no gaps");
    assert.equal(new Set(seen).size, SEEDED, "no repeats");
    assert.deepEqual([...seen].sort(), [...seeded].sort());
    console.log(`# paged ${SEEDED} events in ${pages} pages, ${elapsed} ms`);

    const even = await call("GET", `/api/v1/logs?since=${since}&until=${until}&limit=1000&filter=${encodeURIComponent('eventType eq "seed.even" and outcome.result eq "SUCCESS"')}`, auditor);
    assert.equal(even.body.length, Math.min(1000, (SEEDED * 2) / 5), "even and not every tenth");
    assert.ok(even.body.every((e) => e.eventType === "seed.even" && e.outcome.result === "SUCCESS"));
    const target = await call("GET", `/api/v1/logs?since=${since}&until=${until}&filter=${encodeURIComponent('target.id eq "target-42"')}`, auditor);
    assert.deepEqual(target.body.map((e) => e.displayMessage), ["seeded 42"]);
    const keyword = await call("GET", `/api/v1/logs?since=${since}&until=${until}&q=${encodeURIComponent("seeded target-1999")}`, auditor);
    assert.deepEqual(keyword.body.map((e) => e.displayMessage), ["seeded 1999"]);
    const newest = await call("GET", `/api/v1/logs?since=${since}&until=${until}&limit=3&sortOrder=DESCENDING`, auditor);
    const published = newest.body.map((e) => e.published);
    assert.deepEqual(published, [...published].sort().reverse());
    assert.equal(published[0], new Date(SEED_FROM + (SEEDED / 2 - 1) * 1000).toISOString());
    const injected = await call("GET", `/api/v1/logs?filter=${encodeURIComponent("eventType eq \"x\" or 1=1")}`, auditor);
    assert.equal(injected.status, 400);
    assert.equal(injected.body.errorCode, "E0000001");

    // Polling: ascending without `until` always offers a next link to call later.
    const poll = await call("GET", `/api/v1/logs?since=${new Date().toISOString()}`, auditor);
    assert.match(poll.headers.get("link"), /rel="next"/);
  });
});
