//! The admin API's errors (`/admin/v1/…`): one JSON shape, `{"code", "message"}` (and
//! `field` for a setting that breaks a rule), with stable codes, RFC 6750 challenges for
//! refused tokens, and nothing about the cause of a failure of ours.

use serde::Serialize;
use serde_json::{json, Value};

use crate::admin::AdminRefusal;
use crate::client_settings::Refusal;
use crate::http::{Request, Response, MAX_BODY_BYTES};
use crate::ports::StoreError;

/// The stable `code` of an admin API error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminErrorCode {
    /// The body is not JSON of the resource's shape (an unknown field, a wrong type).
    InvalidRequest,
    /// A setting breaks a registration rule; `field` names it.
    InvalidClientSettings,
    /// A connection setting breaks a rule; `field` names it.
    InvalidConnectionSettings,
    ConnectionNotFound,
    /// Another connection has this id.
    ConnectionExists,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthorized,
    InsufficientScope,
    /// RFC 9470: an administrator must sign in again (fresh, with their second factor).
    InsufficientUserAuthentication,
    ClientNotFound,
    /// Another client has this id.
    ClientExists,
    /// A public client has no secret to rotate.
    PublicClient,
    /// No live person has this id.
    UserNotFound,
    /// The path names no lifecycle action.
    UnknownAction,
    /// The action does not apply to the account in its present state.
    InvalidLifecycleTransition,
    /// The `client_id` names no registered client.
    UnknownClient,
    /// Too many emails to this address or from this caller lately.
    TooManyAttempts,
    /// The user has no identity at this connection.
    IdentityNotFound,
    /// No upstream tokens are kept for the identity.
    TokensNotHeld,
    /// The sign-in provider could not be asked, or answered neither tokens nor a refusal.
    UpstreamUnavailable,
    ServerError,
}

/// Why an admin clients call failed; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Malformed(String),
    Invalid(Refusal),
    InvalidConnection(Refusal),
    ConnectionNotFound,
    ConnectionExists,
    UnsupportedMediaType,
    TooLarge,
    Refused(AdminRefusal),
    NotFound,
    Exists,
    PublicClient,
    UserNotFound,
    UnknownAction,
    /// The action and the account's state.
    InvalidTransition(&'static str, &'static str),
    /// A parameter is missing or invalid (named in the message).
    MissingParameter(&'static str),
    UnknownClient,
    Throttled,
    /// A query parameter has a value the endpoint does not know (named in the message).
    InvalidParameter(&'static str),
    IdentityNotFound,
    TokensNotHeld,
    /// The detail is for the operators' log.
    Upstream(String),
    /// The detail is for the operators' log.
    Unavailable(String),
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        match err {
            StoreError::Conflict => Failure::Exists,
            StoreError::Unavailable(detail) => Failure::Unavailable(detail),
        }
    }
}

impl Failure {
    pub fn code(&self) -> AdminErrorCode {
        match self {
            Failure::Malformed(_) => AdminErrorCode::InvalidRequest,
            Failure::Invalid(_) => AdminErrorCode::InvalidClientSettings,
            Failure::InvalidConnection(_) => AdminErrorCode::InvalidConnectionSettings,
            Failure::ConnectionNotFound => AdminErrorCode::ConnectionNotFound,
            Failure::ConnectionExists => AdminErrorCode::ConnectionExists,
            Failure::UnsupportedMediaType => AdminErrorCode::UnsupportedMediaType,
            Failure::TooLarge => AdminErrorCode::PayloadTooLarge,
            Failure::Refused(AdminRefusal::InsufficientScope(_)) => {
                AdminErrorCode::InsufficientScope
            }
            Failure::Refused(AdminRefusal::InsufficientUserAuthentication) => {
                AdminErrorCode::InsufficientUserAuthentication
            }
            Failure::Refused(AdminRefusal::Unavailable(_)) | Failure::Unavailable(_) => {
                AdminErrorCode::ServerError
            }
            Failure::Refused(_) => AdminErrorCode::Unauthorized,
            Failure::NotFound => AdminErrorCode::ClientNotFound,
            Failure::Exists => AdminErrorCode::ClientExists,
            Failure::PublicClient => AdminErrorCode::PublicClient,
            Failure::UserNotFound => AdminErrorCode::UserNotFound,
            Failure::UnknownAction => AdminErrorCode::UnknownAction,
            Failure::InvalidTransition(..) => AdminErrorCode::InvalidLifecycleTransition,
            Failure::MissingParameter(_) => AdminErrorCode::InvalidRequest,
            Failure::UnknownClient => AdminErrorCode::UnknownClient,
            Failure::Throttled => AdminErrorCode::TooManyAttempts,
            Failure::InvalidParameter(_) => AdminErrorCode::InvalidRequest,
            Failure::IdentityNotFound => AdminErrorCode::IdentityNotFound,
            Failure::TokensNotHeld => AdminErrorCode::TokensNotHeld,
            Failure::Upstream(_) => AdminErrorCode::UpstreamUnavailable,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Failure::Malformed(_)
            | Failure::Invalid(_)
            | Failure::InvalidConnection(_)
            | Failure::MissingParameter(_)
            | Failure::InvalidParameter(_) => 400,
            Failure::IdentityNotFound | Failure::TokensNotHeld => 404,
            Failure::Upstream(_) => 502,
            Failure::ConnectionNotFound => 404,
            Failure::ConnectionExists => 409,
            Failure::UserNotFound | Failure::UnknownAction | Failure::UnknownClient => 404,
            Failure::InvalidTransition(..) => 409,
            Failure::Throttled => 429,
            Failure::UnsupportedMediaType => 415,
            Failure::TooLarge => 413,
            Failure::Refused(refusal) => refusal.status(),
            Failure::NotFound => 404,
            Failure::Exists | Failure::PublicClient => 409,
            Failure::Unavailable(_) => 503,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Malformed(reason) => {
                format!("The body does not have the resource's shape: {reason}")
            }
            Failure::Invalid(refusal) | Failure::InvalidConnection(refusal) => refusal.to_string(),
            Failure::ConnectionNotFound => "No connection has this id.".into(),
            Failure::ConnectionExists => "Another connection has this id.".into(),
            Failure::UnsupportedMediaType => "Send the body as application/json.".into(),
            Failure::TooLarge => "The request body is too large.".into(),
            Failure::Refused(refusal) => refusal.description(),
            Failure::NotFound => "No client has this id.".into(),
            Failure::Exists => "Another client has this id.".into(),
            Failure::PublicClient => "A public client has no secret.".into(),
            Failure::UserNotFound => "No user has this id.".into(),
            Failure::UnknownAction => "There is no such lifecycle action.".into(),
            Failure::InvalidTransition(action, status) => {
                format!("{action} does not apply to a user who is {status}.")
            }
            Failure::MissingParameter(name) => format!("The {name} parameter is required."),
            Failure::UnknownClient => "No client has this client_id.".into(),
            Failure::Throttled => "Too many emails lately; try again later.".into(),
            Failure::InvalidParameter(name) => {
                format!("The {name} parameter has a value this endpoint does not know.")
            }
            Failure::IdentityNotFound => "The user has no identity at this connection.".into(),
            Failure::TokensNotHeld => "No provider tokens are kept for this identity.".into(),
            Failure::Upstream(_) => "The sign-in provider did not answer as expected.".into(),
            Failure::Unavailable(_) => "The service is temporarily unavailable.".into(),
        }
    }

