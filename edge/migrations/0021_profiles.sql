-- Profile attributes beyond the name columns (see edge/src/profile.rs): a JSON object
-- from attribute name to its checked value (`{"birthdate": "1990-04-01",
-- "phone_number": "+33612345678"}`). Erasure empties it.
ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
