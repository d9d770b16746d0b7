-- The System Log's `published` column is declared INTEGER and now holds what it says:
-- Unix milliseconds. Events stored before held the RFC 3339 text of the same instant
-- (`2026-06-01T12:34:56.789Z`, always with milliseconds and `Z`); they are converted
-- here, so every row compares and sorts as a number (SQLite orders any INTEGER before
-- any TEXT, so a mix would break the order). The API still shows `published` as RFC
-- 3339: it is read from the event's JSON (`data`), which does not change.
UPDATE events
SET published = CAST(strftime('%s', published) AS INTEGER) * 1000
              + CAST(substr(published, 21, 3) AS INTEGER)
WHERE typeof(published) = 'text';

-- Claims a client declares: custom scopes carrying profile attributes (a JSON array of
-- `{"scope", "claim", "attribute"}`), and the prefix of the groups that are the `roles`
-- claim (NULL: none). See edge/src/oauth/custom_claims.rs.
ALTER TABLE clients ADD COLUMN custom_claims TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN roles_prefix TEXT;
