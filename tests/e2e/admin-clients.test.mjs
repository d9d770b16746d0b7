// The admin API's clients (`/admin/v1/clients`) against the live edge: what a caller
// without the right gets (403, nothing changed), a secret shown once that works at
// /token until it is rotated, the same rules as scripts/clients, and a change that the
// isolate cache does not hide.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ROOT, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  basic,
  clientsCli,
  createUser,
  postForm,
  recordingFetch,
} from "./oidc-support.mjs";

describe("admin API: clients as JSON resources", () => {
  let edge;
  const registered = {};

  before(async () => {
    edge = await startEdge({
      // The isolate keeps clients for a minute: a change through the API must still
      // show at once.
      vars: { CACHE_TTL_SECONDS: "60" },
      setup: ({ stateDir, origin }) => {
        const add = (id, scope) =>
          (registered[id] = clientsCli(stateDir, [
            "add", "--id", id, "--name", id, "--type", "confidential",
            "--grant-type", "client_credentials", "--scope", scope,
          ]));
        add("ops", "admin.clients.manage");
        add("hr", "admin.users.manage admin.groups.manage admin.logs.read");
        registered.spa = clientsCli(stateDir, [
          "add", "--id", "spa", "--name", "SPA", "--redirect-uri", `${origin}/callback`,
          "--scope", "openid email admin.clients.manage",
        ]);
      },
    });
  });
  after(async () => {
    await edge?.dispose();
    assertNoServerErrors();
  });

  async function tokenOf(id, secret = registered[id].client_secret) {
    const response = await postForm(edge, "/token", { grant_type: "client_credentials" }, { auth: basic(id, secret) });
    return response.status === 200 ? response.body.access_token : null;
  }

  async function call(method, path, token, body) {
    const response = await recordingFetch(`${edge.api}${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { "content-type": "application/json" }),
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
      client_id: "spa", redirect_uri: `${edge.origin}/callback`,
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
});
