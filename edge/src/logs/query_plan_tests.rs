//! The System Log API's queries on the schema the migrations build, through SQLite's
//! planner (`EXPLAIN QUERY PLAN`): every filter it offers reads `events` through an
//! index (the filtered value and the window), never a scan of the whole table, and the
//! retention purge deletes through `events_published`.

use rusqlite::{params_from_iter, Connection};

use super::query::LogQuery;
use crate::scim::filter::SqlValue;
use crate::time::UnixMillis;

/// An empty database with every migration applied, in order.
fn migrated() -> Connection {
    let db = Connection::open_in_memory().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        db.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    db
}

fn plan(db: &Connection, sql: &str, params: &[rusqlite::types::Value]) -> Vec<String> {
    let mut statement = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    statement
        .query_map(params_from_iter(params.iter()), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn value(v: &SqlValue) -> rusqlite::types::Value {
    match v {
        SqlValue::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlValue::Integer(i) => rusqlite::types::Value::Integer(*i as i64),
    }
}

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
        // Any of the targets: read in the window, one event at a time.
        (
            &[("filter", "target.id eq \"u-1\"")],
            "events_published_uuid",
        ),
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
