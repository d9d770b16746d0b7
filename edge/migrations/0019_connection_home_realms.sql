-- Home-realm discovery: the email domains a connection claims. An address at one of
-- them, typed on the first screen of a client that offers the connection, goes straight
-- to that provider (decided by the domain alone, never by whether an account exists).
-- A JSON array of lower-case domains, like `trusted_email_domains`.
ALTER TABLE connections ADD COLUMN home_realm_domains TEXT NOT NULL DEFAULT '[]';
