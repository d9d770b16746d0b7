//! Who may call the admin APIs (SCIM, the System Log API, event hooks): admin rights are OAuth scopes
//! (DESIGN.md, "Management"). A machine gets them with the client credentials grant
//! (RFC 6749 §4.4) from a confidential client registered with the scopes; every admin
//! route names the scope it needs and refuses, before touching anything, a call whose
//! token lacks it (RFC 6750 §3.1 `insufficient_scope`).
//!
//! People administer through the console: a person's access token counts only when it
//! was minted for the console client ([`CONSOLE_CLIENT_ID`]), and then the rights come
//! from the person's groups ([`ADMINISTRATOR_GROUPS`]), read at every call, never from
//! the token's `scope`. Such a token must come from a fresh sign-in
//! ([`MAX_AUTH_AGE_SECONDS`], its `auth_time`) that proved a second factor whenever the
//! person has one (its `acr`), else the call is refused with RFC 9470's
//! `insufficient_user_authentication`. Any other person's token is refused even if its
//! client was registered with admin scopes and the person asked for them, so a
//! signed-in customer never becomes an administrator through a consent screen.

use crate::events::{self, AdminActor, AdminEventSpec, RequestContext};
use crate::mfa::Enrolled;
use crate::oauth::keys;
use crate::oauth::resource::Resource;
use crate::oauth::scope::Scopes;
use crate::oauth::tokens::{live_access_token_for, LiveToken, ACR_MULTI_FACTOR};
use crate::oauth::userinfo::bearer_token;
use crate::ports::Ports;
use crate::users::Holder;

/// The client people sign in to for the admin console (registered by the operator).
/// Only access tokens minted for it can carry a person's admin rights.
pub const CONSOLE_CLIENT_ID: &str = "portcullis-console";

/// How long after signing in a person may administer: 15 minutes from `auth_time`.
/// Refreshing the token does not renew it; signing in again does.
pub const MAX_AUTH_AGE_SECONDS: u64 = 15 * 60;

/// The groups whose members administer, and the rights each gives. Names compare as
/// group names do, without regard to case.
pub const ADMINISTRATOR_GROUPS: [(&str, &[AdminScope]); 2] = [
    ("portcullis-admins", &AdminScope::ALL),
    (
        "portcullis-auditors",
        &[
            AdminScope::UsersRead,
            AdminScope::LogsRead,
            AdminScope::HooksRead,
        ],
    ),
];

/// The admin rights that membership of `groups` gives.
pub fn rights_of_groups(groups: &[String]) -> Scopes {
    let mut rights: Vec<&str> = Vec::new();
    for (name, scopes) in ADMINISTRATOR_GROUPS {
        if groups.iter().any(|g| g.eq_ignore_ascii_case(name)) {
            for scope in scopes {
                if !rights.contains(&scope.as_str()) {
                    rights.push(scope.as_str());
                }
            }
        }
    }
    rights.into_iter().collect()
}

/// An admin right, one OAuth scope each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    /// Read users and groups.
    UsersRead,
    /// Create, change, suspend and delete users (reading them included).
    UsersManage,
    /// Create and change groups and their members.
    GroupsManage,
    /// Register and change clients.
    ClientsManage,
    /// Read the System Log.
    LogsRead,
    /// Read event hooks and their deliveries.
    HooksRead,
    /// Register, change, verify and remove event hooks, and rotate their secrets
    /// (reading them included).
    HooksManage,
    /// Read federation connections (never their secrets).
    ConnectionsRead,
    /// Register, change and remove federation connections (reading them included).
    ConnectionsManage,
}

impl AdminScope {
    pub const ALL: [AdminScope; 9] = [
        AdminScope::UsersRead,
        AdminScope::UsersManage,
        AdminScope::GroupsManage,
        AdminScope::ClientsManage,
        AdminScope::LogsRead,
        AdminScope::HooksRead,
        AdminScope::HooksManage,
        AdminScope::ConnectionsRead,
        AdminScope::ConnectionsManage,
    ];

