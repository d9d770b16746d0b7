//! The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) and its
//! validation, in the order RFC 6749 §4.1.2.1 requires: until the client and its
//! redirect URI are established, errors are shown to the person and never redirected
//! (an open redirector otherwise); after that they go back to the client.

use portcullis_shared::oauth::OAuthErrorCode;

use super::pkce::{ChallengeError, CodeChallenge};
use crate::clients::Client;
use crate::mfa::StepUp;
use crate::oauth::scope::Scopes;

/// Scopes this deployment knows. Clients may be restricted further. `account` is the
/// account API's (see [`crate::oauth::resource`]); `groups` asks for the groups claim
/// (see [`crate::oauth::groups_claim`]), `roles` for the roles claim (see
/// [`crate::oauth::custom_claims`]). A client's custom claim scopes add to these for it
/// ([`Client::supports_person_scope`]).
pub const SUPPORTED_SCOPES: [&str; 9] = [
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
    "account",
    "groups",
    "roles",
];

const MAX_STATE_LEN: usize = 2048;
const MAX_NONCE_LEN: usize = 512;
const MAX_LOGIN_HINT_LEN: usize = 320;
const MAX_UI_LOCALES_LEN: usize = 200;
const MAX_ACR_VALUES_LEN: usize = 512;

/// OIDC Core §3.1.2.1 `prompt`, reduced to what changes behaviour here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Never show a sign-in page: use the existing session or fail with `login_required`.
    None,
    /// Ask the person to sign in again even with a session (`login`, `select_account`).
    Login,
}

/// A request that passed every check, ready for sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// Exactly as registered and as sent (RFC 9700 §2.1: exact string matching).
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: CodeChallenge,
    pub prompt: Option<Prompt>,
    /// OIDC Core §3.1.2.1: seconds since the last active sign-in that are acceptable.
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// OIDC Core §3.1.2.1: the person's preferred languages, space-separated BCP 47 tags,
    /// handed to the hosted sign-in page, whose widget shows the first it speaks.
    pub ui_locales: Option<String>,
    /// OIDC Core §3.1.2.1 `acr_values`: whether a multi-factor sign-in was asked for.
    /// Values this provider does not know are ignored (they are voluntary claims).
    pub step_up: StepUp,
}

impl AuthorizationRequest {
    /// Whether an ID token is asked for (the `openid` scope, OIDC Core §3.1.2.1).
    pub fn is_openid(&self) -> bool {
        self.scopes.has("openid")
    }
}

/// A refused authorization request, and where the refusal goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// RFC 6749 §4.1.2.1: the client or redirect URI is missing, invalid or mismatched.
    /// Tell the person; do not redirect.
    ShowError { reason: &'static str },
    /// Redirect to the client with `error`, `error_description`, `state` and `iss`
    /// (RFC 9207).
    Redirect {
        redirect_uri: String,
        error: OAuthErrorCode,
        description: &'static str,
        state: Option<String>,
    },
}

/// Request parameters as decoded from the query string, in order, repeats kept.
pub type Params = [(String, String)];

/// The single value of `name`; `Err(())` when it is repeated (RFC 6749 §3.1: "MUST NOT
/// be included more than once").
/// The first value of parameter `name`, if present and not empty (RFC 6749 §3.1:
/// "Parameters sent without a value MUST be treated as if they were omitted").
pub fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn single<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, ()> {
    let mut values = params
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    match values.next() {
        Some(_) => Err(()),
        None => Ok(first.filter(|v| !v.is_empty())),
    }
}

/// Step one: the `client_id`, to look the client up with.
pub fn client_id(params: &Params) -> Result<String, Rejection> {
    match single(params, "client_id") {
        Ok(Some(id)) if id.len() <= 128 => Ok(id.to_string()),
        Ok(Some(_)) => Err(Rejection::ShowError {
            reason: "The client_id is not valid.",
        }),
        Ok(None) => Err(Rejection::ShowError {
            reason: "The request has no client_id.",
        }),
        Err(()) => Err(Rejection::ShowError {
            reason: "The client_id is repeated.",
        }),
    }
}

