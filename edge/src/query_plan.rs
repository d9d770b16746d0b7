//! SQLite's planner on the schema the migrations build, for tests that check a query D1
//! runs reads through an index (`EXPLAIN QUERY PLAN`), never a scan of a whole table.

use rusqlite::{params_from_iter, Connection};

use crate::scim::filter::SqlValue;

/// An empty database with every migration applied, in order.
pub fn migrated() -> Connection {
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

/// The steps of the plan of `sql` with `params`.
pub fn plan(db: &Connection, sql: &str, params: &[rusqlite::types::Value]) -> Vec<String> {
    let mut statement = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    statement
        .query_map(params_from_iter(params.iter()), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A bound value as SQLite takes it.
pub fn value(v: &SqlValue) -> rusqlite::types::Value {
    match v {
        SqlValue::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlValue::Integer(i) => rusqlite::types::Value::Integer(*i as i64),
    }
}
