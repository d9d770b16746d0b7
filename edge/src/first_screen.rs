//! `GET /v1/clients/{id}/first-screen?lang=…&theme=…`: the widget's first screen as
//! HTML, rendered here by the widget's own views (`portcullis_widget::first_screen`) so
//! that a visitor can type into it before the widget's wasm arrives, which then hydrates
//! it. Public data, like the client's configuration it carries: cacheable per client,
//! language and theme (all three in the URL), revalidated by `ETag`.

use portcullis_shared::api::{ClientConfig, FirstScreenBody};
use portcullis_shared::messages::RIGHT_TO_LEFT;
use portcullis_shared::theme::Theme;
use portcullis_widget::first_screen;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::http::Response;

/// The response for `config`'s first screen, given the request's query and its
/// `If-None-Match` (RFC 9110 §13.1.2).
pub fn respond(
    config: ClientConfig,
    params: &[(String, String)],
    if_none_match: Option<&str>,
) -> Result<Response, Error> {
    let lang = single(params, "lang")?.unwrap_or("en");
    if !first_screen::speaks(lang) {
        return Err(Error::InvalidField("lang"));
    }
    let preset = single(params, "theme")?;
    if preset.is_some_and(|name| Theme::preset(name).is_none()) {
        return Err(Error::InvalidField("theme"));
    }
    let screen = first_screen::render(&config, lang, preset).ok_or(Error::InvalidField("lang"))?;
    let body = FirstScreenBody {
        config,
        lang: lang.to_string(),
        dir: if RIGHT_TO_LEFT.contains(&lang) {
            "rtl"
        } else {
            "ltr"
        }
        .to_string(),
        html: screen.html,
        css: screen.css,
    };
    let response = Response::json(200, &body);
    let tag = etag(&response.body);
    let response = if if_none_match.is_some_and(|wanted| matches(wanted, &tag)) {
        Response::empty(304)
    } else {
        response
    };
    // The client's configuration may change: a minute, like `/v1/clients/{id}`.
    Ok(response
        .with_header("cache-control", "public, max-age=60")
        .with_header("etag", &tag)
        .with_header("vary", "Origin"))
}

/// A query parameter given at most once (RFC 6749 §3.1's rule, kept for every query).
fn single<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> Result<Option<&'a str>, Error> {
    let mut values = params.iter().filter(|(key, _)| key == name);
    let first = values.next().map(|(_, value)| value.as_str());
    if values.next().is_some() {
        return Err(Error::InvalidField(name));
    }
    Ok(first)
}

/// A strong validator: the body's SHA-256, shortened.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// RFC 9110 §13.1.2: `*`, or one of the listed tags (weak comparison).
fn matches(if_none_match: &str, tag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag)
}
