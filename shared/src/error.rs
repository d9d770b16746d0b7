//! The JSON error body of the `/v1` API and its stable codes.
//!
//! Clients branch on `code`; `message` is for people and may change between releases.

use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes of the JSON API.
///
/// The wire string of each variant is part of the API contract: renaming one is a
/// breaking change, which the tests in this module guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or parameters are malformed or missing a required field.
    InvalidRequest,
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// The request's `Content-Type` is not one the endpoint accepts.
    UnsupportedMediaType,
    /// No route matches the path.
    NotFound,
    /// The route exists but not for this HTTP method.
    MethodNotAllowed,
    /// The `client_id` does not name a registered client.
    UnknownClient,
    /// The calling page's origin is not on the client's allow-list.
    OriginNotAllowed,
    /// The sign-in flow handle is unknown, already used or expired.
    FlowNotFound,
    /// The email and password do not match an account. The same code and message for an
    /// unknown email and a wrong password, so nobody learns which accounts exist.
    InvalidCredentials,
    /// A new password does not meet the password policy; the body says why.
    PasswordRejected,
    /// Too many failed attempts in this flow; start again.
    TooManyAttempts,
    /// The edge could not complete the request; nothing about the cause is disclosed.
    ServerError,
}

impl ErrorCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::InvalidRequest,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::UnknownClient,
        ErrorCode::OriginNotAllowed,
        ErrorCode::FlowNotFound,
        ErrorCode::InvalidCredentials,
        ErrorCode::PasswordRejected,
        ErrorCode::TooManyAttempts,
        ErrorCode::ServerError,
    ];

    /// The wire string, identical to the serde representation.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UnknownClient => "unknown_client",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::FlowNotFound => "flow_not_found",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::PasswordRejected => "password_rejected",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::ServerError => "server_error",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every non-2xx JSON response of the `/v1` API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// A human-readable description; never reveals whether an account exists.
    pub message: String,
    /// With `password_rejected`: why (`problem`, `min_length`), so the person can choose
    /// another.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub password: Option<crate::api::PasswordRejected>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_to_its_documented_wire_string() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn wire_strings_are_stable() {
        let strings: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            strings,
            [
                "invalid_request",
                "payload_too_large",
                "unsupported_media_type",
                "not_found",
                "method_not_allowed",
                "unknown_client",
                "origin_not_allowed",
                "flow_not_found",
                "invalid_credentials",
                "password_rejected",
                "too_many_attempts",
                "server_error",
            ]
        );
    }

    #[test]
    fn api_error_body_shape() {
        let body = ApiError {
            code: ErrorCode::UnknownClient,
            message: "Unknown client.".into(),
            password: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"code": "unknown_client", "message": "Unknown client."})
        );
    }

    #[test]
    fn password_rejected_body_carries_problem_and_min_length_beside_the_code() {
        let body = ApiError {
            code: ErrorCode::PasswordRejected,
            message: "Too short.".into(),
            password: Some(crate::api::PasswordRejected {
                problem: crate::api::PasswordProblem::TooShort,
                min_length: 15,
            }),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "password_rejected", "message": "Too short.",
                               "problem": "too_short", "min_length": 15})
        );
        let back: ApiError = serde_json::from_value(json).unwrap();
        assert_eq!(back, body);
        let plain: ApiError =
            serde_json::from_str(r#"{"code":"flow_not_found","message":"m"}"#).unwrap();
        assert_eq!(plain.password, None);
    }
}
