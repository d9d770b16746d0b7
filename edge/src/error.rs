//! Everything that can go wrong while handling an API request, and the one place that
//! maps it to an HTTP status and a stable wire code.
//!
//! What the caller sees ([`Error::public_message`]) is generic; the specific reason
//! ([`Error::detail`]) goes to the log only.

use portcullis_shared::api::{PasswordProblem, PasswordRejected};
use portcullis_shared::oauth::OAuthErrorCode;
use portcullis_shared::{ApiError, ErrorCode};

use crate::http::Response;
use crate::ports::StoreError;
use crate::webauthn::CeremonyError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The JSON body did not parse into the expected shape.
    MalformedBody(String),
    /// A field was present but invalid.
    InvalidField(&'static str),
    BodyTooLarge,
    UnsupportedMediaType,
    NoRoute,
    MethodNotAllowed,
    UnknownClient,
    OriginNotAllowed {
        origin: String,
    },
    FlowNotFound,
    /// Wrong email or password, unknown email, or an account that cannot sign in.
    InvalidCredentials,
    /// Sign-up with an address whose account has another password.
    SignUpRefused,
    /// The client's registration hook refused the sign-up, with its message for the
    /// person (already in their language) when it gave one.
    RegistrationDenied(Option<String>),
    /// A wrong password (or unknown address) for an account under attack, whose right
    /// password would be asked for an emailed code: answered the same way, with a code
    /// that no one can type.
    WrongUnderAttack,
    PasswordRejected(PasswordRejected),
    TooManyAttempts,
    /// Too many failed sign-ins for this account or address lately.
    Throttled,
    Store(StoreError),
    RandomUnavailable,
    /// A fault of ours (corrupt data, missing configuration); the detail is for logs.
    Internal(String),
    /// The account API was called without a live access token for it.
    Unauthorized,
    /// The account API's token lacks the `account` scope.
    InsufficientScope,
    /// The token's sign-in is older than the account API accepts for a change: RFC 9470
    /// step-up, with the seconds allowed since the last sign-in.
    ReauthenticationRequired {
        max_age: u64,
    },
    PasskeyNotFound,
    /// The passkey is the account's only way to sign in.
    LastSignInMethod,
    /// A WebAuthn ceremony failed one of its checks.
    Ceremony(CeremonyError),
    /// A wrong emailed code, with tries left.
    CodeInvalid,
    /// No live emailed code for the flow.
    CodeExpired,
    /// The emailed link or reset token expired or was used.
    LinkExpired,
    /// The client requires a Turnstile token here and none was sent.
    HumanCheckRequired,
    /// The Turnstile token was refused (the detail, for logs, says why).
    HumanCheckFailed(String),
    /// A wrong, expired or reused authenticator-app or recovery code.
    FactorCodeInvalid,
    /// A step the flow is not waiting for.
    StepNotExpected,
    FactorNotFound,
    /// No device of that id is remembered for the account.
    DeviceNotFound,
    /// No live session of that id is the account's.
    SessionNotFound,
    /// No application of that id holds a live grant of the account.
    ApplicationNotFound,
    /// The factor is the last of an account whose client requires one.
    LastFactor,
    /// The client does not take this second factor for this sign-in (see
    /// [`crate::mfa::email_code`]).
    FactorNotAllowed,
    /// The token's sign-in proved one factor; the change needs two (RFC 9470, with the
    /// `acr` to ask for and the seconds allowed since that sign-in).
    MfaRequired {
        max_age: u64,
    },
    /// No enabled connection of that id for the client.
    ConnectionNotFound,
    /// Signing in with the provider failed; the detail (what did not validate) is for
    /// logs.
    FederationFailed(String),
    /// The provider's `state` is missing, unknown, used, or from another browser.
    StateInvalid,
    /// An account has the provider's address: the person signs in to it first.
    LinkProofRequired,
    IdentityNotFound,
    /// The request carries a Global Privacy Control signal (`Sec-GPC: 1`), an opt-out of
    /// sale and sharing, and asked to grant such a purpose.
    ConsentOptedOutByGpc,
    /// No consent record of this account has that id.
    ConsentNotFound,
    /// A profile change was refused: what is wrong with each attribute, in the
    /// person's language.
    InvalidProfile(Vec<portcullis_shared::profile::FieldError>),
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::MalformedBody(_) | Error::InvalidField(_) => ErrorCode::InvalidRequest,
            Error::BodyTooLarge => ErrorCode::PayloadTooLarge,
            Error::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Error::NoRoute => ErrorCode::NotFound,
            Error::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Error::UnknownClient => ErrorCode::UnknownClient,
            Error::OriginNotAllowed { .. } => ErrorCode::OriginNotAllowed,
            Error::FlowNotFound => ErrorCode::FlowNotFound,
            Error::InvalidCredentials | Error::SignUpRefused | Error::WrongUnderAttack => {
                ErrorCode::InvalidCredentials
            }
            Error::PasswordRejected(_) => ErrorCode::PasswordRejected,
            Error::TooManyAttempts | Error::Throttled => ErrorCode::TooManyAttempts,
            Error::Store(_) | Error::RandomUnavailable | Error::Internal(_) => {
                ErrorCode::ServerError
            }
            Error::Unauthorized => ErrorCode::Unauthorized,
            Error::InsufficientScope => ErrorCode::InsufficientScope,
            Error::ReauthenticationRequired { .. } => ErrorCode::ReauthenticationRequired,
            Error::PasskeyNotFound => ErrorCode::PasskeyNotFound,
            Error::LastSignInMethod => ErrorCode::LastSignInMethod,
            Error::Ceremony(err) => err.code(),
            Error::CodeInvalid => ErrorCode::CodeInvalid,
            Error::CodeExpired => ErrorCode::CodeExpired,
            Error::LinkExpired => ErrorCode::LinkExpired,
            Error::HumanCheckRequired => ErrorCode::HumanCheckRequired,
            Error::HumanCheckFailed(_) => ErrorCode::HumanCheckFailed,
            Error::FactorCodeInvalid => ErrorCode::FactorCodeInvalid,
            Error::StepNotExpected => ErrorCode::StepNotExpected,
            Error::FactorNotFound => ErrorCode::FactorNotFound,
            Error::DeviceNotFound => ErrorCode::DeviceNotFound,
            Error::SessionNotFound => ErrorCode::SessionNotFound,
            Error::ApplicationNotFound => ErrorCode::ApplicationNotFound,
            Error::LastFactor => ErrorCode::LastFactor,
            Error::FactorNotAllowed => ErrorCode::FactorNotAllowed,
            Error::MfaRequired { .. } => ErrorCode::MfaRequired,
            Error::RegistrationDenied(_) => ErrorCode::RegistrationDenied,
            Error::ConnectionNotFound => ErrorCode::ConnectionNotFound,
            Error::FederationFailed(_) | Error::StateInvalid => ErrorCode::FederationFailed,
            Error::LinkProofRequired => ErrorCode::LinkProofRequired,
            Error::IdentityNotFound => ErrorCode::IdentityNotFound,
            Error::ConsentOptedOutByGpc => ErrorCode::InvalidRequest,
            Error::ConsentNotFound => ErrorCode::NotFound,
            Error::InvalidProfile(_) => ErrorCode::InvalidProfile,
        }
    }

    pub fn status(&self) -> u16 {
        match self.code() {
            ErrorCode::InvalidRequest | ErrorCode::PasswordRejected => 400,
            // Like a missing or wrong credential: the request lacks a proof.
            ErrorCode::HumanCheckRequired | ErrorCode::HumanCheckFailed => 403,
            ErrorCode::InvalidCredentials => 401,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::NotFound | ErrorCode::UnknownClient | ErrorCode::FlowNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::OriginNotAllowed | ErrorCode::RegistrationDenied => 403,
            ErrorCode::ServerError => 503,
            ErrorCode::Unauthorized
            | ErrorCode::ReauthenticationRequired
            | ErrorCode::MfaRequired
            | ErrorCode::FactorCodeInvalid => 401,
            ErrorCode::StepNotExpected | ErrorCode::LastFactor => 409,
            ErrorCode::FactorNotAllowed => 403,
            ErrorCode::FactorNotFound
            | ErrorCode::DeviceNotFound
            | ErrorCode::SessionNotFound
            | ErrorCode::ApplicationNotFound => 404,
            // RFC 6750 §3.1.
            ErrorCode::InsufficientScope => 403,
            ErrorCode::PasskeyNotFound => 404,
            ErrorCode::LastSignInMethod => 409,
            ErrorCode::ConnectionNotFound | ErrorCode::IdentityNotFound => 404,
            // The provider's answer was refused; the request that carried it is at fault.
            ErrorCode::FederationFailed => 400,
            ErrorCode::LinkProofRequired => 409,
            ErrorCode::CodeInvalid => 401,
            // Every remaining code is a failed WebAuthn check: the request was at fault.
            _ => 400,
        }
    }

    /// What the caller is told: enough to act on, nothing more.
    pub fn public_message(&self) -> String {
        match self {
            Error::MalformedBody(_) => "The request body is not valid JSON of the expected shape.".into(),
            Error::InvalidField(field) => format!("The field `{field}` is invalid."),
            Error::BodyTooLarge => "The request body is too large.".into(),
            Error::UnsupportedMediaType => "Send the body as application/json.".into(),
            Error::NoRoute => "No such endpoint.".into(),
            Error::MethodNotAllowed => "This endpoint does not accept that method.".into(),
            Error::UnknownClient => "The client_id is not registered.".into(),
            Error::OriginNotAllowed { .. } => {
                "This page's origin is not allowed to use this client. Add it to the client's allowed origins.".into()
            }
            Error::FlowNotFound => "The sign-in flow has expired or was already used. Start again.".into(),
            Error::InvalidCredentials | Error::WrongUnderAttack => {
                "That email and password don't match an account.".into()
            }
            Error::RegistrationDenied(Some(message)) => message.clone(),
            Error::RegistrationDenied(None) => {
                "This site does not accept sign-ups with these details.".into()
            }
            Error::SignUpRefused => {
                "These details can't be used to create an account. If you already have one, sign in.".into()
            }
            Error::PasswordRejected(rejected) => match rejected.problem {
                PasswordProblem::TooShort => format!(
                    "Use a password of at least {} characters.",
                    rejected.min_length
                ),
                PasswordProblem::TooLong => "That password is too long.".into(),
                PasswordProblem::Common => {
                    "That password is too common or has appeared in a data breach. Choose another.".into()
                }
                PasswordProblem::ContextSpecific => {
                    "Don't use your email address in your password.".into()
                }
            },
            Error::TooManyAttempts => "Too many attempts. Start again.".into(),
            Error::Throttled => {
                "Too many failed sign-ins. Wait a few minutes and try again.".into()
            }
            Error::Store(_) | Error::RandomUnavailable | Error::Internal(_) => {
                "The service is temporarily unavailable. Try again.".into()
            }
            Error::Unauthorized => "Sign in again to manage your account.".into(),
            Error::InsufficientScope => {
                "The access token lacks the account scope.".into()
            }
            Error::ReauthenticationRequired { max_age } => format!(
                "Sign in again: changing how this account signs in needs a sign-in within the last {} minutes.",
                max_age / 60
            ),
            Error::PasskeyNotFound => "That passkey is not on this account.".into(),
            Error::LastSignInMethod => {
                "This is the only way to sign in to this account, so it can't be deleted.".into()
            }
            Error::Ceremony(CeremonyError::UnknownCredential) => {
                "This passkey isn't recognised. It may have been deleted; use another way to sign in.".into()
            }
            Error::Ceremony(CeremonyError::MismatchedChallenge) => {
                "The passkey request expired or was already used. Try again.".into()
            }
            Error::Ceremony(_) => "The passkey could not be verified. Try again or use another way to sign in.".into(),
            Error::CodeInvalid => "That code isn't right. Check the email and try again.".into(),
            Error::CodeExpired => {
                "That code has expired or was already used. Ask for a new email.".into()
            }
            Error::LinkExpired => {
                "This link has expired or was already used. Ask for a new email.".into()
            }
            Error::HumanCheckRequired => {
                "Complete the human check (turnstile_token) and try again.".into()
            }
            Error::HumanCheckFailed(_) => {
                "The human check failed, expired or was already used. Complete it again.".into()
            }
            Error::FactorCodeInvalid => {
                "That code isn't right, has expired or was already used. Try the current one.".into()
            }
            Error::StepNotExpected => "The sign-in flow is not waiting for this step.".into(),
            Error::FactorNotFound => "That factor is not on this account.".into(),
            Error::DeviceNotFound => "That device is not remembered for this account.".into(),
            Error::SessionNotFound => "That session is not one of this account's.".into(),
            Error::ApplicationNotFound => {
                "That application holds no access to this account.".into()
            }
            Error::LastFactor => {
                "This application requires a second factor, and this is the account's last one, so it can't be removed.".into()
            }
            Error::FactorNotAllowed => {
                "This application does not accept that second factor for this sign-in.".into()
            }
            Error::MfaRequired { .. } => {
                "Sign in again with a second factor: this change needs one.".into()
            }
            Error::ConnectionNotFound => "That sign-in provider is not offered here.".into(),
            Error::FederationFailed(_) | Error::StateInvalid => {
                "Signing in with the provider didn't work. Start again.".into()
            }
            Error::LinkProofRequired => {
                "An account already uses this address. Sign in to it to link the provider.".into()
            }
            Error::IdentityNotFound => "That provider account is not linked to this account.".into(),
            Error::ConsentOptedOutByGpc => {
                "This browser sends a Global Privacy Control signal, an opt-out of sale and sharing: it cannot grant this purpose.".into()
            }
            Error::ConsentNotFound => "That consent record is not on this account.".into(),
            Error::InvalidProfile(_) => {
                "Some profile details are not valid; `fields` says which and why.".into()
            }
        }
    }

    /// The specific reason, for logs; `None` for errors the caller fully caused.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::MalformedBody(reason) => Some(format!("malformed body: {reason}")),
            Error::OriginNotAllowed { origin } => Some(format!("origin not allowed: {origin}")),
            Error::Store(StoreError::Unavailable(reason)) => Some(format!("store: {reason}")),
            Error::Store(StoreError::Conflict) => Some("store: unexpected key conflict".into()),
            Error::RandomUnavailable => Some("secure random source failed".into()),
            Error::Internal(reason) => Some(reason.clone()),
            Error::HumanCheckFailed(reason) => Some(format!("human check: {reason}")),
            Error::FederationFailed(reason) => Some(format!("federation: {reason}")),
            _ => None,
        }
    }

    pub fn to_response(&self) -> Response {
        let body = ApiError {
            code: self.code(),
            message: self.public_message(),
            password: match self {
                Error::PasswordRejected(rejected) => Some(rejected.clone()),
                _ => None,
            },
            site_message: match self {
                Error::RegistrationDenied(message) => message.clone(),
                _ => None,
            },
            fields: match self {
                Error::InvalidProfile(fields) => fields.clone(),
                _ => Vec::new(),
            },
        };
        let response = Response::json(self.status(), &body);
        match self.challenge() {
            Some(challenge) => response.with_header("www-authenticate", &challenge),
            None => response,
        }
    }

    /// RFC 6750 §3 `WWW-Authenticate` for refusals of a bearer token that a new token
    /// can cure; the description is ours, never the caller's.
    fn challenge(&self) -> Option<String> {
        let (error, extra) = match self {
            Error::InsufficientScope => (
                OAuthErrorCode::InsufficientScope,
                format!(", scope=\"{}\"", crate::oauth::resource::ACCOUNT_SCOPE),
            ),
            // RFC 9470 §3: `max_age` tells the client how recent a sign-in to ask for.
            Error::ReauthenticationRequired { max_age } => (
                OAuthErrorCode::InsufficientUserAuthentication,
                format!(", max_age=\"{max_age}\""),
            ),
            // RFC 9470 §3: `acr_values` names the authentication level to ask for.
            Error::MfaRequired { max_age } => (
                OAuthErrorCode::InsufficientUserAuthentication,
                format!(
                    ", acr_values=\"{}\", max_age=\"{max_age}\"",
                    crate::oauth::tokens::ACR_MULTI_FACTOR
                ),
            ),
            _ => return None,
        };
        Some(format!(
            "Bearer error=\"{}\", error_description=\"{}\"{extra}",
            error.as_str(),
            self.public_message()
        ))
    }
}

