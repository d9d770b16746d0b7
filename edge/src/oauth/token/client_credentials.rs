//! The client credentials grant (RFC 6749 §4.4): a confidential client gets an access
//! token for itself, for API access. No refresh token (§4.4.3), no ID token.

use portcullis_shared::oauth::OAuthErrorCode;

use super::{key_ring, respond, target, Failure, Incoming, TokenResponse};
use crate::clients::{Client, ClientType};
use crate::oauth::scope::Scopes;
use crate::oauth::token_request::TokenError;
use crate::oauth::tokens::Subject;
use crate::ports::Ports;

/// Scopes that only make sense with a person signing in: every scope this deployment
/// defines (a client's own tokens carry only its API scopes).
const USER_SCOPES: [&str; 9] = crate::oauth::authorization_request::SUPPORTED_SCOPES;

pub(super) async fn exchange(
    ports: &Ports<'_>,
    incoming: &Incoming<'_>,
    client: &Client,
    scope: Option<Scopes>,
    resource: &[String],
) -> Result<TokenResponse, Failure> {
    if client.client_type != ClientType::Confidential {
        return Err(TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            "Only confidential clients may use client_credentials.",
        )
        .into());
    }
    let api_scopes = client
        .allowed_scopes
        .iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()) && !client.has_custom_claim_scope(s));
    let scopes: Scopes = match scope {
        None => api_scopes.cloned().collect(),
        Some(requested) => {
            let allowed: Scopes = api_scopes.cloned().collect();
            if !allowed.covers(&requested) {
                return Err(TokenError::new(
                    OAuthErrorCode::InvalidScope,
                    "A requested scope is unknown or not allowed for this client.",
                )
                .into());
            }
            requested
        }
    };
    // The account API has no account for a client: only the issuer's resources.
    let resource = target(incoming.issuer, resource, &scopes)?;
    let ring = key_ring(ports).await?;
    let subject = Subject {
        issuer: incoming.issuer,
        client,
        person: None,
        scopes: &scopes,
        resource,
        auth_time: None,
        amr: &crate::amr::Amr::default(),
        nonce: None,
        grant: None,
        now: ports.clock.now(),
    };
    respond(ports, incoming.context, &ring, &subject, None).await
}
