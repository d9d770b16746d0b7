// scripts/clients: what it accepts and refuses, and one round trip through a local D1
// database (the secret is printed once, only its SHA-256 is stored, nothing prints it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { buildClient, insertStatement, sqlText, UsageError } from "../../scripts/clients.mjs";
import { ROOT, toolEnv } from "./harness.mjs";

const refused = (fn, pattern) => assert.throws(fn, (e) => e instanceof UsageError && pattern.test(e.message));

// The rules themselves are the edge's (edge/src/client_settings.rs, tested natively);
// these check that the CLI runs them and names its own options in a refusal.
describe("scripts/clients validation (the edge's client rules)", () => {
  const base = { name: "App", "redirect-uri": ["https://app.example/cb"] };

  test("RFC 6749 §3.1.2 / RFC 6454 §6.2: redirect URIs and origins are refused by the edge's rules", () => {
    assert.deepEqual(buildClient({ ...base, origin: ["http://localhost:8787"] }).allowed_origins, ["http://localhost:8787"]);
    refused(() => buildClient({ ...base, "redirect-uri": ["http://shop.example/cb"] }), /^--redirect-uri: .*must use https/);
    refused(() => buildClient({ ...base, "redirect-uri": ["https://shop.example/cb#frag"] }), /fragment/);
    refused(() => buildClient({ ...base, "post-logout-redirect-uri": ["/bye"] }), /^--post-logout-redirect-uri: .*not an absolute URL/);
    refused(() => buildClient({ ...base, origin: ["https://shop.example/"] }), /^--origin: .*did you mean "https:\/\/shop.example"/);
  });

  test("grant types: known ones only; client_credentials only for confidential clients", () => {
    assert.deepEqual(buildClient(base).grant_types, ["authorization_code", "refresh_token"]);
    refused(() => buildClient({ ...base, "grant-type": ["password"] }), /^--grant-type: unknown grant type "password"/);
    refused(() => buildClient({ name: "API", "grant-type": ["client_credentials"] }), /only for confidential/);
    const api = buildClient({ name: "API", type: "confidential", "grant-type": ["client_credentials"] });
    assert.deepEqual(api.grant_types, ["client_credentials"]);
    refused(() => buildClient({ name: "App", "grant-type": ["authorization_code"] }), /^--redirect-uri: .*at least one redirect URI/);
    // Several values in one option, separated by commas or spaces.
    assert.deepEqual(
      buildClient({ ...base, type: "confidential", "grant-type": ["authorization_code,refresh_token client_credentials"] })
        .grant_types,
      ["authorization_code", "refresh_token", "client_credentials"],
    );
  });

  test("ids, names, types, scopes and lifetimes are checked", () => {
    refused(() => buildClient({ ...base, id: "x'--" }), /^--id: invalid client id/);
    assert.match(buildClient(base).id, /^[0-9a-f]{32}$/);
    refused(() => buildClient({ "redirect-uri": ["https://app.example/cb"] }), /^--name: is required/);
    refused(() => buildClient({ ...base, type: "private" }), /^--type: .*public or confidential/);
    refused(() => buildClient({ ...base, scope: ['a"b'] }), /^--scope: invalid scope/);
    assert.deepEqual(buildClient({ ...base, scope: ["openid email", "api:read"] }).allowed_scopes, ["openid", "email", "api:read"]);
    assert.equal(buildClient({ ...base, "access-token-ttl": "5m" }).access_token_ttl, 300);
    refused(() => buildClient({ ...base, "access-token-ttl": "0" }), /^--access-token-ttl: must be between 60 and 86400/);
  });

  test("adaptive MFA, attack protection, MFA and themes become the stored row", () => {
    const plain = buildClient(base);
    assert.equal(plain.adaptive_mfa, "never");
    assert.equal(plain.human_check, 0);
    assert.equal(plain.email_second_factor, 0);
    const guarded = buildClient({ ...base, "adaptive-mfa": "high-risk", "human-check": true, "breached-password-check": true, mfa: "required", "email-second-factor": true, "require-verified-email": true, theme: "playful" });
    assert.equal(guarded.email_second_factor, 1);
    assert.match(insertStatement(guarded, null, 1), /'required', 1, 'playful'/);
    assert.equal(guarded.adaptive_mfa, "high_risk");
    assert.equal(guarded.human_check, 1);
    assert.equal(guarded.breached_password_check, 1);
    assert.equal(guarded.mfa, "required");
    assert.equal(guarded.email_verification, "required");
    assert.equal(guarded.theme, "playful");
    assert.match(insertStatement(guarded, null, 1), /'high_risk', 1, 1,/);
    refused(() => buildClient({ ...base, "adaptive-mfa": "high_risk" }), /^--adaptive-mfa: unknown value/);
    refused(() => buildClient({ ...base, theme: "loud" }), /^--theme: unknown theme/);
    refused(() => buildClient({ ...base, "groups-claim": ["a*b"] }), /^--groups-claim: invalid pattern/);
  });

  test("SQL literals are escaped, never pasted", () => {
    assert.equal(sqlText("Bob's app"), "'Bob''s app'");
    refused(() => sqlText("a\0b"), /NUL/);
    const client = buildClient({ name: "O'Brien'); DROP TABLE clients; --", "redirect-uri": ["https://a.example/cb?x='"] });
    const sql = insertStatement(client, null, 1);
    assert.match(sql, /'O''Brien''\); DROP TABLE clients; --'/);
    assert.match(sql, /'\["https:\/\/a\.example\/cb\?x=''"\]'/);
  });
});