    /// The scope as written in tokens and client registrations.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminScope::UsersRead => "admin.users.read",
            AdminScope::UsersManage => "admin.users.manage",
            AdminScope::GroupsManage => "admin.groups.manage",
            AdminScope::ClientsManage => "admin.clients.manage",
            AdminScope::LogsRead => "admin.logs.read",
            AdminScope::HooksRead => "admin.hooks.read",
            AdminScope::HooksManage => "admin.hooks.manage",
            AdminScope::ConnectionsRead => "admin.connections.read",
            AdminScope::ConnectionsManage => "admin.connections.manage",
        }
    }

    /// Whether a token with `granted` holds this right: a `manage` scope includes the
    /// matching `read`.
    pub fn held_by(self, granted: &Scopes) -> bool {
        let manage = match self {
            AdminScope::UsersRead => Some(AdminScope::UsersManage),
            AdminScope::HooksRead => Some(AdminScope::HooksManage),
            AdminScope::ConnectionsRead => Some(AdminScope::ConnectionsManage),
            _ => None,
        };
        granted.has(self.as_str()) || manage.is_some_and(|m| granted.has(m.as_str()))
    }
}

/// The caller of an admin route: a client acting for itself, or a person through the
/// console client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub client_id: String,
    /// The client's name, for the System Log.
    pub client_name: String,
    /// The rights held: the token's scopes for a client, the groups' for a person.
    pub scopes: Scopes,
    /// The administrator, when a person signed in to the console makes the call.
    pub person: Option<AdminPerson>,
}

/// A person administering through the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPerson {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
}

impl Admin {
    /// Who made the call, as the System Log names them.
    pub fn actor(&self) -> AdminActor<'_> {
        match &self.person {
            Some(person) => AdminActor::Person {
                id: &person.id,
                email: &person.email,
                name: person.name.as_deref(),
                client_id: &self.client_id,
            },
            None => AdminActor::Client {
                id: &self.client_id,
                name: Some(&self.client_name),
            },
        }
    }
}

impl Admin {
    /// Records a successful call in the System Log, the caller as its actor and
    /// `target` (if any) as what it acted on.
    pub async fn record(
        &self,
        ports: &Ports<'_>,
        context: &RequestContext,
        event_type: &'static str,
        display_message: &'static str,
        target: Option<portcullis_shared::system_log::Party>,
    ) {
        events::record_admin(
            ports,
            context,
            AdminEventSpec::success(
                event_type,
                display_message,
                self.actor(),
                target.into_iter().collect(),
            ),
        )
        .await;
    }
}

/// Why an admin call is refused; nothing has been read or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRefusal {
    /// RFC 6750 §3: no bearer token.
    NoToken,
    /// RFC 6750 §3.1 `invalid_token`: not one of ours, expired or revoked.
    InvalidToken,
    /// RFC 6750 §3.1 `insufficient_scope`: a live token without the right, or a
    /// person's token that is not the console's or whose groups do not give the right.
    InsufficientScope(AdminScope),
    /// RFC 9470 §3 `insufficient_user_authentication`: an administrator's console token
    /// from a sign-in older than [`MAX_AUTH_AGE_SECONDS`], or without the second factor
    /// the person has.
    InsufficientUserAuthentication,
    /// A store could not be reached; the detail is for logs.
    Unavailable(String),
}

impl AdminRefusal {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AdminRefusal::NoToken
            | AdminRefusal::InvalidToken
            | AdminRefusal::InsufficientUserAuthentication => 401,
            AdminRefusal::InsufficientScope(_) => 403,
            AdminRefusal::Unavailable(_) => 503,
        }
    }

    /// The RFC 6750 §3 `WWW-Authenticate` challenge, when there is one.
    pub fn challenge(&self) -> Option<String> {
        match self {
            AdminRefusal::NoToken => Some("Bearer realm=\"portcullis\"".into()),
            AdminRefusal::InvalidToken => Some(
                "Bearer realm=\"portcullis\", error=\"invalid_token\", \
                 error_description=\"The access token is invalid or expired.\""
                    .into(),
            ),
            AdminRefusal::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"portcullis\", error=\"insufficient_scope\", scope=\"{}\"",
                scope.as_str()
            )),
            // RFC 9470 §3: what a new sign-in must satisfy.
            AdminRefusal::InsufficientUserAuthentication => Some(format!(
                "Bearer realm=\"portcullis\", error=\"insufficient_user_authentication\", \
                 error_description=\"Sign in again to administer.\", \
                 max_age=\"{MAX_AUTH_AGE_SECONDS}\""
            )),
            AdminRefusal::Unavailable(_) => None,
        }
    }

    /// What the caller is told.
    pub fn description(&self) -> String {
        match self {
            AdminRefusal::NoToken => "An access token is required.".into(),
            AdminRefusal::InvalidToken => "The access token is invalid or expired.".into(),
            AdminRefusal::InsufficientScope(scope) => format!(
                "This call needs a client's own access token with the {} scope, or an \
                 administrator's console sign-in with that right.",
                scope.as_str()
            ),
            AdminRefusal::InsufficientUserAuthentication => format!(
                "Administering needs a sign-in within the last {} minutes, with a second \
                 factor if you have one.",
                MAX_AUTH_AGE_SECONDS / 60
            ),
            AdminRefusal::Unavailable(_) => "The service is temporarily unavailable.".into(),
        }
    }
}

