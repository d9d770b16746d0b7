// Registers and manages federation connections (upstream sign-in providers) in the
// edge's D1 database (`connections`; edge/migrations/0014_federation.sql) by running
// `wrangler d1 execute`, like scripts/clients. Run it through `scripts/connections`.
//
// A connection's client secret is read from a file or the environment (never from the
// command line, where other users of the machine could see it), stored sealed with
// AES-256-GCM under the deployment's KEY_ENCRYPTION_KEY bound to `connection:<id>`, as
// the edge seals its own keys, and never printed or read back.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { checkWithEdgeRules, execute, fail, readCommandLine, reportFailure, sqlInteger, sqlText } from "./clients.mjs";
import { keyEncryptionKey, seal, target } from "./hooks.mjs";


// --- validation -----------------------------------------------------------------------
//
// The rules a connection must meet live in the edge (edge/src/federation/settings.rs),
// where the admin API (`/admin/v1/connections`) runs them too; this script runs them
// through the edge's `connection-settings` program, so the two can never disagree.

/** Which option of `add` sets each field of a connection, to name it in a refusal. */
const OPTION_OF_FIELD = {
  id: "--id",
  kind: "--kind",
  display_name: "--name",
  issuer: "--issuer",
  client_id: "--client-id",
  client_secret: "--client-secret-file",
  scopes: "--scope",
  trusted_email_domains: "--trust-email-domain",
  home_realm_domains: "--home-realm-domain",
  enabled_clients: "--client",
  position: "--position",
  apple: "--apple-team-id/--apple-key-id",
  claims: "--claim",
  userinfo: "--userinfo",
  store_tokens: "--store-tokens",
};

