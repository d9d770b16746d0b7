// Registers and manages OAuth clients in the edge's D1 database (`clients` table,
// edge/migrations/) by running `wrangler d1 execute`. Run it through `scripts/clients`,
// which puts the project's wrangler and Node on PATH; `scripts/clients help` explains.
//
// Every client is checked by the edge's own rules first (the `client-settings` program
// of edge/, the admin API's rules) and every value is then written as a quoted SQL
// literal (`sqlText`, `sqlInteger`); nothing typed is pasted into SQL unescaped.
// Confidential clients get a 256-bit random secret that is printed once; only
// `sha256:<hex>` of it is stored, and no command ever reads the hash back.

import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A refusal of what was typed: printed as it is, exit status 2. */
export class UsageError extends Error {}

/** Refuses what was typed (see `UsageError`). */
export const fail = (message) => {
  throw new UsageError(message);
};

/** Prints a command's failure under its `name`; the exit status: 2 for a refusal of
 * what was typed, 1 for anything else. */
export function reportFailure(name, error) {
  console.error(`${name}: ${error.message}`);
  return error instanceof UsageError ? 2 : 1;
}

// --- validation -----------------------------------------------------------------------
//
// The rules a client must meet live in the edge (edge/src/client_settings.rs), where the
// admin API (`/admin/v1/clients`) runs them too; this script runs them through the
// edge's `client-settings` program, so the two can never disagree.

/** Which option of `add` sets each field of a client, to name it in a refusal. */
const OPTION_OF_FIELD = {
  id: "--id",
  name: "--name",
  client_type: "--type",
  redirect_uris: "--redirect-uri",
  allowed_origins: "--origin",
  allowed_scopes: "--scope",
  grant_types: "--grant-type",
  post_logout_redirect_uris: "--post-logout-redirect-uri",
  email_verification: "--require-verified-email",
  mfa: "--mfa",
  email_second_factor: "--email-second-factor",
  theme: "--theme",
  adaptive_mfa: "--adaptive-mfa",
  groups_claim: "--groups-claim",
  custom_claims: "--custom-claim",
  roles_prefix: "--roles-prefix",
  profile: "--profile-file",
  access_token_ttl: "--access-token-ttl",
  id_token_ttl: "--id-token-ttl",
  refresh_token_ttl: "--refresh-token-ttl",
};

const CARGO = (() => {
  const installed = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin/cargo");
  return existsSync(installed) ? installed : "cargo";
})();

/**
 * Runs one of the edge's rule programs (`client-settings`, `connection-settings`) on
 * `input` and returns its answer: `{[noun]: …}` for a valid resource; throws
 * `UsageError` naming the option (`optionOfField`) and the problem otherwise.
 */
export function checkWithEdgeRules(program, noun, input, optionOfField) {
  const result = spawnSync(
    CARGO,
    ["run", "--quiet", "--locked", "-p", "portcullis-edge", "--bin", program],
    { cwd: ROOT, input: JSON.stringify(input), encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.error) throw new Error(`could not run the edge's ${noun} rules: ${result.error.message}`);
  let answer;
  try {
    answer = JSON.parse(result.stdout.trim().split("\n").at(-1));
  } catch {
    throw new Error(`the edge's ${noun} rules failed:\n${result.stderr}`);
  }
  if (answer.refusal) fail(`${optionOfField[answer.refusal.field] ?? answer.refusal.field}: ${answer.refusal.problem}`);
  if (!answer[noun]) throw new Error(`the edge's ${noun} rules failed:\n${result.stderr}`);
  return answer[noun];
}

/**
 * Checks a client (the admin API's JSON shape) with the edge's rules and returns its
 * complete settings; throws `UsageError` naming the option and the problem.
 */
export function checkClient(input) {
  return checkWithEdgeRules("client-settings", "client", input, OPTION_OF_FIELD);
}

/** Repeated options may also carry several values separated by spaces or commas. */
const splitList = (values) => (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");

/** `--custom-claim SCOPE:CLAIM=ATTRIBUTE` as the admin API's `{scope, claim, attribute}`. */
function customClaimOption(value) {
  const match = /^([^:=\s]+):([^:=\s]+)=([^:=\s]+)$/.exec(value);
  if (!match) fail(`--custom-claim ${JSON.stringify(value)}: use SCOPE:CLAIM=ATTRIBUTE, e.g. hr:employee_id=external_id`);
  return { scope: match[1], claim: match[2], attribute: match[3] };
}

/** `--theme PRESET` as it is, `--theme-file FILE` as the theme object it holds. */
function themeOption(preset, file) {
  if (preset !== undefined && file !== undefined) fail("give --theme or --theme-file, not both");
  if (file === undefined) return preset;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(`--theme-file ${file}: ${error.message}`);
  }
}

/** `--profile-file FILE` as the profiling policy it holds (edge/src/profile/policy.rs). */
function jsonFileOption(option, file) {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(`${option} ${file}: ${error.message}`);
  }
}

