//! The Portcullis edge.
//!
//! Everything that decides — routing, validation, sign-in flows — is plain Rust in the
//! core modules and runs natively under `cargo test`. It reaches the outside world only
//! through the traits in [`ports`]. The one module that knows about Cloudflare is
//! `platform::cloudflare`, compiled for wasm32 only, which builds those ports from the
//! Worker's bindings (D1, Durable Objects, WebCrypto, `Date.now`).

pub mod account_data;
pub mod account_deletion;
pub mod account_email;
pub mod account_password;
pub mod account_profile;
pub mod account_sessions;
pub mod accounts;
pub mod address_proof;
pub mod admin;
pub mod admin_clients;
pub mod admin_connections;
pub mod admin_error;
pub mod admin_upstream_tokens;
pub mod admin_users;
pub mod amr;
pub mod api;
pub mod attack;
pub mod cache;
pub mod cache_version;
pub mod client_lookup;
pub mod client_settings;
pub mod clients;
pub mod consent;
pub mod crypto;
pub mod email;
pub mod error;
pub mod events;
pub mod federation;
pub mod first_screen;
pub mod flows;
pub mod holders;
pub mod hooks;
pub mod http;
pub mod i18n;
pub mod lifecycle;
pub mod logs;
pub mod mfa;
pub mod oauth;
pub mod one_time;
pub mod pages;
pub mod passkeys;
pub mod passwords;
pub mod policy;
pub mod ports;
pub mod profile;
#[cfg(test)]
mod query_plan;
pub mod risk;
pub mod scim;
pub mod sessions;
pub mod signals;
/// In-memory ports for tests; never part of a deployed worker.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod throttle;
pub mod time;
pub mod users;
pub mod webauthn;

#[cfg(target_arch = "wasm32")]
pub mod platform;

/// The edge's package version, reported by `/v1/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
