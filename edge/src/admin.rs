//! Who may call the admin APIs (SCIM, the System Log API, event hooks): admin rights are OAuth scopes
//! (DESIGN.md, "Management"). A machine gets them with the client credentials grant
//! (RFC 6749 §4.4) from a confidential client registered with the scopes; every admin
//! route names the scope it needs and refuses, before touching anything, a call whose
//! token lacks it (RFC 6750 §3.1 `insufficient_scope`).
//!
//! Only a client's own token counts: a person's access token is refused even if its
//! client was registered with admin scopes and the person asked for them, so a
//! signed-in customer never becomes an administrator through a consent screen.

use crate::events::{self, AdminEventSpec, RequestContext};
use crate::oauth::keys;
use crate::oauth::resource::Resource;
use crate::oauth::scope::Scopes;
use crate::oauth::tokens::live_access_token_for;
use crate::oauth::userinfo::bearer_token;
use crate::ports::Ports;

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
}

impl AdminScope {
    pub const ALL: [AdminScope; 7] = [
        AdminScope::UsersRead,
        AdminScope::UsersManage,
        AdminScope::GroupsManage,
        AdminScope::ClientsManage,
        AdminScope::LogsRead,
        AdminScope::HooksRead,
        AdminScope::HooksManage,
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
        }
    }

    /// Whether a token with `granted` holds this right: a `manage` scope includes the
    /// matching `read`.
    pub fn held_by(self, granted: &Scopes) -> bool {
        let manage = match self {
            AdminScope::UsersRead => Some(AdminScope::UsersManage),
            AdminScope::HooksRead => Some(AdminScope::HooksManage),
            _ => None,
        };
        granted.has(self.as_str()) || manage.is_some_and(|m| granted.has(m.as_str()))
    }
}

/// The caller of an admin route: a client acting for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub client_id: String,
    /// The client's name, for the System Log.
    pub client_name: String,
    pub scopes: Scopes,
}

/// Why an admin call is refused; nothing has been read or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRefusal {
    /// RFC 6750 §3: no bearer token.
    NoToken,
    /// RFC 6750 §3.1 `invalid_token`: not one of ours, expired or revoked.
    InvalidToken,
    /// RFC 6750 §3.1 `insufficient_scope`: a live token without the right, or a
    /// person's token.
    InsufficientScope(AdminScope),
    /// A store could not be reached; the detail is for logs.
    Unavailable(String),
}

impl AdminRefusal {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AdminRefusal::NoToken | AdminRefusal::InvalidToken => 401,
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
            AdminRefusal::Unavailable(_) => None,
        }
    }

    /// What the caller is told.
    pub fn description(&self) -> String {
        match self {
            AdminRefusal::NoToken => "An access token is required.".into(),
            AdminRefusal::InvalidToken => "The access token is invalid or expired.".into(),
            AdminRefusal::InsufficientScope(scope) => format!(
                "This call needs a client's own access token with the {} scope.",
                scope.as_str()
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
                token_client(ports, issuer, authorization).await,
                "insufficient_scope",
            ),
            AdminRefusal::NoToken => (None, "no token"),
            AdminRefusal::InvalidToken => (None, "invalid_token"),
        };
        events::record_admin(
            ports,
            context,
            AdminEventSpec {
                event_type: events::types::ADMIN_DENIED,
                display_message: "An admin API call was refused",
                success: false,
                reason: Some(reason),
                actor_client_id: actor.as_deref(),
                actor_name: None,
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
    let scopes = Scopes::parse(&live.claims.scope);
    if !own || !needed.held_by(&scopes) {
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
    })
}

/// The client a verifiable token was minted for, to name who was refused.
async fn token_client(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
) -> Option<String> {
    let token = bearer_token(authorization)?;
    let ring = keys::load(ports).await.ok()?;
    crate::oauth::tokens::verify_access_token(&ring, issuer, token, ports.clock.now())
        .await
        .ok()
        .map(|claims| claims.client_id)
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
