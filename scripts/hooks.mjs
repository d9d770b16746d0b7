// Registers and manages event hooks in the edge's D1 database (`event_hooks`,
// `event_hook_deliveries`; edge/migrations/0011_hooks.sql) by running
// `wrangler d1 execute`, like scripts/clients. Run it through `scripts/hooks`.
//
// A hook's secret (`whsec_…`, Standard Webhooks) is made here, printed once, and stored
// sealed with AES-256-GCM under the deployment's KEY_ENCRYPTION_KEY, bound to
// `hook:<id>`, the way the edge seals its signing keys: the database alone never
// signs a webhook. A new hook is disabled until its endpoint answers the one-time
// verification challenge (`verify`).
//
// The admin API (`/admin/v1/hooks`, www/docs/api.md) does the same over HTTP with an
// admin client's token; this CLI writes D1 directly, for a deployment with no admin
// client yet. Both apply one set of rules (edge/src/hooks/rules.rs, and the cases in
// edge/tests/vectors/hook-rules.json that both are tested against).

import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { execute, fail, readCommandLine, reportFailure, sqlInteger, sqlText } from "./clients.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");


// --- validation -----------------------------------------------------------------------
// The rules of edge/src/hooks/rules.rs (the admin API's), held to the same cases in
// edge/tests/vectors/hook-rules.json.

export const MAX_URL_CHARS = 2048;
export const MAX_EVENT_TYPES = 50;
export const MAX_DESCRIPTION_CHARS = 200;

/** localhost, *.localhost, 127.0.0.0/8 or [::1]: this machine. */
const isLoopback = (hostname) =>
  hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/** https anywhere; plain http only to this machine (development), as the edge enforces. */
export function parseHookUrl(value) {
  if (typeof value !== "string" || value === "") fail("--url is required");
  if ([...value].length > MAX_URL_CHARS) fail(`--url must be at most ${MAX_URL_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) fail(`--url ${JSON.stringify(value)} contains whitespace or control characters`);
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`--url ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.username || url.password) fail("--url must not carry credentials");
  if (url.hash) fail("--url must not have a fragment");
  if (url.protocol === "https:") return value;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return value;
  fail(`--url ${JSON.stringify(value)} must be https (plain http only to localhost)`);
}

/** A System Log eventType, a prefix wildcard (`user.*`) or `*`: the edge's EventTypeFilter. */
export function parseEventType(value) {
  const segments = "[a-z0-9_]+(\\.[a-z0-9_]+)*";
  if (typeof value === "string" && (value === "*" || new RegExp(`^${segments}(\\.\\*)?$`).test(value))) return value;
  fail(`invalid --event-type ${JSON.stringify(value)}: use an eventType (user.session.start), a prefix (user.*) or *`);
}

/** One to MAX_EVENT_TYPES patterns, repeats dropped. */
export function parseEventTypes(values) {
  const types = (values ?? []).map(parseEventType);
  if (types.length === 0) fail("add needs at least one --event-type");
  if (types.length > MAX_EVENT_TYPES) fail(`at most ${MAX_EVENT_TYPES} --event-type`);
  return [...new Set(types)];
}

