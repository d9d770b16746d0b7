//! The signed-in person's second factors (`/v1/me/factors`, `/v1/me/recovery-codes`):
//! list (authenticator apps, and the passkeys and security keys that serve as second
//! factors after a password), add an authenticator app, remove an app or a key, make
//! new recovery codes.
//!
//! Guarded like passkeys (see [`crate::passkeys::account`]): an account-API token, a
//! sign-in within [`RECENT_SIGN_IN_SECONDS`] for every change, and an email to the owner
//! after it. On top of that, once an account has a second factor, changing its factors
//! needs a sign-in that proved one (RFC 9470 `acr_values`, [`Error::MfaRequired`]):
//! someone holding only the password can neither remove the app nor read new recovery
//! codes. An account whose client requires MFA keeps its last app.

use portcullis_shared::api::{FactorList, FactorSummary, RecoveryCodes, SecondFactorMethod};
use portcullis_shared::api::{TotpAdded, TotpEnrolment};

use super::notify::{self, Change};
use super::{admit_code, recovery, totp, Enrolled};
use crate::clients::MfaPolicy;
use crate::error::Error;
use crate::one_time::OneTime;
use crate::passkeys::account::{Account, AccountRequest, RECENT_SIGN_IN_SECONDS};
use crate::ports::{Ports, StoredCredential, StoredTotp};

/// Enrolments of the account API waiting for their first code, named by the user's id.
const ENROLMENTS: OneTime<totp::Pending> = OneTime::new("totp-enrolment");
/// How long an enrolment waits for its first code.
const ENROLMENT_TTL_SECONDS: u64 = 600;

pub(crate) fn summary(factor: &StoredTotp) -> FactorSummary {
    FactorSummary {
        id: factor.id.clone(),
        kind: SecondFactorMethod::Totp,
        name: factor.name.clone(),
        created_at: factor.created_at.as_seconds(),
        last_used_at: factor.last_used_at.map(|at| at.as_seconds()),
    }
}

/// A change needs a recent sign-in and, once the account has a factor, one that proved
/// it.
pub(crate) async fn may_change(ports: &Ports<'_>, account: &Account) -> Result<Enrolled, Error> {
    account.signed_in_recently(ports)?;
    let enrolled = Enrolled::of(ports, &account.user.id).await?;
    if enrolled.any() && !account.multi_factor {
        return Err(Error::MfaRequired {
            max_age: RECENT_SIGN_IN_SECONDS,
        });
    }
    Ok(enrolled)
}

/// A passkey or security key as the factor list shows it (its id as in
/// `/v1/me/passkeys`).
fn key_summary(key: &StoredCredential) -> FactorSummary {
    let passkey = crate::passkeys::summary(key);
    FactorSummary {
        id: passkey.id,
        kind: SecondFactorMethod::SecurityKey,
        name: passkey.name,
        created_at: passkey.created_at,
        last_used_at: passkey.last_used_at,
    }
}

/// `GET /v1/me/factors`: apps first, then keys, each oldest first.
pub async fn list(ports: &Ports<'_>, account: &Account) -> Result<FactorList, Error> {
    let apps = ports.factors.totp_for(&account.user.id).await?;
    let keys = ports.credentials.for_user(&account.user.id).await?;
    let factors = apps
        .iter()
        .map(summary)
        .chain(keys.iter().map(key_summary))
        .collect();
    Ok(FactorList {
        factors,
        recovery_codes_left: ports.factors.recovery_codes_left(&account.user.id).await?,
        remembered_devices: super::remembered::list(ports, &account.user.id).await?,
    })
}

/// `POST /v1/me/factors/totp`: a new app's secret; asking again replaces it.
pub async fn begin(ports: &Ports<'_>, account: &Account) -> Result<TotpEnrolment, Error> {
    may_change(ports, account).await?;
    let (pending, shown) = totp::begin(ports, &account.user, &account.client.name)?;
    ENROLMENTS.take(ports, &account.user.id).await?;
    let expires = ports.clock.now().plus_seconds(ENROLMENT_TTL_SECONDS);
    ENROLMENTS
        .put(ports, &account.user.id, &pending, expires)
        .await?;
    Ok(shown)
}

