//! Multi-factor authentication as policy: whether a sign-in needs a second factor is
//! decided in one function, [`requirement`], which every path that hands a person to a
//! client runs (interactive sign-in, silent SSO at `/authorize`).
//!
//! Its inputs: the client's policy ([`MfaPolicy`]), what the account has enrolled
//! ([`Enrolled`]), how the person authenticated so far (an [`Amr`]), whether the relying
//! party asked for a multi-factor authentication (`acr_values`, [`StepUp`]) and the
//! sign-in's [`Risk`].
//!
//! Factors: authenticator apps ([`totp`], RFC 6238) with single-use [`recovery`] codes as
//! their fallback, passkeys and security keys after a password, and, where the client
//! allows it, a code emailed to the account's verified address ([`email_code`]: a weaker
//! factor, which satisfies the client's own policy but never a relying party's request
//! for `mfa`). A passkey sign-in with user verification is multi-factor by itself
//! (RFC 8176 `mfa`), so it satisfies every policy.
//!
//! **Wrong codes are limited per account** ([`admit_code`]): counted before the code is
//! compared, so parallel guesses can't pass the limit; a right code takes its attempt
//! back. Past [`MAX_WRONG_CODES`] in [`CODE_WINDOW_SECONDS`], every code is refused,
//! whichever flow or browser it comes from. Only someone who has the account's first
//! factor gets this far.

pub mod account;
pub mod email_code;
pub mod notify;
pub mod qr;
pub mod recovery;
pub mod remembered;
pub mod totp;

use portcullis_shared::api::SecondFactorMethod;
use serde::{Deserialize, Serialize};

use crate::amr::Amr;
use crate::clients::{Client, MfaPolicy};
use crate::error::Error;
use crate::ports::Ports;
use crate::throttle::WINDOW_SECONDS;

/// Wrong second-factor codes an account takes per window before every code is refused.
pub const MAX_WRONG_CODES: u32 = 5;
/// The window of [`MAX_WRONG_CODES`].
pub const CODE_WINDOW_SECONDS: u64 = WINDOW_SECONDS;

/// How risky the sign-in looks. Only "not elevated" is produced today; risk signals
/// (new device, new country, bursts of failures) will feed [`Risk::Elevated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Risk {
    #[default]
    NotElevated,
    Elevated,
}

/// Whether the relying party asked for a multi-factor authentication (OIDC Core
/// §3.1.2.1 `acr_values` holding [`crate::oauth::tokens::ACR_MULTI_FACTOR`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepUp {
    #[default]
    NotAsked,
    MultiFactor,
}

impl StepUp {
    /// From a space-separated `acr_values` parameter.
    pub fn from_acr_values(acr_values: Option<&str>) -> StepUp {
        let asked = acr_values
            .unwrap_or_default()
            .split(' ')
            .any(|acr| acr == crate::oauth::tokens::ACR_MULTI_FACTOR);
        if asked {
            StepUp::MultiFactor
        } else {
            StepUp::NotAsked
        }
    }
}

/// The second factors an account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enrolled {
    pub authenticator_apps: usize,
    pub recovery_codes: u32,
    /// Passkeys and security keys: after a password, any of them is a second factor.
    pub security_keys: usize,
    /// The account's address is verified, so a code emailed there can reach its owner
    /// (a second factor only where the client allows it, see [`email_code`]).
    pub verified_email: bool,
}

impl Enrolled {
    /// What `user_id` has enrolled (the address's verification is not read: see
    /// [`Enrolled::with_verified_email`]).
    pub async fn of(ports: &Ports<'_>, user_id: &str) -> Result<Enrolled, Error> {
        Ok(Enrolled {
            authenticator_apps: ports.factors.totp_for(user_id).await?.len(),
            recovery_codes: ports.factors.recovery_codes_left(user_id).await?,
            security_keys: ports.credentials.for_user(user_id).await?.len(),
            verified_email: false,
        })
    }

    /// What `user` has enrolled, and whether their address is verified.
    pub async fn of_user(ports: &Ports<'_>, user: &crate::users::User) -> Result<Enrolled, Error> {
        Ok(Enrolled {
            verified_email: user.email_verified,
            ..Enrolled::of(ports, &user.id).await?
        })
    }

    /// Whether the account can prove a second factor. Recovery codes are the fallback
    /// of an authenticator app, not a factor of their own.
    pub fn any(&self) -> bool {
        self.authenticator_apps > 0 || self.security_keys > 0
    }

