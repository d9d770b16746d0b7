-- The account API's data: consent records and scheduled account deletions.

-- Consent records: append-only, one row per grant or withdrawal of one purpose by one
-- person. The current state of a purpose is its newest row; nothing is ever updated,
-- so the history answers "what did this person agree to, in which version, when, how".
-- See edge/src/consent.rs.
CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  -- `terms`, `privacy`, `marketing_email`, `analytics`, `sale_of_data`,
  -- `cross_context_advertising`, or a client's own purpose id.
  purpose TEXT NOT NULL,
  -- The version of the document shown, and the SHA-256 (hex) of its text.
  document_version TEXT NOT NULL,
  text_sha256 TEXT NOT NULL,
  -- `granted` or `withdrawn`.
  state TEXT NOT NULL,
  -- Unix milliseconds.
  recorded_at INTEGER NOT NULL,
  -- `widget`, `admin`, `api`, `import` or `gpc` (a Global Privacy Control signal).
  method TEXT NOT NULL,
  locale TEXT,
  client_id TEXT,
  ip_address TEXT,
  user_agent TEXT,
  -- The request carried `Sec-GPC: 1`.
  gpc INTEGER NOT NULL DEFAULT 0,
  -- The System Log event that recorded it.
  event_id TEXT NOT NULL
);
CREATE INDEX consents_by_user ON consents (user_id, recorded_at);

-- Accounts whose owner asked for their deletion (`DELETE /v1/me`): erased once `due_at`
-- (Unix milliseconds) has passed, unless the emailed link (single use, kept as the
-- SHA-256 of its token) cancels it first. See edge/src/account_deletion.rs.
CREATE TABLE account_deletions (
  user_id TEXT PRIMARY KEY,
  requested_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  cancel_token_hash TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL
);
CREATE INDEX account_deletions_due ON account_deletions (due_at);
