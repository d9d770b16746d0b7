//! Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to the client,
//! the redirect URI and the PKCE challenge, kept in the one-time store.
//!
//! A redeemed code leaves a "spent" marker naming the grant it produced, so a second
//! redemption can revoke that grant (RFC 6749 §4.1.2: "If an authorization code is used
//! more than once, the authorization server … SHOULD revoke … all tokens previously
//! issued based on that authorization code").

use serde::{Deserialize, Serialize};

use crate::amr::Amr;
use crate::error::Error;
use crate::mfa::StepUp;
use crate::oauth::authorization_request::AuthorizationRequest;
use crate::oauth::pkce::CodeChallenge;
use crate::oauth::scope::Scopes;
use crate::one_time::OneTime;
use crate::ports::Ports;
use crate::time::UnixMillis;

/// RFC 6749 §4.1.2 recommends at most ten minutes; we keep codes for five.
pub const CODE_TTL_SECONDS: u64 = 300;

/// An authorization waiting for its person to sign in: what the code will grant. Made
/// from a validated `/authorize` request (hosted flows and silent SSO) or from an
/// embedded flow's start, and turned into a [`CodeRecord`] in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Where a hosted flow returns the code; `None` for embedded flows.
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: CodeChallenge,
    /// The relying party asked for a multi-factor sign-in (`acr_values`).
    #[serde(default)]
    pub step_up: StepUp,
}

impl PendingAuthorization {
    /// What a validated authorization request (RFC 6749 §4.1.1) will grant.
    pub fn from_request(request: &AuthorizationRequest) -> PendingAuthorization {
        PendingAuthorization {
            redirect_uri: Some(request.redirect_uri.clone()),
            state: request.state.clone(),
            scopes: request.scopes.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            step_up: request.step_up,
        }
    }

    /// The code's record once `user_id` has signed in at `auth_time` with `amr`.
    pub fn record(
        &self,
        client_id: &str,
        user_id: &str,
        auth_time: UnixMillis,
        amr: &Amr,
    ) -> CodeRecord {
        CodeRecord {
            client_id: client_id.to_string(),
            redirect_uri: self.redirect_uri.clone(),
            code_challenge: self.code_challenge.clone(),
            scopes: self.scopes.clone(),
            nonce: self.nonce.clone(),
            user_id: user_id.to_string(),
            auth_time,
            amr: amr.clone(),
        }
    }
}

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    /// Present when the code was sent to a redirect URI; `/token` must then repeat it.
    pub redirect_uri: Option<String>,
    pub code_challenge: CodeChallenge,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub user_id: String,
    pub auth_time: UnixMillis,
    pub amr: Amr,
}

/// Codes not yet redeemed, named by the code.
const CODES: OneTime<CodeRecord> = OneTime::new("code");
/// Redeemed codes, naming the grant each produced.
const SPENT: OneTime<String> = OneTime::new("code-spent");

/// Stores `record` under a fresh code and returns the code.
pub async fn issue(ports: &Ports<'_>, record: &CodeRecord) -> Result<String, Error> {
    let expires = ports.clock.now().plus_seconds(CODE_TTL_SECONDS);
    CODES.issue(ports, record, expires).await
}

/// Takes the code's record: `None` if it is unknown, expired or already redeemed.
pub async fn redeem(ports: &Ports<'_>, code: &str) -> Result<Option<CodeRecord>, Error> {
    CODES.take(ports, code).await
}

/// Notes that `code` produced `grant_id`, for as long as the code could have lived.
pub async fn mark_spent(ports: &Ports<'_>, code: &str, grant_id: &str) -> Result<(), Error> {
    let expires = ports.clock.now().plus_seconds(CODE_TTL_SECONDS);
    SPENT.put(ports, code, &grant_id.to_string(), expires).await
}

/// The grant a spent code produced, if `code` was redeemed recently (consumes the marker:
/// the grant is revoked once).
pub async fn take_spent(ports: &Ports<'_>, code: &str) -> Result<Option<String>, Error> {
    SPENT.take(ports, code).await
}
