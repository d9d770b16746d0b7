//! `POST /v1/me/email` and `POST /v1/me/email/confirm`: the signed-in person changes the
//! address their account signs in with.
//!
//! - **A recent sign-in.** The address receives sign-in codes and password resets, so
//!   changing it changes how the account signs in: asking for the change needs a token
//!   whose sign-in is recent (RFC 9470 step-up otherwise).
//! - **Proven before it replaces the old one.** A six-digit code goes to the new address
//!   (the email code rules: ten minutes, five tries, tries counted per address and IP
//!   prefix before the compare); only that code, sent back by the same person with the
//!   change's handle, makes the change. The new address is kept with the change on the
//!   edge, never taken from the confirming request, so a code for one address can't set
//!   another. The change is single use (an atomic take), and it applies only while the
//!   account still has the address it was asked from: of two changes raced, the first
//!   confirmed wins and the other is answered `code_expired`.
//! - **No account enumeration.** An address that already belongs to another account gets
//!   the same answer and the same work: a change is issued with a code that matches
//!   nothing, and the address's owner is told someone tried (no code is sent to them).
//! - **The old address is told.** Once the change is made the old address gets a notice,
//!   so a change made by someone else does not go unnoticed.
//! - **Sessions and tokens.** The person's sessions and tokens stay valid (the change was
//!   asked with a recent sign-in and proven from the new mailbox); every grant of theirs
//!   hears of the new address before the answer, so the next refresh, userinfo and
//!   introspection carry it, verified. The change is a `user.account.update_primary_email`
//!   event.

use portcullis_shared::api::{EmailChangeStarted, EmailChanged};
use serde::{Deserialize, Serialize};

use crate::email::{codes, templates, Purpose, CODE_TTL_SECONDS};
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::one_time::OneTime;
use crate::passkeys::account::{Account, AccountRequest};
use crate::ports::{Ports, StoreError};
use crate::throttle::IpPrefix;
use crate::time::UnixMillis;
use crate::users::{normalize_email, User};

/// How many times the change is written again when the person changed concurrently.
const ATTEMPTS: usize = 3;

/// A change asked for and not yet proven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingChange {
    user_id: String,
    /// The address the account had when the change was asked.
    from: String,
    /// The new address (normalised).
    to: String,
}

/// The pending changes, named by their handles (the code of each is kept under the same
/// handle by [`codes`]).
const CHANGES: OneTime<PendingChange> = OneTime::new("email-change");

/// `POST /v1/me/email`: sends a code to `new_address` and answers the change's handle.
pub async fn request(
    ports: &Ports<'_>,
    me: &AccountRequest<'_>,
    account: &Account,
    new_address: &str,
) -> Result<EmailChangeStarted, Error> {
    account.signed_in_recently(ports)?;
    let user = &account.user;
    let to = normalize_email(new_address).map_err(|_| Error::InvalidField("email"))?;
    if to == user.email {
        return Err(Error::InvalidField("email"));
    }
    crate::email::throttle(ports, &to, me.context).await?;
    // Any status: a suspended account's address is not free either.
    let taken = ports.users.find_by_email(&to).await?.is_some();
    let change = PendingChange {
        user_id: user.id.clone(),
        from: user.email.clone(),
        to: to.clone(),
    };
    let expires_at = ports.clock.now().plus_seconds(CODE_TTL_SECONDS);
    let handle = CHANGES.issue(ports, &change, expires_at).await?;
    // For a taken address the code is issued for nobody: no code can match it, and
    // checking one behaves as any wrong code does.
    let owner = (!taken).then_some(user.id.as_str());
    let code = codes::issue(ports, &handle, &to, owner, Purpose::ChangeEmail).await?;
    let words = me.context.words();
    let mail = if taken {
        templates::email_change_taken(&to, &account.client, &words)
    } else {
        templates::email_change_code(&to, &account.client, &words, &code)
    };
    crate::email::deliver(ports, me.context, &account.client.id, &mail).await;
    Ok(EmailChangeStarted {
        change_id: handle,
        expires_in: CODE_TTL_SECONDS,
    })
}

/// `POST /v1/me/email/confirm`: checks the code of `change_id` and makes the change.
///
/// `code_invalid` for a wrong code that may be tried again; `code_expired` for a change
/// that is not there (unknown, used, expired, another person's, superseded by another
/// change) or whose address was taken meanwhile.
pub async fn confirm(
    ports: &Ports<'_>,
    me: &AccountRequest<'_>,
    account: &Account,
    change_id: &str,
    code: &str,
) -> Result<EmailChanged, Error> {
    // Another person's change is not there for this one: nothing of it is touched.
    let pending = CHANGES
        .peek(ports, change_id)
        .await?
        .filter(|c| c.user_id == account.user.id)
        .ok_or(Error::CodeExpired)?;
    let ip = IpPrefix::of(me.context.ip_address.as_deref());
    let (proven_for, purpose) = codes::check(ports, change_id, code, ip).await?;
    if purpose != Purpose::ChangeEmail || proven_for != account.user.id {
        return Err(Error::CodeExpired);
    }
    // Of concurrent confirmations of one change, one gets it.
    let change = CHANGES
        .take(ports, change_id)
        .await?
        .filter(|c| *c == pending)
        .ok_or(Error::CodeExpired)?;
    let changed = apply(ports, &account.user, &change).await?;
    let spec = EventSpec::user_success(
        types::UPDATE_PRIMARY_EMAIL,
        "A person changed their email address",
        &changed,
        &account.client.id,
    );
    events::record(ports, me.context, spec).await;
    let words = me.context.words();
    let notice = templates::email_changed(&change.from, &account.client, &words);
    crate::email::deliver(ports, me.context, &account.client.id, &notice).await;
    Ok(EmailChanged {
        email: changed.email,
        email_verified: changed.email_verified,
    })
}

/// Writes the new address on the person as stored, while they still have the address the
/// change was asked from; passes it to their grants. Returns the person as saved.
async fn apply(ports: &Ports<'_>, user: &User, change: &PendingChange) -> Result<User, Error> {
    let mut current = user.clone();
    for _ in 0..ATTEMPTS {
        if current.email != change.from {
            return Err(Error::CodeExpired);
        }
        let now = ports.clock.now();
        let changed = User {
            email: change.to.clone(),
            email_verified: true,
            updated_at: now.max(UnixMillis(current.updated_at.0 + 1)),
            ..current.clone()
        };
        match ports.directory.update(&changed, current.updated_at).await {
            Ok(true) => {
                crate::holders::sync(ports, &changed.id).await?;
                return Ok(changed);
            }
            Ok(false) => {}
            // The address was given to another account since the code was sent.
            Err(StoreError::Conflict) => return Err(Error::CodeExpired),
            Err(err) => return Err(err.into()),
        }
        current = ports
            .users
            .find_by_id(&user.id)
            .await?
            .ok_or(Error::Unauthorized)?;
    }
    Err(Error::Internal(
        "email change: the person kept changing".into(),
    ))
}

#[cfg(test)]
mod tests;
