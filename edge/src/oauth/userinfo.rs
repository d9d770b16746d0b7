//! The UserInfo endpoint (OIDC Core §5.3), protected by our access tokens (RFC 6750)
//! for the issuer's own resources (`aud` = the issuer): tokens for the account API are
//! refused here, as this endpoint's tokens are refused there.

use portcullis_shared::oauth::OAuthErrorCode;
use serde::Serialize;

use crate::http::Response;
use crate::oauth::keys;
use crate::oauth::resource::Resource;
use crate::oauth::tokens::live_access_token_for;
use crate::ports::Ports;

/// OIDC Core §5.1 standard claims we hold, released by scope (§5.4).
#[derive(Debug, Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The profile's standard claims the token's scopes release (§5.4).
    #[serde(flatten)]
    pub profile: std::collections::BTreeMap<String, serde_json::Value>,
}

/// RFC 6750 §3: a 401 with `WWW-Authenticate` naming the problem.
pub fn bearer_error(status: u16, error: OAuthErrorCode, description: &str) -> Response {
    Response::json(
        status,
        &serde_json::json!({"error": error.as_str(), "error_description": description}),
    )
    .with_header(
        "www-authenticate",
        &format!(
            "Bearer error=\"{}\", error_description=\"{description}\"",
            error.as_str()
        ),
    )
}

/// The bearer token of an `Authorization` header (RFC 6750 §2.1).
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Handles `GET`/`POST /userinfo`.
pub async fn handle(ports: &Ports<'_>, issuer: &str, authorization: Option<&str>) -> Response {
    let Some(token) = bearer_token(authorization) else {
        return Response::empty(401).with_header("www-authenticate", "Bearer");
    };
    let invalid = || {
        bearer_error(
            401,
            OAuthErrorCode::InvalidToken,
            "The access token is invalid or expired.",
        )
    };
    let unavailable = |what: String| {
        ports.diagnostics.log(&format!("userinfo: {what}"));
        Response::json(
            503,
            &serde_json::json!({"error": "temporarily_unavailable"}),
        )
    };
    let ring = match keys::load(ports).await {
        Ok(ring) => ring,
        Err(err) => return unavailable(format!("{err:?}")),
    };
    let live = live_access_token_for(ports, &ring, issuer, Resource::Issuer, token).await;
    let (claims, holder) = match live {
        Ok(Some(live)) => (live.claims, live.holder),
        Ok(None) => return invalid(),
        Err(err) => return unavailable(format!("{err:?}")),
    };
    if !crate::oauth::scope::has(&claims.scope, "openid") {
        return bearer_error(
            403,
            OAuthErrorCode::InsufficientScope,
            "The access token lacks the openid scope.",
        );
    }
    // The person as their grant keeps them: `live_access_token_for` has checked they are
    // active. A token without a person (client credentials) has no userinfo.
    let Some(user) = holder else {
        return invalid();
    };
    let email = crate::oauth::scope::has(&claims.scope, "email");
    let profile = crate::profile::claims(&user, |s| crate::oauth::scope::has(&claims.scope, s));
    let info = UserInfo {
        sub: claims.sub,
        email: email.then_some(user.email),
        email_verified: email.then_some(user.email_verified),
        profile,
    };
    Response::json(200, &info)
}
