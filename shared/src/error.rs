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
    /// The account API needs a live access token (`Authorization: Bearer …`) and got none,
    /// an invalid one, or one whose grant was revoked.
    Unauthorized,
    /// The passkey id does not name one of the signed-in person's passkeys.
    PasskeyNotFound,
    /// Deleting this passkey would leave the account with no way to sign in.
    LastSignInMethod,
    /// WebAuthn §7.1/§7.2: `clientDataJSON` is not valid client data.
    WebauthnMalformedClientData,
    /// The client data `type` is not the ceremony's (`webauthn.create` / `webauthn.get`).
    WebauthnWrongType,
    /// The challenge is not one this flow issued, was used already, or expired.
    WebauthnChallengeMismatch,
    /// The ceremony ran on an origin this relying party does not accept.
    WebauthnOriginNotAllowed,
    /// The ceremony ran in a cross-origin frame, which is not accepted.
    WebauthnCrossOriginNotAllowed,
    /// The authenticator data cannot be parsed.
    WebauthnMalformedAuthenticatorData,
    /// The authenticator data is for another relying party id.
    WebauthnRpIdMismatch,
    /// The authenticator did not test for user presence (UP=0).
    WebauthnUserNotPresent,
    /// The authenticator did not verify the user (UV=0); passkeys require it.
    WebauthnUserNotVerified,
    /// Backup flags are inconsistent (BS without BE, or BE changed).
    WebauthnInvalidBackupFlags,
    /// The attestation object cannot be parsed.
    WebauthnMalformedAttestation,
    /// The attestation format is not accepted (`none` and `packed` self attestation are).
    WebauthnUnsupportedAttestation,
    /// The credential's algorithm is not one the relying party offered.
    WebauthnUnsupportedAlgorithm,
    /// The credential public key cannot be parsed.
    WebauthnMalformedPublicKey,
    /// The credential id is longer than 1023 bytes.
    WebauthnCredentialIdTooLong,
    /// The credential is already registered.
    WebauthnCredentialExists,
    /// No account has this passkey (it may have been deleted).
    WebauthnUnknownCredential,
    /// The assertion signature does not verify.
    WebauthnBadSignature,
    /// The emailed code is wrong; the code stays usable for a few more tries.
    CodeInvalid,
    /// The emailed code expired, was used, or saw too many wrong tries; ask for a new one.
    CodeExpired,
    /// The emailed link (sign-in, verification or password reset) expired or was used.
    LinkExpired,
    /// The access token is for the account API but lacks the `account` scope.
    InsufficientScope,
    /// Changing how the account signs in needs a sign-in within the last five minutes
    /// (RFC 9470 `insufficient_user_authentication`): sign in again, then retry.
    ReauthenticationRequired,
    /// The client asks for a Cloudflare Turnstile token here (`turnstile_token`) and the
    /// request carried none: render the Turnstile widget and send its token.
    HumanCheckRequired,
    /// The Turnstile token was refused: invalid, older than 300 seconds, or used already.
    HumanCheckFailed,
    /// The authenticator-app or recovery code is wrong, expired or was used already.
    FactorCodeInvalid,
    /// The flow is not at this step (a second-factor step before the first factor, say).
    StepNotExpected,
    /// The factor id does not name one of the signed-in person's factors.
    FactorNotFound,
    /// The device id does not name a device remembered for the signed-in person.
    DeviceNotFound,
    /// The session id does not name a live session of the signed-in person.
    SessionNotFound,
    /// The client id names no application holding a live grant of the signed-in person.
    ApplicationNotFound,
    /// The account's client requires a second factor, and this is its last one.
    LastFactor,
    /// The client does not accept this second factor here: an emailed code where the
    /// client does not allow one, the relying party asked for a multi-factor
    /// authentication (`acr_values`), or the account's address is not verified.
    FactorNotAllowed,
    /// The access token's sign-in did not prove a second factor, which this change needs
    /// (RFC 9470 `insufficient_user_authentication` with `acr_values`): sign in again
    /// with one, then retry.
    MfaRequired,
    /// The site's registration rules (its registration hook) refused this sign-up; the
    /// message, when present, is the site's own, in the person's language.
    RegistrationDenied,
    /// The connection id names no enabled sign-in provider for this client.
    ConnectionNotFound,
    /// Signing in with the provider failed: the person cancelled there, the provider
    /// refused, or its answer did not validate. Nothing was created or linked.
    FederationFailed,
    /// An account already uses the provider's address: sign in to it (password, passkey
    /// or emailed code) in this flow, and the provider's identity is linked to it.
    LinkProofRequired,
    /// The identity id does not name one of the signed-in person's linked identities.
    IdentityNotFound,
    /// A profile change was refused: `fields` names each attribute at fault, with a
    /// stable code and a message in the person's language. Nothing was changed.
    InvalidProfile,
}

