//! The connection rules of the edge ([`portcullis_edge::federation::settings`]) as a
//! program, so that `scripts/connections` checks a connection exactly as the admin API
//! does.
//!
//! Reads one connection as JSON (the admin API's `ConnectionInput`, `client_secret`
//! included if one is to be set) on standard input, optionally with
//! `"claimed_home_realms": [{"id": …, "home_realm_domains": […]}, …]` (the stored
//! connections' home-realm domains, which the new one must not claim again), and prints
//! `{"connection": …}` (the complete settings, never the secret; exit status 0) or
//! `{"refusal": {"field": …, "problem": …}}` (exit status 2).

use std::io::Read;
use std::process::ExitCode;

use portcullis_edge::federation::settings::{
    check_home_realm_claims, validate, ConnectionInput, HomeRealmClaim,
};
use serde_json::{json, Value};

fn refused(field: &str, problem: String) -> ExitCode {
    println!(
        "{}",
        json!({"refusal": {"field": field, "problem": problem}})
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("connection-settings: could not read standard input: {err}");
        return ExitCode::from(1);
    }
    let mut value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(err) => return refused("input", err.to_string()),
    };
    let claims = value
        .as_object_mut()
        .and_then(|object| object.remove("claimed_home_realms"))
        .unwrap_or(Value::Array(Vec::new()));
    let claims: Vec<HomeRealmClaim> = match serde_json::from_value(claims) {
        Ok(claims) => claims,
        Err(err) => return refused("claimed_home_realms", err.to_string()),
    };
    let input: ConnectionInput = match serde_json::from_value(value) {
        Ok(input) => input,
        Err(err) => return refused("input", err.to_string()),
    };
    let checked = validate(&input).and_then(|connection| {
        check_home_realm_claims(
            &connection,
            claims
                .iter()
                .map(|c| (c.id.as_str(), c.home_realm_domains.as_slice())),
        )
        .map(|()| connection)
    });
    match checked {
        Ok(connection) => {
            println!("{}", json!({ "connection": connection }));
            ExitCode::SUCCESS
        }
        Err(refusal) => {
            println!("{}", json!({ "refusal": refusal }));
            ExitCode::from(2)
        }
    }
}
