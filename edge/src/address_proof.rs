//! Proof of an address wipes what came before it: the defence against pre-hijacked
//! accounts (Sudhodanan & Paverd, "Pre-hijacked accounts", USENIX Security 2022).
//!
//! Anyone can sign up with an address they do not own and set a password or a passkey.
//! If the owner later proves the address by a way that did not start from that
//! credential (an emailed sign-in code or link, a password reset), the planted
//! credential must not survive on the now-verified account. So the first proof of an
//! address that does not come from the credential's holder removes every password,
//! passkey, session and token created before it, records
//! `user.account.reset_credentials` in the System Log, and tells the owner.
//!
//! A proof that *does* come from the credential's holder (the code typed in the very
//! flow where the password or passkey was just used) keeps the credential: the same
//! person holds both.

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::Ports;
use crate::users::User;

/// How the address was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvenBy {
    /// In the flow where the account's credential was just used: the code typed after a
    /// password or passkey sign-in (verification before a client that requires it).
    CredentialHolder,
    /// By the mailbox alone: an emailed sign-in code or link, a password reset link.
    MailboxAlone,
}

/// What proving the address did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Proof {
    /// Credentials, sessions and tokens set before the address was proven were removed.
    pub credentials_removed: bool,
}

/// Marks `user`'s address proven; on a first proof by the mailbox alone, removes what
/// was set before it. Returns the user as it is now.
pub async fn prove(
    ports: &Ports<'_>,
    context: &RequestContext,
    user: &User,
    client_id: &str,
    by: ProvenBy,
) -> Result<(User, Proof), Error> {
    if user.email_verified {
        return Ok((user.clone(), Proof::default()));
    }
    let now = ports.clock.now();
    let passkeys = ports.credentials.for_user(&user.id).await?;
    let apps = ports.factors.totp_for(&user.id).await?;
    let identities = ports.connections.identities_for(&user.id).await?;
    let had_credentials = user.password_hash.is_some()
        || !passkeys.is_empty()
        || !apps.is_empty()
        || !identities.is_empty();
    let wipe = by == ProvenBy::MailboxAlone && had_credentials;
    if wipe {
        for passkey in &passkeys {
            ports
                .credentials
                .delete(&user.id, &passkey.record.id)
                .await?;
        }
        // Second factors too: an authenticator app planted beside a password would
        // otherwise be asked of the owner, who never had it.
        // A provider's identity that came with an address it did not verify is a
        // credential planted before the proof like any other.
        for identity in &identities {
            ports.connections.unlink(&user.id, &identity.id).await?;
        }
        for app in &apps {
            ports.factors.delete_totp(&user.id, &app.id).await?;
        }
        ports
            .factors
            .replace_recovery_codes(&user.id, &[], now)
            .await?;
        ports.factors.forget_device_tokens(&user.id).await?;
        ports.users.reset_credentials(&user.id, now).await?;
        ports.sessions.delete_for_user(&user.id).await?;
    }
    ports.users.set_email_verified(&user.id, now).await?;
    crate::holders::sync(ports, &user.id).await?;
    events::record(
        ports,
        context,
        EventSpec::user_success(
            types::EMAIL_VERIFY,
            "User verified their email address",
            user,
            client_id,
        ),
    )
    .await;
    if wipe {
        events::record(
            ports,
            context,
            EventSpec::user_success(
                types::RESET_CREDENTIALS,
                "Credentials set before the address was proven were removed",
                user,
                client_id,
            ),
        )
        .await;
    }
    let user = User {
        email_verified: true,
        password_hash: if wipe {
            None
        } else {
            user.password_hash.clone()
        },
        tokens_valid_after: if wipe {
            Some(now)
        } else {
            user.tokens_valid_after
        },
        ..user.clone()
    };
    Ok((
        user,
        Proof {
            credentials_removed: wipe,
        },
    ))
}
