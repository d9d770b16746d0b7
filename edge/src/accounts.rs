//! Password sign-up and sign-in (NIST SP 800-63B-4), without account enumeration.
//!
//! Sign-in answers an unknown email, a wrong password and a suspended account the same
//! way, after the same Argon2id work (a dummy hash when there is no account). Every
//! attempt is counted before the password is checked, and past the limits it is refused
//! unchecked; when the account is under attack a correct password asks for a second
//! proof rather than signing in (see [`throttle`]).
//!
//! Sign-up of an address that already has an account: if the password is that account's
//! password, the person is simply signed in; otherwise the answer is the generic
//! "these details can't be used" refusal. Until email verification exists, a person who
//! does not know an account's password can therefore tell that its address is taken;
//! sign-in never tells.

use portcullis_shared::api::{PasswordProblem, PasswordRejected};

use crate::attack::{breached, turnstile};
use crate::clients::Protection;
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::hooks::inline::{screen_registration, ProfileAdditions, Registration};
use crate::passwords::blocklist::FuseBlocklist;
use crate::passwords::hashing::{self, Cost, Verification};
use crate::passwords::policy::{self, Rejection};
use crate::ports::{Ports, StoreError};
use crate::throttle::{self, Failures, IpPrefix};
use crate::users::{normalize_email, User, UserStatus};

/// Longest password sign-in will hash; longer input is refused after equivalent work.
const MAX_SIGN_IN_PASSWORD_BYTES: usize = 4 * policy::MAX_LEN;

/// Who is signing in, for the System Log, and what the client asks of them.
pub struct Attempt<'a> {
    pub client_id: &'a str,
    pub context: &'a RequestContext,
    pub protection: Protection,
    /// The Turnstile token the request carried, if any.
    pub turnstile_token: Option<&'a str>,
}

fn password_event<'a>(
    success: bool,
    reason: Option<&'a str>,
    user: Option<&'a User>,
    typed_email: &'a str,
    client_id: &'a str,
) -> EventSpec<'a> {
    EventSpec {
        event_type: types::AUTH_VIA_PASSWORD,
        display_message: "User authentication via password",
        success,
        reason,
        actor_id: user.map(|u| u.id.as_str()),
        actor_email: Some(user.map_or(typed_email, |u| u.email.as_str())),
        actor_name: None,
        client_id: Some(client_id),
    }
}

/// `user.registration.create`: a success without `failure`, otherwise a failure with
/// that reason (for administrators only).
pub(crate) fn registration_event<'a>(
    failure: Option<&'a str>,
    user_id: Option<&'a str>,
    email: &'a str,
    client_id: &'a str,
) -> EventSpec<'a> {
    EventSpec {
        event_type: types::REGISTRATION,
        display_message: "User registration",
        success: failure.is_none(),
        reason: failure,
        actor_id: user_id,
        actor_email: Some(email),
        actor_name: None,
        client_id: Some(client_id),
    }
}

/// A correct password, and whether it is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: User,
    /// The account is under attack: the flow must also prove the person holds the
    /// account's address (an emailed code) before it completes.
    pub needs_second_proof: bool,
    /// Recent failures on the account and from the IP prefix, for the risk assessment.
    pub failures: Failures,
}

/// Checks email and password; on success records the sign-in and returns the user.
pub async fn sign_in(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    email: &str,
    password: &str,
) -> Result<SignedIn, Error> {
    let normalized = policy::normalize(password);
    // The limits count what was typed, so an implausible address is limited too.
    let (typed, plausible) = match normalize_email(email) {
        Ok(email) => (email, true),
        Err(_) => (email.trim().to_lowercase(), false),
    };
    let ip = IpPrefix::of(attempt.context.ip_address.as_deref());
    // Counted before anything is looked up or hashed: concurrent guesses each get their
    // own count, so no more than the limit are ever checked.
    let admitted = throttle::admit(ports, &typed, ip).await?;
    // Under attack, a client with the human check asks for one before any password is
    // tried: the same for every address, so it tells nothing about which have accounts.
    if admitted.needs_second_proof && attempt.protection.human_check {
        let token = attempt.turnstile_token;
        turnstile::verify(ports, attempt.context, attempt.client_id, token).await?;
    }
    let user = if plausible {
        ports.users.find_by_email(&typed).await?
    } else {
        None
    };
    let usable = user.as_ref().and_then(|u| {
        let hash = u.password_hash.as_deref()?;
        (u.status == UserStatus::Active).then_some(hash)
    });
    let verdict = match usable {
        Some(hash) if password.len() <= MAX_SIGN_IN_PASSWORD_BYTES => {
            hashing::verify(&normalized, hash, Cost::OWASP)
                .map_err(|e| Error::Internal(format!("password hash: {e:?}")))?
        }
        _ => {
            hashing::spend_equivalent_time(&normalized, Cost::OWASP);
            Verification::Mismatch
        }
    };
    let (user, needs_rehash) = match (user, verdict) {
        (Some(user), Verification::Match { needs_rehash }) => (user, needs_rehash),
        (user, _) => {
            let reason = match &user {
                None => "unknown user",
                Some(u) if u.status != UserStatus::Active => "account not active",
                Some(u) if u.password_hash.is_none() => "account has no password",
                Some(_) => "wrong password",
            };
            events::record(
                ports,
                attempt.context,
                password_event(false, Some(reason), user.as_ref(), email, attempt.client_id),
            )
            .await;
            // Under attack a right password is answered "check your email": a wrong one
            // must be answered the same, or the answer would confirm guesses.
            if admitted.needs_second_proof {
                return Err(Error::WrongUnderAttack);
            }
            return Err(Error::InvalidCredentials);
        }
    };
    let (needs_second_proof, failures) = (admitted.needs_second_proof, admitted.failures);
    admitted.refund(ports).await;
    let rehashed = if needs_rehash {
        hashing::hash(&normalized, Cost::OWASP, ports.random).ok()
    } else {
        None
    };
    ports
        .users
        .record_sign_in(&user.id, ports.clock.now(), rehashed.as_deref())
        .await?;
    events::record(
        ports,
        attempt.context,
        password_event(true, None, Some(&user), email, attempt.client_id),
    )
    .await;
    Ok(SignedIn {
        user,
        needs_second_proof,
        failures,
    })
}

