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

import { execute, fail, readCommandLine, reportFailure, sqlInteger, sqlText } from "./clients.mjs";
import { keyEncryptionKey, seal, target } from "./hooks.mjs";


export const KINDS = ["oidc"];
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A connection id is a path segment of the callback URL: unreserved characters only. */
export function parseConnectionId(id) {
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
    fail(`invalid connection id ${JSON.stringify(id)}: use 1–63 of a–z 0–9 _ - (starting with a letter or digit)`);
  }
  return id;
}

/** What the button says after "Continue with": printable, 1–100 characters. */
export function parseName(name) {
  if (typeof name !== "string" || name.trim() === "") fail("--name is required and must not be blank");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name) || [...name].length > 100) fail("--name must be 1–100 characters without control characters");
  return name.trim();
}

/** A scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`. */
export function parseScope(value) {
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value)) fail(`invalid --scope ${JSON.stringify(value)} (RFC 6749 §3.3)`);
  return value;
}

/** A Portcullis client id, as registered (unreserved characters). */
export function parseClientId(id) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/.test(id)) fail(`invalid --client ${JSON.stringify(id)}`);
  return id;
}

/** An issuer identifier (OIDC Discovery §2): https (http only on this machine), no query or fragment. */
export function parseIssuer(value) {
  if (typeof value !== "string" || value === "") fail("--issuer is required");
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`--issuer ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.search || url.hash || url.username || url.password) fail("--issuer must have no query, fragment or credentials");
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname))) return value;
  fail(`--issuer ${JSON.stringify(value)} must be https (plain http only to localhost)`);
}

/** An email domain the connection is trusted to assert verified addresses of. */
export function parseDomain(value) {
  const domain = String(value).trim().toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) fail(`invalid --trust-email-domain ${JSON.stringify(value)}`);
  return domain;
}

const splitList = (values) => (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
const unique = (values) => [...new Set(values)];

/** The options of `add` as a complete, valid row (without secret and timestamps). */
export function buildConnection(options) {
  const kind = options.kind ?? "oidc";
  if (!KINDS.includes(kind)) fail(`unknown --kind ${JSON.stringify(kind)}: one of ${KINDS.join(", ")}`);
  const scopes = splitList(options.scope);
  const scopeList = scopes.length ? unique(scopes.map(parseScope)) : ["openid", "email", "profile"];
  if (!scopeList.includes("openid")) fail("--scope must include openid");
  if (typeof options["client-id"] !== "string" || options["client-id"] === "") fail("--client-id (yours at the provider) is required");
  const clients = splitList(options.client);
  const position = options.position === undefined ? 0 : Number(options.position);
  if (!Number.isSafeInteger(position) || position < 0 || position > 1000) fail("--position must be 0–1000");
  return {
    id: parseConnectionId(options.id),
    kind,
    display_name: parseName(options.name),
    issuer: parseIssuer(options.issuer),
    client_id: options["client-id"],
    scopes: scopeList,
    trusted_email_domains: unique(splitList(options["trust-email-domain"]).map(parseDomain)),
    enabled_clients: clients.length ? unique(clients.map(parseClientId)) : null,
    position,
  };
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
    enabled_clients: connection.enabled_clients === null ? "NULL" : sqlText(JSON.stringify(connection.enabled_clients)),
    position: sqlInteger(connection.position),
    created_at: sqlInteger(now),
    updated_at: sqlInteger(now),
  };
  return `INSERT INTO connections (${Object.keys(columns).join(", ")})
VALUES (${Object.values(columns).join(", ")})
ON CONFLICT (id) DO NOTHING RETURNING id;`;
}

// Never the sealed secret itself: whether one is set is all anybody needs to see.
const PUBLIC_COLUMNS = `id, kind, display_name, issuer, client_id, (sealed_client_secret IS NOT NULL) AS has_secret,
  scopes, trusted_email_domains, enabled_clients, position, created_at, updated_at, disabled_at`;

function decode(row) {
  return {
    ...row,
    has_secret: Boolean(row.has_secret),
    scopes: JSON.parse(row.scopes),
    trusted_email_domains: JSON.parse(row.trusted_email_domains),
    enabled_clients: row.enabled_clients === null ? null : JSON.parse(row.enabled_clients),
  };
}

const USAGE = `Usage: scripts/connections [--local | --remote] [--persist-to DIR] <command> [options]

Manages federation connections: upstream providers people sign in with.

Target (default --local): --local, --persist-to DIR, --remote, --config FILE, --database NAME
(as in scripts/clients).

Commands:
  add --id ID --name NAME --issuer URL --client-id ID [--kind oidc] [--scope S …]
      [--trust-email-domain DOMAIN …] [--client CLIENT_ID …] [--position N]
      [--client-secret-file FILE]
                              register a connection; the provider's redirect URI for it is
                              <issuer of this deployment>/callback/ID. The secret comes from
                              FILE or CONNECTION_CLIENT_SECRET, is sealed under the
                              KEY_ENCRYPTION_KEY and never printed. --trust-email-domain:
                              verified addresses of DOMAIN link to existing accounts without
                              a sign-in first (only for a provider authoritative for DOMAIN).
                              --client: only these clients show it (default every client).
  set-secret ID [--client-secret-file FILE]
                              replace the sealed client secret
  enable ID | disable ID      show or hide the connection
  list                        every connection (never secrets)
  show ID                     one connection
  remove ID                   delete a connection (linked identities stay until unlinked)

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
  client: { type: "string", multiple: true },
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
        const connection = buildConnection(values);
        const secret = clientSecret(values);
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
        const rows = run(`DELETE FROM connections WHERE id = ${sqlText(id)} RETURNING id;`, db);
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