    /// The ways this account can prove a second factor to `client` after the
    /// authentication `so_far`, when the relying party asked for `step_up`, in the order
    /// they are offered.
    pub fn methods_for(
        &self,
        client: &Client,
        so_far: &Amr,
        step_up: StepUp,
    ) -> Vec<SecondFactorMethod> {
        let mut methods = self.methods();
        if email_code::allowed(client, self, so_far, step_up) {
            methods.push(SecondFactorMethod::EmailCode);
        }
        methods
    }

    /// The ways this account can prove a second factor of its own, in the order they are
    /// offered.
    pub fn methods(&self) -> Vec<SecondFactorMethod> {
        let mut methods = Vec::new();
        if self.authenticator_apps > 0 {
            methods.push(SecondFactorMethod::Totp);
        }
        if self.security_keys > 0 {
            methods.push(SecondFactorMethod::SecurityKey);
        }
        if self.authenticator_apps > 0 && self.recovery_codes > 0 {
            methods.push(SecondFactorMethod::RecoveryCode);
        }
        methods
    }
}

/// What a sign-in still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Nothing more: the sign-in may complete.
    Satisfied,
    /// Prove one of the enrolled factors.
    Challenge,
    /// Enrol a factor (the account has none), then the sign-in completes.
    Enrol,
}

/// The one MFA decision.
///
/// - A multi-factor authentication (a passkey with user verification, or a first factor
///   plus a second) satisfies everything.
/// - A password and a code emailed to the account's verified address satisfy a client
///   that allows email codes ([`email_code`]), unless the relying party asked for `mfa`.
/// - Otherwise a second factor is asked for when the relying party asked for one, the
///   client requires one, the client offers one and the account enrolled one, or the
///   risk is elevated (the client's adaptive setting chose to challenge it; an account
///   without a factor then answers with an emailed code instead, see `risk`).
/// - Asked of an account without a factor: enrol one if the relying party or the client
///   requires it (a client that allows email codes asks for one instead where the address
///   is verified); an optional client lets the sign-in through (there is nothing to ask).
pub fn requirement(
    client: &Client,
    enrolled: &Enrolled,
    authentication: &Amr,
    step_up: StepUp,
    risk: Risk,
) -> Requirement {
    if authentication.is_multi_factor() {
        return Requirement::Satisfied;
    }
    if email_code::accepted(client, enrolled, step_up)
        && email_code::proven_after_first_factor(authentication)
    {
        return Requirement::Satisfied;
    }
    let by_email = email_code::allowed(client, enrolled, authentication, step_up);
    let demanded = step_up == StepUp::MultiFactor || client.mfa == MfaPolicy::Required;
    let asked = demanded
        || risk == Risk::Elevated
        || match client.mfa {
            MfaPolicy::Off => false,
            MfaPolicy::Optional => enrolled.any(),
            MfaPolicy::Required => true,
        };
    match (asked, enrolled.any(), demanded) {
        (false, _, _) => Requirement::Satisfied,
        (true, true, _) => Requirement::Challenge,
        (true, false, true) if by_email => Requirement::Challenge,
        (true, false, true) => Requirement::Enrol,
        (true, false, false) => Requirement::Satisfied,
    }
}

/// A code attempt let through the per-account limit; [`Admitted::refund`] when it was
/// right.
#[must_use]
pub struct Admitted {
    key: String,
}

impl Admitted {
    /// Takes the attempt back: a right code does not count towards the limit.
    pub async fn refund(self, ports: &Ports<'_>) {
        let _ = ports.counters.decrement(&self.key, ports.clock.now()).await;
    }
}

/// The counter of `user_id`'s second-factor code attempts.
pub fn code_counter(user_id: &str) -> String {
    format!("mfa:{}", crate::crypto::sha256_hex(user_id))
}

/// Counts a second-factor code attempt for `user_id` before it is compared; past
/// [`MAX_WRONG_CODES`] in the window, [`Error::Throttled`].
pub async fn admit_code(ports: &Ports<'_>, user_id: &str) -> Result<Admitted, Error> {
    let key = code_counter(user_id);
    let count = ports
        .counters
        .increment(&key, CODE_WINDOW_SECONDS, ports.clock.now())
        .await?;
    if count > MAX_WRONG_CODES {
        return Err(Error::Throttled);
    }
    Ok(Admitted { key })
}

#[cfg(test)]
mod tests;
