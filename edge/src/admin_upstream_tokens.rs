//! The admin API's view of the upstream tokens kept for a person's identity at a
//! connection with `store_tokens` (see [`crate::federation::upstream_tokens`]):
//!
//! - `GET /admin/v1/users/{id}/identities/{connection}/tokens`: `{held, expires_at,
//!   scopes}`, never a token; with `?include=access_token`, a live access token too
//!   (refreshed at the provider if the kept one expired).
//! - `DELETE` of the same path erases them.
//!
//! Needs `admin.users.manage`: a provider's token acts as the person there. Every read
//! of a token and every erase is in the System Log with its actor and the person as
//! target.

use serde_json::json;

use crate::admin::AdminScope;
use crate::admin_error::{self, Failure};
use crate::events::{self, types, AdminEventSpec, RequestContext};
use crate::federation::upstream_tokens::{self, Held, LiveError};
use crate::http::{Method, Request, Response};
use crate::ports::Ports;
use crate::scim::user_party;
use crate::time::rfc3339 as when;

/// What `?include=` asks for.
fn include_access_token(request: &Request) -> Result<bool, Failure> {
    let mut include = request
        .query_params()
        .into_iter()
        .filter(|(name, _)| name == "include");
    match (include.next(), include.next()) {
        (None, _) => Ok(false),
        (Some((_, value)), None) if value == "access_token" => Ok(true),
        _ => Err(Failure::InvalidParameter("include")),
    }
}

fn body(held: Option<&Held>) -> serde_json::Value {
    match held {
        Some(held) => json!({
            "held": true,
            "expires_at": held.expires_at.map(when),
            "scopes": held.scopes,
        }),
        None => json!({"held": false, "expires_at": null, "scopes": []}),
    }
}

pub async fn handle(
    ports: &Ports<'_>,
    request: &Request,
    user_id: &str,
    connection_id: &str,
    context: &RequestContext,
) -> Response {
    let result = async {
        let admin =
            admin_error::authenticate(ports, request, AdminScope::UsersManage, context).await?;
        let include = include_access_token(request)?;
        let user = crate::admin_users::live_user(ports, user_id).await?;
        let identity = ports
            .connections
            .identities_for(&user.id)
            .await?
            .into_iter()
            .find(|i| i.connection_id == connection_id)
            .ok_or(Failure::IdentityNotFound)?;
        let subject = identity.subject.as_str();
        let store = |e: crate::error::Error| Failure::Unavailable(format!("{e:?}"));
        let logged = |event_type, message| async move {
            events::record_admin(
                ports,
                context,
                AdminEventSpec::success(
                    event_type,
                    message,
                    admin.actor(),
                    vec![user_party(&user)],
                ),
            )
            .await;
        };
        if request.method == Method::Delete {
            upstream_tokens::erase(ports, connection_id, subject)
                .await
                .map_err(store)?;
            logged(
                types::IDENTITY_TOKENS_ERASE,
                "An admin erased an identity's upstream tokens",
            )
            .await;
            return Ok(Response::empty(204));
        }
        if !include {
            let held = upstream_tokens::held(ports, connection_id, subject)
                .await
                .map_err(store)?;
            return Ok(Response::json(200, &body(held.as_ref())));
        }
        let connection = crate::federation::enabled(ports)
            .await
            .map_err(store)?
            .iter()
            .find(|c| c.id == connection_id)
            .cloned()
            .ok_or(Failure::ConnectionNotFound)?;
        let (access_token, held) =
            match upstream_tokens::live_access_token(ports, &connection, subject).await {
                Ok(live) => live,
                Err(LiveError::NotHeld) => return Err(Failure::TokensNotHeld),
                Err(LiveError::Upstream(detail)) => return Err(Failure::Upstream(detail)),
                Err(LiveError::Store(e)) => return Err(store(e)),
            };
        logged(
            types::IDENTITY_TOKENS_READ,
            "An admin read an identity's upstream access token",
        )
        .await;
        let mut answer = body(Some(&held));
        answer["access_token"] = json!(access_token);
        Ok(Response::json(200, &answer))
    };
    admin_error::respond(ports, request, result.await)
}
