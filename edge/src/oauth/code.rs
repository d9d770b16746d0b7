//! Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to the client,
//! the redirect URI and the PKCE challenge, kept in the one-time store.
//!
//! A redeemed code leaves a "spent" marker naming the grant it produced, so a second
//! redemption can revoke that grant (RFC 6749 §4.1.2: "If an authorization code is used
//! more than once, the authorization server … SHOULD revoke … all tokens previously
//! issued based on that authorization code").

use serde::{Deserialize, Serialize};

use crate::crypto::sha256_hex;
use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::ports::{Ports, StoreError};

/// RFC 6749 §4.1.2 recommends at most ten minutes; we keep codes for five.
pub const CODE_TTL_SECONDS: u64 = 300;

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    /// Present when the code was sent to a redirect URI; `/token` must then repeat it.
    pub redirect_uri: Option<String>,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub user_id: String,
    /// Unix milliseconds.
    pub auth_time: u64,
    pub amr: Vec<String>,
}

fn code_key(code: &str) -> String {
    format!("code:{}", sha256_hex(code))
}

fn spent_key(code: &str) -> String {
    format!("code-spent:{}", sha256_hex(code))
}

/// Stores `record` under a fresh code and returns the code.
pub async fn issue(ports: &Ports<'_>, record: &CodeRecord) -> Result<String, Error> {
    let code = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let value = serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))?;
    let expires = ports.clock.now().plus_seconds(CODE_TTL_SECONDS);
    ports
        .one_time
        .put(&code_key(&code), &value, expires)
        .await?;
    Ok(code)
}

/// Takes the code's record: `None` if it is unknown, expired or already redeemed.
pub async fn redeem(ports: &Ports<'_>, code: &str) -> Result<Option<CodeRecord>, StoreError> {
    if !is_handle(code) {
        return Ok(None);
    }
    let taken = ports
        .one_time
        .take(&code_key(code), ports.clock.now())
        .await?;
    Ok(taken.and_then(|v| serde_json::from_str(&v).ok()))
}

/// Notes that `code` produced `grant_id`, for as long as the code could have lived.
pub async fn mark_spent(ports: &Ports<'_>, code: &str, grant_id: &str) -> Result<(), StoreError> {
    let expires = ports.clock.now().plus_seconds(CODE_TTL_SECONDS);
    ports
        .one_time
        .put(&spent_key(code), grant_id, expires)
        .await
}

/// The grant a spent code produced, if `code` was redeemed recently (consumes the marker:
/// the grant is revoked once).
pub async fn take_spent(ports: &Ports<'_>, code: &str) -> Result<Option<String>, StoreError> {
    if !is_handle(code) {
        return Ok(None);
    }
    ports
        .one_time
        .take(&spent_key(code), ports.clock.now())
        .await
}
