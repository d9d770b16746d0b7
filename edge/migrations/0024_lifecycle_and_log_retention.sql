-- Okta's STAGED (created, not yet activated) and DEPROVISIONED (deactivated, profile
-- kept) accounts. `users.status` keeps its three values and says `suspended` for both,
-- so every query on `status` alone still sees an account that cannot sign in; `stage`
-- tells which (see edge/src/platform/cloudflare/d1/users.rs).
ALTER TABLE users ADD COLUMN stage TEXT CHECK (stage IN ('staged', 'deactivated'));
