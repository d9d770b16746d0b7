-- Okta's STAGED (created, not yet activated) and DEPROVISIONED (deactivated, profile
-- kept) accounts. `users.status` keeps its three values and says `suspended` for both,
-- so every query on `status` alone still sees an account that cannot sign in; `stage`
-- tells which (see edge/src/platform/cloudflare/d1/users.rs).
ALTER TABLE users ADD COLUMN stage TEXT CHECK (stage IN ('staged', 'deactivated'));

-- The System Log API (edge/src/logs/query.rs) reads every query in a window of
-- `published`; each filter it offers has an index led by the filtered value and then
-- `published`, so a week's query reads the matching rows of that week and no others
-- (checked with EXPLAIN QUERY PLAN in edge/src/logs/query_plan_tests.rs). The daily
-- purge deletes by `events_published`.
CREATE INDEX events_outcome ON events (outcome, published);
CREATE INDEX events_severity ON events (severity, published);
CREATE INDEX events_client ON events (client_id, published);
CREATE INDEX events_ip_address ON events (ip_address, published);
CREATE INDEX events_actor_alternate_id
  ON events (json_extract(data, '$.actor.alternateId'), published);
