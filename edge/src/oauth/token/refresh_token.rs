//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2); the state machine is [`crate::oauth::grant`].

use portcullis_shared::oauth::OAuthErrorCode;

use super::{
    invalid_grant, invalid_target, key_ring, refresh_token_for, respond, split_refresh_token,
    target, Failure, Incoming, TokenResponse,
};
use crate::clients::Client;
use crate::crypto::token::random_handle;
use crate::events::{self, types, EventSpec};
use crate::oauth::grant::{GrantCommand, GrantRef, GrantReply};
use crate::oauth::resource::{Resource, TargetError, ACCOUNT_SCOPE};
use crate::oauth::scope::Scopes;
use crate::oauth::token_request::TokenError;
use crate::oauth::tokens::{Person, Subject};
use crate::policy;
use crate::ports::Ports;
use crate::users::Holder;

pub(super) async fn exchange(
    ports: &Ports<'_>,
    incoming: &Incoming<'_>,
    client: &Client,
    refresh_token: &str,
    scope: Option<Scopes>,
    resource: &[String],
) -> Result<TokenResponse, Failure> {
    let invalid = || invalid_grant("The refresh token is invalid, expired or revoked.");
    let (grant_id, presented) = split_refresh_token(refresh_token).ok_or_else(invalid)?;
    let reference = GrantRef::of(grant_id);
    // RFC 8707 §2.2: a token for the account API carries `account` and nothing else. It
    // is asked of the grant as a narrower scope, so that a grant without it refuses
    // before rotating: the presented refresh token stays the current one.
    let named = Resource::requested(incoming.issuer, resource).map_err(invalid_target)?;
    let for_account = named == Some(Resource::AccountApi);
    let scope = if for_account {
        let wanted = scope.unwrap_or_else(|| Scopes::parse(ACCOUNT_SCOPE));
        let narrowed = Resource::AccountApi.scopes(&wanted);
        if narrowed.is_empty() {
            return Err(invalid_target(TargetError::NotGranted));
        }
        Some(narrowed)
    } else {
        scope
    };
    let fresh = random_handle(ports.random)
        .map_err(|_| Failure::unavailable("random source failed".into()))?;
    let command = GrantCommand::Rotate {
        client_id: client.id.clone(),
        presented: presented.to_string(),
        fresh,
        scopes: scope.clone(),
    };
    let now = ports.clock.now();
    let (secret, grant) = match ports
        .grants
        .apply(reference.as_str(), &command, now)
        .await?
    {
        GrantReply::Rotated {
            refresh_secret,
            grant,
        } => (refresh_secret, grant),
        GrantReply::InvalidScope if for_account => {
            return Err(invalid_target(TargetError::NotGranted))
        }
        GrantReply::InvalidScope => {
            return Err(TokenError::new(
                OAuthErrorCode::InvalidScope,
                "The requested scope exceeds the original grant.",
            )
            .into())
        }
        GrantReply::ReuseDetected { grant } => {
            events::record(
                ports,
                incoming.context,
                EventSpec {
                    event_type: types::REFRESH_REUSE,
                    display_message: "A rotated refresh token was reused; the grant is revoked",
                    success: false,
                    reason: Some("refresh token reuse"),
                    actor_id: Some(&grant.user_id),
                    actor_email: None,
                    actor_name: None,
                    client_id: Some(&grant.client_id),
                },
            )
            .await;
            return Err(invalid().into());
        }
        _ => return Err(invalid().into()),
    };
    // The same client policy as at sign-in, and no password reset since the grant began,
    // on the person as the grant keeps them (a grant stored before grants kept their
    // person reads them from the user store).
    let holder = crate::holders::of_grant(ports, &grant).await?;
    let honoured =
        |h: &Holder| policy::admits(client, h).is_ok() && h.accepts_grant_from(grant.created_at);
    let Some(holder) = holder.filter(honoured) else {
        let revoke = GrantCommand::Revoke { client_id: None };
        let _ = ports.grants.apply(reference.as_str(), &revoke, now).await;
        return Err(invalid().into());
    };
    let scopes = scope.unwrap_or_else(|| grant.scopes.clone());
    let resource = target(incoming.issuer, resource, &scopes)?;
    let ring = key_ring(ports).await?;
    let subject = Subject {
        issuer: incoming.issuer,
        client,
        person: Some(Person {
            id: &grant.user_id,
            holder: &holder,
        }),
        scopes: &scopes,
        resource,
        auth_time: Some(grant.auth_time),
        amr: &grant.amr,
        // OIDC Core §12.2: a refreshed ID token SHOULD NOT carry a nonce.
        nonce: None,
        grant: Some(&reference),
        now,
    };
    respond(
        ports,
        incoming.context,
        &ring,
        &subject,
        Some(refresh_token_for(grant_id, &secret)),
    )
    .await
}