/// `POST /v1/me/factors/totp/confirm`: the new app's first code.
pub async fn confirm(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    code: &str,
) -> Result<TotpAdded, Error> {
    let enrolled = may_change(ports, account).await?;
    let pending = ENROLMENTS
        .take(ports, &account.user.id)
        .await?
        .ok_or(Error::StepNotExpected)?;
    // The enrolment stays for another try after a refusal, within the account's limit.
    let keep = |err: Error| async {
        let expires = ports.clock.now().plus_seconds(ENROLMENT_TTL_SECONDS);
        ENROLMENTS
            .put(ports, &account.user.id, &pending, expires)
            .await?;
        Err::<TotpAdded, Error>(err)
    };
    let admitted = match admit_code(ports, &account.user.id).await {
        Ok(admitted) => admitted,
        Err(err) => return keep(err).await,
    };
    let factor = match totp::confirm(ports, &account.user, &pending, code).await {
        Ok(factor) => factor,
        Err(err) => return keep(err).await,
    };
    admitted.refund(ports).await;
    notify::tell(
        ports,
        request.context,
        &account.client,
        &account.user,
        Change::AppAdded,
    )
    .await;
    // The first app comes with the recovery codes that stand in for it.
    let recovery_codes = if enrolled.authenticator_apps > 0 {
        None
    } else {
        Some(recovery::issue(ports, &account.user.id).await?)
    };
    Ok(TotpAdded {
        factor: summary(&factor),
        recovery_codes,
    })
}

/// `DELETE /v1/me/factors/{id}`: an authenticator app, or a passkey or security key.
pub async fn remove(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    id: &str,
) -> Result<(), Error> {
    may_change(ports, account).await?;
    let apps = ports.factors.totp_for(&account.user.id).await?;
    let keys = ports.credentials.for_user(&account.user.id).await?;
    let is_key = keys.iter().any(|key| key_summary(key).id == id);
    if !is_key && !apps.iter().any(|app| app.id == id) {
        return Err(Error::FactorNotFound);
    }
    if apps.len() + keys.len() == 1 && account.client.mfa == MfaPolicy::Required {
        return Err(Error::LastFactor);
    }
    if is_key {
        // With the passkey rules on top: never the account's last way to sign in.
        return crate::passkeys::account::delete(ports, request, account, id)
            .await
            .map_err(|err| match err {
                Error::PasskeyNotFound => Error::FactorNotFound,
                other => other,
            });
    }
    if !ports.factors.delete_totp(&account.user.id, id).await? {
        return Err(Error::FactorNotFound);
    }
    if apps.len() == 1 {
        // The recovery codes stand in for an app; with none left they go too.
        let now = ports.clock.now();
        ports
            .factors
            .replace_recovery_codes(&account.user.id, &[], now)
            .await?;
    }
    // A device was remembered for a second factor that may be the one removed.
    super::remembered::forget_after_change(ports, &account.user.id).await;
    notify::tell(
        ports,
        request.context,
        &account.client,
        &account.user,
        Change::AppRemoved,
    )
    .await;
    Ok(())
}

/// `POST /v1/me/recovery-codes`: new codes, replacing the old; shown this once.
pub async fn renew_recovery_codes(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
) -> Result<RecoveryCodes, Error> {
    let enrolled = may_change(ports, account).await?;
    // Recovery codes stand in for an authenticator app.
    if enrolled.authenticator_apps == 0 {
        return Err(Error::StepNotExpected);
    }
    let recovery_codes = recovery::issue(ports, &account.user.id).await?;
    let change = Change::RecoveryCodesRenewed;
    notify::tell(
        ports,
        request.context,
        &account.client,
        &account.user,
        change,
    )
    .await;
    Ok(RecoveryCodes { recovery_codes })
}
