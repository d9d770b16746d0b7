-- A client may take a code emailed to the account's verified address as the second
-- factor after a password (edge/src/mfa/email_code.rs). Off unless the client turns it on.
ALTER TABLE clients ADD COLUMN email_second_factor INTEGER NOT NULL DEFAULT 0
  CHECK (email_second_factor IN (0, 1));
