//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6).

use super::{
    invalid_grant, key_ring, refresh_token_for, respond, target, Failure, Incoming, TokenResponse,
};
use crate::clients::Client;
use crate::crypto::token::random_handle;
use crate::events::{self, types, EventSpec};
use crate::oauth::code::{self, CodeRecord};
use crate::oauth::grant::{Grant, GrantCommand, GrantPlace, GrantRef, RefreshState};
use crate::oauth::tokens::{Person, Subject};
use crate::ports::Ports;
use crate::users::UserStatus;

/// The authorization code request's own parameters.
pub(super) struct Redemption<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: &'a str,
    /// RFC 8707 §2.2 `resource`.
    pub resource: &'a [String],
}

pub(super) async fn exchange(
    ports: &Ports<'_>,
    incoming: &Incoming<'_>,
    client: &Client,
    redemption: Redemption<'_>,
) -> Result<TokenResponse, Failure> {
    let Redemption {
        code,
        redirect_uri,
        code_verifier,
        resource,
    } = redemption;
    let Some(record) = code::redeem(ports, code).await? else {
        return Err(reused_or_unknown(ports, code).await);
    };
    check(&record, client, redirect_uri, code_verifier)?;
    // Refused before the grant exists: the code is spent, and nothing came of it.
    let resource = target(incoming.issuer, resource, &record.scopes)?;
    let user = ports
        .users
        .find_by_id(&record.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(|| invalid_grant("The authorization code is invalid."))?;
    let ring = key_ring(ports).await?;

    let now = ports.clock.now();
    let random_failed = |_| Failure::unavailable("random source failed".into());
    let grant_id = random_handle(ports.random).map_err(random_failed)?;
    let wants_refresh = record.scopes.has("offline_access") && client.allows_grant("refresh_token");
    let (refresh, refresh_secret) = if wants_refresh {
        let issuing_key = random_handle(ports.random).map_err(random_failed)?;
        let fresh = random_handle(ports.random).map_err(random_failed)?;
        let (state, secret) = RefreshState::start(issuing_key, &fresh, now);
        (Some(state), Some(secret))
    } else {
        (None, None)
    };
    let reference = GrantRef::of(&grant_id);
    let grant = Grant {
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        scopes: record.scopes.clone(),
        auth_time: record.auth_time,
        amr: record.amr.clone(),
        created_at: now,
        expires_at: now.plus_seconds(client.refresh_token_ttl),
        revoked: false,
        refresh,
        holder: Some(crate::holders::with_groups(ports, &user).await?),
        place: Some(GrantPlace {
            country: ports.signals.signals().country.map(String::from),
            user_agent: incoming.context.user_agent.clone(),
        }),
    };
    ports.grants.create(reference.as_str(), &grant).await?;
    // Suspended while the grant was being made: the grant has heard, and so does the
    // client.
    let registered = crate::holders::register(ports, &reference, &grant).await?;
    if registered.ended > 0 {
        events::record(
            ports,
            incoming.context,
            EventSpec::user_success(
                types::TOKEN_REVOKE,
                "A new sign-in ended the person's oldest grant: they held the most allowed",
                &user,
                &client.id,
            ),
        )
        .await;
    }
    let holder = registered.holder;
    if holder.status != UserStatus::Active {
        return Err(invalid_grant("The authorization code is invalid.").into());
    }
    code::mark_spent(ports, code, &grant_id).await?;

    let subject = Subject {
        issuer: incoming.issuer,
        client,
        person: Some(Person {
            id: &user.id,
            holder: &holder,
        }),
        scopes: &record.scopes,
        resource,
        auth_time: Some(record.auth_time),
        amr: &record.amr,
        nonce: record.nonce.as_deref(),
        grant: Some(&reference),
        now,
    };
    let refresh_token = refresh_secret.map(|s| refresh_token_for(&grant_id, &s));
    let response = respond(ports, incoming.context, &ring, &subject, refresh_token).await?;
    events::record(
        ports,
        incoming.context,
        EventSpec::user_success(
            types::TOKEN_GRANT,
            "OAuth2 tokens granted for an authorization code",
            &user,
            &client.id,
        ),
    )
    .await;
    Ok(response)
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.6: the code was issued to this client, for this
/// redirect URI, and the verifier matches the challenge.
fn check(
    record: &CodeRecord,
    client: &Client,
    redirect_uri: Option<&str>,
    code_verifier: &str,
) -> Result<(), Failure> {
    if record.client_id != client.id {
        return Err(invalid_grant("The authorization code was issued to another client.").into());
    }
    if record.redirect_uri.as_deref() != redirect_uri {
        return Err(
            invalid_grant("The redirect_uri does not match the authorization request.").into(),
        );
    }
    if !record.code_challenge.verify(code_verifier) {
        return Err(invalid_grant("The code_verifier does not match the code_challenge.").into());
    }
    Ok(())
}

/// An unknown code; if it was redeemed before, revoke what that produced.
async fn reused_or_unknown(ports: &Ports<'_>, code: &str) -> Failure {
    let error = invalid_grant("The authorization code is invalid, expired or already used.");
    match code::take_spent(ports, code).await {
        Ok(Some(grant_id)) => {
            let revoked = ports
                .grants
                .apply(
                    GrantRef::of(&grant_id).as_str(),
                    &GrantCommand::Revoke { client_id: None },
                    ports.clock.now(),
                )
                .await;
            Failure::logged(
                error,
                format!(
                    "authorization code reused; grant revoked: {:?}",
                    revoked.is_ok()
                ),
            )
        }
        Ok(None) => error.into(),
        Err(err) => Failure::logged(error, format!("spent-code lookup failed: {err:?}")),
    }
}
