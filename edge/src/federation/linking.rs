//! Account linking: who a person is once a provider has vouched for them.
//!
//! A federated identity is `(connection, subject)`, never an email address. An identity
//! seen before signs in to the account it is linked to. A new identity whose address
//! belongs to an account is linked to it automatically only when the provider says the
//! address is verified, *and* the connection is trusted for the address's domain, *and*
//! the account's own address is verified; otherwise the person first signs in to that
//! account in the same flow and browser (password, passkey or emailed code), and only
//! then is the identity linked. A verified address nobody has gets a new account
//! (just-in-time creation), if the client's registration hook allows it.
//!
//! An address the provider did not verify is never matched to an account at all: the
//! person signs in to (or creates) an account in the flow, whether or not one has that
//! address, so the answer tells nobody whether it has an account.

use serde::{Deserialize, Serialize};

use super::id_token::Verified;
use super::identities;
use super::{Connection, ConnectionKind, FederatedIdentity};
use crate::accounts;
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::{Ports, StoreError};
use crate::profile;
use crate::users::{normalize_email, User, UserStatus};

/// An identity waiting for the person to sign in to the account it will be linked to,
/// in the same flow and the same browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub connection_id: String,
    pub subject: String,
    pub email: Option<String>,
    /// SHA-256 of the ticket the returning page was given: the steps that prove the
    /// account carry it (`Portcullis-Federation-Ticket`), so a flow handle alone (a
    /// hosted sign-in URL sent to someone else) cannot link an identity to their account.
    pub ticket_hash: String,
}

/// What the provider's answer means here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The person is this account's owner: linked before, linked now, or new.
    SignedIn(User),
    /// The person signs in to (or creates) the account to link first: an account has
    /// the address, or the provider did not verify it. (The ticket hash is filled in
    /// when the browser is sent back.)
    ProveFirst(PendingLink),
}

fn identity(
    ports: &Ports<'_>,
    connection_id: &str,
    subject: &str,
    user_id: &str,
    email: Option<&str>,
) -> Result<FederatedIdentity, Error> {
    let now = ports.clock.now();
    Ok(FederatedIdentity {
        id: random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?,
        connection_id: connection_id.to_string(),
        subject: subject.to_string(),
        user_id: user_id.to_string(),
        email: email.map(str::to_string),
        created_at: now,
        last_used_at: Some(now),
    })
}

async fn linked(ports: &Ports<'_>, context: &RequestContext, user: &User, client_id: &str) {
    events::record(
        ports,
        context,
        EventSpec::user_success(
            types::IDENTITY_LINK,
            "User linked an identity provider account",
            user,
            client_id,
        ),
    )
    .await;
}

/// The System Log event of a sign-in through a connection of `kind`.
fn sign_in_event(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Oidc => types::AUTH_VIA_IDP,
        ConnectionKind::Github | ConnectionKind::Microsoft | ConnectionKind::Apple => {
            types::AUTH_VIA_SOCIAL
        }
    }
}

