//! What an isolate keeps of an upstream OpenID Provider (see [`super::provider`], which
//! fetches it): plain data, so the isolate cache can hold it.

use serde::Deserialize;
use serde_json::Value;

use crate::time::UnixMillis;

/// How long an isolate keeps a provider's metadata and keys.
pub const PROVIDER_TTL_SECONDS: u64 = 3_600;
/// The shortest time between two fetches of one provider's keys for an unknown `kid`.
pub const KEY_REFRESH_SECONDS: u64 = 60;

/// The provider metadata Portcullis reads (OIDC Discovery §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RFC 9207 §3: the provider puts `iss` in its authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// A provider as an isolate keeps it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub metadata: Metadata,
    /// The JWKS's `keys`, as published.
    pub keys: Vec<Value>,
    pub keys_fetched_at: UnixMillis,
}
