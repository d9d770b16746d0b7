-- Which grants each person holds (edge/src/holders.rs): written when a grant is made, read
-- when the person is suspended, reset, changed or erased, so every grant's Durable Object
-- hears of it. Grants are named by reference (the SHA-256 of the grant id), never by id.
CREATE TABLE person_grants (
  grant_ref TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX person_grants_by_user ON person_grants (user_id, expires_at);