/** At most MAX_DESCRIPTION_CHARS characters, no control characters. */
export function parseDescription(value = "") {
  if ([...value].length > MAX_DESCRIPTION_CHARS) fail(`--description must be at most ${MAX_DESCRIPTION_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) fail("--description must not contain control characters");
  return value;
}

export function parseHookId(id, prefix = "hk") {
  if (typeof id !== "string" || !new RegExp(`^${prefix}_[a-f0-9]{16,32}$`).test(id)) fail(`invalid hook id ${JSON.stringify(id)}`);
  return id;
}

export const INLINE_KINDS = ["registration", "token"];

/** The options of an inline hook, validated. */
export function buildInlineHook(values) {
  if (!INLINE_KINDS.includes(values.kind)) fail(`--kind must be one of ${INLINE_KINDS.join(", ")}`);
  const timeoutMs = values["timeout-ms"] === undefined ? 2000 : Number(values["timeout-ms"]);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 10_000) fail("--timeout-ms must be 100 to 10000");
  const failureMode = values.fail ?? "closed";
  if (!["open", "closed"].includes(failureMode)) fail("--fail must be open or closed");
  const clientId = values.client ?? null;
  if (clientId !== null && !/^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/.test(clientId)) fail(`invalid --client ${JSON.stringify(clientId)}`);
  const description = parseDescription(values.description);
  return { kind: values.kind, url: parseHookUrl(values.url), client_id: clientId, timeout_ms: timeoutMs, failure_mode: failureMode, description };
}

function parseDuration(value, what) {
  const match = /^(\d+)(s|m|h|d)?$/.exec(value ?? "");
  if (!match) fail(`${what} must be seconds or 90s / 10m / 12h / 30d`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? "s"];
  if (seconds > 30 * 86_400) fail(`${what} must be at most 30 days`);
  return seconds;
}

// --- secrets --------------------------------------------------------------------------

/** A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes. */
export const generateHookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** The edge's sealed form (edge/src/crypto/sealing.rs): base64url(nonce ‖ ciphertext ‖ tag). */
export function seal(plaintext, kekBase64url, record) {
  const key = Buffer.from(kekBase64url.trim().replace(/=+$/, ""), "base64url");
  if (key.length !== 32) fail("KEY_ENCRYPTION_KEY must be 32 bytes of base64url");
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(record, "utf8"));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, sealed]).toString("base64url");
}

/** The key-encryption key: the environment, a file, or (locally) `.dev.vars`. */
export function keyEncryptionKey(values) {
  if (values["key-encryption-key-file"]) return readFileSync(values["key-encryption-key-file"], "utf8").trim();
  if (process.env.KEY_ENCRYPTION_KEY) return process.env.KEY_ENCRYPTION_KEY.trim();
  const devVars = join(ROOT, ".dev.vars");
  if (!values.remote && existsSync(devVars)) {
    const line = readFileSync(devVars, "utf8").split("\n").find((l) => l.startsWith("KEY_ENCRYPTION_KEY="));
    if (line) return line.slice("KEY_ENCRYPTION_KEY=".length).trim().replace(/^"|"$/g, "");
  }
  fail("the KEY_ENCRYPTION_KEY is needed to seal the secret: set it in the environment or pass --key-encryption-key-file");
}

// --- verification ---------------------------------------------------------------------

/** The header of the one-time verification GET; the endpoint echoes its value. */
export const CHALLENGE_HEADER = "x-portcullis-verification-challenge";

/**
 * The one-time endpoint verification: a GET carrying a random challenge, answered 2xx
 * with `{"verification": "<the challenge>"}`. Redirects are not followed.
 */
export async function verifyEndpoint(url, { timeoutMs = 5000 } = {}) {
  const challenge = randomBytes(24).toString("base64url");
  let response;
  try {
    response = await fetch(url, {
      method: "GET",
      headers: { [CHALLENGE_HEADER]: challenge },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, reason: `could not reach ${url}: ${error.message}` };
  }
  if (!response.ok) return { ok: false, reason: `${url} answered HTTP ${response.status}` };
  let body;
  try {
    body = await response.json();
  } catch {
    return { ok: false, reason: `${url} did not answer JSON` };
  }
  if (body?.verification !== challenge) return { ok: false, reason: `${url} did not echo the challenge` };
  return { ok: true };
}

// --- statements -----------------------------------------------------------------------

const HOOK_COLUMNS =
  "id, url, event_types, description, enabled, verified_at, previous_secret_expires_at, created_at, updated_at";

function decodeHook(row) {
  return { ...row, event_types: JSON.parse(row.event_types), enabled: row.enabled === 1 };
}

// --- commands -------------------------------------------------------------------------

const USAGE = `Usage: scripts/hooks [--local | --remote] [--persist-to DIR] <command> [options]

Manages event hooks: HTTPS endpoints that receive System Log events as signed webhooks
(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).

Target (default --local): --local, --persist-to DIR, --remote, --config FILE, --database NAME
(as in scripts/clients).

Commands:
  add --url URL --event-type TYPE [--event-type TYPE …] [--description TEXT]
                              register a hook, disabled until verified; its secret is
                              printed once and stored sealed under the KEY_ENCRYPTION_KEY
                              (from the environment, --key-encryption-key-file FILE, or
                              .dev.vars locally). TYPE: user.session.start, user.*, or *
  verify ID                   send the one-time challenge (GET with header
                              ${CHALLENGE_HEADER}; the endpoint answers
                              {"verification": "<value>"}) and enable the hook if it passes
  enable ID | disable ID      resume or stop deliveries (enable needs a verified hook)
  rotate-secret ID [--overlap DURATION]
                              a new secret, printed once; the old one keeps signing beside
                              it for the overlap (default 24h) so receivers can switch
  list                        every hook (never secrets)
  show ID                     one hook
  deliveries [--hook ID] [--status pending|delivered|dead|cancelled] [--limit N]
                              deliveries, newest first, with their attempts
  remove ID                   delete a hook (--remote needs --yes)

Inline hooks (called inside a flow; answers signed with the same secret, see www/docs/api.md):
  inline-add --kind registration|token --url URL [--client CLIENT_ID] [--timeout-ms N]
             [--fail open|closed] [--description TEXT]
                              one per kind and client (without --client: every client
                              without its own); timeout default 2000 ms (at most 10000),
                              failure mode default closed; the secret is printed once
  inline-list                 every inline hook (never secrets)
  inline-remove ID            delete an inline hook

  --json                      machine-readable output

Exit status: 0 done, 1 the database or endpoint refused or failed, 2 bad input or no such hook.`;

const OPTIONS = {
  local: { type: "boolean" },
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  config: { type: "string" },
  database: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  url: { type: "string" },
  "event-type": { type: "string", multiple: true },
  description: { type: "string" },
  "key-encryption-key-file": { type: "string" },
  overlap: { type: "string" },
  hook: { type: "string" },
  status: { type: "string" },
  limit: { type: "string" },
  kind: { type: "string" },
  client: { type: "string" },
  "timeout-ms": { type: "string" },
  fail: { type: "string" },
};

export function target(values) {
  if (values.remote && (values.local || values["persist-to"])) fail("--remote cannot be combined with --local or --persist-to");
  return {
    remote: Boolean(values.remote),
    persistTo: values["persist-to"] ? resolve(values["persist-to"]) : undefined,
    config: values.config ? resolve(values.config) : undefined,
    database: values.database ?? "DB",
  };
}

const when = (ms) => (ms === null || ms === undefined ? "-" : new Date(ms).toISOString());

function describe(hook) {
  return [
    ["id", hook.id],
    ["url", hook.url],
    ["event types", hook.event_types.join(" ")],
    ["description", hook.description || "-"],
    ["status", hook.enabled ? "enabled" : hook.verified_at ? "disabled" : "disabled (not verified)"],
    ["verified", when(hook.verified_at)],
    ["previous secret", hook.previous_secret_expires_at ? `signs until ${when(hook.previous_secret_expires_at)}` : "-"],
    ["created", when(hook.created_at)],
  ]
    .map(([k, v]) => `  ${k.padEnd(17)}${v}`)
    .join("\n");
}

function findHook(run, db, id) {
  const [row] = run(`SELECT ${HOOK_COLUMNS} FROM event_hooks WHERE id = ${sqlText(id)};`, db);
  if (!row) fail(`no hook with id ${JSON.stringify(id)}`);
  return decodeHook(row);
}

function oneId(rest, command) {
  if (rest.length !== 1) fail(`${command} takes exactly one hook id`);
  return parseHookId(rest[0]);
}

/** Runs the CLI with `argv`. Returns the exit status. */
export async function main(argv, run = execute) {
  const read = readCommandLine("hooks", argv, OPTIONS, USAGE);
  if (read.status !== undefined) return read.status;
  const { values, positionals } = read;
  const [command, ...rest] = positionals;
  const out = (json, text) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
  try {
    const db = target(values);
    const now = Date.now();
    switch (command) {
      case "add": {
        if (rest.length) fail("add takes options only");
        const url = parseHookUrl(values.url);
        const types = parseEventTypes(values["event-type"]);
        const description = parseDescription(values.description);
        const id = `hk_${randomBytes(8).toString("hex")}`;
        const secret = generateHookSecret();
        const sealed = seal(secret, keyEncryptionKey(values), `hook:${id}`);
        run(
          `INSERT INTO event_hooks (id, url, event_types, description, secret, enabled, created_at, updated_at)
           VALUES (${sqlText(id)}, ${sqlText(url)}, ${sqlText(JSON.stringify(types))},
                   ${sqlText(description)}, ${sqlText(sealed)}, 0, ${sqlInteger(now)}, ${sqlInteger(now)});`,
          db,
        );
        const hook = findHook(run, db, id);
        out({ ...hook, secret }, `Registered hook ${id} (disabled until \`scripts/hooks verify ${id}\`):\n${describe(hook)}\n\n  secret           ${secret}\n\n  This is the only time the secret is shown; verify deliveries with it (Standard Webhooks).`);
        return 0;
      }
      case "verify": {
        const id = oneId(rest, command);
        const hook = findHook(run, db, id);
        const result = await verifyEndpoint(hook.url);
        if (!result.ok) {
          console.error(`hooks: verification of ${id} failed: ${result.reason}`);
          return 1;
        }
        run(`UPDATE event_hooks SET verified_at = ${sqlInteger(now)}, enabled = 1, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)};`, db);
        out({ id, verified: true, enabled: true }, `Verified ${hook.url}; hook ${id} is enabled.`);
        return 0;
      }
      case "enable":
      case "disable": {
        const id = oneId(rest, command);
        const hook = findHook(run, db, id);
        if (command === "enable" && !hook.verified_at) fail(`hook ${id} is not verified yet: scripts/hooks verify ${id}`);
        run(`UPDATE event_hooks SET enabled = ${command === "enable" ? 1 : 0}, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)};`, db);
        out({ id, enabled: command === "enable" }, `${command === "enable" ? "Enabled" : "Disabled"} hook ${id}.`);
        return 0;
      }
      case "rotate-secret": {
        const id = oneId(rest, command);
        findHook(run, db, id);
        const overlap = parseDuration(values.overlap ?? "24h", "--overlap");
        const secret = generateHookSecret();
        const sealed = seal(secret, keyEncryptionKey(values), `hook:${id}`);
        run(
          `UPDATE event_hooks SET previous_secret = secret, previous_secret_expires_at = ${sqlInteger(now + overlap * 1000)},
             secret = ${sqlText(sealed)}, updated_at = ${sqlInteger(now)} WHERE id = ${sqlText(id)};`,
          db,
        );
        out({ id, secret, previous_secret_expires_at: now + overlap * 1000 }, `New secret for ${id}; the previous one also signs until ${when(now + overlap * 1000)}.\n\n  secret           ${secret}\n`);
        return 0;
      }
      case "list": {
        if (rest.length) fail("list takes no arguments");
        const hooks = run(`SELECT ${HOOK_COLUMNS} FROM event_hooks ORDER BY created_at;`, db).map(decodeHook);
        out(hooks, hooks.length === 0 ? "No hooks registered." : hooks.map((h) => `${h.id}  ${h.enabled ? "enabled " : "disabled"}  ${h.url}  ${h.event_types.join(",")}`).join("\n"));
        return 0;
      }
      case "show": {
        const hook = findHook(run, db, oneId(rest, command));
        out(hook, describe(hook));
        return 0;
      }
      case "deliveries": {
        if (rest.length) fail("deliveries takes options only");
        const where = [];
        if (values.hook) where.push(`hook_id = ${sqlText(parseHookId(values.hook))}`);
        if (values.status) {
          if (!["pending", "delivered", "dead", "cancelled"].includes(values.status)) fail(`invalid --status ${JSON.stringify(values.status)}`);
          where.push(`status = ${sqlText(values.status)}`);
        }
        const limit = values.limit === undefined ? 50 : Number(values.limit);
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) fail("--limit must be 1 to 10000");
        const rows = run(
          `SELECT id, hook_id, event_uuid, event_type, status, attempts, last_status, last_error, created_at, last_attempt_at, delivered_at
           FROM event_hook_deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY created_at DESC, id LIMIT ${sqlInteger(limit)};`,
          db,
        );
        out(rows, rows.length === 0 ? "No deliveries." : rows.map((d) => `${d.id}  ${d.event_type}  ${d.status}  attempts ${d.attempts}  last ${d.last_status ?? d.last_error ?? "-"}`).join("\n"));
        return 0;
      }
      case "remove": {
        const id = oneId(rest, command);
        if (db.remote && !values.yes) fail(`removing ${id} from the deployed database needs --yes`);
        findHook(run, db, id);
        run(`DELETE FROM event_hook_deliveries WHERE hook_id = ${sqlText(id)}; DELETE FROM event_hooks WHERE id = ${sqlText(id)};`, db);
        out({ id, removed: true }, `Removed hook ${id}; its pending deliveries are cancelled.`);
        return 0;
      }
      case "inline-add": {
        if (rest.length) fail("inline-add takes options only");
        const hook = buildInlineHook(values);
        const id = `ih_${randomBytes(8).toString("hex")}`;
        const secret = generateHookSecret();
        const sealed = seal(secret, keyEncryptionKey(values), `hook:${id}`);
        const rows = run(
          `INSERT INTO inline_hooks (id, kind, client_id, url, secret, timeout_ms, failure_mode, description, created_at, updated_at)
           VALUES (${sqlText(id)}, ${sqlText(hook.kind)}, ${hook.client_id === null ? "NULL" : sqlText(hook.client_id)}, ${sqlText(hook.url)},
                   ${sqlText(sealed)}, ${sqlInteger(hook.timeout_ms)}, ${sqlText(hook.failure_mode)}, ${sqlText(hook.description)},
                   ${sqlInteger(now)}, ${sqlInteger(now)})
           ON CONFLICT DO NOTHING RETURNING id;`,
          db,
        );
        if (rows.length === 0) fail(`a ${hook.kind} hook for ${hook.client_id ?? "every client"} exists already; remove it first`);
        out({ id, ...hook, secret }, `Registered inline hook ${id} (${hook.kind}, ${hook.client_id ?? "every client"}, ${hook.timeout_ms} ms, fail ${hook.failure_mode}).\n\n  secret           ${secret}\n\n  This is the only time the secret is shown.`);
        return 0;
      }
      case "inline-list": {
        if (rest.length) fail("inline-list takes no arguments");
        const rows = run("SELECT id, kind, client_id, url, timeout_ms, failure_mode, enabled, description, created_at FROM inline_hooks ORDER BY created_at;", db);
        out(rows, rows.length === 0 ? "No inline hooks." : rows.map((h) => `${h.id}  ${h.kind}  ${h.client_id ?? "*"}  ${h.url}  ${h.timeout_ms} ms  fail ${h.failure_mode}`).join("\n"));
        return 0;
      }
      case "inline-remove": {
        if (rest.length !== 1) fail("inline-remove takes exactly one hook id");
        const id = parseHookId(rest[0], "ih");
        const rows = run(`DELETE FROM inline_hooks WHERE id = ${sqlText(id)} RETURNING id;`, db);
        if (rows.length === 0) fail(`no inline hook with id ${JSON.stringify(id)}`);
        out({ id, removed: true }, `Removed inline hook ${id}.`);
        return 0;
      }
      default:
        fail(`unknown command ${JSON.stringify(command)}; try scripts/hooks help`);
    }
  } catch (error) {
    return reportFailure("hooks", error);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
