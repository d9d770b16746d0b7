//! The signed-in person's passkeys (`/v1/me/passkeys`): list, add, rename, delete.
//!
//! Changing how an account signs in is guarded more than anything else a token can do:
//!
//! - **Its own audience and scope.** Only a live access token (RFC 6750 bearer) for the
//!   account API (`aud` = `{issuer}/v1/me`, RFC 8707) with the `account` scope, from a
//!   page the token's client allows. Tokens for userinfo or a site's own APIs, which
//!   travel to backends and logs, are refused (see [`crate::oauth::resource`]).
//! - **A recent sign-in.** Every change (new passkey options, add, rename, delete)
//!   needs the token's `auth_time` within [`RECENT_SIGN_IN_SECONDS`]; an older sign-in is
//!   answered with an RFC 9470 step-up challenge, and the person signs in again. Reading
//!   the list changes nothing and needs only the token.
//! - **The owner hears of it.** A new passkey is announced by email to the account's
//!   address, so a passkey added by someone else does not go unnoticed.
//!
//! An account keeps at least one way to sign in: the last passkey of an account without
//! a password cannot be deleted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_shared::api::{PasskeyList, PasskeySummary};
use webauthn_rs_proto::{CreationChallengeResponse, RegisterPublicKeyCredential};

use super::sign_up::{creation_options, factor_event, verify_new_credential, NewPasskeyFor};
use super::{issue_challenge, Pending};
use crate::clients::Client;
use crate::email::templates::{self, SignInMethod};
use crate::error::Error;
use crate::events::{self, types, RequestContext};
use crate::oauth::keys;
use crate::oauth::resource::{Resource, ACCOUNT_SCOPE};
use crate::oauth::tokens::live_access_token_for;
use crate::oauth::userinfo::bearer_token;
use crate::ports::{Ports, StoreError, StoredCredential};
use crate::users::{User, UserStatus};
use crate::webauthn::CeremonyError;

/// How recent a sign-in must be to change how the account signs in (RFC 9470 `max_age`).
pub const RECENT_SIGN_IN_SECONDS: u64 = 5 * 60;

/// Who is calling the account API: the person and the client their token was issued to.
pub struct Account {
    pub user: User,
    pub client: Client,
    /// When the person last actively signed in (the token's `auth_time`, seconds).
    pub auth_time: Option<u64>,
    /// That sign-in proved more than one factor (the token's `acr`).
    pub multi_factor: bool,
    /// The grant the token was issued from (the session it belongs to), if any.
    pub grant: Option<crate::oauth::grant::GrantRef>,
}

impl Account {
    /// RFC 9470: a change needs a sign-in within [`RECENT_SIGN_IN_SECONDS`]; older (or
    /// unknown) asks for a new one.
    pub(crate) fn signed_in_recently(&self, ports: &Ports<'_>) -> Result<(), Error> {
        let now = ports.clock.now().as_seconds();
        match self.auth_time {
            Some(at) if now.saturating_sub(at) <= RECENT_SIGN_IN_SECONDS => Ok(()),
            _ => Err(Error::ReauthenticationRequired {
                max_age: RECENT_SIGN_IN_SECONDS,
            }),
        }
    }
}

/// The request as the account API sees it.
pub struct AccountRequest<'a> {
    pub issuer: &'a str,
    pub authorization: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub context: &'a RequestContext,
}

