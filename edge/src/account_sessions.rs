//! `/v1/me/sessions` and `/v1/me/applications`: the signed-in person sees where they are
//! signed in and which applications hold access to their account, and ends either.
//!
//! - **A session is a grant.** Each sign-in to an application makes a grant (the refresh
//!   token family and every token minted from it, see [`crate::oauth::grant`]); the list
//!   shows each live grant of the person: which application, when they signed in and
//!   how (`amr`), and where it was made (the country from the signal port and the user
//!   agent). The caller's own is marked `current`.
//! - **Ids that are not tokens.** A session is named by a digest of its grant's
//!   reference, which presents nothing anywhere; it is looked up only among the caller's
//!   own grants, so another person's session or application id answers `404` and changes
//!   nothing.
//! - **Ending one ends its tokens.** Ending a session revokes its grant: its refresh
//!   token is refused at once and its access tokens stop being honoured by the account
//!   API, userinfo and introspection. "Every other session" ends the person's other
//!   grants and their hosted sign-in (SSO cookie) sessions, so no browser signs back in
//!   silently; the caller's own grant stays. Revoking an application ends every grant it
//!   holds (the caller's too, if it is that application).
//! - **No recent sign-in needed.** Ending sessions only takes access away; a person who
//!   fears someone else is in must be able to do it at once. Each ending is an
//!   `app.oauth2.as.token.revoke` event.

use portcullis_shared::api::{
    ApplicationList, ApplicationSummary, SessionList, SessionSummary, SessionsEnded,
};

use crate::crypto::sha256_hex;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::oauth::grant::{Grant, GrantCommand, GrantReply};
use crate::passkeys::account::Account;
use crate::ports::Ports;

/// A live grant of the person and its reference.
struct Held {
    reference: String,
    grant: Grant,
}

impl Held {
    /// The id the person sees: a digest of the reference.
    fn id(&self) -> String {
        session_id(&self.reference)
    }
}

fn session_id(reference: &str) -> String {
    sha256_hex(&format!("portcullis session id v1 {reference}"))[..32].to_string()
}

/// The person's live grants, oldest first.
async fn held(ports: &Ports<'_>, account: &Account) -> Result<Vec<Held>, Error> {
    let now = ports.clock.now();
    let mut live = Vec::new();
    for reference in ports.grant_index.for_person(&account.user.id, now).await? {
        let reply = ports
            .grants
            .apply(&reference, &GrantCommand::Get, now)
            .await?;
        if let GrantReply::Active { grant } = reply {
            // The index names the person's grants only; checked all the same.
            if grant.user_id == account.user.id {
                live.push(Held { reference, grant });
            }
        }
    }
    Ok(live)
}

fn is_current(account: &Account, held: &Held) -> bool {
    account
        .grant
        .as_ref()
        .is_some_and(|g| g.as_str() == held.reference)
}

/// `GET /v1/me/sessions`: newest sign-in first.
pub async fn list(ports: &Ports<'_>, account: &Account) -> Result<SessionList, Error> {
    let mut sessions = Vec::new();
    for held in held(ports, account).await? {
        let client_name = client_name(ports, &held.grant.client_id).await?;
        sessions.push(summary(account, &held, client_name));
    }
    sessions.sort_by_key(|s| std::cmp::Reverse(s.signed_in_at));
    Ok(SessionList { sessions })
}

fn summary(account: &Account, held: &Held, client_name: String) -> SessionSummary {
    let grant = &held.grant;
    let place = grant.place.clone().unwrap_or_default();
    SessionSummary {
        id: held.id(),
        client_id: grant.client_id.clone(),
        client_name,
        signed_in_at: grant.auth_time.as_seconds(),
        created_at: grant.created_at.as_seconds(),
        expires_at: grant.expires_at.as_seconds(),
        amr: grant
            .amr
            .methods()
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        country: place.country,
        user_agent: place.user_agent,
        current: is_current(account, held),
    }
}

async fn client_name(ports: &Ports<'_>, client_id: &str) -> Result<String, Error> {
    Ok(crate::client_lookup::find(ports, client_id)
        .await?
        .map_or_else(|| client_id.to_string(), |c| c.name))
}

/// `DELETE /v1/me/sessions/{id}`: ends that session of the person's.
pub async fn end(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    id: &str,
) -> Result<(), Error> {
    let found = held(ports, account)
        .await?
        .into_iter()
        .find(|h| h.id() == id)
        .ok_or(Error::SessionNotFound)?;
    revoke(ports, context, account, &found).await
}

/// `DELETE /v1/me/sessions`: ends every session but the caller's, and the person's
/// hosted sign-in sessions.
pub async fn end_others(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
) -> Result<SessionsEnded, Error> {
    let mut ended = 0;
    for held in held(ports, account).await? {
        if !is_current(account, &held) {
            revoke(ports, context, account, &held).await?;
            ended += 1;
        }
    }
    crate::lifecycle::end_sessions(ports, &account.user.id).await?;
    Ok(SessionsEnded { ended })
}

/// `GET /v1/me/applications`: each application holding a live grant of the person, with
/// the scopes granted and the consents recorded for it.
pub async fn applications(ports: &Ports<'_>, account: &Account) -> Result<ApplicationList, Error> {
    let consents = crate::consent::list(ports, account).await?.current;
    let mut applications: Vec<ApplicationSummary> = Vec::new();
    for held in held(ports, account).await? {
        let grant = &held.grant;
        if let Some(app) = applications
            .iter_mut()
            .find(|a| a.client_id == grant.client_id)
        {
            for scope in grant.scopes.iter() {
                if !app.scopes.contains(scope) {
                    app.scopes.push(scope.clone());
                }
            }
            app.granted_at = app.granted_at.min(grant.created_at.as_seconds());
            app.sessions += 1;
            continue;
        }
        applications.push(ApplicationSummary {
            client_id: grant.client_id.clone(),
            name: client_name(ports, &grant.client_id).await?,
            scopes: grant.scopes.to_vec(),
            granted_at: grant.created_at.as_seconds(),
            sessions: 1,
            consents: consents
                .iter()
                .filter(|c| c.client_id.as_deref() == Some(grant.client_id.as_str()))
                .cloned()
                .collect(),
        });
    }
    Ok(ApplicationList { applications })
}

/// `DELETE /v1/me/applications/{client_id}`: ends every grant the application holds.
pub async fn revoke_application(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    client_id: &str,
) -> Result<(), Error> {
    let grants: Vec<Held> = held(ports, account)
        .await?
        .into_iter()
        .filter(|h| h.grant.client_id == client_id)
        .collect();
    if grants.is_empty() {
        return Err(Error::ApplicationNotFound);
    }
    for held in &grants {
        revoke(ports, context, account, held).await?;
    }
    Ok(())
}

async fn revoke(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    held: &Held,
) -> Result<(), Error> {
    let now = ports.clock.now();
    let command = GrantCommand::Revoke { client_id: None };
    ports.grants.apply(&held.reference, &command, now).await?;
    let spec = EventSpec::user_success(
        types::TOKEN_REVOKE,
        "A person ended a session",
        &account.user,
        &held.grant.client_id,
    );
    events::record(ports, context, spec).await;
    Ok(())
}

#[cfg(test)]
mod tests;
