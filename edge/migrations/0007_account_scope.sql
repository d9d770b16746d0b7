-- The account API's scope, `account` (edge/src/oauth/resource.rs): the account API now
-- takes only tokens asked for it, so clients that sign people in (they allow `openid`)
-- may ask for it too, and their embedded widgets keep managing passkeys. SQLite cannot
-- change a column default: clients inserted without `allowed_scopes` do not get it
-- (scripts/clients always writes the list, with `account` by default).
UPDATE clients
SET allowed_scopes = json_insert(allowed_scopes, '$[#]', 'account')
WHERE EXISTS (SELECT 1 FROM json_each(clients.allowed_scopes) WHERE value = 'openid')
  AND NOT EXISTS (SELECT 1 FROM json_each(clients.allowed_scopes) WHERE value = 'account');
