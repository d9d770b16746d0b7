//! Email: one-time sign-in codes and links, address verification, password reset and
//! account reminders, all through the [`Mailer`](crate::ports::Mailer) port.
//!
//! - [`codes`]: 6-digit codes bound to a flow (constant-time compare, five tries, ten
//!   minutes).
//! - [`recovery`]: password reset and account reminders.
//! - [`templates`]: the messages, plain text and HTML.
//!
//! Every send is limited per recipient and per [`IpPrefix`] whether or not an account
//! exists, counted before anything is sent (see [`throttle`]), and a failed send is
//! logged, never told to the caller: the answer to "email me" is the same for every
//! address.

pub mod codes;
pub mod recovery;
pub mod templates;

use serde::{Deserialize, Serialize};

use crate::crypto::sha256_hex;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::{Mail, Ports};
use crate::throttle::IpPrefix;
use crate::users::{normalize_email, User, UserStatus};

/// How long emailed codes and sign-in or verification links work.
pub const CODE_TTL_SECONDS: u64 = 600;
/// How long a password-reset link works.
pub const RESET_TTL_SECONDS: u64 = 900;
/// Emails per recipient address per window.
pub const MAX_PER_ADDRESS: u32 = 5;
/// Emails per IP prefix per window.
pub const MAX_PER_IP: u32 = 30;
pub const WINDOW_SECONDS: u64 = 15 * 60;

/// What an emailed code or link proves when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Sign in by email (passwordless).
    SignIn,
    /// Verify the account's address (then sign in, for a flow that waits on it).
    Verify,
    /// The second factor of a sign-in that proved a password (see
    /// [`crate::mfa::email_code`]); never a sign-in or a verification by itself.
    SecondFactor,
    /// Prove a new address for a signed-in account (`/v1/me/email`); never signs in.
    ChangeEmail,
}

/// Counts a send against the caller's IP prefix and the recipient, and refuses it past
/// either limit. Counted before anything is sent and decided by the count returned, so
/// concurrent requests can't all slip under a limit. The IP prefix comes first: a request
/// refused for its origin does not use up the address's sends. Applied to every address
/// alike, so it tells nothing about accounts.
pub async fn throttle(ports: &Ports<'_>, to: &str, context: &RequestContext) -> Result<(), Error> {
    limit_send(ports, "mail:to", to, context).await
}

/// [`throttle`] for the mail that finishes a sign-in already proven by the account's
/// password or a passkey, or that confirms a new account's address: counted per address
/// apart from the sends anyone may ask for ("email me a code", resets), so that asking
/// for those can't use up the code the owner of an account under attack needs (see
/// [`crate::throttle`]). Only someone holding the account's credential can cause these.
pub async fn throttle_proven(
    ports: &Ports<'_>,
    to: &str,
    context: &RequestContext,
) -> Result<(), Error> {
    limit_send(ports, "mail:proven-to", to, context).await
}

async fn limit_send(
    ports: &Ports<'_>,
    per_address: &str,
    to: &str,
    context: &RequestContext,
) -> Result<(), Error> {
    let now = ports.clock.now();
    let ip = IpPrefix::of(context.ip_address.as_deref());
    let limits = [
        (format!("mail:ip:{}", ip.key()), MAX_PER_IP),
        (format!("{per_address}:{}", sha256_hex(to)), MAX_PER_ADDRESS),
    ];
    for (key, limit) in &limits {
        if ports.counters.increment(key, WINDOW_SECONDS, now).await? > *limit {
            return Err(Error::Throttled);
        }
    }
    Ok(())
}

/// The address `raw` normalised, counted against the send limits, and its active
/// account if there is one.
pub async fn recipient(
    ports: &Ports<'_>,
    raw: &str,
    context: &RequestContext,
) -> Result<(String, Option<User>), Error> {
    let email = normalize_email(raw).map_err(|_| Error::InvalidField("email"))?;
    throttle(ports, &email, context).await?;
    let user = ports
        .users
        .find_by_email(&email)
        .await?
        .filter(|u| u.status == UserStatus::Active);
    Ok((email, user))
}

/// Sends `mail`. A transport failure is logged (operators' log and System Log) and
/// otherwise swallowed: the caller's answer must not depend on it.
pub async fn deliver(ports: &Ports<'_>, context: &RequestContext, client_id: &str, mail: &Mail) {
    if let Err(err) = ports.mailer.send(mail).await {
        ports
            .diagnostics
            .log(&format!("mail to a recipient failed: {}", err.0));
        events::record(
            ports,
            context,
            EventSpec {
                event_type: types::EMAIL_SEND,
                display_message: "Email could not be sent",
                success: false,
                reason: Some(&err.0),
                actor_id: None,
                actor_email: Some(&mail.to),
                actor_name: None,
                client_id: Some(client_id),
            },
        )
        .await;
    }
}

/// `count` uniformly random decimal digits.
pub(crate) fn digits(
    random: &dyn crate::ports::SecureRandom,
    count: usize,
) -> Result<String, Error> {
    let mut out = String::with_capacity(count);
    while out.len() < count {
        let mut byte = [0u8; 1];
        random
            .fill(&mut byte)
            .map_err(|_| Error::RandomUnavailable)?;
        // 250 = 25 × 10: rejecting 250–255 keeps every digit equally likely.
        if byte[0] < 250 {
            out.push(char::from(b'0' + byte[0] % 10));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