    pub fn response(&self) -> Response {
        let mut body = json!({"code": self.code(), "message": self.message()});
        if let Failure::Invalid(refusal) | Failure::InvalidConnection(refusal) = self {
            body["field"] = Value::String(refusal.field.into());
        }
        let response = Response::json(self.status(), &body);
        match self {
            Failure::Refused(refusal) => match refusal.challenge() {
                Some(challenge) => response.with_header("www-authenticate", &challenge),
                None => response,
            },
            _ => response,
        }
    }
}

/// RFC 7396: `patch` applied to `current` (a resource's settings as JSON) and read as
/// `T`; `null` removes a field, which then takes its default.
pub fn merge_patch<T: serde::de::DeserializeOwned>(
    current: impl Serialize,
    patch: &Value,
) -> Result<T, Failure> {
    let Value::Object(changes) = patch else {
        return Err(Failure::Malformed("a merge patch is a JSON object".into()));
    };
    let mut merged = serde_json::to_value(current)
        .map_err(|e| Failure::Unavailable(format!("resource json: {e}")))?;
    if let Value::Object(fields) = &mut merged {
        for (key, value) in changes {
            match value {
                Value::Null => fields.remove(key),
                value => fields.insert(key.clone(), value.clone()),
            };
        }
    }
    serde_json::from_value(merged).map_err(|e| Failure::Malformed(e.to_string()))
}

/// A JSON body of the admin API.
pub fn body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, Failure> {
    let content_type = request.header("content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(Failure::UnsupportedMediaType);
    }
    if request.body.len() > MAX_BODY_BYTES {
        return Err(Failure::TooLarge);
    }
    serde_json::from_slice(&request.body).map_err(|e| Failure::Malformed(e.to_string()))
}

/// The admin calling `request`, if its token holds `needed` (see [`crate::admin`]).
pub async fn authenticate(
    ports: &crate::ports::Ports<'_>,
    request: &Request,
    needed: crate::admin::AdminScope,
    context: &crate::events::RequestContext,
) -> Result<crate::admin::Admin, Failure> {
    crate::admin::authenticate(
        ports,
        request.self_origin.as_str(),
        request.header("authorization"),
        needed,
        context,
    )
    .await
    .map_err(Failure::Refused)
}

/// The response to an admin API call: never cached; a failure in the shape above, its
/// detail (if any) only in the operators' log.
pub fn respond(
    ports: &crate::ports::Ports<'_>,
    request: &Request,
    result: Result<Response, Failure>,
) -> Response {
    match result {
        Ok(response) => response.with_header("cache-control", "no-store"),
        Err(failure) => {
            if let Failure::Unavailable(detail)
            | Failure::Upstream(detail)
            | Failure::Refused(AdminRefusal::Unavailable(detail)) = &failure
            {
                ports
                    .diagnostics
                    .log(&format!("admin api {}: {detail}", request.path));
            }
            failure.response().with_header("cache-control", "no-store")
        }
    }
}
