//! A code emailed to the account's verified address as the second factor after a
//! password, where the client allows it (`email_second_factor`).
//!
//! **A weak second factor, and said so.** The code proves control of the mailbox, which
//! is also what resets the password: an attacker who holds the mailbox holds both
//! factors. So the tokens say what happened, RFC 8176 `pwd` and `otp`, without `mfa`, and
//! the `acr` stays the single-factor value. It satisfies the client's own policy (the
//! client chose to accept it: `required` without an app, `optional`, adaptive risk), never
//! a relying party that asked for `mfa` in `acr_values`, and never an account whose
//! address is not verified (the code would go to an address nobody has proven).
//!
//! **Bound to the flow and the account.** The code is kept under the flow's handle, in a
//! store apart from the flow's sign-in and verification codes (a second-factor code is no sign-in
//! code, and no sign-in code is a second factor), with the account it was sent for;
//! only the flow that waits on that account takes it. Ten minutes, single use, dead
//! after five wrong tries, a new code replaces the old one.
//!
//! **Throttled like an app's code.** Each try counts against the account's second-factor
//! limit ([`super::admit_code`], shared with app and recovery codes) before it is
//! compared, and against the address's emailed-code limits; sends count against the
//! address's limit of mails only a credential's holder can cause
//! ([`crate::email::throttle_proven`]), which is the resend limit.

use portcullis_shared::api::EmailSent;

use super::{Enrolled, StepUp};
use crate::amr::{Amr, Method};
use crate::clients::Client;
use crate::email::codes::{self, CODE_DIGITS};
use crate::email::{deliver, templates, Purpose, CODE_TTL_SECONDS};
use crate::error::Error;
use crate::events::RequestContext;
use crate::ports::Ports;
use crate::throttle::IpPrefix;
use crate::users::User;

/// Whether `client` takes an emailed code as the second factor of an account with
/// `enrolled` when the relying party asked for `step_up`.
pub fn accepted(client: &Client, enrolled: &Enrolled, step_up: StepUp) -> bool {
    client.email_second_factor && enrolled.verified_email && step_up == StepUp::NotAsked
}

/// Whether an emailed code may be asked for after the authentication `so_far`: where it
/// is [`accepted`], and not after a sign-in by emailed code (the mailbox would count
/// twice).
pub fn allowed(client: &Client, enrolled: &Enrolled, so_far: &Amr, step_up: StepUp) -> bool {
    accepted(client, enrolled, step_up) && !so_far.contains(Method::Otp)
}

/// Whether `amr` is a first factor (a password, or a sign-in provider) completed by an
/// emailed code: what [`allowed`] lets stand for a second factor.
pub fn proven_after_first_factor(amr: &Amr) -> bool {
    amr.contains(Method::Otp) && (amr.contains(Method::Pwd) || amr.contains(Method::Fed))
}

/// The authentication `first` completed by an emailed code: `otp` added, not `mfa`.
pub fn completes(first: Amr) -> Amr {
    first.with(Method::Otp)
}

/// Emails `user` a second-factor code for the flow `flow_id`, replacing an earlier one.
pub async fn send(
    ports: &Ports<'_>,
    context: &RequestContext,
    client: &Client,
    flow_id: &str,
    user: &User,
) -> Result<EmailSent, Error> {
    crate::email::throttle_proven(ports, &user.email, context).await?;
    let code = codes::issue(
        ports,
        flow_id,
        &user.email,
        Some(&user.id),
        Purpose::SecondFactor,
    )
    .await?;
    let mail = templates::sign_in(&user.email, client, &context.words(), &code);
    deliver(ports, context, &client.id, &mail).await;
    Ok(EmailSent {
        expires_in: CODE_TTL_SECONDS,
        code_length: CODE_DIGITS as u8,
    })
}

/// Checks `code` against the second-factor code of the flow `flow_id`, sent for
/// `user_id`: `code_invalid` (try again), `code_expired` (none live: ask for a new one),
/// or `too_many_attempts`.
pub async fn check(
    ports: &Ports<'_>,
    context: &RequestContext,
    flow_id: &str,
    user_id: &str,
    code: &str,
) -> Result<(), Error> {
    let ip = IpPrefix::of(context.ip_address.as_deref());
    let owner = codes::check_second_factor(ports, flow_id, code, ip).await?;
    // The flow now waits on another account than the one the code was sent to.
    if owner != user_id {
        return Err(Error::CodeExpired);
    }
    Ok(())
}
