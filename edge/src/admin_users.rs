//! The admin API's view of a person (`GET /admin/v1/users/{id}`: profile, status,
//! factors, passkeys, sessions, grants and groups, with `admin.users.read`) and its
//! actions on their account, in Okta's shape:
//! `POST /admin/v1/users/{id}/lifecycle/{action}` with the actions of
//! [`crate::lifecycle::Action`] (`activate`, `deactivate`, `suspend`, `unsuspend`,
//! `unlock`, `reset_password`, `reset_factors`, `revoke_sessions`, `delete`).
//!
//! Needs a client's own token with `admin.users.manage`. Each action is recorded in the
//! System Log with the calling client as actor and the person as target; an action that
//! does not apply to the account as it is (`suspend` of a suspended account) changes
//! nothing and is `409 invalid_lifecycle_transition`.

use portcullis_shared::api::RecoveryRequest;
use serde_json::json;

use crate::admin::AdminScope;
use crate::admin_error::{self, Failure};
use crate::error::Error;
use crate::events::{self, AdminEventSpec, RequestContext};
use crate::flows::Caller;
use crate::http::{Request, Response};
use crate::lifecycle::{self, Action};
use crate::ports::Ports;
use crate::scim::user_party;
use crate::time::rfc3339 as when;
use crate::users::{User, UserStatus};

/// `GET /admin/v1/users/{id}`: what an administrator needs to see of a person. Never a
/// secret: no password hash, factor secret, passkey key or session id.
pub async fn read(
    ports: &Ports<'_>,
    request: &Request,
    id: &str,
    context: &RequestContext,
) -> Response {
    let result = async {
        let admin =
            admin_error::authenticate(ports, request, AdminScope::UsersRead, context).await?;
        let user = live_user(ports, id).await?;
        let now = ports.clock.now();
        let apps = ports.factors.totp_for(id).await?;
        let codes = ports.factors.recovery_codes_left(id).await?;
        let passkeys = ports.credentials.for_user(id).await?;
        let sessions = ports.sessions.for_user(id, now).await?;
        let grants = ports.grant_index.for_person(id, now).await?;
        let groups = ports.groups.names_for(id).await?;
        events::record_admin(
            ports,
            context,
            AdminEventSpec::success(
                events::types::ADMIN_READ,
                "An admin read a user",
                admin.actor(),
                vec![user_party(&user)],
            ),
        )
        .await;
        Ok(Response::json(
            200,
            &json!({
                "id": user.id,
                "email": user.email,
                "email_verified": user.email_verified,
                "name": user.name,
                "status": status_name(&user),
                "created": when(user.created_at),
                "last_sign_in": user.last_login_at.map(when),
                "factors": {
                    "authenticator_apps": apps.iter().map(|a| json!({
                        "id": a.id, "name": a.name, "created": when(a.created_at),
                        "last_used": a.last_used_at.map(when),
                    })).collect::<Vec<_>>(),
                    "recovery_codes_left": codes,
                },
                "passkeys": passkeys.iter().map(|p| json!({
                    "name": p.name, "created": when(p.created_at),
                    "last_used": p.last_used_at.map(when),
                })).collect::<Vec<_>>(),
                "sessions": sessions.iter().map(|s| json!({
                    "signed_in": when(s.auth_time), "expires": when(s.expires_at),
                    "amr": s.amr,
                })).collect::<Vec<_>>(),
                "grants": grants.len(),
                "groups": groups,
            }),
        ))
    };
    admin_error::respond(ports, request, result.await)
}

/// The person with this id, unless there is none or they were deleted.
pub(crate) async fn live_user(ports: &Ports<'_>, id: &str) -> Result<User, Failure> {
    ports
        .users
        .find_by_id(id)
        .await?
        .filter(|u| u.status != UserStatus::Deprovisioned)
        .ok_or(Failure::UserNotFound)
}

/// `POST /admin/v1/users/{id}/lifecycle/{action}`.
pub async fn lifecycle(
    ports: &Ports<'_>,
    request: &Request,
    id: &str,
    action: &str,
    context: &RequestContext,
) -> Response {
    let result = async {
        let admin =
            admin_error::authenticate(ports, request, AdminScope::UsersManage, context).await?;
        let action = Action::parse(action).ok_or(Failure::UnknownAction)?;
        let user = live_user(ports, id).await?;
        if !action.applies_to(user.status) {
            return Err(Failure::InvalidTransition(
                action.as_str(),
                user.status.as_str(),
            ));
        }
        let after = apply(ports, request, context, action, &user).await?;
        events::record_admin(
            ports,
            context,
            AdminEventSpec::success(
                action.event_type(),
                action.display_message(),
                admin.actor(),
                vec![user_party(&after)],
            ),
        )
        .await;
        Ok(match action {
            Action::Delete => Response::empty(204),
            _ => Response::json(200, &json!({"id": after.id, "status": status_name(&after)})),
        })
    };
    admin_error::respond(ports, request, result.await)
}

