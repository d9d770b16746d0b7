-- The demo client that www/ embeds. Applied to local development databases only
-- (scripts/dev); a deployment registers its own clients.
INSERT INTO clients (id, name, client_type, redirect_uris, allowed_origins,
                     post_logout_redirect_uris, allowed_scopes, created_at, updated_at)
VALUES ('demo', 'Portcullis Demo', 'public',
        '["http://localhost:8787/callback"]', '["http://localhost:8787", "http://127.0.0.1:8787"]',
        '["http://localhost:8787/"]', '["openid", "profile", "email", "offline_access", "account"]',
        unixepoch() * 1000, unixepoch() * 1000)
ON CONFLICT (id) DO NOTHING;
