//! A person deletes their own account (`DELETE /v1/me`), with a grace period.
//!
//! - **A recent sign-in.** Like every change to how an account signs in, asking for
//!   deletion needs a token whose sign-in is recent (RFC 9470 step-up otherwise).
//! - **Tokens die at once.** The request ends every session and kills every token and
//!   grant issued so far (`tokens_valid_after`), so whoever holds a stolen token loses it
//!   with the account; the person can still sign in during the grace period.
//! - **A grace period, cancelled only by the emailed link.** The owner's address gets a
//!   link (`/account/cancel-deletion?token=…`); the token is random, kept only as its
//!   SHA-256, and single use (an atomic `DELETE … RETURNING`). Opening the link shows a
//!   button; only pressing it cancels, so a mail scanner that follows links cancels
//!   nothing. Asking again replaces the schedule and the link.
//! - **Erasure through the administrators' path.** Once the grace period
//!   ([`Settings::account_deletion_grace_seconds`](crate::ports::Settings)) has passed,
//!   the Cron Trigger's run ([`erase_due`]) erases the account with
//!   [`crate::lifecycle::erase`], as SCIM and the admin API do: personal data gone, the
//!   pseudonymous id kept in the System Log with `user.lifecycle.delete.completed`.
//!   Each deletion is claimed atomically, so two runs never erase one account twice.

use serde::Serialize;

use crate::crypto::sha256_hex;
use crate::crypto::token::random_handle;
use crate::email::templates;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::http::Response;
use crate::i18n::Words;
use crate::lifecycle;
use crate::pages::{self, escape};
use crate::passkeys::account::{Account, AccountRequest};
use crate::ports::{Ports, ScheduledDeletion, StoreError};
use crate::users::UserStatus;

/// The grace period when the deployment sets none: a week.
pub const DEFAULT_GRACE_SECONDS: u64 = 7 * 24 * 60 * 60;

/// How many due deletions one scheduled run erases (the rest wait for the next run).
pub const ERASED_PER_RUN: usize = 50;

/// The path of the emailed cancel link.
pub const CANCEL_PATH: &str = "/account/cancel-deletion";

/// `DELETE /v1/me`: the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletionScheduled {
    pub status: &'static str,
    /// When the account will be erased (Unix seconds).
    pub due_at: u64,
}

/// `DELETE /v1/me`: schedules the erasure, kills every token and session, emails the
/// cancel link.
pub async fn request(
    ports: &Ports<'_>,
    me: &AccountRequest<'_>,
    account: &Account,
) -> Result<DeletionScheduled, Error> {
    account.signed_in_recently(ports)?;
    let user = &account.user;
    let now = ports.clock.now();
    let token = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let grace_ms = ports
        .settings
        .account_deletion_grace_seconds
        .saturating_mul(1000);
    let deletion = ScheduledDeletion {
        user_id: user.id.clone(),
        requested_at: now,
        due_at: crate::time::UnixMillis(now.0.saturating_add(grace_ms)),
        cancel_token_hash: sha256_hex(&token),
        client_id: account.client.id.clone(),
    };
    ports.deletions.schedule(&deletion).await?;
    if !ports
        .directory
        .update(&revoked(user, now), user.updated_at)
        .await?
    {
        // Changed by another request meanwhile: revoke on the current version.
        let current = ports
            .users
            .find_by_id(&user.id)
            .await?
            .ok_or(Error::Unauthorized)?;
        if !ports
            .directory
            .update(&revoked(&current, now), current.updated_at)
            .await?
        {
            return Err(Error::Store(StoreError::Conflict));
        }
    }
    // The person's grants answer refresh, userinfo and introspection: they hear of the
    // cut-off before the deletion is reported scheduled.
    crate::holders::sync(ports, &user.id).await?;
    lifecycle::end_sessions(ports, &user.id).await?;
    let words = me.context.words();
    let link = format!(
        "{}{CANCEL_PATH}?token={token}&lang={}",
        me.issuer,
        words.lang()
    );
    let mail = templates::deletion_scheduled(&user.email, &account.client, &words, &link);
    crate::email::deliver(ports, me.context, &account.client.id, &mail).await;
    let spec = EventSpec::user_success(
        types::USER_DELETE_REQUESTED,
        "A person asked for their account to be deleted",
        user,
        &account.client.id,
    );
    events::record(ports, me.context, spec).await;
    Ok(DeletionScheduled {
        status: "scheduled",
        due_at: deletion.due_at.as_seconds(),
    })
}

