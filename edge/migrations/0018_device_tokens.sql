-- Devices remembered after a second factor ("Remember this device"): the sign-in
-- widget keeps an opaque token per client and presents it with the next flow's steps,
-- so that a sign-in that already passed the password skips the second factor for that
-- one account at that one client. Only the token's SHA-256 is kept; it is replaced at
-- every use. `expires_at` is fixed 30 days after the second factor and never extended.
CREATE TABLE device_tokens (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id),
  client_id    TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX device_tokens_user ON device_tokens (user_id, created_at);
