// Registers and manages OAuth clients in the edge's D1 database (`clients` table,
// edge/migrations/) by running `wrangler d1 execute`. Run it through `scripts/clients`,
// which puts the project's wrangler and Node on PATH; `scripts/clients help` explains.
//
// Every value that reaches SQL is validated first and then written as a quoted SQL
// literal (`sqlText`, `sqlInteger`); nothing typed is pasted into SQL unescaped.
// Confidential clients get a 256-bit random secret that is printed once; only
// `sha256:<hex>` of it is stored, and no command ever reads the hash back.

import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"];
/** `account` is the account API's scope: the sign-in widget needs it to manage passkeys. */
export const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access", "account"];
export const DEFAULT_GRANT_TYPES = ["authorization_code", "refresh_token"];
/** Lifetimes in seconds: [default, minimum, maximum]. Defaults match the migration. */
export const TTLS = {
  access_token_ttl: [600, 60, 86_400],
  id_token_ttl: [600, 60, 86_400],
  refresh_token_ttl: [2_592_000, 300, 31_536_000],
};

/** A refusal of what was typed: printed as it is, exit status 2. */
export class UsageError extends Error {}

const fail = (message) => {
  throw new UsageError(message);
};

// --- validation -----------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

/** Client ids go into URLs, form bodies and Basic credentials: unreserved characters only. */
export function parseClientId(id) {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/.test(id)) {
    fail(
      `invalid client id ${JSON.stringify(id)}: use 1–128 of A–Z a–z 0–9 . _ ~ - (starting with a letter or digit)`,
    );
  }
  return id;
}

export function parseName(name) {
  if (typeof name !== "string" || name.trim() === "") fail("--name is required and must not be blank");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) fail("--name must not contain control characters");
  if ([...name].length > 100) fail("--name must be at most 100 characters");
  return name.trim();
}

export function parseClientType(type) {
  if (type !== "public" && type !== "confidential") {
    fail(`invalid --type ${JSON.stringify(type)}: use public or confidential`);
  }
  return type;
}

function parseUrl(value, what) {
  if (typeof value !== "string" || value === "") fail(`${what} must not be empty`);
  // The edge compares redirect URIs byte for byte (RFC 9700 §4.1.3), so what is stored
  // is exactly what was typed: refuse anything the URL parser would have to repair.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) fail(`${what} ${JSON.stringify(value)} contains whitespace or control characters`);
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`${what} ${JSON.stringify(value)} is not an absolute URL`);
  }
  return url;
}

function checkSchemeAndHost(url, value, what) {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return;
  fail(`${what} ${JSON.stringify(value)} must use https (http only for localhost or 127.0.0.1)`);
}

/**
 * A redirect URI (RFC 6749 §3.1.2): absolute, https or http on loopback, no fragment
 * (§3.1.2: "MUST NOT include a fragment component"), no user information.
 */
export function parseRedirectUri(value, what = "redirect URI") {
  const url = parseUrl(value, what);
  checkSchemeAndHost(url, value, what);
  if (value.includes("#")) fail(`${what} ${JSON.stringify(value)} must not contain a fragment (#…)`);
  if (url.username || url.password || /^[a-z]+:\/\/[^/]*@/i.test(value)) {
    fail(`${what} ${JSON.stringify(value)} must not contain user information (user:pass@)`);
  }
  if (!/^https?:\/\/[^/?#]+/i.test(value)) fail(`${what} ${JSON.stringify(value)} must be of the form scheme://host/path`);
  return value;
}

/**
 * A web origin as browsers send it in `Origin` (RFC 6454 §6.2): `scheme://host[:port]`,
 * lower-case, no default port, no path. The edge compares it exactly, so it must already
 * be in that form.
 */
export function parseOrigin(value) {
  const url = parseUrl(value, "origin");
  checkSchemeAndHost(url, value, "origin");
  if (url.origin !== value) {
    const hint = url.origin !== "null" ? `; did you mean ${JSON.stringify(url.origin)}?` : "";
    fail(`origin ${JSON.stringify(value)} must be exactly scheme://host[:port], without path or trailing slash${hint}`);
  }
  return value;
}

/** A scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`. */
export function parseScope(value) {
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value)) fail(`invalid scope ${JSON.stringify(value)} (RFC 6749 §3.3)`);
  return value;
}

export function parseGrantType(value) {
  if (!GRANT_TYPES.includes(value)) {
    fail(`unknown grant type ${JSON.stringify(value)}: use ${GRANT_TYPES.join(", ")}`);
  }
  return value;
}

