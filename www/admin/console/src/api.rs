//! The admin API as the console calls it: same-origin `fetch` with the administrator's
//! bearer token, answers sorted into what the console shows.

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a call did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 403: the signed-in person is not an administrator (or lacks this right).
    Refused,
    /// 401: the token expired, or the sign-in is too old or lacks the second factor
    /// (RFC 9470 `insufficient_user_authentication`).
    SignInAgain,
    /// 400, 409 or 412: the API refused what was sent (a rule, a name taken, a change
    /// made meanwhile); nothing was changed.
    Rejected,
    /// Anything else: the network, or an answer of ours that is not a success.
    Failed,
}

/// The administrator's access token, from the widget's `portcullis:signed-in`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

async fn fetch(
    method: &str,
    path: &str,
    token: Option<&Token>,
    body: Option<&Value>,
) -> Result<(u16, String), JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new()?;
    if let Some(token) = token {
        headers.set("authorization", &format!("Bearer {}", token.0))?;
    }
    if let Some(body) = body {
        // SCIM's own media type (RFC 7644 §3.1) for SCIM, JSON for the rest.
        let media = if path.starts_with("/scim/") {
            "application/scim+json"
        } else {
            "application/json"
        };
        headers.set("content-type", media)?;
        init.set_body(&JsValue::from_str(&body.to_string()));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init)?;
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// A static file's text (a catalogue), or `None`.
pub async fn get_text(path: &str) -> Option<String> {
    match fetch("GET", path, None, None).await {
        Ok((200, text)) => Some(text),
        _ => None,
    }
}

/// Calls the admin API; the JSON answer of a success (`Null` for an empty one).
pub async fn call(method: &str, path: &str, token: &Token) -> Result<Value, Failure> {
    send(method, path, token, None).await
}

/// Calls the admin API with a JSON `body`; the JSON answer of a success.
pub async fn send(
    method: &str,
    path: &str,
    token: &Token,
    body: Option<&Value>,
) -> Result<Value, Failure> {
    match fetch(method, path, Some(token), body).await {
        Ok((status, text)) if (200..300).contains(&status) => {
            Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Ok((401, _)) => Err(Failure::SignInAgain),
        Ok((403, _)) => Err(Failure::Refused),
        Ok((400 | 409 | 412, _)) => Err(Failure::Rejected),
        _ => Err(Failure::Failed),
    }
}

/// `value` as a SCIM filter string literal (RFC 7644 §3.4.2.2: a JSON string).
pub fn quoted(value: &str) -> String {
    Value::String(value.to_string()).to_string()
}

/// `value` percent-encoded for a query string.
pub fn encoded(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