/**
 * Turns the options of `add` into a complete, valid client row (without timestamps and
 * secret), checked by the edge's rules. Throws `UsageError` naming the first problem.
 */
export function buildClient(options) {
  const client = checkClient({
    id: options.id,
    name: options.name,
    client_type: options.type,
    redirect_uris: options["redirect-uri"] ?? [],
    allowed_origins: options.origin ?? [],
    allowed_scopes: splitList(options.scope),
    grant_types: splitList(options["grant-type"]),
    post_logout_redirect_uris: options["post-logout-redirect-uri"] ?? [],
    email_verification: options["require-verified-email"] ? "required" : "optional",
    mfa: options.mfa,
    email_second_factor: Boolean(options["email-second-factor"]),
    theme: themeOption(options.theme, options["theme-file"]),
    adaptive_mfa: options["adaptive-mfa"],
    human_check: Boolean(options["human-check"]),
    breached_password_check: Boolean(options["breached-password-check"]),
    groups_claim: options["groups-claim"] ?? [],
    custom_claims: (options["custom-claim"] ?? []).map(customClaimOption),
    roles_prefix: options["roles-prefix"],
    profile: jsonFileOption("--profile-file", options["profile-file"]),
    access_token_ttl: options["access-token-ttl"],
    id_token_ttl: options["id-token-ttl"],
    refresh_token_ttl: options["refresh-token-ttl"],
  });
  // The row as D1 stores it (edge/src/platform/cloudflare/d1/clients.rs).
  return {
    ...client,
    adaptive_mfa: client.adaptive_mfa.replaceAll("-", "_"),
    human_check: client.human_check ? 1 : 0,
    breached_password_check: client.breached_password_check ? 1 : 0,
    email_second_factor: client.email_second_factor ? 1 : 0,
    theme: client.theme === null || typeof client.theme === "string" ? client.theme : JSON.stringify(client.theme),
  };
}

// --- secrets --------------------------------------------------------------------------

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
    email_second_factor: sqlInteger(client.email_second_factor),
    theme: client.theme === null ? "NULL" : sqlText(client.theme),
    adaptive_mfa: sqlText(client.adaptive_mfa),
    human_check: sqlInteger(client.human_check),
    breached_password_check: sqlInteger(client.breached_password_check),
    groups_claim: client.groups_claim === null ? "NULL" : sqlJson(client.groups_claim),
    custom_claims: sqlText(JSON.stringify(client.custom_claims ?? [])),
    roles_prefix: client.roles_prefix ? sqlText(client.roles_prefix) : "NULL",
    profile_policy: sqlText(JSON.stringify(client.profile ?? {})),
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
  mfa, email_second_factor, theme, groups_claim, custom_claims, roles_prefix, profile_policy, adaptive_mfa, human_check, breached_password_check, access_token_ttl,
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
  const lists = ["redirect_uris", "allowed_origins", "allowed_scopes", "grant_types", "post_logout_redirect_uris", "custom_claims"];
  const decoded = { ...row, has_secret: Boolean(row.has_secret) };
  for (const key of lists) {
    try {
      decoded[key] = JSON.parse(row[key] ?? "[]");
    } catch {
      decoded[key] = row[key];
    }
  }
  try {
    decoded.profile = JSON.parse(row.profile_policy ?? "{}");
  } catch {
    decoded.profile = row.profile_policy;
  }
  delete decoded.profile_policy;
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

