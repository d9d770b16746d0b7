//! The client registration rules of the edge ([`portcullis_edge::client_settings`]) as a
//! program, so that `scripts/clients` checks a client exactly as the admin API does.
//!
//! Reads one client as JSON (the admin API's `ClientInput`) on standard input and
//! prints `{"client": …}` (the complete settings; exit status 0) or
//! `{"refusal": {"field": …, "problem": …}}` (exit status 2). A client without an id
//! gets 32 random hex characters.

use std::io::Read;
use std::process::ExitCode;

use portcullis_edge::client_settings::{validate, ClientInput};
use serde_json::json;

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("client-settings: could not read standard input: {err}");
        return ExitCode::from(1);
    }
    let input: ClientInput = match serde_json::from_str(&text) {
        Ok(input) => input,
        Err(err) => {
            let refusal = json!({"refusal": {"field": "input", "problem": err.to_string()}});
            println!("{refusal}");
            return ExitCode::from(2);
        }
    };
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        eprintln!("client-settings: no randomness for a client id");
        return ExitCode::from(1);
    }
    let generated: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match validate(&input, &generated) {
        Ok(client) => {
            println!("{}", json!({ "client": client }));
            ExitCode::SUCCESS
        }
        Err(refusal) => {
            println!("{}", json!({ "refusal": refusal }));
            ExitCode::from(2)
        }
    }
}