impl ErrorCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 55] = [
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
        ErrorCode::Unauthorized,
        ErrorCode::PasskeyNotFound,
        ErrorCode::LastSignInMethod,
        ErrorCode::WebauthnMalformedClientData,
        ErrorCode::WebauthnWrongType,
        ErrorCode::WebauthnChallengeMismatch,
        ErrorCode::WebauthnOriginNotAllowed,
        ErrorCode::WebauthnCrossOriginNotAllowed,
        ErrorCode::WebauthnMalformedAuthenticatorData,
        ErrorCode::WebauthnRpIdMismatch,
        ErrorCode::WebauthnUserNotPresent,
        ErrorCode::WebauthnUserNotVerified,
        ErrorCode::WebauthnInvalidBackupFlags,
        ErrorCode::WebauthnMalformedAttestation,
        ErrorCode::WebauthnUnsupportedAttestation,
        ErrorCode::WebauthnUnsupportedAlgorithm,
        ErrorCode::WebauthnMalformedPublicKey,
        ErrorCode::WebauthnCredentialIdTooLong,
        ErrorCode::WebauthnCredentialExists,
        ErrorCode::WebauthnUnknownCredential,
        ErrorCode::WebauthnBadSignature,
        ErrorCode::CodeInvalid,
        ErrorCode::CodeExpired,
        ErrorCode::LinkExpired,
        ErrorCode::InsufficientScope,
        ErrorCode::ReauthenticationRequired,
        ErrorCode::HumanCheckRequired,
        ErrorCode::HumanCheckFailed,
        ErrorCode::FactorCodeInvalid,
        ErrorCode::StepNotExpected,
        ErrorCode::FactorNotFound,
        ErrorCode::DeviceNotFound,
        ErrorCode::SessionNotFound,
        ErrorCode::ApplicationNotFound,
        ErrorCode::LastFactor,
        ErrorCode::FactorNotAllowed,
        ErrorCode::MfaRequired,
        ErrorCode::RegistrationDenied,
        ErrorCode::ConnectionNotFound,
        ErrorCode::FederationFailed,
        ErrorCode::LinkProofRequired,
        ErrorCode::IdentityNotFound,
        ErrorCode::InvalidProfile,
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
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::PasskeyNotFound => "passkey_not_found",
            ErrorCode::LastSignInMethod => "last_sign_in_method",
            ErrorCode::WebauthnMalformedClientData => "webauthn_malformed_client_data",
            ErrorCode::WebauthnWrongType => "webauthn_wrong_type",
            ErrorCode::WebauthnChallengeMismatch => "webauthn_challenge_mismatch",
            ErrorCode::WebauthnOriginNotAllowed => "webauthn_origin_not_allowed",
            ErrorCode::WebauthnCrossOriginNotAllowed => "webauthn_cross_origin_not_allowed",
            ErrorCode::WebauthnMalformedAuthenticatorData => {
                "webauthn_malformed_authenticator_data"
            }
            ErrorCode::WebauthnRpIdMismatch => "webauthn_rp_id_mismatch",
            ErrorCode::WebauthnUserNotPresent => "webauthn_user_not_present",
            ErrorCode::WebauthnUserNotVerified => "webauthn_user_not_verified",
            ErrorCode::WebauthnInvalidBackupFlags => "webauthn_invalid_backup_flags",
            ErrorCode::WebauthnMalformedAttestation => "webauthn_malformed_attestation",
            ErrorCode::WebauthnUnsupportedAttestation => "webauthn_unsupported_attestation",
            ErrorCode::WebauthnUnsupportedAlgorithm => "webauthn_unsupported_algorithm",
            ErrorCode::WebauthnMalformedPublicKey => "webauthn_malformed_public_key",
            ErrorCode::WebauthnCredentialIdTooLong => "webauthn_credential_id_too_long",
            ErrorCode::WebauthnCredentialExists => "webauthn_credential_exists",
            ErrorCode::WebauthnUnknownCredential => "webauthn_unknown_credential",
            ErrorCode::WebauthnBadSignature => "webauthn_bad_signature",
            ErrorCode::CodeInvalid => "code_invalid",
            ErrorCode::CodeExpired => "code_expired",
            ErrorCode::LinkExpired => "link_expired",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::ReauthenticationRequired => "reauthentication_required",
            ErrorCode::HumanCheckRequired => "human_check_required",
            ErrorCode::HumanCheckFailed => "human_check_failed",
            ErrorCode::FactorCodeInvalid => "factor_code_invalid",
            ErrorCode::StepNotExpected => "step_not_expected",
            ErrorCode::FactorNotFound => "factor_not_found",
            ErrorCode::DeviceNotFound => "device_not_found",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::ApplicationNotFound => "application_not_found",
            ErrorCode::LastFactor => "last_factor",
            ErrorCode::FactorNotAllowed => "factor_not_allowed",
            ErrorCode::MfaRequired => "mfa_required",
            ErrorCode::RegistrationDenied => "registration_denied",
            ErrorCode::ConnectionNotFound => "connection_not_found",
            ErrorCode::FederationFailed => "federation_failed",
            ErrorCode::LinkProofRequired => "link_proof_required",
            ErrorCode::IdentityNotFound => "identity_not_found",
            ErrorCode::InvalidProfile => "invalid_profile",
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
    /// With `registration_denied`: the site's own words for the person, already in
    /// their language, when its registration hook gave any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_message: Option<String>,
    /// With `invalid_profile`: what is wrong with each attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::profile::FieldError>,
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
                "unauthorized",
                "passkey_not_found",
                "last_sign_in_method",
                "webauthn_malformed_client_data",
                "webauthn_wrong_type",
                "webauthn_challenge_mismatch",
                "webauthn_origin_not_allowed",
                "webauthn_cross_origin_not_allowed",
                "webauthn_malformed_authenticator_data",
                "webauthn_rp_id_mismatch",
                "webauthn_user_not_present",
                "webauthn_user_not_verified",
                "webauthn_invalid_backup_flags",
                "webauthn_malformed_attestation",
                "webauthn_unsupported_attestation",
                "webauthn_unsupported_algorithm",
                "webauthn_malformed_public_key",
                "webauthn_credential_id_too_long",
                "webauthn_credential_exists",
                "webauthn_unknown_credential",
                "webauthn_bad_signature",
                "code_invalid",
                "code_expired",
                "link_expired",
                "insufficient_scope",
                "reauthentication_required",
                "human_check_required",
                "human_check_failed",
                "factor_code_invalid",
                "step_not_expected",
                "factor_not_found",
                "device_not_found",
                "session_not_found",
                "application_not_found",
                "last_factor",
                "factor_not_allowed",
                "mfa_required",
                "registration_denied",
                "connection_not_found",
                "federation_failed",
                "link_proof_required",
                "identity_not_found",
                "invalid_profile",
            ]
        );
    }

    #[test]
    fn api_error_body_shape() {
        let body = ApiError {
            code: ErrorCode::UnknownClient,
            message: "Unknown client.".into(),
            password: None,
            site_message: None,
            fields: Vec::new(),
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
            site_message: None,
            fields: Vec::new(),
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