describe("scripts/clients against local D1", () => {
  let stateDir;
  const cli = (...args) =>
    spawnSync(join(ROOT, "scripts/clients"), ["--persist-to", stateDir, ...args], { cwd: ROOT, encoding: "utf8" });

  before(() => {
    stateDir = mkdtempSync(join(tmpdir(), "portcullis-clients-"));
    const migrate = spawnSync(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir],
      { cwd: ROOT, encoding: "utf8", env: toolEnv() },
    );
    assert.equal(migrate.status, 0, migrate.stderr);
  });
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  test("a confidential client's secret is shown once and stored only as sha256:<hex>", () => {
    const added = cli(
      "add", "--json", "--id", "backend", "--name", "Back end", "--type", "confidential",
      "--redirect-uri", "https://app.example/cb", "--grant-type", "authorization_code,refresh_token,client_credentials",
    );
    assert.equal(added.status, 0, added.stderr);
    const { client_secret } = JSON.parse(added.stdout);
    assert.match(client_secret, /^[A-Za-z0-9_-]{43}$/, "256 bits, base64url without padding");

    const stored = spawnSync(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--json", "--command", "SELECT secret_hash FROM clients WHERE id = 'backend'"],
      { cwd: ROOT, encoding: "utf8", env: toolEnv() },
    );
    const [{ results: [{ secret_hash }] }] = JSON.parse(stored.stdout);
    const expected = `sha256:${createHash("sha256").update(client_secret, "utf8").digest("hex")}`;
    assert.equal(secret_hash, expected);

    for (const args of [["list"], ["list", "--json"], ["show", "backend"], ["show", "backend", "--json"]]) {
      const out = cli(...args);
      assert.equal(out.status, 0, out.stderr);
      assert.ok(out.stdout.includes("backend"), args.join(" "));
      assert.ok(!out.stdout.includes(client_secret), `${args.join(" ")} printed the secret`);
      assert.ok(!out.stdout.includes(secret_hash.slice(7)), `${args.join(" ")} printed the hash`);
      assert.ok(!/secret_hash/.test(out.stdout), `${args.join(" ")} printed a secret_hash field`);
    }

    const rotated = cli("rotate-secret", "backend", "--json");
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.notEqual(JSON.parse(rotated.stdout).client_secret, client_secret);
  });

  test("bad input and unknown clients exit non-zero with a clear message", () => {
    const duplicate = cli("add", "--id", "backend", "--name", "Again", "--redirect-uri", "https://app.example/cb");
    assert.equal(duplicate.status, 2);
    assert.match(duplicate.stderr, /already exists/);
    const fragment = cli("add", "--name", "X", "--redirect-uri", "https://app.example/cb#x");
    assert.equal(fragment.status, 2);
    assert.match(fragment.stderr, /fragment/);
    const missing = cli("show", "nobody");
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no client with id "nobody"/);
    const removed = cli("remove", "backend");
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(cli("remove", "backend").status, 2);
    const remote = spawnSync(join(ROOT, "scripts/clients"), ["--remote", "--persist-to", "x", "list"], { encoding: "utf8" });
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /--remote cannot be combined/);
  });
});