impl From<CeremonyError> for Error {
    fn from(err: CeremonyError) -> Self {
        Error::Ceremony(err)
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        Error::Store(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<Error> {
        [
            Error::MalformedBody("x".into()),
            Error::InvalidField("client_id"),
            Error::BodyTooLarge,
            Error::UnsupportedMediaType,
            Error::NoRoute,
            Error::MethodNotAllowed,
            Error::UnknownClient,
            Error::OriginNotAllowed {
                origin: "https://evil.example".into(),
            },
            Error::FlowNotFound,
            Error::InvalidCredentials,
            Error::SignUpRefused,
            Error::RegistrationDenied(None),
            Error::RegistrationDenied(Some("Use your work address.".into())),
            Error::PasswordRejected(PasswordRejected {
                problem: PasswordProblem::Common,
                min_length: 15,
            }),
            Error::TooManyAttempts,
            Error::Throttled,
            Error::Internal("d1 down".into()),
            Error::Store(StoreError::Unavailable("d1 down".into())),
            Error::Store(StoreError::Conflict),
            Error::RandomUnavailable,
            Error::Unauthorized,
            Error::InsufficientScope,
            Error::ReauthenticationRequired { max_age: 300 },
            Error::MfaRequired { max_age: 300 },
            Error::FactorCodeInvalid,
            Error::StepNotExpected,
            Error::FactorNotFound,
            Error::DeviceNotFound,
            Error::SessionNotFound,
            Error::ApplicationNotFound,
            Error::LastFactor,
            Error::FactorNotAllowed,
            Error::PasskeyNotFound,
            Error::LastSignInMethod,
            Error::CodeInvalid,
            Error::CodeExpired,
            Error::LinkExpired,
            Error::HumanCheckRequired,
            Error::HumanCheckFailed("timeout-or-duplicate".into()),
            Error::ConnectionNotFound,
            Error::FederationFailed("connection corp: WrongAudience".into()),
            Error::StateInvalid,
            Error::LinkProofRequired,
            Error::IdentityNotFound,
        ]
        .into_iter()
        .chain(CeremonyError::ALL.map(Error::Ceremony))
        .collect()
    }

    #[test]
    fn every_error_maps_to_a_client_or_unavailable_status_never_500() {
        for err in every_variant() {
            let status = err.status();
            assert!(
                (400..500).contains(&status) || status == 503,
                "{err:?} -> {status}"
            );
        }
    }

    #[test]
    fn response_body_carries_the_wire_code_and_no_internal_detail() {
        for err in every_variant() {
            let response = err.to_response();
            let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            assert_eq!(body["code"], err.code().as_str());
            let text = String::from_utf8(response.body).unwrap();
            assert!(!text.contains("d1 down"), "internal detail leaked: {text}");
            assert!(
                !text.contains("evil.example"),
                "caller input echoed: {text}"
            );
        }
    }

    #[test]
    fn rfc9470_3_an_old_sign_in_is_a_401_challenge_for_a_recent_one() {
        let response = Error::ReauthenticationRequired { max_age: 300 }.to_response();
        assert_eq!(response.status, 401);
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["code"], "reauthentication_required");
        let challenge = response.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with(
                "Bearer error=\"insufficient_user_authentication\", error_description=\""
            ),
            "{challenge}"
        );
        assert!(challenge.ends_with(", max_age=\"300\""), "{challenge}");
        let scope = Error::InsufficientScope.to_response();
        assert_eq!(scope.status, 403);
        assert!(scope
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"insufficient_scope\", error_description=\"The access token lacks the account scope.\", scope=\"account\""));
    }
}
