-- Passkeys: WebAuthn credential records (W3C WebAuthn Level 3 §4 "credential record").
-- `id` is the credential id, base64url without padding, unique across all users (§7.1
-- step 26). `public_key` is the COSE_Key the authenticator sent, base64url. The user
-- handle given to authenticators is the user's `id`.
CREATE TABLE webauthn_credentials (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id),
  public_key      TEXT NOT NULL,
  sign_count      INTEGER NOT NULL,
  uv_initialized  INTEGER NOT NULL,
  backup_eligible INTEGER NOT NULL,
  backup_state    INTEGER NOT NULL,
  transports      TEXT NOT NULL DEFAULT '[]',
  name            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  last_used_at    INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id, created_at);
