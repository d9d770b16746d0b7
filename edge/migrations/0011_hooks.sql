-- Event hooks: HTTPS endpoints that receive System Log events as signed webhooks
-- (Standard Webhooks), and the state of every delivery.
--
-- `event_types` is a JSON array of System Log eventTypes, each exact (`user.session.start`)
-- or a prefix wildcard (`user.*`, `*`). Secrets are sealed with AES-256-GCM under the
-- KEY_ENCRYPTION_KEY secret, bound to `hook:<id>` (edge/src/crypto/sealing.rs); after a
-- rotation the previous secret keeps signing too until `previous_secret_expires_at`, so
-- receivers can switch over. A hook is enabled only after its endpoint answered the
-- one-time verification challenge (`verified_at`).
CREATE TABLE event_hooks (
  id                        TEXT PRIMARY KEY,
  url                       TEXT NOT NULL,
  event_types               TEXT NOT NULL,
  description               TEXT NOT NULL DEFAULT '',
  secret                    TEXT NOT NULL,
  previous_secret           TEXT,
  previous_secret_expires_at INTEGER,
  enabled                   INTEGER NOT NULL DEFAULT 0,
  verified_at               INTEGER,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL
);

-- One row per (event, hook): `id` is the Standard Webhooks `webhook-id`, the same on
-- every attempt. `status` is pending, delivered or dead (moved to the dead-letter queue
-- after the last attempt); `attempts` counts the POSTs made.
CREATE TABLE event_hook_deliveries (
  id              TEXT PRIMARY KEY,
  hook_id         TEXT NOT NULL,
  event_uuid      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending',
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  last_attempt_at INTEGER,
  delivered_at    INTEGER
);
CREATE INDEX event_hook_deliveries_hook ON event_hook_deliveries (hook_id, status, created_at);

-- Inline hooks: the customer's endpoint consulted inside a flow (`kind` registration),
-- for one client or, with `client_id` NULL, for every client without its own. The
-- secret is sealed like an event hook's; `failure_mode` (open or closed) decides what
-- a late, unsigned or broken answer means.
CREATE TABLE inline_hooks (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  client_id    TEXT,
  url          TEXT NOT NULL,
  secret       TEXT NOT NULL,
  timeout_ms   INTEGER NOT NULL DEFAULT 2000,
  failure_mode TEXT NOT NULL DEFAULT 'closed',
  enabled      INTEGER NOT NULL DEFAULT 1,
  description  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX inline_hooks_one_per_client ON inline_hooks (kind, ifnull(client_id, ''));
