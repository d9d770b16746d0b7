//! Password reset and account reminders by email, answered alike for every address.
//!
//! A reset token is 256 random bits, single use, valid 15 minutes, kept in the one-time
//! store. Setting the new password ends the account's SSO sessions and revokes every
//! token issued before it (`tokens_valid_after`), unless the deployment keeps them.

use portcullis_shared::api::{PasswordReset, RecoveryRequest};
use serde::{Deserialize, Serialize};

use super::templates::{self, SignInMethod};
use super::{deliver, RESET_TTL_SECONDS};
use crate::accounts;
use crate::address_proof::{self, ProvenBy};
use crate::attack::breached;
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::flows::{client_for, Caller};
use crate::one_time::OneTime;
use crate::passwords::hashing::{self, Cost};
use crate::ports::{Ports, UnixMillis};
use crate::users::{User, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ResetRecord {
    user_id: String,
    client_id: String,
    expires_at: UnixMillis,
}

/// Reset tokens: the emailed link's secret names its slot.
const RESETS: OneTime<ResetRecord> = OneTime::new("reset");

/// The active account at `request.email`, after the client, origin, address and send
/// limits are checked.
async fn recipient(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: &RecoveryRequest,
) -> Result<(crate::clients::Client, String, Option<User>), Error> {
    let client = client_for(ports, caller, &request.client_id).await?;
    let (email, user) = super::recipient(ports, &request.email, caller.context).await?;
    Ok((client, email, user))
}

/// `POST /v1/recovery/password`: emails a reset link (or, for an address without an
/// account, a note saying so). Returns the link's lifetime.
pub async fn request_reset(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: &RecoveryRequest,
) -> Result<u64, Error> {
    let (client, email, user) = recipient(ports, caller, request).await?;
    let words = caller.context.words();
    // The same storage work for every address, so that timing tells nothing: an unknown
    // address gets a token too, stored for nobody and never sent.
    let token = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let expires_at = ports.clock.now().plus_seconds(RESET_TTL_SECONDS);
    let record = ResetRecord {
        user_id: user.as_ref().map(|u| u.id.clone()).unwrap_or_default(),
        client_id: client.id.clone(),
        expires_at,
    };
    put(ports, &token, &record).await?;
    let event = match &user {
        Some(user) => EventSpec::user_success(
            types::RESET_PASSWORD,
            "User asked to reset their password",
            user,
            &client.id,
        ),
        None => EventSpec {
            event_type: types::RESET_PASSWORD,
            display_message: "User asked to reset their password",
            success: false,
            reason: Some("unknown user"),
            actor_id: None,
            actor_email: Some(&email),
            actor_name: None,
            client_id: Some(&client.id),
        },
    };
    events::record(ports, caller.context, event).await;
    let mail = match &user {
        Some(_) => {
            let link = reset_link(caller, &client, &token);
            templates::password_reset(&email, &client, &words, &link)
        }
        None => templates::recovery_no_account(&email, &client, &words),
    };
    deliver(ports, caller.context, &client.id, &mail).await;
    Ok(RESET_TTL_SECONDS)
}

/// The page where the holder of `token` chooses a password, in the caller's language.
fn reset_link(caller: Caller<'_>, client: &crate::clients::Client, token: &str) -> String {
    crate::oauth::authorization_response::with_query(
        &format!("{}/reset-password", caller.self_origin),
        &[
            ("token", token),
            ("client_id", &client.id),
            ("lang", caller.context.words().lang()),
        ],
    )
}

/// Emails `user`, just activated by an administrator, the link that sets their first
/// password as `client_id`'s (a reset link under a welcome; same lifetime, single use).
pub async fn welcome(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    client_id: &str,
    user: &User,
) -> Result<(), Error> {
    let client = client_for(ports, caller, client_id).await?;
    let token = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let record = ResetRecord {
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        expires_at: ports.clock.now().plus_seconds(RESET_TTL_SECONDS),
    };
    put(ports, &token, &record).await?;
    let link = reset_link(caller, &client, &token);
    let mail = templates::welcome(&user.email, &client, &caller.context.words(), &link);
    deliver(ports, caller.context, &client.id, &mail).await;
    Ok(())
}

async fn put(ports: &Ports<'_>, token: &str, record: &ResetRecord) -> Result<(), Error> {
    RESETS.put(ports, token, record, record.expires_at).await
}

/// `POST /v1/recovery/password/reset`: sets the new password with the emailed token.
/// A password the policy refuses leaves the token usable, so the person can choose
/// another.
pub async fn reset(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: &PasswordReset,
) -> Result<(), Error> {
    let now = ports.clock.now();
    let record = RESETS
        .take(ports, request.token.expose())
        .await?
        .ok_or(Error::LinkExpired)?;
    let user = ports
        .users
        .find_by_id(&record.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(Error::LinkExpired)?;
    let client = crate::client_lookup::find(ports, &record.client_id).await?;
    let checked = match accounts::check_new_password(request.password.expose(), &user.email) {
        Ok(normalized)
            if client
                .as_ref()
                .is_some_and(|c| c.protection.breached_password_check) =>
        {
            let chooser = breached::Chooser {
                user_id: Some(&user.id),
                email: &user.email,
                client_id: &record.client_id,
            };
            breached::check(ports, caller.context, &chooser, &normalized)
                .await
                .map(|()| normalized)
        }
        other => other,
    };
    let normalized = match checked {
        Ok(normalized) => normalized,
        Err(err) => {
            put(ports, request.token.expose(), &record).await?;
            return Err(err);
        }
    };
    let hash = hashing::hash(&normalized, Cost::OWASP, ports.random)
        .map_err(|e| Error::Internal(format!("password hash: {e:?}")))?;
    // The reset link reached the mailbox: the address is proven, by the mailbox alone,
    // so a first proof removes what was set before it (a pre-hijacked account).
    let by = ProvenBy::MailboxAlone;
    let (user, _) =
        address_proof::prove(ports, caller.context, &user, &record.client_id, by).await?;
    let revoke = ports.settings.reset_revokes_tokens;
    ports
        .users
        .set_password(&user.id, &hash, now, revoke)
        .await?;
    if revoke {
        ports.sessions.delete_for_user(&user.id).await?;
        crate::holders::sync(ports, &user.id).await?;
    }
    events::record(
        ports,
        caller.context,
        EventSpec::user_success(
            types::UPDATE_PASSWORD,
            "User reset their password",
            &user,
            &record.client_id,
        ),
    )
    .await;
    // A browser remembered before the reset may be the one the reset shuts out.
    let forgotten = match ports.risk.forget_devices(&user.id).await {
        Ok(forgotten) => forgotten,
        Err(err) => {
            let line = format!("reset: could not forget remembered devices: {err:?}");
            ports.diagnostics.log(&line);
            0
        }
    };
    if forgotten > 0 {
        events::record(
            ports,
            caller.context,
            EventSpec::user_success(
                types::DEVICES_FORGET,
                "Remembered devices forgotten after a password reset",
                &user,
                &record.client_id,
            ),
        )
        .await;
    }
    // A new password is a new way in: the owner hears of it, whoever set it.
    if let Some(client) = client {
        let words = caller.context.words();
        let mail = templates::method_added(&user.email, &client, &words, SignInMethod::Password);
        deliver(ports, caller.context, &client.id, &mail).await;
    }
    Ok(())
}

/// `POST /v1/recovery/account`: emails how the account at the address signs in (or
/// that there is none).
pub async fn remind(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: &RecoveryRequest,
) -> Result<u64, Error> {
    let (client, email, user) = recipient(ports, caller, request).await?;
    let words = caller.context.words();
    // The same lookup for an unknown address (of nobody's passkeys): timing tells nothing.
    let user_id = user.as_ref().map_or("", |u| u.id.as_str());
    let passkeys = ports.credentials.for_user(user_id).await?;
    let mail = match &user {
        Some(user) => {
            let (password, passkey) = (user.password_hash.is_some(), !passkeys.is_empty());
            templates::reminder(&email, &client, &words, password, passkey)
        }
        None => templates::recovery_no_account(&email, &client, &words),
    };
    deliver(ports, caller.context, &client.id, &mail).await;
    Ok(RESET_TTL_SECONDS)
}
