//! The third-party services behind [`HumanCheck`] and [`BreachedPasswords`], over
//! `fetch`, each at a configurable URL (so tests can point them at local stand-ins):
//!
//! - `TURNSTILE_SITEVERIFY_URL` (default Cloudflare's siteverify), with the
//!   `TURNSTILE_SECRET_KEY` secret; `TURNSTILE_SITE_KEY` is what the widget renders.
//! - `PWNED_PASSWORDS_URL` (default `https://api.pwnedpasswords.com`), `GET
//!   /range/{prefix}` with `Add-Padding: true`.
//!
//! Each call gives up after a few seconds: a slow service must not hold a sign-up.
//!
//! And [`FetchTransport`], the [`WebhookTransport`] to the customer's own endpoints
//! (event and inline hooks), with the timeout each call is given.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, RequestInit, RequestRedirect};

use crate::hooks::WebhookRequest;
use crate::ports::{
    BreachedPasswords, HttpAnswer, HumanCheck, OutboundError, TransportError, WebhookTransport,
    MAX_ANSWER_BYTES,
};

pub const DEFAULT_SITEVERIFY_URL: &str =
    "https://challenges.cloudflare.com/turnstile/v0/siteverify";
pub const DEFAULT_PWNED_PASSWORDS_URL: &str = "https://api.pwnedpasswords.com";
const TIMEOUT: Duration = Duration::from_secs(4);

fn failed(context: &'static str) -> impl Fn(worker::Error) -> OutboundError {
    move |e| OutboundError(format!("{context}: {e}"))
}

/// Sends `init` to `url` and returns the body of a 2xx answer, within [`TIMEOUT`].
async fn fetch_text(
    url: &str,
    init: &RequestInit,
    context: &'static str,
) -> Result<String, OutboundError> {
    let request = worker::Request::new_with_init(url, init).map_err(failed(context))?;
    let call = Box::pin(async move {
        let mut response = Fetch::Request(request).send().await?;
        let status = response.status_code();
        let body = response.text().await?;
        Ok::<_, worker::Error>((status, body))
    });
    match select(call, Box::pin(Delay::from(TIMEOUT))).await {
        Either::Left((Ok((200..=299, body)), _)) => Ok(body),
        Either::Left((Ok((status, _)), _)) => {
            Err(OutboundError(format!("{context}: answered {status}")))
        }
        Either::Left((Err(e), _)) => Err(failed(context)(e)),
        Either::Right(_) => Err(OutboundError(format!("{context}: timed out"))),
    }
}

pub struct Turnstile {
    pub url: String,
    pub secret: Option<String>,
}

#[async_trait(?Send)]
impl HumanCheck for Turnstile {
    async fn siteverify(
        &self,
        token: &str,
        remote_ip: Option<&str>,
    ) -> Result<String, OutboundError> {
        let Some(secret) = &self.secret else {
            return Err(OutboundError("TURNSTILE_SECRET_KEY is not set".into()));
        };
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("secret", secret);
        form.append_pair("response", token);
        if let Some(ip) = remote_ip {
            form.append_pair("remoteip", ip);
        }
        let headers = Headers::new();
        headers
            .set("content-type", "application/x-www-form-urlencoded")
            .map_err(failed("siteverify"))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(form.finish().into()));
        fetch_text(&self.url, &init, "siteverify").await
    }
}

pub struct PwnedPasswords {
    pub url: String,
}

#[async_trait(?Send)]
impl BreachedPasswords for PwnedPasswords {
    async fn range(&self, prefix: &str) -> Result<String, OutboundError> {
        let headers = Headers::new();
        headers
            .set("add-padding", "true")
            .map_err(failed("pwned passwords"))?;
        headers
            .set("user-agent", "Portcullis")
            .map_err(failed("pwned passwords"))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let url = format!("{}/range/{prefix}", self.url.trim_end_matches('/'));
        fetch_text(&url, &init, "pwned passwords").await
    }
}

/// `fetch`, abandoned (and aborted) when the timeout passes before the answer has been
/// read; redirects are answers, not followed (a redirect could point a signed payload
/// anywhere).
pub struct FetchTransport;

#[async_trait(?Send)]
impl WebhookTransport for FetchTransport {
    async fn post(
        &self,
        request: &WebhookRequest,
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        let init = request_init(Method::Post, &request.headers, Some(&request.body))?;
        exchange(&request.url, &init, timeout_ms).await
    }

    async fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        let init = request_init(Method::Get, headers, None)?;
        exchange(url, &init, timeout_ms).await
    }
}

/// A request that does not follow redirects: they are answers (a redirect could point a
/// signed payload, or a code, anywhere).
fn request_init(
    method: Method,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Result<RequestInit, TransportError> {
    let set = Headers::new();
    for (name, value) in headers {
        set.set(name, value)
            .map_err(|e| TransportError(e.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(set)
        .with_redirect(RequestRedirect::Manual);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(body)));
    }
    Ok(init)
}

/// Sends `init` to `url`: the status, headers and at most [`MAX_ANSWER_BYTES`] of the
/// body, unless `timeout_ms` passes first (then the request is aborted).
async fn exchange(
    url: &str,
    init: &RequestInit,
    timeout_ms: u64,
) -> Result<HttpAnswer, TransportError> {
    let failed = |e: worker::Error| TransportError(e.to_string());
    let outbound = worker::Request::new_with_init(url, init).map_err(failed)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = std::pin::pin!(async {
        let mut response = Fetch::Request(outbound).send_with_signal(&signal).await?;
        let status = response.status_code();
        let headers = response
            .headers()
            .entries()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        let mut body = Vec::new();
        if let Ok(mut stream) = response.stream() {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                let room = MAX_ANSWER_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_ANSWER_BYTES {
                    break;
                }
            }
        }
        Ok::<_, worker::Error>(HttpAnswer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    });
    let timeout = Delay::from(Duration::from_millis(timeout_ms));
    match select(exchange, timeout).await {
        Either::Left((answer, _)) => answer.map_err(failed),
        Either::Right(_) => {
            controller.abort();
            Err(TransportError(format!("no answer within {timeout_ms} ms")))
        }
    }
}
