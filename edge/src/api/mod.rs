//! The HTTP surface: the `/v1` JSON API and the OAuth / OpenID Connect endpoints —
//! routing, CORS, and body parsing. Handlers only extract, call the core, and map the
//! result; decisions live in the core modules.

mod route;
mod routes;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::http::{BodyProblem, Method, Request, Response};
use crate::ports::Ports;
use route::Endpoint;

/// A handled request: the response, and what to log about it (never sent to the caller).
#[derive(Debug)]
pub struct Handled {
    pub response: Response,
    pub log: Option<String>,
}

/// Handles one request to the edge's API.
pub async fn handle(ports: &Ports<'_>, request: Request) -> Handled {
    let origin = request.header("origin").map(str::to_string);
    let (response, log) = if request.method == Method::Options {
        (preflight(), None)
    } else {
        match routes::dispatch(ports, &request).await {
            Ok(response) => (response, None),
            Err(err) => {
                let log = err
                    .detail()
                    .map(|d| format!("{} {}: {d}", err.code(), request.path));
                let route = route::Route::parse(&request.path);
                let response = match route {
                    Some(route) if route.is_page() && err.status() >= 500 => {
                        crate::pages::error_page(err.status(), &err.public_message())
                    }
                    // RFC 9110 §15.5.6: a 405 says which methods would do.
                    Some(route) if err == Error::MethodNotAllowed => err
                        .to_response()
                        .with_header("allow", &route.allow_header()),
                    _ => err.to_response(),
                };
                (response, log)
            }
        }
    };
    // The development mailbox shows every email: no other origin may read it.
    let response = match route::Route::parse(&request.path) {
        Some(route::Route::DevMailbox | route::Route::DevMailboxPage(_)) => response,
        _ => with_cors(response, origin.as_deref()),
    };
    Handled { response, log }
}

/// CORS preflight (Fetch standard §3.2.2). Any origin may ask; whether it may act for a
/// client is decided on the actual request, which carries the `client_id`.
fn preflight() -> Response {
    Response::empty(204)
        .with_header("access-control-allow-methods", "GET, POST, PATCH, DELETE")
        .with_header(
            "access-control-allow-headers",
            "content-type, authorization, portcullis-federation-ticket, portcullis-device",
        )
        .with_header("access-control-max-age", "600")
}

/// Lets the calling page read the response, success or error, so a refused origin sees a
/// clear `origin_not_allowed` instead of an opaque network failure. No credentials are
/// ever allowed cross-origin, so this exposes nothing a plain request could not.
fn with_cors(response: Response, origin: Option<&str>) -> Response {
    match origin {
        Some(origin) => response
            .with_header("access-control-allow-origin", origin)
            .with_header("vary", "Origin"),
        None => response,
    }
}

/// Parses a JSON body of type `T`, insisting on `application/json` and a sane size.
fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, Error> {
    request.json_body().map_err(|problem| match problem {
        BodyProblem::UnsupportedMediaType => Error::UnsupportedMediaType,
        BodyProblem::TooLarge => Error::BodyTooLarge,
        BodyProblem::Malformed(detail) => Error::MalformedBody(detail),
    })
}

#[cfg(test)]
mod tests;

/// The provider's HTTP surface driven natively; its helpers serve other surfaces' tests.
#[cfg(test)]
pub(crate) mod oidc_tests;
