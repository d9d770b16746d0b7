//! The System Log API's queries on the schema the migrations build, through SQLite's
//! planner (`EXPLAIN QUERY PLAN`): every filter it offers reads `events` through an
//! index (the filtered value and the window), never a scan of the whole table, and the
//! retention purge deletes through `events_published`.

use rusqlite::Connection;

use super::query::LogQuery;
use crate::query_plan::{migrated, plan, value};
use crate::time::UnixMillis;

/// The plan of the API's query for these parameters.
fn api_plan(db: &Connection, pairs: &[(&str, &str)]) -> Vec<String> {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = LogQuery::parse(&params, UnixMillis(1_767_225_600_000)).unwrap();
    let compiled = query.compile();
    let args: Vec<_> = compiled.params.iter().map(value).collect();
    // As the D1 store runs it (platform/cloudflare/d1/events.rs).
    plan(
        db,
        &format!("SELECT data FROM events WHERE {}", compiled.sql),
        &args,
    )
}

#[test]
fn every_system_log_filter_reads_events_through_an_index_never_a_full_scan() {
    let db = migrated();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "events_published_uuid"),
        (&[("sortOrder", "DESCENDING")], "events_published_uuid"),
        (&[("q", "ada")], "events_published_uuid"),
        (
            &[("filter", "eventType eq \"user.session.start\"")],
            "events_type",
        ),
        (
            &[("filter", "outcome.result eq \"FAILURE\"")],
            "events_outcome",
        ),
        (&[("filter", "severity eq \"WARN\"")], "events_severity"),
        (&[("filter", "actor.id eq \"u-1\"")], "events_actor"),
        (
            &[("filter", "actor.alternateId eq \"ada@example.com\"")],
            "events_actor_alternate_id",
        ),
        (&[("filter", "client.id eq \"demo\"")], "events_client"),
        (
            &[("filter", "client.ipAddress eq \"192.0.2.1\"")],
            "events_ip_address",
        ),
        // Any of the targets: one target's events from event_targets, each event then by
        // its `published` (see the test below).
        (&[("filter", "target.id eq \"u-1\"")], "events_published"),
        (
            &[(
                "filter",
                "eventType sw \"user.\" and outcome.result eq \"SUCCESS\"",
            )],
            "events_outcome",
        ),
    ];
    let mut wrong = Vec::new();
    for (pairs, index) in cases {
        let steps = api_plan(&db, pairs);
        let on_events: Vec<&String> = steps
            .iter()
            .filter(|s| s.contains(" events ") || s.ends_with(" events"))
            .collect();
        let searched = on_events
            .iter()
            .all(|s| s.starts_with("SEARCH events USING"));
        let indexed = on_events
            .iter()
            .any(|s| s.contains(&format!("INDEX {index} ")));
        if !(searched && indexed) {
            wrong.push(format!("{pairs:?} should search {index}: {steps:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn target_id_eq_reads_one_targets_events_from_event_targets_not_the_window() {
    let db = migrated();
    for order in ["ASCENDING", "DESCENDING"] {
        let steps = api_plan(
            &db,
            &[("filter", "target.id eq \"u-1\""), ("sortOrder", order)],
        );
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("SEARCH event_targets USING PRIMARY KEY (target_id=?")),
            "{steps:?}"
        );
        assert!(!steps.iter().any(|s| s.starts_with("SCAN")), "{steps:?}");
    }
}

#[test]
fn event_targets_follows_events_through_inserts_and_deletes() {
    let db = migrated();
    db.execute_batch(
        "INSERT INTO events (uuid, published, event_type, severity, outcome, data) VALUES \
         ('e1', 5, 'x', 'INFO', 'SUCCESS', '{\"target\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"type\":\"none\"}]}'), \
         ('e2', 6, 'x', 'INFO', 'SUCCESS', '{\"target\":[{\"id\":\"a\"}]}'), \
         ('e3', 7, 'x', 'INFO', 'SUCCESS', '{}');",
    )
    .unwrap();
    let rows = |db: &Connection| -> Vec<(String, i64, String)> {
        let mut statement = db
            .prepare("SELECT target_id, published, uuid FROM event_targets ORDER BY 1, 2, 3")
            .unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let row = |t: &str, p: i64, u: &str| (t.to_string(), p, u.to_string());
    assert_eq!(
        rows(&db),
        [row("a", 5, "e1"), row("a", 6, "e2"), row("b", 5, "e1")]
    );
    db.execute(super::retention::PURGE_SQL, rusqlite::params![6, 1000])
        .unwrap();
    assert_eq!(rows(&db), [row("a", 6, "e2")]);
}

#[test]
fn the_retention_purge_deletes_through_the_published_index() {
    let db = migrated();
    let steps = plan(
        &db,
        super::retention::PURGE_SQL,
        &[
            rusqlite::types::Value::Integer(1_767_225_600_000),
            rusqlite::types::Value::Integer(1000),
        ],
    );
    assert!(
        steps.iter().any(|s| s.contains("INDEX events_published")),
        "{steps:?}"
    );
    assert!(!steps.iter().any(|s| s == "SCAN events"), "{steps:?}");
}
