-- Scopes each client may request (JSON array of strings).
ALTER TABLE clients ADD COLUMN allowed_scopes TEXT NOT NULL
  DEFAULT '["openid", "profile", "email", "offline_access"]';