const splitList = (values) => (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");

/** Checks a connection (the admin API's JSON shape) with the edge's rules. */
export function checkConnection(input) {
  return checkWithEdgeRules("connection-settings", "connection", input, OPTION_OF_FIELD);
}

/** A connection id as the edge's rules take it (checked alone, as for `show ID`). */
export function parseConnectionId(id) {
  return checkConnection({ id, display_name: "-", issuer: "https://example.com", client_id: "-" }).id;
}

/**
 * The options of `add` (and the secret, if any) as a complete, valid row (without
 * secret and timestamps), checked by the edge's rules, among them that no connection of
 * `claimedHomeRealms` (`[{id, home_realm_domains}]`, the stored ones) claims one of its
 * home-realm domains already.
 */
export function buildConnection(options, secret, claimedHomeRealms = []) {
  const scopes = splitList(options.scope);
  const clients = splitList(options.client);
  let position;
  if (options.position !== undefined) {
    position = Number(options.position);
    if (!Number.isSafeInteger(position) || position < 0) fail("--position must be 0–1000");
  }
  return checkConnection({
    id: options.id,
    kind: options.kind,
    display_name: options.name,
    issuer: options.issuer,
    client_id: options["client-id"],
    client_secret: secret,
    scopes: scopes.length ? scopes : undefined,
    trusted_email_domains: splitList(options["trust-email-domain"]),
    home_realm_domains: splitList(options["home-realm-domain"]),
    enabled_clients: clients.length ? clients : undefined,
    position,
    apple: options["apple-team-id"] || options["apple-key-id"]
      ? { team_id: options["apple-team-id"] ?? "", key_id: options["apple-key-id"] ?? "" }
      : undefined,
    claims: options.claim?.length ? claimMapping(options.claim) : undefined,
    userinfo: options.userinfo,
    store_tokens: options["store-tokens"],
    claimed_home_realms: claimedHomeRealms,
  });
}

/** `--claim ATTRIBUTE=CLAIM …` as the `claims` object. */
function claimMapping(pairs) {
  return Object.fromEntries(pairs.map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) fail(`--claim ${pair}: write ATTRIBUTE=CLAIM (name=nickname)`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

/** The client secret: from a file or CONNECTION_CLIENT_SECRET, never from the command line. */
function clientSecret(values) {
  const secret = values["client-secret-file"]
    ? readFileSync(values["client-secret-file"], "utf8").trim()
    : process.env.CONNECTION_CLIENT_SECRET?.trim();
  if (secret !== undefined && secret === "") fail("the client secret is empty");
  return secret;
}

export function insertStatement(connection, sealedSecret, now) {
  const columns = {
    id: sqlText(connection.id),
    kind: sqlText(connection.kind),
    display_name: sqlText(connection.display_name),
    issuer: sqlText(connection.issuer),
    client_id: sqlText(connection.client_id),
    sealed_client_secret: sealedSecret === undefined ? "NULL" : sqlText(sealedSecret),
    scopes: sqlText(JSON.stringify(connection.scopes)),
    trusted_email_domains: sqlText(JSON.stringify(connection.trusted_email_domains)),
    home_realm_domains: sqlText(JSON.stringify(connection.home_realm_domains)),
    options: sqlText(JSON.stringify({ apple: connection.apple, claims: connection.claims, userinfo: connection.userinfo, store_tokens: connection.store_tokens })),
    enabled_clients: connection.enabled_clients === null ? "NULL" : sqlText(JSON.stringify(connection.enabled_clients)),
    position: sqlInteger(connection.position),
    disabled_at: connection.enabled ? "NULL" : sqlInteger(now),
    created_at: sqlInteger(now),
    updated_at: sqlInteger(now),
  };
  return `INSERT INTO connections (${Object.keys(columns).join(", ")})
VALUES (${Object.values(columns).join(", ")})
ON CONFLICT (id) DO NOTHING RETURNING id;`;
}

// Never the sealed secret itself: whether one is set is all anybody needs to see.
const PUBLIC_COLUMNS = `id, kind, display_name, issuer, client_id, (sealed_client_secret IS NOT NULL) AS has_secret,
  scopes, trusted_email_domains, home_realm_domains, enabled_clients, position, created_at, updated_at, disabled_at`;

function decode(row) {
  return {
    ...row,
    has_secret: Boolean(row.has_secret),
    scopes: JSON.parse(row.scopes),
    trusted_email_domains: JSON.parse(row.trusted_email_domains),
    home_realm_domains: JSON.parse(row.home_realm_domains),
    enabled_clients: row.enabled_clients === null ? null : JSON.parse(row.enabled_clients),
  };
}

const USAGE = `Usage: scripts/connections [--local | --remote] [--persist-to DIR] <command> [options]

Manages federation connections: upstream providers people sign in with.

Target (default --local): --local, --persist-to DIR, --remote, --config FILE, --database NAME
(as in scripts/clients).

Commands:
  add --id ID --name NAME [--issuer URL] --client-id ID [--kind oidc|github|microsoft|apple]
      [--scope S …] [--trust-email-domain DOMAIN …] [--home-realm-domain DOMAIN …]
      [--client CLIENT_ID …] [--position N] [--claim ATTRIBUTE=CLAIM …] [--userinfo]
      [--store-tokens]
      [--apple-team-id TEAM --apple-key-id KEY] [--client-secret-file FILE]
                              register a connection (--issuer is required for oidc; github
                              defaults to https://github.com, microsoft to its multi-tenant
                              https://login.microsoftonline.com/common/v2.0); the provider's
                              redirect URI for it is
                              <issuer of this deployment>/callback/ID. The secret comes from
                              FILE or CONNECTION_CLIENT_SECRET, is sealed under the
                              KEY_ENCRYPTION_KEY and never printed. --trust-email-domain:
                              verified addresses of DOMAIN link to existing accounts without
                              a sign-in first (only for a provider authoritative for DOMAIN).
                              --home-realm-domain: an address at DOMAIN typed on the first
                              screen goes straight to this provider.
                              --client: only these clients show it (default every client).
                              --claim: the upstream CLAIM fills profile ATTRIBUTE of accounts
                              the provider creates (default: the names). --userinfo: ask the
                              provider's userinfo endpoint too. --store-tokens: keep the
                              provider's access and refresh tokens, sealed, per identity
                              (read through the admin API). apple: the secret FILE is the
                              AuthKey_<key id>.p8 key, with --apple-team-id and --apple-key-id.
  set-secret ID [--client-secret-file FILE]
                              replace the sealed client secret
  enable ID | disable ID      show or hide the connection
  list                        every connection (never secrets)
  show ID                     one connection
  remove ID                   delete a connection and the identities linked through it

  --json                      machine-readable output

Exit status: 0 done, 1 the database refused or failed, 2 bad input or no such connection.`;

const OPTIONS = {
  local: { type: "boolean" },
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  config: { type: "string" },
  database: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  id: { type: "string" },
  name: { type: "string" },
  kind: { type: "string" },
  issuer: { type: "string" },
  "client-id": { type: "string" },
  scope: { type: "string", multiple: true },
  "trust-email-domain": { type: "string", multiple: true },
  "home-realm-domain": { type: "string", multiple: true },
  client: { type: "string", multiple: true },
  claim: { type: "string", multiple: true },
  userinfo: { type: "boolean" },
  "store-tokens": { type: "boolean" },
  "apple-team-id": { type: "string" },
  "apple-key-id": { type: "string" },
  position: { type: "string" },
  "client-secret-file": { type: "string" },
  "key-encryption-key-file": { type: "string" },
};

function describe(c) {
  return [
    ["id", c.id],
    ["kind", c.kind],
    ["name", c.display_name],
    ["issuer", c.issuer],
    ["client id", c.client_id],
    ["secret", c.has_secret ? "set (sealed)" : "none"],
    ["scopes", c.scopes.join(" ")],
    ["trusted domains", c.trusted_email_domains.join(" ") || "-"],
    ["home realms", c.home_realm_domains.join(" ") || "-"],
    ["clients", c.enabled_clients === null ? "every client" : c.enabled_clients.join(" ")],
    ["status", c.disabled_at ? "disabled" : "enabled"],
  ]
    .map(([k, v]) => `  ${k.padEnd(17)}${v}`)
    .join("\n");
}

function find(run, db, id) {
  const [row] = run(`SELECT ${PUBLIC_COLUMNS} FROM connections WHERE id = ${sqlText(id)};`, db);
  if (!row) fail(`no connection with id ${JSON.stringify(id)}`);
  return decode(row);
}

/** Runs the CLI with `argv`. Returns the exit status. */
export async function main(argv, run = execute) {
  const read = readCommandLine("connections", argv, OPTIONS, USAGE);
  if (read.status !== undefined) return read.status;
  const { values, positionals } = read;
  const [command, ...rest] = positionals;
  const out = (json, text) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
  const oneId = () => {
    if (rest.length !== 1) fail(`${command} takes exactly one connection id`);
    return parseConnectionId(rest[0]);
  };
  try {
    const db = target(values);
    const now = Date.now();
    switch (command) {
      case "add": {
        if (rest.length) fail("add takes options only");
        const secret = clientSecret(values);
        const claimed = run("SELECT id, home_realm_domains FROM connections;", db)
          .map((row) => ({ id: row.id, home_realm_domains: JSON.parse(row.home_realm_domains) }));
        const connection = buildConnection(values, secret, claimed);
        const sealed = secret === undefined ? undefined : seal(secret, keyEncryptionKey(values), `connection:${connection.id}`);
        const rows = run(insertStatement(connection, sealed, now), db);
        if (rows.length === 0) fail(`a connection with id ${JSON.stringify(connection.id)} exists already`);
        const stored = find(run, db, connection.id);
        out(stored, `Registered connection ${connection.id}:\n${describe(stored)}`);
        return 0;
      }
      case "set-secret": {
        const id = oneId();
        const secret = clientSecret(values);
        if (secret === undefined) fail("set-secret needs --client-secret-file FILE or CONNECTION_CLIENT_SECRET");
        checkConnection({ id, display_name: "-", issuer: "https://example.com", client_id: "-", client_secret: secret });
        const sealed = seal(secret, keyEncryptionKey(values), `connection:${id}`);
        const rows = run(`UPDATE connections SET sealed_client_secret = ${sqlText(sealed)}, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)} RETURNING id;`, db);
        if (rows.length === 0) fail(`no connection with id ${JSON.stringify(id)}`);
        out({ id, secret: "set" }, `Replaced the client secret of ${id}.`);
        return 0;
      }
      case "enable":
      case "disable": {
        const id = oneId();
        const set = command === "enable" ? "NULL" : `COALESCE(disabled_at, ${sqlInteger(now)})`;
        const rows = run(`UPDATE connections SET disabled_at = ${set}, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)} RETURNING id;`, db);
        if (rows.length === 0) fail(`no connection with id ${JSON.stringify(id)}`);
        out({ id, enabled: command === "enable" }, `${command === "enable" ? "Enabled" : "Disabled"} connection ${id}.`);
        return 0;
      }
      case "list": {
        if (rest.length) fail("list takes no arguments");
        const rows = run(`SELECT ${PUBLIC_COLUMNS} FROM connections ORDER BY position, id;`, db).map(decode);
        out(rows, rows.length === 0 ? "No connections." : rows.map((c) => `${c.id}  ${c.kind}  ${c.issuer}  ${c.disabled_at ? "disabled" : "enabled"}`).join("\n"));
        return 0;
      }
      case "show": {
        const connection = find(run, db, oneId());
        out(connection, describe(connection));
        return 0;
      }
      case "remove": {
        const id = oneId();
        // As the admin API does: identities never outlive their connection, so a later
        // connection with the same id inherits none.
        const rows = run(`DELETE FROM federated_identities WHERE connection_id = ${sqlText(id)};
DELETE FROM connections WHERE id = ${sqlText(id)} RETURNING id;`, db);
        if (rows.length === 0) fail(`no connection with id ${JSON.stringify(id)}`);
        out({ id, removed: true }, `Removed connection ${id}.`);
        return 0;
      }
      default:
        fail(`unknown command ${JSON.stringify(command)}; try scripts/connections help`);
    }
  } catch (error) {
    return reportFailure("connections", error);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
