-- Users, sessions, the System Log, signing keys, and the OAuth settings of clients.

-- Per-client OAuth settings. List columns hold JSON arrays of strings; lifetimes are
-- seconds. `secret_hash` (from 0001) holds `sha256:<hex>` of a confidential client's
-- secret: secrets are 256-bit random values, so a fast hash is enough.
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL
  DEFAULT '["authorization_code", "refresh_token"]';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN access_token_ttl INTEGER NOT NULL DEFAULT 600;
ALTER TABLE clients ADD COLUMN id_token_ttl INTEGER NOT NULL DEFAULT 600;
ALTER TABLE clients ADD COLUMN refresh_token_ttl INTEGER NOT NULL DEFAULT 2592000;

-- People who sign in. `id` is the opaque, stable `sub`; `email` is stored normalised
-- (NFC, lower case) so uniqueness is case-insensitive.
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  email          TEXT NOT NULL UNIQUE,
  email_verified INTEGER NOT NULL DEFAULT 0,
  name           TEXT,
  given_name     TEXT,
  family_name    TEXT,
  password_hash  TEXT,
  status         TEXT NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'suspended', 'deprovisioned')),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  last_login_at  INTEGER
);

-- SSO sessions of the hosted sign-in page. The cookie holds a random handle; only its
-- SHA-256 is stored.
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id),
  auth_time  INTEGER NOT NULL,
  amr        TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The System Log: one row per security-relevant event. `data` is the whole event as
-- JSON; the other columns exist to query by.
CREATE TABLE events (
  uuid       TEXT PRIMARY KEY,
  published  INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  severity   TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  actor_id   TEXT,
  client_id  TEXT,
  ip_address TEXT,
  data       TEXT NOT NULL
);
CREATE INDEX events_published ON events (published);
CREATE INDEX events_type ON events (event_type, published);
CREATE INDEX events_actor ON events (actor_id, published);

-- Token signing keys. `private_key` is sealed with AES-256-GCM under the
-- KEY_ENCRYPTION_KEY secret; the key itself never leaves the worker unsealed. At most
-- one key per algorithm is current (retired_at IS NULL); retired keys stay published in
-- the JWKS until the tokens they signed have expired.
CREATE TABLE signing_keys (
  kid         TEXT PRIMARY KEY,
  alg         TEXT NOT NULL,
  public_jwk  TEXT NOT NULL,
  private_key TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE retired_at IS NULL;
