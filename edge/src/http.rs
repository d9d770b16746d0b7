//! The runtime-neutral HTTP shapes the core handles.
//!
//! The platform converts its native request into a [`Request`] and writes the
//! [`Response`] back; nothing here depends on a runtime.

/// Largest request body the JSON API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a JSON body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyProblem {
    /// The `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// Over [`MAX_BODY_BYTES`].
    TooLarge,
    /// Not JSON of the expected shape; serde's account of where.
    Malformed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// An incoming request as the core sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The URL path, without query string.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The scheme, host and port this deployment is reached at (e.g. `http://localhost:8787`).
    pub self_origin: String,
}

impl Request {
    /// The query string's parameters.
    pub fn query_params(&self) -> Vec<(String, String)> {
        decode_form(self.query.as_bytes())
    }

    /// The body as JSON of type `T`, insisting on `application/json` and a sane size.
    pub fn json_body<T: serde::de::DeserializeOwned>(&self) -> Result<T, BodyProblem> {
        let content_type = self.header("content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case("application/json") {
            return Err(BodyProblem::UnsupportedMediaType);
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(BodyProblem::TooLarge);
        }
        serde_json::from_slice(&self.body).map_err(|e| BodyProblem::Malformed(e.to_string()))
    }

    /// The body's form parameters, if the body is a form.
    pub fn form_params(&self) -> Option<Vec<(String, String)>> {
        let content_type = self.header("content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        media_type
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            .then(|| decode_form(&self.body))
    }

    /// The first value of header `name` (matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The origin this deployment answers a request for, given the `ISSUER` it is
/// configured with and the origin the request was addressed to; `None` to refuse it.
///
/// A deployed worker answers only for its issuer's host: a request naming another host
/// (a workers.dev alias, a forged `Host`) could otherwise mint tokens and pages for an
/// origin the clients do not trust. With a loopback issuer (local development) every
/// loopback name of the same port is the same machine.
pub fn self_origin(issuer: Option<&str>, requested: &str) -> Option<String> {
    let Some(issuer) = issuer.map(|i| i.trim_end_matches('/')) else {
        return Some(requested.to_string());
    };
    let same = issuer.eq_ignore_ascii_case(requested)
        || (is_loopback(issuer)
            && is_loopback(requested)
            && scheme_and_port(issuer) == scheme_and_port(requested));
    same.then(|| issuer.to_string())
}

/// Whether `origin` (`scheme://host[:port]`) names this machine: `localhost`, 127.0.0.0/8
/// or `[::1]`.
pub fn is_loopback(origin: &str) -> bool {
    is_loopback_host(&host_of(origin).to_ascii_lowercase())
}

/// Whether a lower-case `host` is this machine: `localhost`, `*.localhost`, 127.0.0.0/8
/// or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn authority(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    rest.split('/').next().unwrap_or_default()
}

fn host_of(origin: &str) -> &str {
    let authority = authority(origin);
    match authority.rfind(':') {
        // An IPv6 literal keeps its brackets; its colons are not a port separator.
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    }
}

fn scheme_and_port(origin: &str) -> (&str, &str) {
    let scheme = origin.split_once("://").map_or("", |(scheme, _)| scheme);
    let authority = authority(origin);
    let host = host_of(origin);
    (scheme, &authority[host.len()..])
}

/// `302 Found` to `location`, never cached.
pub fn redirect(location: &str) -> Response {
    Response::empty(302)
        .with_header("location", location)
        .with_header("cache-control", "no-store")
}

/// Decoded `application/x-www-form-urlencoded` pairs, in order, repeats kept.
pub fn decode_form(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).into_owned().collect()
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response; `value` must be a plain serde data type.
    pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Response {
        // Serialising derive-generated data types to a Vec cannot fail: they have string
        // keys and no custom Serialize impls that return errors.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Response {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body,
        }
    }

    /// Adds a header beside any of the same name (`Set-Cookie`, RFC 6265 §3: one cookie
    /// per header).
    pub fn with_added_header(mut self, name: &str, value: &str) -> Response {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployed_worker_answers_only_for_its_issuers_host() {
        let issuer = Some("https://id.example.com/");
        assert_eq!(
            self_origin(issuer, "https://id.example.com").as_deref(),
            Some("https://id.example.com")
        );
        for other in [
            "https://portcullis.someone.workers.dev",
            "https://evil.example",
            "http://id.example.com",
            "https://id.example.com:8443",
            "http://localhost:8787",
        ] {
            assert_eq!(self_origin(issuer, other), None, "{other}");
        }
        // Without an ISSUER, the request's own origin.
        assert_eq!(
            self_origin(None, "http://localhost:8787").as_deref(),
            Some("http://localhost:8787")
        );
    }

    #[test]
    fn a_loopback_issuer_answers_every_loopback_name_of_its_port() {
        let issuer = Some("http://localhost:8787");
        for same in [
            "http://127.0.0.1:8787",
            "http://[::1]:8787",
            "http://localhost:8787",
        ] {
            assert_eq!(
                self_origin(issuer, same).as_deref(),
                Some("http://localhost:8787"),
                "{same}"
            );
        }
        for other in [
            "http://127.0.0.1:9000",
            "https://localhost:8787",
            "http://10.0.0.1:8787",
        ] {
            assert_eq!(self_origin(issuer, other), None, "{other}");
        }
        assert!(is_loopback("http://127.1.2.3"));
        assert!(!is_loopback("https://localhost.example.com"));
    }
}
