//! Single-use links sent by email (sign in, verify the address).
//!
//! `GET /email-link?token=…` only shows a page with a button; the button's `POST`
//! uses the link. Mail scanners and link previews that fetch the URL therefore use
//! nothing. Using a link verifies the address (the person has the mailbox) and, when the
//! link belongs to a sign-in flow, marks the flow confirmed: the widget that started it,
//! polling `POST /v1/flows/{flow_id}/email/link`, then completes the sign-in.

use serde::{Deserialize, Serialize};

use super::{Purpose, CODE_TTL_SECONDS};
use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::flows::Caller;
use crate::http::Response;
use crate::i18n::Words;
use crate::pages::{escape, page};
use crate::ports::Ports;
use crate::users::User;

/// What a link stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub user_id: String,
    pub client_id: String,
    /// The sign-in flow waiting on the link, if any.
    pub flow_id: Option<String>,
    pub purpose: Purpose,
}

fn key(token: &str) -> String {
    format!("email-link:{token}")
}

fn confirmed_key(flow_id: &str) -> String {
    format!("email-confirmed:{flow_id}")
}

/// Issues a link for `record`; returns its URL on this edge, which opens a page in the
/// caller's language.
pub async fn issue(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    record: &LinkRecord,
) -> Result<String, Error> {
    let token = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let value = serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))?;
    ports
        .one_time
        .put(
            &key(&token),
            &value,
            ports.clock.now().plus_seconds(CODE_TTL_SECONDS),
        )
        .await?;
    let lang = caller.context.language();
    Ok(format!(
        "{}/email-link?token={token}&lang={lang}",
        caller.self_origin
    ))
}

/// `GET /email-link`: the confirmation page. Touches no storage.
pub fn confirmation_page(words: &Words, token: Option<&str>) -> Response {
    match token.filter(|t| is_handle(t)) {
        Some(token) => page(
            words,
            200,
            &words.get("page.link-title"),
            &format!(
                "<p>{}</p>\
                 <form method=post action=\"/email-link\">\
                 <input type=hidden name=token value=\"{}\">\
                 <input type=hidden name=lang value=\"{}\">\
                 <button type=submit>{}</button></form>",
                escape(&words.get("page.link-text")),
                escape(token),
                words.lang(),
                escape(&words.get("page.link-button")),
            ),
        ),
        None => expired_page(words),
    }
}

fn expired_page(words: &Words) -> Response {
    message_page(words, 400, "page.expired-title", "page.expired-text")
}

/// A page that says one thing: a title and a paragraph, by message key.
fn message_page(words: &Words, status: u16, title: &str, text: &str) -> Response {
    let body = format!("<p>{}</p>", escape(&words.get(text)));
    page(words, status, &words.get(title), &body)
}

/// `POST /email-link`: uses the link.
pub async fn confirm(
    ports: &Ports<'_>,
    context: &RequestContext,
    words: &Words,
    token: Option<&str>,
) -> Result<Response, Error> {
    let Some(token) = token.filter(|t| is_handle(t)) else {
        return Ok(expired_page(words));
    };
    let now = ports.clock.now();
    let Some(value) = ports.one_time.take(&key(token), now).await? else {
        return Ok(expired_page(words));
    };
    let record: LinkRecord =
        serde_json::from_str(&value).map_err(|e| Error::Internal(format!("link record: {e}")))?;
    let Some(user) = ports.users.find_by_id(&record.user_id).await? else {
        return Ok(expired_page(words));
    };
    if !user.email_verified {
        ports.users.set_email_verified(&user.id, now).await?;
        events::record(ports, context, verified_event(&user, &record.client_id)).await;
    }
    if let Some(flow_id) = &record.flow_id {
        ports
            .one_time
            .put(
                &confirmed_key(flow_id),
                &value,
                now.plus_seconds(CODE_TTL_SECONDS),
            )
            .await
            .or_else(|err| match err {
                // Confirmed already by another link of the same flow.
                crate::ports::StoreError::Conflict => Ok(()),
                other => Err(other),
            })?;
        return Ok(message_page(
            words,
            200,
            "page.signed-in-title",
            "page.signed-in-text",
        ));
    }
    Ok(message_page(
        words,
        200,
        "page.confirmed-title",
        "page.confirmed-text",
    ))
}

/// `user.email.verify` for an address just proven.
pub fn verified_event<'a>(user: &'a User, client_id: &'a str) -> EventSpec<'a> {
    EventSpec::user_success(
        types::EMAIL_VERIFY,
        "User verified their email address",
        user,
        client_id,
    )
}

/// Whether a link of the flow was used, without using the confirmation up.
pub async fn is_confirmed(ports: &Ports<'_>, flow_id: &str) -> Result<bool, Error> {
    Ok(ports
        .one_time
        .peek(&confirmed_key(flow_id), ports.clock.now())
        .await?
        .is_some())
}

/// Takes the flow's confirmation: the account the link proved, and what for.
pub async fn take_confirmation(
    ports: &Ports<'_>,
    flow_id: &str,
) -> Result<(String, Purpose), Error> {
    let value = ports
        .one_time
        .take(&confirmed_key(flow_id), ports.clock.now())
        .await?
        .ok_or(Error::LinkExpired)?;
    let record: LinkRecord =
        serde_json::from_str(&value).map_err(|e| Error::Internal(format!("link record: {e}")))?;
    Ok((record.user_id, record.purpose))
}