/** Seconds, as a number or with a unit: `600`, `90s`, `10m`, `12h`, `30d`. */
export function parseTtl(value, name) {
  const [, min, max] = TTLS[name];
  const match = /^(\d{1,9})([smhd]?)$/.exec(String(value));
  if (!match) fail(`--${name.replaceAll("_", "-")} ${JSON.stringify(value)}: use seconds, or a number with s, m, h or d`);
  const seconds = Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2]];
  if (seconds < min || seconds > max) {
    fail(`--${name.replaceAll("_", "-")} must be between ${min} and ${max} seconds (got ${seconds})`);
  }
  return seconds;
}

/** Repeated options may also carry several values separated by spaces or commas. */
const splitList = (values) => (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
const unique = (values) => [...new Set(values)];

/**
 * Turns the options of `add` into a complete, valid client row (without timestamps and
 * secret). Throws `UsageError` naming the first problem.
 */
export const THEME_PRESETS = ["neutral", "high-contrast", "playful", "midnight"];
/** When a sign-in is challenged for a second factor because of its risk (edge/src/risk). */
export const ADAPTIVE_MFA = ["never", "high-risk", "always"];
export const MFA_POLICIES = ["off", "optional", "required"];

/**
 * The stored theme: a preset name, or a theme file's JSON (shared/src/theme.rs; the edge
 * validates it and ignores a theme that does not validate). `null` for none.
 */
export function parseTheme(preset, file) {
  if (preset !== undefined && file !== undefined) fail("give --theme or --theme-file, not both");
  if (preset !== undefined) {
    if (!THEME_PRESETS.includes(preset)) fail(`unknown theme ${JSON.stringify(preset)}: one of ${THEME_PRESETS.join(", ")}`);
    return preset;
  }
  if (file === undefined) return null;
  let theme;
  try {
    theme = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(`--theme-file ${file}: ${error.message}`);
  }
  for (const key of ["light", "dark", "color_scheme", "radius_px", "space_px", "font", "button"]) {
    if (!(key in theme)) fail(`--theme-file ${file}: missing "${key}"`);
  }
  return JSON.stringify(theme);
}

export function buildClient(options) {
  const client_type = parseClientType(options.type ?? "public");
  const id = options.id === undefined ? generateClientId() : parseClientId(options.id);
  const name = parseName(options.name);
  const redirect_uris = unique((options["redirect-uri"] ?? []).map((v) => parseRedirectUri(v)));
  const allowed_origins = unique((options.origin ?? []).map(parseOrigin));
  const post_logout_redirect_uris = unique(
    (options["post-logout-redirect-uri"] ?? []).map((v) => parseRedirectUri(v, "post-logout redirect URI")),
  );
  const scopes = splitList(options.scope);
  const allowed_scopes = scopes.length ? unique(scopes.map(parseScope)) : DEFAULT_SCOPES;
  const grants = splitList(options["grant-type"]);
  const grant_types = grants.length ? unique(grants.map(parseGrantType)) : DEFAULT_GRANT_TYPES;

  if (grant_types.includes("client_credentials") && client_type !== "confidential") {
    fail("client_credentials is only for confidential clients (RFC 6749 §4.4): add --type confidential");
  }
  if (grant_types.includes("refresh_token") && !grant_types.includes("authorization_code")) {
    fail("refresh_token needs authorization_code: refresh tokens are issued only from an authorization code");
  }
  if (grant_types.includes("authorization_code") && redirect_uris.length === 0) {
    fail("authorization_code needs at least one --redirect-uri");
  }
  if (!grant_types.includes("authorization_code") && (redirect_uris.length || post_logout_redirect_uris.length)) {
    fail("redirect URIs are only used with the authorization_code grant");
  }
  const ttls = Object.fromEntries(
    Object.entries(TTLS).map(([key, [fallback]]) => {
      const given = options[key.replaceAll("_", "-")];
      return [key, given === undefined ? fallback : parseTtl(given, key)];
    }),
  );
  const patterns = (options["groups-claim"] ?? []).map(parseGroupPattern);
  const groups_claim = patterns.length ? unique(patterns) : null;
  const email_verification = options["require-verified-email"] ? "required" : "optional";
  const adaptive = options["adaptive-mfa"] ?? "never";
  if (!ADAPTIVE_MFA.includes(adaptive)) {
    fail(`unknown --adaptive-mfa ${JSON.stringify(adaptive)}: one of ${ADAPTIVE_MFA.join(", ")}`);
  }
  const adaptive_mfa = adaptive.replaceAll("-", "_");
  const human_check = options["human-check"] ? 1 : 0;
  const breached_password_check = options["breached-password-check"] ? 1 : 0;
  const mfa = options.mfa ?? "off";
  if (!MFA_POLICIES.includes(mfa)) fail(`unknown --mfa ${JSON.stringify(mfa)}: one of ${MFA_POLICIES.join(", ")}`);
  const theme = parseTheme(options.theme, options["theme-file"]);
  return {
    id,
    name,
    client_type,
    redirect_uris,
    allowed_origins,
    allowed_scopes,
    grant_types,
    post_logout_redirect_uris,
    email_verification,
    mfa,
    theme,
    adaptive_mfa,
    human_check,
    breached_password_check,
    groups_claim,
    ...ttls,
  };
}

/** A group name, or a prefix ending in `*`, for the `groups` claim. */
export function parseGroupPattern(value) {
  const pattern = String(value).trim();
  if (!pattern || pattern.length > 200 || /[\x00-\x1f\x7f]/.test(pattern) || pattern.slice(0, -1).includes("*")) {
    fail(`invalid --groups-claim ${JSON.stringify(value)}: a group name, or a prefix ending in *`);
  }
  return pattern;
}

// --- secrets --------------------------------------------------------------------------

export const generateClientId = () => randomBytes(16).toString("hex");

/** 256 random bits, base64url without padding (43 characters). */
export const generateSecret = () => randomBytes(32).toString("base64url");

/** What the edge stores and compares: `sha256:` and the lower-case hex of SHA-256(UTF-8). */
export const hashSecret = (secret) => `sha256:${createHash("sha256").update(secret, "utf8").digest("hex")}`;

// --- SQL ------------------------------------------------------------------------------

/** A SQL string literal: single quotes doubled; NUL (which SQLite would cut at) refused. */
export function sqlText(value) {
  if (typeof value !== "string") throw new TypeError(`sqlText: ${typeof value}`);
  if (value.includes("\0")) fail("values must not contain NUL characters");
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlInteger(value) {
  if (!Number.isSafeInteger(value)) throw new TypeError(`sqlInteger: ${value}`);
  return String(value);
}

const sqlJson = (list) => sqlText(JSON.stringify(list));

export function insertStatement(client, secretHash, now) {
  const columns = {
    id: sqlText(client.id),
    name: sqlText(client.name),
    client_type: sqlText(client.client_type),
    secret_hash: secretHash === null ? "NULL" : sqlText(secretHash),
    redirect_uris: sqlJson(client.redirect_uris),
    allowed_origins: sqlJson(client.allowed_origins),
    allowed_scopes: sqlJson(client.allowed_scopes),
    grant_types: sqlJson(client.grant_types),
    post_logout_redirect_uris: sqlJson(client.post_logout_redirect_uris),
    email_verification: sqlText(client.email_verification),
    mfa: sqlText(client.mfa),
    theme: client.theme === null ? "NULL" : sqlText(client.theme),
    adaptive_mfa: sqlText(client.adaptive_mfa),
    human_check: sqlInteger(client.human_check),
    breached_password_check: sqlInteger(client.breached_password_check),
    groups_claim: client.groups_claim === null ? "NULL" : sqlJson(client.groups_claim),
    access_token_ttl: sqlInteger(client.access_token_ttl),
    id_token_ttl: sqlInteger(client.id_token_ttl),
    refresh_token_ttl: sqlInteger(client.refresh_token_ttl),
    created_at: sqlInteger(now),
    updated_at: sqlInteger(now),
  };
  return `INSERT INTO clients (${Object.keys(columns).join(", ")})
VALUES (${Object.values(columns).join(", ")})
ON CONFLICT (id) DO NOTHING
RETURNING id;`;
}

// Never `secret_hash` itself: whether one is set is all anybody needs to see.
const PUBLIC_COLUMNS = `id, name, client_type, (secret_hash IS NOT NULL) AS has_secret, redirect_uris,
  allowed_origins, allowed_scopes, grant_types, post_logout_redirect_uris, email_verification,
  mfa, theme, groups_claim, adaptive_mfa, human_check, breached_password_check, access_token_ttl,
  id_token_ttl, refresh_token_ttl, created_at, updated_at, disabled_at`;

export const listStatement = () => `SELECT ${PUBLIC_COLUMNS} FROM clients ORDER BY id;`;
export const showStatement = (id) => `SELECT ${PUBLIC_COLUMNS} FROM clients WHERE id = ${sqlText(id)};`;
export const removeStatement = (id) => `DELETE FROM clients WHERE id = ${sqlText(id)} RETURNING id;`;
export const rotateStatement = (id, secretHash, now) =>
  `UPDATE clients SET secret_hash = ${sqlText(secretHash)}, updated_at = ${sqlInteger(now)}
WHERE id = ${sqlText(id)} AND client_type = 'confidential' RETURNING id;`;
export const disableStatement = (id, now) =>
  `UPDATE clients SET disabled_at = COALESCE(disabled_at, ${sqlInteger(now)}), updated_at = ${sqlInteger(now)}
WHERE id = ${sqlText(id)} RETURNING id;`;
export const enableStatement = (id, now) =>
  `UPDATE clients SET disabled_at = NULL, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)} RETURNING id;`;

/** A row as read from D1, with the JSON list columns decoded. */
export function decodeRow(row) {
  const lists = ["redirect_uris", "allowed_origins", "allowed_scopes", "grant_types", "post_logout_redirect_uris"];
  const decoded = { ...row, has_secret: Boolean(row.has_secret) };
  for (const key of lists) {
    try {
      decoded[key] = JSON.parse(row[key] ?? "[]");
    } catch {
      decoded[key] = row[key];
    }
  }
  delete decoded.secret_hash; // defence in depth: never selected, never printed
  return decoded;
}

// --- wrangler -------------------------------------------------------------------------

const QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  DO_NOT_TRACK: "1",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/**
 * Runs one SQL statement with `wrangler d1 execute DB --json` and returns its rows.
 *
 * Locally the SQL goes through a private temporary file (`--file`). Remotely it goes as
 * `--command`: wrangler's `--file` on a remote database is a bulk import that makes the
 * database unavailable while it runs. Either way wrangler is spawned without a shell.
 */
export function execute(sql, target) {
  const args = ["d1", "execute", target.database, "--json"];
  let scratch;
  if (target.remote) {
    args.push("--remote", "--command", sql);
  } else {
    scratch = mkdtempSync(join(tmpdir(), "portcullis-clients-"));
    const file = join(scratch, "statement.sql");
    writeFileSync(file, `${sql}\n`, { mode: 0o600 });
    args.push("--local", "--file", file);
    if (target.persistTo) args.push("--persist-to", target.persistTo);
  }
  if (target.config) args.push("--config", target.config);
  try {
    const wrangler = join(ROOT, "node_modules/.bin/wrangler");
    const result = spawnSync(wrangler, args, {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...QUIET_ENV, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw new Error(`could not run wrangler: ${result.error.message}`);
    let parsed;
    try {
      parsed = JSON.parse(result.stdout);
    } catch {
      parsed = undefined;
    }
    if (result.status !== 0 || !Array.isArray(parsed)) {
      const reason = parsed?.error?.text ?? `${result.stdout}\n${result.stderr}`.trim();
      throw new Error(`wrangler d1 execute failed: ${reason}`);
    }
    const last = parsed.at(-1);
    if (!last?.success) throw new Error(`wrangler d1 execute failed: ${JSON.stringify(last)}`);
    return last.results ?? [];
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

// --- commands -------------------------------------------------------------------------

const USAGE = `Usage: scripts/clients [--local | --remote] [--persist-to DIR] <command> [options]

Manages the OAuth clients in the edge's D1 database (binding DB in wrangler.toml).

Target (default --local):
  --local                 the local development database (.wrangler/state)
  --persist-to DIR        the local database under DIR (wrangler dev --persist-to DIR)
  --remote                the deployed database (needs wrangler login or CLOUDFLARE_API_TOKEN)
  --config FILE           another wrangler.toml
  --database NAME         the D1 binding or name (default DB)

Commands:
  add --name NAME [options]   register a client; a confidential client's secret is
                              printed once and only its SHA-256 is stored
      --id ID                           default: 32 random hex characters
      --type public|confidential        default: public
      --redirect-uri URI                repeatable; exact match; https, or http on localhost/127.0.0.1
      --origin ORIGIN                   repeatable; scheme://host[:port] allowed to embed the widget
      --scope SCOPE                     repeatable; default: ${DEFAULT_SCOPES.join(" ")}
      --grant-type GRANT                repeatable; ${GRANT_TYPES.join(", ")}
                                        default: ${DEFAULT_GRANT_TYPES.join(", ")}
      --post-logout-redirect-uri URI    repeatable
      --require-verified-email          sign in only people whose email address is verified
      --mfa off|optional|required       ask for a second factor: never (default), from people
                                        who enrolled one, or from everyone (enrol at next sign-in)
      --theme PRESET                    ${THEME_PRESETS.join(", ")}
      --theme-file FILE                 a brand theme as JSON (see shared/src/theme.rs)
      --adaptive-mfa WHEN               ${ADAPTIVE_MFA.join(", ")} (default never): ask for a
                                        second factor when a sign-in's risk is high, or always
      --human-check                     a Cloudflare Turnstile token at sign-up and at sign-in
                                        to an account under attack
      --breached-password-check         refuse new passwords listed by Pwned Passwords
      --groups-claim PATTERN            repeatable; a group name or prefix* whose groups go in
                                        the groups claim (with the groups scope)
      --access-token-ttl T, --id-token-ttl T, --refresh-token-ttl T
                                        seconds, or 90s / 10m / 12h / 30d
  list                        every client (never secrets or their hashes)
  show ID                     one client's settings
  rotate-secret ID            a new secret for a confidential client, printed once;
                              the old one stops working at once
  disable ID | enable ID      stop or resume a client without deleting it
  remove ID                   delete a client (--remote needs --yes)

  --json                      machine-readable output

Exit status: 0 done, 1 the database refused or failed, 2 bad input or no such client.`;

const COMMON_OPTIONS = {
  local: { type: "boolean" },
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  config: { type: "string" },
  database: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
};
const ADD_OPTIONS = {
  id: { type: "string" },
  name: { type: "string" },
  type: { type: "string" },
  "redirect-uri": { type: "string", multiple: true },
  origin: { type: "string", multiple: true },
  scope: { type: "string", multiple: true },
  "grant-type": { type: "string", multiple: true },
  "post-logout-redirect-uri": { type: "string", multiple: true },
  "access-token-ttl": { type: "string" },
  "id-token-ttl": { type: "string" },
  "refresh-token-ttl": { type: "string" },
  "require-verified-email": { type: "boolean" },
  mfa: { type: "string" },
  theme: { type: "string" },
  "theme-file": { type: "string" },
  "adaptive-mfa": { type: "string" },
  "human-check": { type: "boolean" },
  "breached-password-check": { type: "boolean" },
  "groups-claim": { type: "string", multiple: true },
};

const when = (ms) => (ms === null || ms === undefined ? "-" : new Date(ms).toISOString());

function describe(client) {
  const lines = [
    ["client_id", client.id],
    ["name", client.name],
    ["type", client.client_type + (client.client_type === "confidential" ? ` (secret ${client.has_secret ? "set" : "NOT set"})` : "")],
    ["status", client.disabled_at ? `disabled since ${when(client.disabled_at)}` : "active"],
    ["grant types", client.grant_types.join(" ")],
    ["scopes", client.allowed_scopes.join(" ")],
    ["redirect URIs", client.redirect_uris.join("\n                    ") || "-"],
    ["origins", client.allowed_origins.join("\n                    ") || "-"],
    ["post-logout URIs", client.post_logout_redirect_uris.join("\n                    ") || "-"],
    ["email", client.email_verification === "required" ? "verified addresses only" : "verification optional"],
    ["adaptive MFA", (client.adaptive_mfa ?? "never").replaceAll("_", "-")],
    ["protection", [client.human_check ? "human check" : null, client.breached_password_check ? "breached passwords" : null].filter(Boolean).join(", ") || "-"],
    ["groups claim", client.groups_claim ? JSON.parse(client.groups_claim).join(" ") : "-"],
    ["mfa", client.mfa ?? "off"],
    ["theme", client.theme === null || client.theme === undefined ? "-" : client.theme.startsWith("{") ? "custom" : client.theme],
    ["token lifetimes", `access ${client.access_token_ttl} s, id ${client.id_token_ttl} s, refresh ${client.refresh_token_ttl} s`],
    ["created", when(client.created_at)],
    ["updated", when(client.updated_at)],
  ];
  return lines.map(([k, v]) => `  ${k.padEnd(18)}${v}`).join("\n");
}

function printSecret(secret, id) {
  console.log(`\n  client_secret   ${secret}\n`);
  console.log(`  This is the only time the secret of ${id} is shown: store it now (a secret manager,`);
  console.log("  not source control). Only its SHA-256 is kept; `rotate-secret` issues a new one.");
}

function target(values) {
  if (values.remote && (values.local || values["persist-to"])) {
    fail("--remote cannot be combined with --local or --persist-to");
  }
  return {
    remote: Boolean(values.remote),
    persistTo: values["persist-to"] ? resolve(values["persist-to"]) : undefined,
    config: values.config ? resolve(values.config) : undefined,
    database: values.database ?? "DB",
  };
}

function oneId(positionals, command) {
  if (positionals.length !== 1) fail(`${command} takes exactly one client id`);
  return parseClientId(positionals[0]);
}

/** Runs the CLI with `argv` (without node and script). Returns the exit status. */
export function main(argv, run = execute) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...ADD_OPTIONS }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`clients: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  const misplaced = Object.keys(values).find((k) => k in ADD_OPTIONS);
  if (command !== "add" && misplaced) {
    console.error(`clients: --${misplaced} is an option of add only`);
    return 2;
  }
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? console.error : console.log)(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const rest = positionals.slice(1);
  try {
    const db = target(values);
    const now = Date.now();
    switch (command) {
      case "add": {
        if (rest.length) fail(`add takes options only, not ${JSON.stringify(rest[0])}`);
        const client = buildClient(values);
        const secret = client.client_type === "confidential" ? generateSecret() : null;
        const rows = run(insertStatement(client, secret && hashSecret(secret), now), db);
        if (rows.length === 0) fail(`a client with id ${JSON.stringify(client.id)} already exists`);
        const shown = { ...client, has_secret: secret !== null, created_at: now, updated_at: now, disabled_at: null };
        if (values.json) {
          console.log(JSON.stringify({ ...shown, ...(secret && { client_secret: secret }) }, null, 2));
        } else {
          console.log(`Registered client ${client.id}:\n${describe(shown)}`);
          if (secret) printSecret(secret, client.id);
        }
        return 0;
      }
      case "list": {
        if (rest.length) fail("list takes no arguments");
        const clients = run(listStatement(), db).map(decodeRow);
        if (values.json) {
          console.log(JSON.stringify(clients, null, 2));
        } else if (clients.length === 0) {
          console.log("No clients registered.");
        } else {
          const width = Math.max(9, ...clients.map((c) => c.id.length));
          console.log(`${"client_id".padEnd(width)}  ${"type".padEnd(12)}  ${"status".padEnd(8)}  ${"grant types".padEnd(40)}  name`);
          for (const c of clients) {
            console.log(
              `${c.id.padEnd(width)}  ${c.client_type.padEnd(12)}  ${(c.disabled_at ? "disabled" : "active").padEnd(8)}  ${c.grant_types.join(",").padEnd(40)}  ${c.name}`,
            );
          }
        }
        return 0;
      }
      case "show": {
        const id = oneId(rest, command);
        const [row] = run(showStatement(id), db);
        if (!row) fail(`no client with id ${JSON.stringify(id)}`);
        const client = decodeRow(row);
        console.log(values.json ? JSON.stringify(client, null, 2) : describe(client));
        return 0;
      }
      case "rotate-secret": {
        const id = oneId(rest, command);
        const secret = generateSecret();
        const rows = run(rotateStatement(id, hashSecret(secret), now), db);
        if (rows.length === 0) fail(`no confidential client with id ${JSON.stringify(id)} (public clients have no secret)`);
        if (values.json) console.log(JSON.stringify({ id, client_secret: secret }, null, 2));
        else {
          console.log(`New secret for ${id}; the previous secret no longer works.`);
          printSecret(secret, id);
        }
        return 0;
      }
      case "disable":
      case "enable": {
        const id = oneId(rest, command);
        const rows = run(command === "disable" ? disableStatement(id, now) : enableStatement(id, now), db);
        if (rows.length === 0) fail(`no client with id ${JSON.stringify(id)}`);
        if (values.json) console.log(JSON.stringify({ id, disabled: command === "disable" }));
        else console.log(`${command === "disable" ? "Disabled" : "Enabled"} client ${id}.`);
        return 0;
      }
      case "remove": {
        const id = oneId(rest, command);
        if (db.remote && !values.yes) fail(`removing ${id} from the deployed database needs --yes`);
        const rows = run(removeStatement(id), db);
        if (rows.length === 0) fail(`no client with id ${JSON.stringify(id)}`);
        if (values.json) console.log(JSON.stringify({ id, removed: true }));
        else console.log(`Removed client ${id}.`);
        return 0;
      }
      default:
        fail(`unknown command ${JSON.stringify(command)}; try scripts/clients help`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`clients: ${error.message}`);
      return 2;
    }
    console.error(`clients: ${error.message}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
