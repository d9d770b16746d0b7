//! For the edge (feature `ssr`): the messages of the first screen in every language,
//! taken from `locales/` at build time, so that the worker carries a few hundred bytes
//! per language rather than every catalogue.

use std::{env, fs, path::Path};

/// The catalogue keys the first screen (the card and the identify step) can show.
/// `first_screen`'s tests check that no language renders it differently with only these.
const FIRST_SCREEN: &[&str] = &[
    "card.",
    "identify.",
    "field.",
    "passkey.",
    "provider.",
    "email.send",
];

fn main() {
    println!("cargo::rerun-if-changed=locales");
    println!("cargo::rerun-if-changed=build.rs");
    let out = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("first_screen.rs");
    let mut rust = String::from("pub const CATALOGUES: &[(&str, &str)] = &[\n");
    if env::var_os("CARGO_FEATURE_SSR").is_some() {
        let mut files: Vec<_> = fs::read_dir("locales")
            .map(|dir| dir.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let (Some(tag), Ok(json)) = (file.file_stem(), fs::read_to_string(&file)) else {
                continue;
            };
            let Ok(serde_json::Value::Object(messages)) = serde_json::from_str(&json) else {
                panic!("{} is not a JSON object", file.display());
            };
            let kept: serde_json::Map<_, _> = messages
                .into_iter()
                .filter(|(key, _)| FIRST_SCREEN.iter().any(|p| key.starts_with(p)))
                .collect();
            let kept = serde_json::Value::Object(kept).to_string();
            rust.push_str(&format!("    ({:?}, {:?}),\n", tag.to_string_lossy(), kept));
        }
    }
    rust.push_str("];\n");
    if let Err(err) = fs::write(&out, rust) {
        panic!("cannot write {}: {err}", out.display());
    }
}
