-- Administration: users provisioned through SCIM, and the indexes that admin searches and
-- the System Log API read by.

-- SCIM `externalId`: the provisioning system's own id for the person.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE INDEX users_external_id ON users (external_id);
-- SCIM lists users oldest first; pages are read by (created_at, id).
CREATE INDEX users_created ON users (created_at, id);
-- The System Log API reads pages in (published, uuid) order, from a cursor.
CREATE INDEX events_published_uuid ON events (published, uuid);

-- Groups of people (SCIM Groups), which clients read as roles. Names are unique without
-- regard to case. `members` is a JSON array of user ids in the order they were added,
-- kept in the group's row so that a change to a group is one conditional UPDATE (the
-- If-Match check and the new member list together).
CREATE TABLE user_groups (
  id           TEXT PRIMARY KEY,
  display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  external_id  TEXT,
  members      TEXT NOT NULL DEFAULT '[]',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX user_groups_created ON user_groups (created_at, id);

-- Which of a person's groups a client puts in the `groups` claim (JSON array of exact
-- names and `prefix*` patterns); NULL: the client maps no groups.
ALTER TABLE clients ADD COLUMN groups_claim TEXT;