/// The admin calling with `authorization`, if its token holds `needed`. A refusal is
/// recorded in the System Log (who tried, and which right was missing).
pub async fn authenticate(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
    needed: AdminScope,
    context: &RequestContext,
) -> Result<Admin, AdminRefusal> {
    let result = check(ports, issuer, authorization, needed).await;
    if let Err(refusal) = &result {
        let (actor, reason) = match refusal {
            AdminRefusal::Unavailable(detail) => {
                ports.diagnostics.log(&format!("admin api: {detail}"));
                return result;
            }
            AdminRefusal::InsufficientScope(_) => (
                token_parties(ports, issuer, authorization).await,
                "insufficient_scope",
            ),
            AdminRefusal::InsufficientUserAuthentication => (
                token_parties(ports, issuer, authorization).await,
                "insufficient_user_authentication",
            ),
            AdminRefusal::NoToken => (None, "no token"),
            AdminRefusal::InvalidToken => (None, "invalid_token"),
        };
        let actor = match &actor {
            Some((client_id, Some(person))) => AdminActor::Person {
                id: person,
                email: "",
                name: None,
                client_id,
            },
            Some((client_id, None)) => AdminActor::Client {
                id: client_id,
                name: None,
            },
            None => AdminActor::Unknown,
        };
        events::record_admin(
            ports,
            context,
            AdminEventSpec {
                event_type: events::types::ADMIN_DENIED,
                display_message: "An admin API call was refused",
                success: false,
                reason: Some(reason),
                actor,
                target: Vec::new(),
            },
        )
        .await;
    }
    result
}

async fn check(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
    needed: AdminScope,
) -> Result<Admin, AdminRefusal> {
    let token = bearer_token(authorization).ok_or(AdminRefusal::NoToken)?;
    let ring = keys::load(ports)
        .await
        .map_err(|e| AdminRefusal::Unavailable(format!("signing keys: {e:?}")))?;
    let live = live_access_token_for(ports, &ring, issuer, Resource::Issuer, token)
        .await
        .map_err(|e| AdminRefusal::Unavailable(format!("{e:?}")))?
        .ok_or(AdminRefusal::InvalidToken)?;
    // A client's own token (client credentials): it names the client as its subject,
    // continues no grant and names no person.
    let own = live.holder.is_none()
        && live.claims.grant.is_none()
        && live.claims.sub == live.claims.client_id;
    if !own {
        return check_person(ports, &live, needed).await;
    }
    let scopes = Scopes::parse(&live.claims.scope);
    if !needed.held_by(&scopes) {
        return Err(AdminRefusal::InsufficientScope(needed));
    }
    // The client must still be registered and allowed the right now, not only when the
    // token was minted.
    let client = ports
        .clients
        .find(&live.claims.client_id)
        .await
        .map_err(|e| AdminRefusal::Unavailable(format!("{e:?}")))?
        .ok_or(AdminRefusal::InvalidToken)?;
    if !needed.held_by(&client.allowed_scopes) {
        return Err(AdminRefusal::InsufficientScope(needed));
    }
    Ok(Admin {
        client_name: client.name,
        client_id: client.id,
        scopes,
        person: None,
    })
}

