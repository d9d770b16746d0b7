-- Adaptive sign-on and attack protection (edge/src/risk, edge/src/attack): per-client
-- settings, all off by default, and what the assessment remembers per account.

-- When a sign-in is challenged for a second factor because of its risk.
ALTER TABLE clients ADD COLUMN adaptive_mfa TEXT NOT NULL DEFAULT 'never'
  CHECK (adaptive_mfa IN ('never', 'high_risk', 'always'));
-- 1: a Cloudflare Turnstile token at sign-up and at sign-in to an account under attack.
ALTER TABLE clients ADD COLUMN human_check INTEGER NOT NULL DEFAULT 0
  CHECK (human_check IN (0, 1));
-- 1: new passwords checked against Have I Been Pwned's Pwned Passwords.
ALTER TABLE clients ADD COLUMN breached_password_check INTEGER NOT NULL DEFAULT 0
  CHECK (breached_password_check IN (0, 1));

-- Where each account last signed in (Cloudflare's request.cf), to compare the next with.
CREATE TABLE sign_in_places (
  user_id      TEXT PRIMARY KEY REFERENCES users (id),
  country      TEXT,
  latitude     REAL,
  longitude    REAL,
  signed_in_at INTEGER NOT NULL
);

-- Browsers remembered per account, named by the SHA-256 of their cookie's handle.
CREATE TABLE remembered_devices (
  device_hash TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id),
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (device_hash, user_id)
);
CREATE INDEX remembered_devices_user ON remembered_devices (user_id);