/// Decides who signed in with `verified` at `connection` (see the module documentation).
pub async fn resolve(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    connection: &Connection,
    verified: &Verified,
) -> Result<Resolution, Error> {
    let now = ports.clock.now();
    let user = if let Some(known) = ports
        .connections
        .identity(&connection.id, &verified.subject)
        .await?
    {
        ports.connections.record_use(&known.id, now).await?;
        ports
            .users
            .find_by_id(&known.user_id)
            .await?
            .ok_or_else(|| Error::FederationFailed("identity of a missing account".into()))?
    } else {
        let email = verified
            .email
            .as_deref()
            .and_then(|e| normalize_email(e).ok())
            .ok_or_else(|| Error::FederationFailed("the provider gave no usable address".into()))?;
        let prove_first = || {
            Ok(Resolution::ProveFirst(PendingLink {
                connection_id: connection.id.clone(),
                subject: verified.subject.clone(),
                email: Some(email.clone()),
                ticket_hash: String::new(),
            }))
        };
        if !verified.email_verified {
            return prove_first();
        }
        match ports.users.find_by_email(&email).await? {
            // A STAGED or DEPROVISIONED account has nobody signing in yet: no
            // identity is linked to it by address alone.
            Some(local)
                if connection.trusts_email(&email)
                    && local.email_verified
                    && !matches!(local.status, UserStatus::Staged | UserStatus::Deactivated) =>
            {
                let new = identity(
                    ports,
                    &connection.id,
                    &verified.subject,
                    &local.id,
                    Some(&email),
                )?;
                ports.connections.link(&new).await.map_err(conflict)?;
                linked(ports, context, &local, client_id).await;
                identities::tell_owner(
                    ports,
                    context,
                    client_id,
                    &local,
                    &connection.id,
                    identities::Change::Linked,
                )
                .await;
                local
            }
            Some(_) => return prove_first(),
            None => {
                // The client's registration hook decides on a new account here as on
                // any other way of signing up.
                let additions =
                    accounts::screen(ports, context, client_id, &email, "federation").await?;
                let user = User {
                    profile: Default::default(),
                    id: random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?,
                    email: email.clone(),
                    email_verified: true,
                    name: additions.name,
                    given_name: additions.given_name,
                    family_name: additions.family_name,
                    external_id: None,
                    password_hash: None,
                    status: UserStatus::Active,
                    created_at: now,
                    updated_at: now,
                    last_login_at: Some(now),
                    tokens_valid_after: None,
                };
                let user = with_mapped_claims(ports, user, connection, verified);
                let new = identity(
                    ports,
                    &connection.id,
                    &verified.subject,
                    &user.id,
                    Some(&email),
                )?;
                ports
                    .connections
                    .create_user_with_identity(&user, &new)
                    .await
                    .map_err(conflict)?;
                events::record(
                    ports,
                    context,
                    EventSpec::user_success(
                        types::REGISTRATION,
                        "User created an account through an identity provider",
                        &user,
                        client_id,
                    ),
                )
                .await;
                linked(ports, context, &user, client_id).await;
                user
            }
        }
    };
    events::record(
        ports,
        context,
        EventSpec::user_success(
            sign_in_event(connection.kind),
            "User authenticated through an identity provider",
            &user,
            client_id,
        ),
    )
    .await;
    Ok(Resolution::SignedIn(user))
}

/// `user`, a new account, with the profile attributes the connection's claim mapping
/// fills from the provider's claims (over what the registration hook added). Each value
/// is checked as the profile schema checks a person's own; one that does not fit the
/// attribute is left out. Only a new account takes them: an existing account's profile
/// is its owner's, and what a provider says later (Apple's `user`, say, which nobody
/// signs) never changes it.
fn with_mapped_claims(
    ports: &Ports<'_>,
    mut user: User,
    connection: &Connection,
    verified: &Verified,
) -> User {
    for (attribute, claim) in connection.options.claim_mapping() {
        let Some(value) = verified.claims.get(claim) else {
            continue;
        };
        let change = serde_json::Map::from_iter([(attribute.to_string(), value.clone())]);
        match profile::apply(&user, &change, profile::Editor::Admin, ports.clock.now()) {
            Ok((changed, _)) => user = changed,
            Err(_) => ports.diagnostics.log(&format!(
                "federation: connection {}: claim {claim} does not fit {attribute}",
                connection.id
            )),
        }
    }
    user
}

/// Two sign-ins racing to link the same identity or create the same account: the loser
/// fails and starts again (and then finds what the winner made).
fn conflict(err: StoreError) -> Error {
    match err {
        StoreError::Conflict => Error::FederationFailed("linked or created concurrently".into()),
        other => Error::Store(other),
    }
}

/// Links `pending` to `user`, the account the person just signed in to in the flow
/// that came back from the provider (the caller checked it is the same browser).
pub async fn link_proven(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    pending: &PendingLink,
    user: &User,
) -> Result<(), Error> {
    let new = identity(
        ports,
        &pending.connection_id,
        &pending.subject,
        &user.id,
        pending.email.as_deref(),
    )?;
    match ports.connections.link(&new).await {
        // Linked meanwhile (the same person in two tabs): nothing more to do.
        Err(StoreError::Conflict) => Ok(()),
        Err(other) => Err(Error::Store(other)),
        Ok(()) => {
            linked(ports, context, user, client_id).await;
            identities::tell_owner(
                ports,
                context,
                client_id,
                user,
                &pending.connection_id,
                identities::Change::Linked,
            )
            .await;
            Ok(())
        }
    }
}