/// The account with every token and grant issued so far dead. Tokens carry their
/// issue time in whole seconds and one minted in the cut-off's second is accepted (see
/// [`crate::users::Holder::accepts_token_issued_at`]), so the cut-off is the start of the
/// next second: the token that asked for the deletion dies with the rest.
fn revoked(user: &crate::users::User, now: crate::time::UnixMillis) -> crate::users::User {
    let mut revoked = lifecycle::changed(user, user.status, true, now);
    revoked.tokens_valid_after = Some(crate::time::UnixMillis((now.0 / 1000 + 1) * 1000));
    revoked
}

/// `GET /account/cancel-deletion?token=…`: a button that cancels (opening the link
/// alone changes nothing).
pub fn cancel_form(words: &Words, token: &str) -> Response {
    let body = format!(
        "<p>{lead}</p><form method=post action=\"{CANCEL_PATH}\">\
         <input type=hidden name=token value=\"{token}\">\
         <input type=hidden name=lang value=\"{lang}\">\
         <button type=submit>{button}</button></form>",
        lead = escape(&words.get("delete.page-lead")),
        token = escape(token),
        lang = escape(words.lang()),
        button = escape(&words.get("delete.keep")),
    );
    pages::page(words, 200, &words.get("delete.page-title"), &body)
}

/// `POST /account/cancel-deletion`: the link's token, used once.
pub async fn cancel(
    ports: &Ports<'_>,
    context: &RequestContext,
    words: &Words,
    token: &str,
) -> Result<Response, Error> {
    let Some(cancelled) = ports.deletions.cancel(&sha256_hex(token)).await? else {
        let body = format!("<p>{}</p>", escape(&words.get("delete.expired")));
        return Ok(pages::page(
            words,
            400,
            &words.get("page.expired-title"),
            &body,
        ));
    };
    if let Some(user) = ports.users.find_by_id(&cancelled.user_id).await? {
        let spec = EventSpec::user_success(
            types::USER_DELETE_CANCELLED,
            "A person cancelled the deletion of their account",
            &user,
            &cancelled.client_id,
        );
        events::record(ports, context, spec).await;
    }
    let body = format!("<p>{}</p>", escape(&words.get("delete.cancelled")));
    Ok(pages::page(
        words,
        200,
        &words.get("delete.page-title"),
        &body,
    ))
}

/// The Cron Trigger's run: erases the accounts whose grace period has passed; how many.
pub async fn erase_due(ports: &Ports<'_>, context: &RequestContext) -> Result<usize, Error> {
    let now = ports.clock.now();
    let mut erased = 0;
    for due in ports.deletions.due(now, ERASED_PER_RUN).await? {
        if !ports.deletions.claim_due(&due.user_id, now).await? {
            continue; // cancelled or claimed by another run meanwhile
        }
        let Some(user) = ports.users.find_by_id(&due.user_id).await? else {
            continue;
        };
        if user.status == UserStatus::Deprovisioned {
            continue;
        }
        let gone = lifecycle::erase(ports, &user).await?;
        // Pseudonymous: the id, no address or name.
        let spec = EventSpec {
            event_type: types::USER_DELETE,
            display_message: "A person's account was deleted at their request",
            success: true,
            reason: None,
            actor_id: Some(&gone.id),
            actor_email: None,
            actor_name: None,
            client_id: Some(&due.client_id),
        };
        events::record(ports, context, spec).await;
        erased += 1;
    }
    Ok(erased)
}

#[cfg(test)]
mod tests;