/// Creates an account with a password, or signs in an existing one whose password this is
/// (as [`sign_in`] does, limits and second proof included).
pub async fn sign_up(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> Result<SignedIn, Error> {
    let email = normalize_email(email).map_err(|_| Error::InvalidField("email"))?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(Error::InvalidField("name"));
    }
    if attempt.protection.human_check {
        let token = attempt.turnstile_token;
        turnstile::verify(ports, attempt.context, attempt.client_id, token).await?;
    }
    let normalized = check_new_password(password, &email)?;
    if attempt.protection.breached_password_check {
        let chooser = breached::Chooser {
            user_id: None,
            email: &email,
            client_id: attempt.client_id,
        };
        breached::check(ports, attempt.context, &chooser, &normalized).await?;
    }
    // Before the address is looked up, so a refusal says nothing about existing accounts.
    let additions = screen(
        ports,
        attempt.context,
        attempt.client_id,
        &email,
        "password",
    )
    .await?;

    if ports.users.find_by_email(&email).await?.is_some() {
        return existing_account(ports, attempt, &email, password).await;
    }
    let now = ports.clock.now();
    let user = User {
        profile: Default::default(),
        id: random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?,
        email: email.clone(),
        email_verified: false,
        name: name.map(str::to_string).or(additions.name),
        given_name: additions.given_name,
        family_name: additions.family_name,
        external_id: None,
        password_hash: Some(
            hashing::hash(&normalized, Cost::OWASP, ports.random)
                .map_err(|e| Error::Internal(format!("password hash: {e:?}")))?,
        ),
        status: UserStatus::Active,
        created_at: now,
        updated_at: now,
        last_login_at: Some(now),
        tokens_valid_after: None,
    };
    match ports.users.create(&user).await {
        Ok(()) => {}
        // Registered concurrently: the same answer as any existing address.
        Err(StoreError::Conflict) => {
            return existing_account(ports, attempt, &email, password).await
        }
        Err(err) => return Err(err.into()),
    }
    let event = EventSpec {
        actor_name: user.name.as_deref(),
        ..registration_event(None, Some(&user.id), &user.email, attempt.client_id)
    };
    events::record(ports, attempt.context, event).await;
    Ok(SignedIn {
        user,
        needs_second_proof: false,
        failures: Failures::default(),
    })
}

/// The client's registration hook on a new account for `email` by `method`: its
/// profile additions, or [`Error::RegistrationDenied`].
pub(crate) async fn screen(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    email: &str,
    method: &str,
) -> Result<ProfileAdditions, Error> {
    match screen_registration(ports, context, client_id, email, method).await? {
        Registration::Allow(additions) => Ok(additions),
        Registration::Deny(message) => {
            let event = registration_event(
                Some("denied by the registration hook"),
                None,
                email,
                client_id,
            );
            events::record(ports, context, event).await;
            Err(Error::RegistrationDenied(message))
        }
    }
}

async fn existing_account(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    email: &str,
    password: &str,
) -> Result<SignedIn, Error> {
    let event = registration_event(
        Some("email already registered"),
        None,
        email,
        attempt.client_id,
    );
    events::record(ports, attempt.context, event).await;
    sign_in(ports, attempt, email, password)
        .await
        .map_err(|err| match err {
            Error::InvalidCredentials | Error::WrongUnderAttack => Error::SignUpRefused,
            other => other,
        })
}

/// A new password for the account at `email` against the policy (length, blocklist,
/// context-specific words); returns it normalised for hashing.
pub(crate) fn check_new_password(password: &str, email: &str) -> Result<String, Error> {
    let blocklist = FuseBlocklist::embedded()
        .map_err(|_| Error::Internal("password blocklist is malformed".into()))?;
    let normalized = policy::check_new(password, false, &blocklist).map_err(rejected)?;
    if contains_context(&normalized, email) {
        return Err(Error::PasswordRejected(PasswordRejected {
            problem: PasswordProblem::ContextSpecific,
            min_length: policy::MIN_LEN_SINGLE_FACTOR,
        }));
    }
    Ok(normalized)
}

/// NIST SP 800-63B-4 §3.1.1.2: context-specific words, here the email address and its
/// local part.
fn contains_context(normalized: &str, email: &str) -> bool {
    let password = normalized.to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    password.contains(email) || (local.chars().count() >= 4 && password.contains(local))
}

fn rejected(rejection: Rejection) -> Error {
    let (problem, min_length) = match rejection {
        Rejection::TooShort { min } => (PasswordProblem::TooShort, min),
        Rejection::TooLong { .. } => (PasswordProblem::TooLong, policy::MIN_LEN_SINGLE_FACTOR),
        Rejection::Common => (PasswordProblem::Common, policy::MIN_LEN_SINGLE_FACTOR),
    };
    Error::PasswordRejected(PasswordRejected {
        problem,
        min_length,
    })
}
