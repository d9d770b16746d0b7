//! The Cloudflare Workers platform: the `fetch` entry point, and the ports built from
//! the Worker's bindings.
//!
//! Bindings (see `wrangler.toml`): `DB` (D1), `ONE_TIME` (Durable Object namespace of
//! [`OneTimeObject`]), and the optional `ISSUER` variable, the public origin of this
//! deployment when it differs from the request's (behind a custom route, say).

mod d1;
mod one_time;

pub use one_time::OneTimeObject;

use worker::{console_error, event, Context, Env, Headers};

use crate::api;
use crate::error::Error;
use crate::http::{Method, Request, Response, MAX_BODY_BYTES};
use crate::ports::{Clock, Ports, RandomUnavailable, SecureRandom, StoreError, UnixMillis};

/// `Date.now()`: the runtime's clock.
struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(js_sys::Date::now() as u64)
    }
}

/// `crypto.getRandomValues` through `getrandom`.
struct WebCryptoRandom;

impl SecureRandom for WebCryptoRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomUnavailable> {
        getrandom::fill(dest).map_err(|_| RandomUnavailable)
    }
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let response = match serve(req, &env).await {
        Ok(response) => response,
        Err(err) => {
            // Binding or conversion failures: answer like any other outage, never a bare 500.
            console_error!("platform: {err}");
            Error::Store(StoreError::Unavailable(err.to_string())).to_response()
        }
    };
    into_worker_response(response)
}

async fn serve(mut req: worker::Request, env: &Env) -> worker::Result<Response> {
    let declared_length = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Ok(Error::BodyTooLarge.to_response());
    }
    let url = req.url()?;
    let self_origin = match env.var("ISSUER") {
        Ok(issuer) => issuer.to_string().trim_end_matches('/').to_string(),
        Err(_) => url.origin().ascii_serialization(),
    };
    let headers = req
        .headers()
        .entries()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    let method = Method::parse(req.method().as_ref());
    let body = match method {
        Method::Get | Method::Head | Method::Options => Vec::new(),
        _ => req.bytes().await?,
    };
    let request = Request {
        method,
        path: url.path().to_string(),
        headers,
        body,
        self_origin,
    };

    let one_time = one_time::DurableOneTimeStore::new(env.durable_object("ONE_TIME")?);
    let clients = d1::D1ClientStore::new(env.d1("DB")?);
    let ports = Ports {
        clock: &WorkerClock,
        random: &WebCryptoRandom,
        one_time: &one_time,
        clients: &clients,
    };
    let handled = api::handle(&ports, request).await;
    if let Some(log) = handled.log {
        console_error!("{log}");
    }
    Ok(handled.response)
}

fn into_worker_response(response: Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    let body = if response.body.is_empty() {
        None
    } else {
        Some(response.body)
    };
    let out = match body {
        Some(bytes) => worker::Response::from_bytes(bytes)?,
        None => worker::Response::empty()?,
    };
    Ok(out.with_status(response.status).with_headers(headers))
}