/// Okta's status names.
fn status_name(user: &User) -> &'static str {
    match user.status {
        UserStatus::Staged => "STAGED",
        UserStatus::Active => "ACTIVE",
        UserStatus::Suspended => "SUSPENDED",
        UserStatus::Deactivated => "DEPROVISIONED",
        // Never shown: a deleted account is not found.
        UserStatus::Deprovisioned => "DELETED",
    }
}

/// Carries out `action` on `user`; the account as it is afterwards.
async fn apply(
    ports: &Ports<'_>,
    request: &Request,
    context: &RequestContext,
    action: Action,
    user: &User,
) -> Result<User, Failure> {
    let now = ports.clock.now();
    let store = |next: User| async move {
        if ports.directory.update(&next, user.updated_at).await? {
            // The person's grants answer refresh, userinfo and introspection: they hear
            // of it before the action is reported done.
            crate::holders::sync(ports, &next.id).await?;
            Ok(next)
        } else {
            // Changed meanwhile (a concurrent action): nothing was done.
            Err(Failure::InvalidTransition(
                action.as_str(),
                "being changed by another request",
            ))
        }
    };
    let caller = Caller {
        origin: None,
        self_origin: request.self_origin.as_str(),
        context,
        federation_ticket: None,
    };
    match action {
        Action::Activate => {
            // Checked before anything changes: the link goes out as this client's.
            let client_id = mail_client(ports, request).await?;
            let next = store(lifecycle::changed(user, UserStatus::Active, false, now)).await?;
            crate::email::recovery::welcome(ports, caller, &client_id, &next)
                .await
                .map_err(|e| Failure::Unavailable(format!("activate: {e:?}")))?;
            Ok(next)
        }
        Action::Deactivate => {
            let next = store(lifecycle::changed(user, UserStatus::Deactivated, true, now)).await?;
            lifecycle::end_sessions(ports, &user.id).await?;
            Ok(next)
        }
        Action::Suspend => {
            let next = store(lifecycle::changed(user, UserStatus::Suspended, true, now)).await?;
            lifecycle::end_sessions(ports, &user.id).await?;
            Ok(next)
        }
        Action::Unsuspend => store(lifecycle::changed(user, UserStatus::Active, false, now)).await,
        Action::RevokeSessions => {
            let next = store(lifecycle::changed(user, user.status, true, now)).await?;
            lifecycle::end_sessions(ports, &user.id).await?;
            Ok(next)
        }
        Action::ResetFactors => {
            lifecycle::reset_factors(ports, &user.id).await?;
            Ok(user.clone())
        }
        Action::Unlock => {
            lifecycle::unlock(ports, user).await?;
            Ok(user.clone())
        }
        Action::Delete => Ok(lifecycle::erase(ports, user).await?),
        Action::ResetPassword => {
            // The link goes out as the client's, as if the person had asked on its page.
            let client_id = mail_client(ports, request).await?;
            let asked = RecoveryRequest {
                client_id,
                email: user.email.clone(),
            };
            crate::email::recovery::request_reset(ports, caller, &asked)
                .await
                .map_err(|e| match e {
                    Error::Throttled | Error::TooManyAttempts => Failure::Throttled,
                    other => Failure::Unavailable(format!("reset_password: {other:?}")),
                })?;
            Ok(user.clone())
        }
    }
}

/// The `client_id` parameter, naming an existing client, whose name and pages the
/// emails of `activate` and `reset_password` carry.
async fn mail_client(ports: &Ports<'_>, request: &Request) -> Result<String, Failure> {
    let client_id = request
        .query_params()
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.to_string())
        .ok_or(Failure::MissingParameter("client_id"))?;
    match crate::client_lookup::find(ports, &client_id).await? {
        Some(_) => Ok(client_id),
        None => Err(Failure::UnknownClient),
    }
}

#[cfg(test)]
mod staged_tests;
#[cfg(test)]
pub(crate) mod tests;
