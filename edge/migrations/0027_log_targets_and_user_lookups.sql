-- Filters of the System Log API and of SCIM that read through an index at scale
-- (checked with EXPLAIN QUERY PLAN in edge/src/logs/query_plan_tests.rs and
-- edge/src/scim/query_plan_tests.rs; figures in the README's performance section).

-- `target.id eq "…"` matches any of an event's targets. Each target of each event is a
-- row here, kept by triggers, so the filter reads one target's events in time order
-- instead of opening every event of the window.
CREATE TABLE event_targets (
  target_id TEXT NOT NULL,
  published INTEGER NOT NULL,
  uuid      TEXT NOT NULL,
  PRIMARY KEY (target_id, published, uuid)
) WITHOUT ROWID;

INSERT OR IGNORE INTO event_targets (target_id, published, uuid)
  SELECT json_extract(t.value, '$.id'), e.published, e.uuid
  FROM events AS e, json_each(e.data, '$.target') AS t
  WHERE json_extract(t.value, '$.id') IS NOT NULL;

CREATE TRIGGER events_targets_insert AFTER INSERT ON events
BEGIN
  INSERT OR IGNORE INTO event_targets (target_id, published, uuid)
    SELECT json_extract(value, '$.id'), NEW.published, NEW.uuid
    FROM json_each(NEW.data, '$.target')
    WHERE json_extract(value, '$.id') IS NOT NULL;
END;

-- The retention purge and an erasure's deletions take the targets along.
CREATE TRIGGER events_targets_delete AFTER DELETE ON events
BEGIN
  DELETE FROM event_targets
  WHERE target_id IN (SELECT json_extract(value, '$.id') FROM json_each(OLD.data, '$.target'))
    AND published = OLD.published AND uuid = OLD.uuid;
END;

-- SCIM: `displayName` (and `name.formatted`) compare without regard to case
-- (RFC 7643 §4.1.1), so their index does too: `eq` and `sw` read it.
CREATE INDEX users_name_nocase ON users (name COLLATE NOCASE);
