-- Upstream tokens: what a sign-in provider handed over (its access token, refresh token,
-- their expiry and scopes) for one linked identity, kept only for a connection whose
-- options say `store_tokens: true`. The tokens are sealed together with AES-256-GCM
-- under the KEY_ENCRYPTION_KEY secret, bound to `upstream-tokens:<connection>:<subject>`
-- (edge/src/crypto/sealing.rs): the database alone never reveals them, and a row moved
-- to another identity does not open. A new sign-in through the identity replaces them.
CREATE TABLE upstream_tokens (
  connection_id TEXT NOT NULL,
  subject       TEXT NOT NULL,
  sealed_tokens TEXT NOT NULL,
  -- When the access token expires (unix ms); NULL: the provider did not say.
  expires_at    INTEGER,
  -- The scopes granted, a JSON array.
  scopes        TEXT NOT NULL DEFAULT '[]',
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (connection_id, subject)
);

-- Kept tokens never outlive their identity: unlinking, deleting the account and removing
-- the connection all delete identities, and the tokens go with them.
CREATE TRIGGER federated_identities_erase_upstream_tokens
AFTER DELETE ON federated_identities
BEGIN
  DELETE FROM upstream_tokens
  WHERE connection_id = OLD.connection_id AND subject = OLD.subject;
END;
