//! Token introspection (RFC 7662) for confidential clients (resource servers).
//!
//! A token is active only while the provider would still honour it: its grant is live,
//! and the person it names passes the same checks as at refresh (the client's policy,
//! no password reset since it was issued). Anything else is `{"active": false}`.

use portcullis_shared::oauth::OAuthErrorCode;
use serde::Serialize;

use crate::clients::ClientType;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::oauth::authorization_request::Params;
use crate::oauth::grant::{GrantCommand, GrantRef, GrantReply};
use crate::oauth::keys;
use crate::oauth::token::{authenticate_client, split_refresh_token, token_parameter, Failure};
use crate::oauth::token_request::TokenError;
use crate::oauth::tokens::live_access_token;
use crate::policy;
use crate::ports::{Ports, StoreError};
use crate::users::Holder;

/// RFC 7662 §2.2. An inactive token is `{"active": false}` and nothing else.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Handles `POST /introspect`.
pub async fn handle(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
    params: &Params,
) -> Result<Introspection, Failure> {
    let client = authenticate_client(ports, authorization, None, issuer, params).await?;
    // §2.1: the endpoint is for protected resources, which can authenticate.
    if client.client_type != ClientType::Confidential {
        return Err(TokenError::new(
            OAuthErrorCode::InvalidClient,
            "Introspection requires client authentication.",
        )
        .into());
    }
    let token = token_parameter(params)?;
    let now = ports.clock.now();

    if let Some((grant_id, secret)) = split_refresh_token(token) {
        let GrantReply::Active { grant } = ports
            .grants
            .apply(GrantRef::of(grant_id).as_str(), &GrantCommand::Get, now)
            .await?
        else {
            return Ok(Introspection::default());
        };
        let current = grant
            .refresh
            .as_ref()
            .is_some_and(|r| constant_time_eq(&sha256_hex(secret), &r.current_hash));
        if !current {
            return Ok(Introspection::default());
        }
        // What refresh would check: the grant, live, has checked the person's standing
        // and any reset since it began; the client's policy remains.
        let holder = crate::holders::of_grant(ports, &grant).await?;
        let since_reset = holder
            .as_ref()
            .is_some_and(|h| h.accepts_grant_from(grant.created_at));
        if !since_reset || !admitted(ports, &grant.client_id, holder.as_ref()).await? {
            return Ok(Introspection::default());
        }
        return Ok(Introspection {
            active: true,
            scope: Some(grant.scopes.to_string()),
            client_id: Some(grant.client_id),
            sub: Some(grant.user_id),
            token_type: Some("refresh_token"),
            exp: Some(grant.expires_at.as_seconds()),
            iat: None,
            iss: Some(issuer.to_string()),
            aud: None,
            jti: None,
        });
    }

    let ring = keys::load(ports).await?;
    // `live_access_token` has checked the grant and any reset since the token was minted.
    let Some(live) = live_access_token(ports, &ring, issuer, token).await? else {
        return Ok(Introspection::default());
    };
    let claims = live.claims;
    // A token minted from a grant names a person, who must still be admitted; one without
    // (client credentials) names its client.
    if claims.grant.is_some() && !admitted(ports, &claims.client_id, live.holder.as_ref()).await? {
        return Ok(Introspection::default());
    }
    Ok(Introspection {
        active: true,
        scope: Some(claims.scope),
        client_id: Some(claims.client_id),
        sub: Some(claims.sub),
        token_type: Some("Bearer"),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        iss: Some(claims.iss),
        aud: Some(claims.aud),
        jti: Some(claims.jti),
    })
}

/// Whether the token's client still admits the person it names ([`policy::admits`], as
/// refresh checks): a suspended person's tokens are not active.
async fn admitted(
    ports: &Ports<'_>,
    client_id: &str,
    user: Option<&Holder>,
) -> Result<bool, StoreError> {
    let Some(user) = user else {
        return Ok(false);
    };
    let Some(client) = crate::client_lookup::find(ports, client_id).await? else {
        return Ok(false);
    };
    Ok(policy::admits(&client, user).is_ok())
}