/// Checks the bearer token (its audience and scope) and the calling page; returns whose
/// passkeys these are.
pub async fn authenticate(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
) -> Result<Account, Error> {
    let token = bearer_token(request.authorization).ok_or(Error::Unauthorized)?;
    let ring = keys::load(ports)
        .await
        .map_err(|e| Error::Internal(format!("signing keys: {e:?}")))?;
    let live = live_access_token_for(ports, &ring, request.issuer, Resource::AccountApi, token)
        .await?
        .ok_or(Error::Unauthorized)?;
    if !crate::oauth::scope::has(&live.claims.scope, ACCOUNT_SCOPE) {
        return Err(Error::InsufficientScope);
    }
    let client = crate::client_lookup::find(ports, &live.claims.client_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    if !client.allows_origin(request.origin, request.issuer) {
        return Err(Error::OriginNotAllowed {
            origin: request.origin.unwrap_or_default().to_string(),
        });
    }
    // A client_credentials token names the client, not a person: no account. The
    // account API works on the person as stored, not as their grant keeps them.
    if live.holder.is_none() {
        return Err(Error::Unauthorized);
    }
    let user = ports
        .users
        .find_by_id(&live.claims.sub)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(Error::Unauthorized)?;
    Ok(Account {
        user,
        client,
        auth_time: live.claims.auth_time,
        multi_factor: live.claims.acr.as_deref() == Some(crate::oauth::tokens::ACR_MULTI_FACTOR),
        grant: live.claims.grant,
    })
}

/// `GET /v1/me/passkeys`.
pub async fn list(
    ports: &Ports<'_>,
    issuer: &str,
    account: &Account,
) -> Result<PasskeyList, Error> {
    let passkeys = ports.credentials.for_user(&account.user.id).await?;
    Ok(PasskeyList {
        rp_id: super::rp_id(ports, issuer),
        user_id: URL_SAFE_NO_PAD.encode(super::user_handle(&account.user.id)),
        name: account.user.email.clone(),
        display_name: display_name(&account.user).to_string(),
        passkeys: passkeys.iter().map(super::summary).collect(),
    })
}

fn display_name(user: &User) -> &str {
    user.name.as_deref().unwrap_or(&user.email)
}

/// `POST /v1/me/passkeys/options`: creation options for another passkey.
pub async fn options(
    ports: &Ports<'_>,
    issuer: &str,
    account: &Account,
) -> Result<CreationChallengeResponse, Error> {
    // Asked before the ceremony, so nobody makes a passkey the edge will then refuse.
    account.signed_in_recently(ports)?;
    let existing = ports.credentials.for_user(&account.user.id).await?;
    let pending = Pending::AddPasskey {
        user_id: account.user.id.clone(),
    };
    let challenge = issue_challenge(ports, &pending).await?;
    Ok(creation_options(
        challenge,
        NewPasskeyFor {
            rp_id: &super::rp_id(ports, issuer),
            rp_name: &account.client.name,
            user_id: &account.user.id,
            email: &account.user.email,
            display_name: display_name(&account.user),
            exclude: existing.iter().map(super::descriptor).collect(),
        },
    ))
}

/// `POST /v1/me/passkeys`: verifies and stores the new passkey.
pub async fn add(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    credential: &RegisterPublicKeyCredential,
) -> Result<PasskeySummary, Error> {
    account.signed_in_recently(ports)?;
    let rp = super::relying_party(ports, request.issuer, &account.client.allowed_origins);
    let (record, pending) = verify_new_credential(ports, &rp, credential).await?;
    match pending {
        Pending::AddPasskey { user_id } if user_id == account.user.id => {}
        _ => return Err(CeremonyError::MismatchedChallenge.into()),
    }
    let existing = ports.credentials.for_user(&account.user.id).await?;
    let now = ports.clock.now();
    let stored = StoredCredential {
        user_id: account.user.id.clone(),
        record,
        transports: super::transport_names(credential.response.transports.as_deref()),
        name: super::default_name(&existing),
        created_at: now,
        last_used_at: None,
    };
    match ports.credentials.create(&stored).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(CeremonyError::CredentialAlreadyRegistered.into()),
        Err(err) => return Err(err.into()),
    }
    let event = factor_event(types::FACTOR_ACTIVATE, &account.user, &account.client.id);
    events::record(ports, request.context, event).await;
    let words = request.context.words();
    let mail = templates::method_added(
        &account.user.email,
        &account.client,
        &words,
        SignInMethod::Passkey,
    );
    crate::email::deliver(ports, request.context, &account.client.id, &mail).await;
    Ok(super::summary(&stored))
}

fn credential_id(id: &str) -> Result<Vec<u8>, Error> {
    super::decode_credential_id(id).ok_or(Error::PasskeyNotFound)
}

/// `PATCH /v1/me/passkeys/{id}`.
pub async fn rename(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    id: &str,
    name: &str,
) -> Result<PasskeySummary, Error> {
    account.signed_in_recently(ports)?;
    let credential_id = credential_id(id)?;
    let name = super::clean_name(name)?;
    if !ports
        .credentials
        .rename(&account.user.id, &credential_id, &name)
        .await?
    {
        return Err(Error::PasskeyNotFound);
    }
    let event = factor_event(types::FACTOR_UPDATE, &account.user, &account.client.id);
    events::record(ports, request.context, event).await;
    let renamed = ports
        .credentials
        .find(&credential_id)
        .await?
        .ok_or(Error::PasskeyNotFound)?;
    Ok(super::summary(&renamed))
}

/// `DELETE /v1/me/passkeys/{id}`.
pub async fn delete(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    id: &str,
) -> Result<(), Error> {
    account.signed_in_recently(ports)?;
    let credential_id = credential_id(id)?;
    let passkeys = ports.credentials.for_user(&account.user.id).await?;
    if !passkeys.iter().any(|p| p.record.id == credential_id) {
        return Err(Error::PasskeyNotFound);
    }
    if passkeys.len() == 1
        && account.user.password_hash.is_none()
        && ports
            .connections
            .identities_for(&account.user.id)
            .await?
            .is_empty()
    {
        return Err(Error::LastSignInMethod);
    }
    // After a password, a passkey is a second factor: a client that requires one keeps
    // the account's last (see `mfa::account::remove`).
    if passkeys.len() == 1
        && account.client.mfa == crate::clients::MfaPolicy::Required
        && ports.factors.totp_for(&account.user.id).await?.is_empty()
    {
        return Err(Error::LastFactor);
    }
    if !ports
        .credentials
        .delete(&account.user.id, &credential_id)
        .await?
    {
        return Err(Error::PasskeyNotFound);
    }
    // A device was remembered for a second factor that may be the key removed.
    crate::mfa::remembered::forget_after_change(ports, &account.user.id).await;
    let event = factor_event(types::FACTOR_DEACTIVATE, &account.user, &account.client.id);
    events::record(ports, request.context, event).await;
    let words = request.context.words();
    let mail = templates::key_removed(&account.user.email, &account.client, &words);
    crate::email::deliver(ports, request.context, &account.client.id, &mail).await;
    Ok(())
}
