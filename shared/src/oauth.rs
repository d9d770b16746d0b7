//! OAuth 2.0 / OpenID Connect error codes, as they appear on the wire.

use serde::{Deserialize, Serialize};

/// The `error` value of an OAuth 2.0 error response: authorization endpoint errors
/// (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) and token endpoint errors
/// (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    /// §4.1.2.1 / §5.2: missing, repeated or malformed parameter.
    InvalidRequest,
    /// §5.2: client authentication failed.
    InvalidClient,
    /// §5.2: the code, refresh token or PKCE verifier is invalid, expired or revoked.
    InvalidGrant,
    /// §4.1.2.1 / §5.2: the client may not use this grant or response type.
    UnauthorizedClient,
    /// §5.2: the grant type is not supported.
    UnsupportedGrantType,
    /// §4.1.2.1: the response type is not supported.
    UnsupportedResponseType,
    /// §4.1.2.1 / §5.2: the scope is invalid, unknown or exceeds what the client may ask.
    InvalidScope,
    /// §4.1.2.1: the person or the server refused.
    AccessDenied,
    /// §4.1.2.1: an unexpected condition; never a bare 500.
    ServerError,
    /// §4.1.2.1: try again later.
    TemporarilyUnavailable,
    /// OIDC Core §3.1.2.6: `prompt=none` but the person must sign in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none` but the person must interact.
    InteractionRequired,
    /// RFC 6750 §3.1: the bearer token is expired, revoked, malformed or not ours.
    InvalidToken,
    /// RFC 6750 §3.1: the token lacks a scope the resource needs.
    InsufficientScope,
    /// RFC 8707 §2: the `resource` is unknown, or the grant does not cover it.
    InvalidTarget,
    /// RFC 9470 §3: the token's authentication is too old (or too weak) for the resource.
    InsufficientUserAuthentication,
}

impl OAuthErrorCode {
    pub const ALL: [OAuthErrorCode; 16] = [
        OAuthErrorCode::InvalidRequest,
        OAuthErrorCode::InvalidClient,
        OAuthErrorCode::InvalidGrant,
        OAuthErrorCode::UnauthorizedClient,
        OAuthErrorCode::UnsupportedGrantType,
        OAuthErrorCode::UnsupportedResponseType,
        OAuthErrorCode::InvalidScope,
        OAuthErrorCode::AccessDenied,
        OAuthErrorCode::ServerError,
        OAuthErrorCode::TemporarilyUnavailable,
        OAuthErrorCode::LoginRequired,
        OAuthErrorCode::InteractionRequired,
        OAuthErrorCode::InvalidToken,
        OAuthErrorCode::InsufficientScope,
        OAuthErrorCode::InvalidTarget,
        OAuthErrorCode::InsufficientUserAuthentication,
    ];

    /// The wire string, identical to the serde representation.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorCode::LoginRequired => "login_required",
            OAuthErrorCode::InteractionRequired => "interaction_required",
            OAuthErrorCode::InvalidToken => "invalid_token",
            OAuthErrorCode::InsufficientScope => "insufficient_scope",
            OAuthErrorCode::InvalidTarget => "invalid_target",
            OAuthErrorCode::InsufficientUserAuthentication => "insufficient_user_authentication",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_error_codes_serialise_to_their_registered_strings() {
        let expected = [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "unsupported_response_type",
            "invalid_scope",
            "access_denied",
            "server_error",
            "temporarily_unavailable",
            "login_required",
            "interaction_required",
            "invalid_token",
            "insufficient_scope",
            "invalid_target",
            "insufficient_user_authentication",
        ];
        for (code, wire) in OAuthErrorCode::ALL.iter().zip(expected) {
            assert_eq!(code.as_str(), wire);
            assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{wire}\""));
            assert_eq!(
                serde_json::from_str::<OAuthErrorCode>(&format!("\"{wire}\"")).unwrap(),
                *code
            );
        }
    }
}
