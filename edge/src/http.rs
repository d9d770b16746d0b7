//! The runtime-neutral HTTP shapes the core handles.
//!
//! The platform converts its native request into a [`Request`] and writes the
//! [`Response`] back; nothing here depends on a runtime.

/// Largest request body the JSON API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
