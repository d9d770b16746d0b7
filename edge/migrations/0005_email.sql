-- Email: verification policy per client, token revocation on password reset, and the
-- development mailbox.

-- `required`: the client signs in only people whose address is verified.
ALTER TABLE clients ADD COLUMN email_verification TEXT NOT NULL DEFAULT 'optional'
  CHECK (email_verification IN ('optional', 'required'));

-- Tokens and grants issued before this instant (Unix ms) are dead: set when the
-- password is reset.
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER;

-- Messages kept instead of sent when MAIL_TRANSPORT is `dev-mailbox` (wrangler dev).
CREATE TABLE dev_mailbox (
  id         TEXT PRIMARY KEY,
  to_address TEXT NOT NULL,
  subject    TEXT NOT NULL,
  text_body  TEXT NOT NULL,
  html_body  TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX dev_mailbox_to ON dev_mailbox (to_address, created_at);
