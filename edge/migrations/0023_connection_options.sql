-- Connection settings beyond the common ones, as one JSON object (`ConnectionOptions`
-- in edge/src/federation/connection.rs):
--   apple    {"team_id", "key_id"}: an `apple` connection's client secret is an ES256
--            JWT the edge signs with the connection's sealed private key (the sealed
--            "client secret" of such a connection is that key, AuthKey_<key id>.p8);
--   claims   {"<profile attribute>": "<upstream claim>"}: which claims fill the profile
--            of an account the provider's answer creates ({}: the names);
--   userinfo true: the provider's userinfo endpoint is asked too (OIDC Core §5.3).
ALTER TABLE connections ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
