//! SCIM user filters on the schema the migrations build, through SQLite's planner
//! (`EXPLAIN QUERY PLAN`): the lookups provisioning systems make (`userName`, `emails`,
//! `externalId`, `displayName` by `eq` or `sw`, and `id`) read `users` through an index;
//! the rest (`co`, `ew`, `active`, dates, given and family names) read the list in its
//! order and stop at the page, which a SCIM client pages through with `startIndex`.

use crate::query_plan::{migrated, plan, value};
use crate::scim::filter::{compile, parse, UserFilter};

/// The plan of the SCIM list query for `filter`, as the D1 directory runs it
/// (platform/cloudflare/d1/directory.rs), and of its count.
fn plans(filter: &str) -> (Vec<String>, Vec<String>) {
    let db = migrated();
    let parsed: UserFilter = parse(filter).unwrap();
    let compiled = compile(&parsed);
    let mut args: Vec<_> = compiled.params.iter().map(value).collect();
    let count = plan(
        &db,
        &format!("SELECT COUNT(*) FROM users WHERE {}", compiled.sql),
        &args,
    );
    args.push(rusqlite::types::Value::Integer(100));
    args.push(rusqlite::types::Value::Integer(0));
    let page = plan(
        &db,
        &format!(
            "SELECT id FROM users WHERE {} ORDER BY created_at, id LIMIT ? OFFSET ?",
            compiled.sql
        ),
        &args,
    );
    (page, count)
}

#[test]
fn rfc7644_3_4_2_2_provisioning_lookups_read_users_through_an_index() {
    let cases = [
        ("userName eq \"Ada@Example.com\"", "(email=?)"),
        ("emails.value eq \"ada@example.com\"", "(email=?)"),
        ("userName sw \"user-5\"", "(email>? AND email<?)"),
        ("emails sw \"ADA\"", "(email>? AND email<?)"),
        (
            "externalId eq \"hr-42\"",
            "users_external_id (external_id=?)",
        ),
        (
            "displayName eq \"Ada Lovelace\"",
            "users_name_nocase (name=?)",
        ),
        (
            "name.formatted sw \"ada\"",
            "users_name_nocase (name>? AND name<?)",
        ),
        ("id eq \"u1\"", "(id=?)"),
    ];
    let mut wrong = Vec::new();
    for (filter, search) in cases {
        let (page, count) = plans(filter);
        for steps in [&page, &count] {
            let searched = steps
                .iter()
                .any(|s| s.starts_with("SEARCH users USING") && s.contains(search));
            if !searched || steps.iter().any(|s| s.starts_with("SCAN users")) {
                wrong.push(format!("{filter} should search {search}: {steps:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn rfc7643_2_1_a_prefix_range_keeps_sw_meaning_case_insensitive_starts_with() {
    let db = migrated();
    db.execute_batch(
        "INSERT INTO users (id, email, name, created_at, updated_at) VALUES \
         ('1', 'ada@example.com', 'Ada Lovelace', 1, 1), \
         ('2', 'adam@example.com', 'ADAM Smith', 2, 2), \
         ('3', 'adz@example.com', 'adz', 3, 3), \
         ('4', 'ad{@example.com', 'ad{', 4, 4), \
         ('5', 'bob@example.com', 'Bob', 5, 5);",
    )
    .unwrap();
    let ids = |filter: &str| -> Vec<String> {
        let compiled = compile(&parse(filter).unwrap());
        let args: Vec<_> = compiled.params.iter().map(value).collect();
        let mut statement = db
            .prepare(&format!(
                "SELECT id FROM users WHERE {} ORDER BY created_at, id",
                compiled.sql
            ))
            .unwrap();
        statement
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(ids("userName sw \"ADA\""), ["1", "2"]);
    assert_eq!(ids("userName sw \"ad\""), ["1", "2", "3", "4"]);
    assert_eq!(ids("userName sw \"adz\""), ["3"]);
    assert_eq!(ids("displayName sw \"adA\""), ["1", "2"]);
    // `z` folds to itself and `Z` to `z`: the bound above either is `{`.
    assert_eq!(ids("displayName sw \"AdZ\""), ["3"]);
    assert_eq!(ids("displayName sw \"ad{\""), ["4"]);
    assert_eq!(ids("externalId eq \"x\""), Vec::<String>::new());
}
