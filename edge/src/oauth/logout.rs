//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
//!
//! §2: the OP ends the session without asking only when the `id_token_hint` — an ID token
//! we issued (expired ones accepted) — names the person signed in here. Otherwise a GET
//! shows a confirmation page whose form carries a token bound to the session
//! ([`sessions::form_token`]), and only a POST carrying that token signs out: a link
//! with an attacker's own ID token, or a form on another page, signs nobody out. The
//! browser then returns to the client's exactly registered `post_logout_redirect_uri`
//! (§3).

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::http::{redirect, Method, Response};
use crate::oauth::authorization_request::{param, Params};
use crate::oauth::authorization_response::with_query;
use crate::oauth::keys;
use crate::oauth::tokens::verify_id_token_hint;
use crate::pages::{error_page, escape};
use crate::ports::Ports;
use crate::sessions;

/// What the confirmation form's token is for (see [`sessions::form_token`]).
const CONFIRMATION: &str = "logout";
/// The confirmation form's field carrying that token.
const CONFIRMATION_FIELD: &str = "confirmation";

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
            match verify_id_token_hint(&ring, issuer, token).await {
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
                Some(id) => crate::client_lookup::find(ports, id).await?,
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

    let session = sessions::current(ports, issuer, cookie).await?;
    let mut ended = false;
    if let Some(session) = &session {
        let hint_names_the_person = hint.as_ref().is_some_and(|h| h.sub == session.user_id);
        let confirmed = method == Method::Post
            && sessions::verify_form_token(
                issuer,
                cookie,
                CONFIRMATION,
                param(params, CONFIRMATION_FIELD),
            );
        if !hint_names_the_person && !confirmed {
            // The session is only ever present with its cookie, so there is a token.
            let token = sessions::form_token(issuer, cookie, CONFIRMATION).unwrap_or_default();
            return Ok(confirmation_page(
                client_id.as_deref(),
                return_to.as_deref(),
                param(params, "state"),
                &token,
            ));
        }
        if sessions::end(ports, issuer, cookie).await?.is_some() {
            ended = true;
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
                    actor_name: None,
                    client_id: client_id.as_deref(),
                },
            )
            .await;
        }
    }
    // Without a session there is nothing to end, and nothing to ask.
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
    // Only a session ended here has its cookie cleared: a request that ended nothing
    // (say, one carrying a tossed duplicate) must not sign the browser out either.
    Ok(if ended {
        response.with_header("set-cookie", &sessions::clear_cookie(issuer))
    } else {
        response
    })
}

fn page(title: &str, body: &str) -> Response {
    crate::pages::page(&crate::i18n::Words::english(), 200, title, body)
}

/// Asks the person to confirm; the form carries what the sign-out needs afterwards (the
/// client, checked again on the POST) and the session-bound token.
fn confirmation_page(
    client_id: Option<&str>,
    return_to: Option<&str>,
    state: Option<&str>,
    token: &str,
) -> Response {
    let hidden: String = [
        ("client_id", client_id),
        ("post_logout_redirect_uri", return_to),
        ("state", state),
        (CONFIRMATION_FIELD, Some(token)),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .map(|(name, v)| format!("<input type=hidden name={name} value=\"{}\">", escape(v)))
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
