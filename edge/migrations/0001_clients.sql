-- Registered clients: the applications people sign in to.
-- List columns hold JSON arrays of strings.
CREATE TABLE clients (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  client_type     TEXT NOT NULL CHECK (client_type IN ('public', 'confidential')),
  secret_hash     TEXT,
  redirect_uris   TEXT NOT NULL DEFAULT '[]',
  allowed_origins TEXT NOT NULL DEFAULT '[]',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  disabled_at     INTEGER
);
