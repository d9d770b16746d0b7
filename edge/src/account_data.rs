//! `GET /v1/me/export`: everything the deployment holds about the signed-in person, as
//! JSON for them to keep (GDPR Art. 15 access, Art. 20 portability).
//!
//! - **A recent sign-in.** The export is the whole account in one response, so a token
//!   whose sign-in is older than
//!   [`RECENT_SIGN_IN_SECONDS`](crate::passkeys::account::RECENT_SIGN_IN_SECONDS) gets an RFC 9470 step-up
//!   challenge, as a change of sign-in methods does.
//! - **Only the person's own.** Every store is asked by the token's subject; no
//!   parameter names anyone.
//! - **Metadata, never secrets.** Passkeys and authenticator apps by name and dates;
//!   never a password hash, a public key, a TOTP secret, a recovery code or a session
//!   cookie.
//! - **Logged.** Each export is a System Log event (`user.account.export_data`).

use portcullis_shared::account_data::{AccountExport, ExportedProfile, ExportedSession};

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::passkeys::account::Account;
use crate::ports::Ports;
use crate::users::User;

/// The newest System Log events an export carries.
pub const EXPORTED_EVENTS: usize = 1000;

/// `GET /v1/me/export`.
pub async fn export(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
) -> Result<AccountExport, Error> {
    account.signed_in_recently(ports)?;
    let user_id = account.user.id.as_str();
    let now = ports.clock.now();
    let passkeys = ports.credentials.for_user(user_id).await?;
    let factors = ports.factors.totp_for(user_id).await?;
    let recovery_codes_left = ports.factors.recovery_codes_left(user_id).await?;
    let sessions = ports.sessions.for_user(user_id, now).await?;
    let consents = crate::consent::list(ports, account).await?.history;
    let app_sessions = crate::account_sessions::list(ports, account)
        .await?
        .sessions;
    let applications = crate::account_sessions::applications(ports, account)
        .await?
        .applications;
    let events_about = ports.events.about_user(user_id, EXPORTED_EVENTS).await?;
    let spec = EventSpec::user_success(
        types::DATA_EXPORT,
        "A person exported their data",
        &account.user,
        &account.client.id,
    );
    events::record(ports, context, spec).await;
    Ok(AccountExport {
        exported_at: now.as_seconds(),
        profile: profile(&account.user),
        passkeys: passkeys.iter().map(crate::passkeys::summary).collect(),
        factors: factors.iter().map(crate::mfa::account::summary).collect(),
        recovery_codes_left,
        sessions: sessions
            .iter()
            .map(|s| ExportedSession {
                auth_time: s.auth_time.as_seconds(),
                amr: s
                    .amr
                    .methods()
                    .iter()
                    .map(|m| m.as_str().to_string())
                    .collect(),
                expires_at: s.expires_at.as_seconds(),
            })
            .collect(),
        app_sessions,
        applications,
        consents,
        events: events_about,
    })
}

fn profile(user: &User) -> ExportedProfile {
    ExportedProfile {
        id: user.id.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        external_id: user.external_id.clone(),
        status: user.status.as_str().to_string(),
        has_password: user.password_hash.is_some(),
        created_at: user.created_at.as_seconds(),
        updated_at: user.updated_at.as_seconds(),
        last_login_at: user.last_login_at.map(|at| at.as_seconds()),
        // Everything held, what the site's code set included (GDPR Art. 15).
        attributes: crate::profile::view(user, crate::profile::Editor::Admin).attributes,
    }
}

#[cfg(test)]
mod tests;