/// Step two: everything else, for a registered `client`.
pub fn validate(params: &Params, client: &Client) -> Result<AuthorizationRequest, Rejection> {
    // RFC 6749 §3.1.2.3 and RFC 9700 §2.1: the redirect URI must be present (OIDC Core
    // §3.1.2.1 requires it) and equal to a registered one, character for character.
    let redirect_uri = match single(params, "redirect_uri") {
        Ok(Some(uri)) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_string(),
        Ok(Some(_)) => {
            return Err(Rejection::ShowError {
                reason: "The redirect_uri is not registered for this client.",
            })
        }
        Ok(None) => {
            return Err(Rejection::ShowError {
                reason: "The request has no redirect_uri.",
            })
        }
        Err(()) => {
            return Err(Rejection::ShowError {
                reason: "The redirect_uri is repeated.",
            })
        }
    };

    // From here on, errors go back to the client. `state` first, so they can carry it.
    let state = single(params, "state").ok().flatten().map(str::to_string);
    let refuse = |error: OAuthErrorCode, description: &'static str| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    let invalid = |description| refuse(OAuthErrorCode::InvalidRequest, description);

    for name in [
        "state",
        "response_type",
        "scope",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
        "login_hint",
        "ui_locales",
        "acr_values",
        "response_mode",
    ] {
        if single(params, name).is_err() {
            return Err(invalid("A parameter is repeated."));
        }
    }
    let get = |name: &str| single(params, name).ok().flatten();

    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(invalid("The state is too long."));
    }
    match get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                OAuthErrorCode::UnsupportedResponseType,
                "Only response_type=code is supported.",
            ))
        }
        None => return Err(invalid("The request has no response_type.")),
    }
    if !matches!(get("response_mode"), None | Some("query")) {
        return Err(invalid("Only response_mode=query is supported."));
    }

    let scopes = crate::oauth::scope::Scopes::parse(get("scope").unwrap_or_default());
    if scopes.is_empty() {
        return Err(refuse(
            OAuthErrorCode::InvalidScope,
            "The request has no scope.",
        ));
    }
    if !client.allowed_scopes.covers(&scopes) {
        return Err(refuse(
            OAuthErrorCode::InvalidScope,
            "A requested scope is unknown or not allowed for this client.",
        ));
    }

    let code_challenge = CodeChallenge::parse(get("code_challenge"), get("code_challenge_method"))
        .map_err(|e| {
            invalid(match e {
                ChallengeError::Missing => {
                    "PKCE is required: send code_challenge with code_challenge_method=S256."
                }
                ChallengeError::UnsupportedMethod => {
                    "Only code_challenge_method=S256 is supported."
                }
                ChallengeError::Malformed => {
                    "The code_challenge is not a base64url SHA-256 digest."
                }
            })
        })?;

    let nonce = get("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(invalid("The nonce is too long."));
    }

    let prompt = match get("prompt") {
        None => None,
        Some(value) => parse_prompt(value).map_err(|()| invalid("The prompt is not valid."))?,
    };

    let max_age = match get("max_age") {
        None => None,
        Some(value) => Some(
            value
                .parse::<u64>()
                .map_err(|_| invalid("The max_age is not a non-negative integer."))?,
        ),
    };

    let login_hint = get("login_hint").map(str::to_string);
    if login_hint
        .as_ref()
        .is_some_and(|h| h.chars().count() > MAX_LOGIN_HINT_LEN)
    {
        return Err(invalid("The login_hint is too long."));
    }
    // Only tags reach the sign-in page; anything else is ignored, as OIDC allows.
    let ui_locales = get("ui_locales")
        .filter(|tags| tags.len() <= MAX_UI_LOCALES_LEN)
        .filter(|tags| {
            tags.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
        })
        .map(str::to_string);

    let acr_values = get("acr_values");
    if acr_values.is_some_and(|a| a.len() > MAX_ACR_VALUES_LEN) {
        return Err(invalid("The acr_values are too long."));
    }

    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri,
        scopes,
        state,
        nonce,
        code_challenge,
        prompt,
        max_age,
        login_hint,
        ui_locales,
        step_up: StepUp::from_acr_values(acr_values),
    })
}

/// OIDC Core §3.1.2.1: a space-delimited list of `none`, `login`, `consent`,
/// `select_account`; `none` must stand alone. First-party clients need no consent
/// screen, so `consent` changes nothing.
fn parse_prompt(value: &str) -> Result<Option<Prompt>, ()> {
    let values: Vec<&str> = value.split(' ').filter(|v| !v.is_empty()).collect();
    if values.contains(&"none") {
        return if values.len() == 1 {
            Ok(Some(Prompt::None))
        } else {
            Err(())
        };
    }
    let mut prompt = None;
    for v in values {
        match v {
            "login" | "select_account" => prompt = Some(Prompt::Login),
            "consent" => {}
            _ => return Err(()),
        }
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests;
