-- Multi-factor authentication: the per-client policy, authenticator-app (TOTP) factors
-- and recovery codes.

-- `off`: never ask for a second factor; `optional`: ask people who enrolled one;
-- `required`: everyone, enrolling one at their next sign-in if they have none.
ALTER TABLE clients ADD COLUMN mfa TEXT NOT NULL DEFAULT 'off'
  CHECK (mfa IN ('off', 'optional', 'required'));

-- Authenticator apps (RFC 6238). `sealed_secret` is the shared secret sealed under the
-- key-encryption key with the factor's id as associated data, like signing keys.
-- `last_step` is the highest time step accepted, so a code is used at most once.
CREATE TABLE totp_factors (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users (id),
  name          TEXT NOT NULL,
  sealed_secret TEXT NOT NULL,
  last_step     INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER
);
CREATE INDEX totp_factors_user ON totp_factors (user_id, created_at);

-- Single-use recovery codes, stored as keyed hashes; a used code is deleted.
CREATE TABLE recovery_codes (
  user_id    TEXT NOT NULL REFERENCES users (id),
  code_hash  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);