/// A person's live token: an administrator's only if it is the console's, their groups
/// give `needed` now, and the sign-in behind it is fresh and as strong as they can make
/// it. Membership is read at every call, so leaving a group ends the rights at once.
async fn check_person(
    ports: &Ports<'_>,
    live: &LiveToken,
    needed: AdminScope,
) -> Result<Admin, AdminRefusal> {
    let unavailable = |e: &dyn std::fmt::Debug| AdminRefusal::Unavailable(format!("{e:?}"));
    let Some(holder) = live.holder.as_ref() else {
        return Err(AdminRefusal::InsufficientScope(needed));
    };
    if live.claims.client_id != CONSOLE_CLIENT_ID {
        return Err(AdminRefusal::InsufficientScope(needed));
    }
    let person_id = live.claims.sub.as_str();
    let groups = ports
        .groups
        .names_for(person_id)
        .await
        .map_err(|e| unavailable(&e))?;
    let rights = rights_of_groups(&groups);
    if !needed.held_by(&rights) {
        return Err(AdminRefusal::InsufficientScope(needed));
    }
    let enrolled = Enrolled::of(ports, person_id)
        .await
        .map_err(|e| unavailable(&e))?;
    let fresh = SignIn {
        auth_time: live.claims.auth_time,
        multi_factor: live.claims.acr.as_deref() == Some(ACR_MULTI_FACTOR),
    }
    .is_enough(ports.clock.now().as_seconds(), enrolled.any());
    if !fresh {
        return Err(AdminRefusal::InsufficientUserAuthentication);
    }
    let client = ports
        .clients
        .find(CONSOLE_CLIENT_ID)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or(AdminRefusal::InvalidToken)?;
    Ok(Admin {
        client_id: client.id,
        client_name: client.name,
        scopes: rights,
        person: Some(person_of(person_id, holder)),
    })
}

fn person_of(id: &str, holder: &Holder) -> AdminPerson {
    AdminPerson {
        id: id.to_string(),
        email: holder.email.clone(),
        name: holder.name.clone(),
    }
}

/// What an administrator's token says of the sign-in behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignIn {
    /// Seconds since 1970; `None` when the token does not say.
    pub auth_time: Option<u64>,
    /// Whether it proved two factors (`acr`).
    pub multi_factor: bool,
}

impl SignIn {
    /// Whether it is enough to administer at `now` (seconds): no older than
    /// [`MAX_AUTH_AGE_SECONDS`] (and not from the future), and multi-factor when the
    /// person `has_second_factor`.
    pub fn is_enough(self, now: u64, has_second_factor: bool) -> bool {
        let recent = self
            .auth_time
            .is_some_and(|at| at <= now && now - at <= MAX_AUTH_AGE_SECONDS);
        recent && (self.multi_factor || !has_second_factor)
    }
}

/// The client a verifiable token was minted for, and the person it names if any, to
/// say who was refused.
async fn token_parties(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
) -> Option<(String, Option<String>)> {
    let token = bearer_token(authorization)?;
    let ring = keys::load(ports).await.ok()?;
    let claims = crate::oauth::tokens::verify_access_token(&ring, issuer, token, ports.clock.now())
        .await
        .ok()?;
    let person = (claims.sub != claims.client_id || claims.grant.is_some()).then_some(claims.sub);
    Some((claims.client_id, person))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manage_scope_includes_reading_and_nothing_else() {
        let manage = Scopes::parse("admin.users.manage");
        assert!(AdminScope::UsersRead.held_by(&manage));
        assert!(AdminScope::UsersManage.held_by(&manage));
        assert!(!AdminScope::LogsRead.held_by(&manage));
        assert!(!AdminScope::GroupsManage.held_by(&manage));
        let read = Scopes::parse("admin.users.read");
        assert!(!AdminScope::UsersManage.held_by(&read));
        assert!(!AdminScope::UsersRead.held_by(&Scopes::parse("Admin.users.read")));
        let hooks = Scopes::parse("admin.hooks.manage");
        assert!(AdminScope::HooksRead.held_by(&hooks) && AdminScope::HooksManage.held_by(&hooks));
        assert!(!AdminScope::UsersRead.held_by(&hooks) && !AdminScope::LogsRead.held_by(&hooks));
        assert!(!AdminScope::HooksManage.held_by(&Scopes::parse("admin.hooks.read")));
    }

    #[test]
    fn rfc6750_3_refusals_carry_their_status_and_challenge() {
        assert_eq!(AdminRefusal::NoToken.status(), 401);
        assert_eq!(AdminRefusal::InvalidToken.status(), 401);
        let scope = AdminRefusal::InsufficientScope(AdminScope::LogsRead);
        assert_eq!(scope.status(), 403);
        assert_eq!(
            scope.challenge().as_deref(),
            Some("Bearer realm=\"portcullis\", error=\"insufficient_scope\", scope=\"admin.logs.read\"")
        );
        let down = AdminRefusal::Unavailable("d1 down".into());
        assert!(!down.description().contains("d1"));
    }
}

#[cfg(test)]
mod console_tests;
