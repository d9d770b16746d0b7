//! The connection rules of the edge ([`portcullis_edge::federation::settings`]) as a
//! program, so that `scripts/connections` checks a connection exactly as the admin API
//! does.
//!
//! Reads one connection as JSON (the admin API's `ConnectionInput`, `client_secret`
//! included if one is to be set) on standard input and prints `{"connection": …}` (the
//! complete settings, never the secret; exit status 0) or
//! `{"refusal": {"field": …, "problem": …}}` (exit status 2).

use std::io::Read;
use std::process::ExitCode;

use portcullis_edge::federation::settings::{validate, ConnectionInput};
use serde_json::json;

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("connection-settings: could not read standard input: {err}");
        return ExitCode::from(1);
    }
    let input: ConnectionInput = match serde_json::from_str(&text) {
        Ok(input) => input,
        Err(err) => {
            let refusal = json!({"refusal": {"field": "input", "problem": err.to_string()}});
            println!("{refusal}");
            return ExitCode::from(2);
        }
    };
    match validate(&input) {
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
