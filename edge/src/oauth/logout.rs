//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
//!
//! With a valid `id_token_hint` the session ends at once and the browser returns to the
//! client's exactly registered `post_logout_redirect_uri` (§2, §3). Without one, a GET
//! asks the person to confirm with a same-site POST: the SameSite=Lax cookie is not sent
//! on a cross-site POST, so another site cannot sign people out.

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::http::{Method, Response};
use crate::oauth::authorization_request::{param, Params};
use crate::oauth::authorize::{error_page, html_escape, redirect, with_query};
use crate::oauth::keys;
use crate::oauth::tokens::verify_id_token_hint;
use crate::ports::Ports;
use crate::sessions;

/// Handles `GET`/`POST /logout`.
pub async fn handle(
    ports: &Ports<'_>,
    issuer: &str,
    method: Method,
    params: &Params,
    cookie: Option<&str>,
    context: &RequestContext,
) -> Result<Response, Error> {
    let hint = match param(params, "id_token_hint") {
        Some(token) => {
            let ring = keys::load(ports)
                .await
                .map_err(|e| Error::Internal(format!("signing keys: {e:?}")))?;
            match verify_id_token_hint(&ring, issuer, token) {
                Ok(claims) => Some(claims),
                Err(_) => return Ok(error_page(400, "The id_token_hint is not valid.")),
            }
        }
        None => None,
    };
    let client_id = match (param(params, "client_id"), &hint) {
        (Some(id), Some(claims)) if id != claims.aud => {
            return Ok(error_page(
                400,
                "The client_id does not match the id_token_hint.",
            ))
        }
        (Some(id), _) => Some(id.to_string()),
        (None, Some(claims)) => Some(claims.aud.clone()),
        (None, None) => None,
    };
    let return_to = match param(params, "post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match client_id.as_deref() {
                Some(id) => ports.clients.find(id).await?,
                None => None,
            };
            match client {
                Some(c) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => {
                    Some(uri.to_string())
                }
                _ => {
                    return Ok(error_page(
                        400,
                        "The post_logout_redirect_uri is not registered for this client.",
                    ))
                }
            }
        }
    };

    if hint.is_none() && method != Method::Post {
        return Ok(confirmation_page(params));
    }

    if let Some(session) = sessions::end(ports, issuer, cookie).await? {
        events::record(
            ports,
            context,
            EventSpec {
                event_type: types::SESSION_END,
                display_message: "User logout from Portcullis",
                success: true,
                reason: None,
                actor_id: Some(&session.user_id),
                actor_email: None,
                client_id: client_id.as_deref(),
            },
        )
        .await;
    }
    let response = match return_to {
        Some(uri) => {
            let state: Vec<(&str, &str)> = param(params, "state")
                .map(|s| ("state", s))
                .into_iter()
                .collect();
            let location = if state.is_empty() {
                uri
            } else {
                with_query(&uri, &state)
            };
            redirect(&location)
        }
        None => signed_out_page(),
    };
    Ok(response.with_header("set-cookie", &sessions::clear_cookie(issuer)))
}

fn page(title: &str, body: &str) -> Response {
    crate::pages::page(&crate::i18n::Words::english(), 200, title, body)
}

fn confirmation_page(params: &Params) -> Response {
    let hidden: String = ["client_id", "post_logout_redirect_uri", "state"]
        .iter()
        .filter_map(|name| param(params, name).map(|v| (name, v)))
        .map(|(name, v)| {
            format!(
                "<input type=hidden name={name} value=\"{}\">",
                html_escape(v)
            )
        })
        .collect();
    page(
        "Sign out?",
        &format!(
            "<form method=post action=/logout>{hidden}<p>Do you want to sign out?</p>\
             <button type=submit>Sign out</button></form>"
        ),
    )
}

fn signed_out_page() -> Response {
    page("You are signed out", "<p>You can close this window.</p>")
}
