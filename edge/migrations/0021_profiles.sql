-- Profile attributes beyond the name columns (see edge/src/profile.rs): a JSON object
-- from attribute name to its checked value (`{"birthdate": "1990-04-01",
-- "phone_number": "+33612345678"}`). Erasure empties it.
ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';

-- A client's profiling policy (see edge/src/profile/policy.rs): the attributes it asks
-- for at sign-up, at a later sign-in or with a scope, and the documents (purpose,
-- version, SHA-256 of the text) people agree to. `{}`: it asks nothing.
ALTER TABLE clients ADD COLUMN profile_policy TEXT NOT NULL DEFAULT '{}';