/**
 * Reads a CLI's command line: `{values, positionals}`, or `{status}` when it is done
 * already (bad options: the usage on stderr, 2; `help`: the usage, 0; nothing: 2).
 */
export function readCommandLine(name, argv, options, usage) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${name}: ${error.message}\n\n${usage}`);
    return { status: 2 };
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? console.error : console.log)(usage);
    return { status: command === undefined && !values.help ? 2 : 0 };
  }
  return { values, positionals };
}

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
      --scope SCOPE                     repeatable; default: openid profile email offline_access account
      --grant-type GRANT                repeatable; authorization_code, refresh_token, client_credentials
                                        default: authorization_code, refresh_token
      --post-logout-redirect-uri URI    repeatable
      --require-verified-email          sign in only people whose email address is verified
      --mfa off|optional|required       ask for a second factor: never (default), from people
                                        who enrolled one, or from everyone (enrol at next sign-in)
      --email-second-factor             a code emailed to the account's verified address may be
                                        the second factor after a password (weaker than an app:
                                        tokens say amr pwd otp, no mfa)
      --theme PRESET                    neutral, high-contrast, playful, midnight
      --theme-file FILE                 a brand theme as JSON (see shared/src/theme.rs)
      --adaptive-mfa WHEN               never, high-risk, always (default never): ask for a
                                        second factor when a sign-in's risk is high, or always
      --human-check                     a Cloudflare Turnstile token at sign-up and at sign-in
                                        to an account under attack
      --breached-password-check         refuse new passwords listed by Pwned Passwords
      --groups-claim PATTERN            repeatable; a group name or prefix* whose groups go in
                                        the groups claim (with the groups scope)
      --custom-claim SCOPE:CLAIM=ATTRIBUTE
                                        repeatable; CLAIM in tokens asked for SCOPE (a custom
                                        scope among --scope), from the profile ATTRIBUTE: name,
                                        given_name, family_name, email, email_verified, external_id
      --roles-prefix PREFIX             the groups starting with PREFIX, without it, go in the
                                        roles claim (with the roles scope)
      --profile-file FILE               the profile attributes and documents asked at sign-in,
                                        as JSON (see edge/src/profile/policy.rs)
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
  "email-second-factor": { type: "boolean" },
  theme: { type: "string" },
  "theme-file": { type: "string" },
  "profile-file": { type: "string" },
  "adaptive-mfa": { type: "string" },
  "human-check": { type: "boolean" },
  "breached-password-check": { type: "boolean" },
  "groups-claim": { type: "string", multiple: true },
  "custom-claim": { type: "string", multiple: true },
  "roles-prefix": { type: "string" },
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
    ["groups claim", client.groups_claim ? [client.groups_claim].flat().flatMap((g) => (g.startsWith("[") ? JSON.parse(g) : g)).join(" ") : "-"],
    ["custom claims", (client.custom_claims ?? []).map((c) => `${c.scope}:${c.claim}=${c.attribute}`).join(" ") || "-"],
    ["roles", client.roles_prefix ? `groups starting with ${JSON.stringify(client.roles_prefix)} (roles scope)` : "-"],
    ["mfa", (client.mfa ?? "off") + (client.email_second_factor ? " (email code allowed)" : "")],
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
  if (positionals.length !== 1 || positionals[0] === "") fail(`${command} takes exactly one client id`);
  return positionals[0];
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
    return reportFailure("clients", error);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
