//! Authenticator apps as a second factor: enrolment (a secret shown once as a QR code
//! and as text, confirmed by a first code) and verification, each code at most once.
//!
//! The secret is sealed at rest like signing keys (AES-256-GCM under the key-encryption
//! key, bound to the factor's id), and lives sealed in the flow or the one-time store
//! while an enrolment waits for its first code.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use portcullis_shared::api::TotpEnrolment;
use serde::{Deserialize, Serialize};

use crate::crypto::sealing::KeyEncryptionKey;
use crate::crypto::token::random_handle;
use crate::crypto::totp::{TotpSecret, DIGITS, STEP_SECONDS};
use crate::error::Error;
use crate::ports::{Ports, StoredTotp};
use crate::users::User;

/// What an enrolment keeps until its first code arrives: the factor's id and its secret,
/// sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub factor_id: String,
    pub sealed_secret: String,
}

fn kek<'a>(ports: &'a Ports<'_>) -> Result<&'a KeyEncryptionKey, Error> {
    ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| Error::Internal("KEY_ENCRYPTION_KEY is not configured".into()))
}

/// The sealing record of a factor's secret: a sealed secret opens only for its factor.
fn record(factor_id: &str) -> String {
    format!("totp:{factor_id}")
}

fn open(ports: &Ports<'_>, factor_id: &str, sealed: &str) -> Result<TotpSecret, Error> {
    kek(ports)?
        .open(sealed, &record(factor_id))
        .map(TotpSecret::from_bytes)
        .map_err(|_| Error::Internal(format!("totp factor {factor_id} does not open")))
}

/// Starts an enrolment for `user` of an app that will show codes for `issuer` (the
/// application's name): a new secret, and how to put it into an app.
pub fn begin(
    ports: &Ports<'_>,
    user: &User,
    issuer: &str,
) -> Result<(Pending, TotpEnrolment), Error> {
    let factor_id = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let secret = TotpSecret::generate(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let sealed_secret = kek(ports)?
        .seal(secret.bytes(), &record(&factor_id), ports.random)
        .map_err(|_| Error::RandomUnavailable)?;
    let otpauth_uri = otpauth_uri(issuer, &user.email, &secret);
    let qr_svg = super::qr::svg(&otpauth_uri)
        .ok_or_else(|| Error::Internal("otpauth URI too long for a QR code".into()))?;
    Ok((
        Pending {
            factor_id,
            sealed_secret,
        },
        TotpEnrolment {
            secret: secret.base32(),
            otpauth_uri,
            qr_svg,
        },
    ))
}

/// The Key Uri Format that authenticator apps read: `otpauth://totp/ISSUER:ACCOUNT?…`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        secret.base32(),
        enc(issuer)
    )
}

/// Ends an enrolment: stores the factor if `code` is the app's current code, and spends
/// that code (it does not sign in a second time).
pub async fn confirm(
    ports: &Ports<'_>,
    user: &User,
    pending: &Pending,
    code: &str,
) -> Result<StoredTotp, Error> {
    let secret = open(ports, &pending.factor_id, &pending.sealed_secret)?;
    let now = ports.clock.now();
    let step = secret.verify(code, now).ok_or(Error::FactorCodeInvalid)?;
    let existing = ports.factors.totp_for(&user.id).await?.len();
    let factor = StoredTotp {
        id: pending.factor_id.clone(),
        user_id: user.id.clone(),
        name: if existing == 0 {
            "Authenticator app".into()
        } else {
            format!("Authenticator app {}", existing + 1)
        },
        sealed_secret: pending.sealed_secret.clone(),
        created_at: now,
        last_used_at: None,
    };
    ports.factors.add_totp(&factor).await?;
    ports.factors.use_totp_step(&factor.id, step, now).await?;
    Ok(factor)
}

/// Whether `code` is the current code of one of `user_id`'s apps, not used before. The
/// caller has counted the attempt ([`super::admit_code`]).
pub async fn verify(ports: &Ports<'_>, user_id: &str, code: &str) -> Result<(), Error> {
    let now = ports.clock.now();
    for factor in ports.factors.totp_for(user_id).await? {
        let secret = open(ports, &factor.id, &factor.sealed_secret)?;
        if let Some(step) = secret.verify(code, now) {
            // Atomic: of two uses of one code, one wins (RFC 6238 §5.2).
            if ports.factors.use_totp_step(&factor.id, step, now).await? {
                return Ok(());
            }
        }
    }
    Err(Error::FactorCodeInvalid)
}
