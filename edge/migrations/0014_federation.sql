-- Federation: upstream identity providers Portcullis signs people in with (an OpenID
-- Connect provider found by discovery; GitHub's OAuth 2.0 later), and the identities
-- people hold there.
--
-- A connection is data, managed with `scripts/connections`. Its client secret is sealed
-- with AES-256-GCM under the KEY_ENCRYPTION_KEY secret, bound to `connection:<id>`
-- (edge/src/crypto/sealing.rs): the database alone never reveals it.
-- `trusted_email_domains` is a JSON array of the domains whose verified addresses this
-- provider is trusted to assert (an account with such an address links automatically);
-- `enabled_clients` a JSON array of client ids that show the connection, NULL for all.
CREATE TABLE connections (
  id                    TEXT PRIMARY KEY,
  kind                  TEXT NOT NULL,
  display_name          TEXT NOT NULL,
  issuer                TEXT NOT NULL,
  client_id             TEXT NOT NULL,
  sealed_client_secret  TEXT,
  scopes                TEXT NOT NULL DEFAULT '["openid","email","profile"]',
  trusted_email_domains TEXT NOT NULL DEFAULT '[]',
  enabled_clients       TEXT,
  position              INTEGER NOT NULL DEFAULT 0,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  disabled_at           INTEGER
);

-- A federated identity is (connection, subject), never an email address: the address
-- is kept only to show the person which upstream account is linked.
CREATE TABLE federated_identities (
  id            TEXT PRIMARY KEY,
  connection_id TEXT NOT NULL,
  subject       TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  email         TEXT,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  UNIQUE (connection_id, subject)
);
CREATE INDEX federated_identities_user ON federated_identities (user_id);
