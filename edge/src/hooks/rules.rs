//! What makes a hook registration valid, wherever it comes from: the admin API
//! ([`super::admin`]) and `scripts/hooks` apply the same rules, and both are held to the
//! cases of `edge/tests/vectors/hook-rules.json`.

use super::inline::{DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS};
use super::model::{EventTypeFilter, FailureMode, InlineHookKind};

/// The longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// The most event type patterns one hook may have.
pub const MAX_EVENT_TYPES: usize = 50;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// Why a field of a hook registration was refused; the text is for the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// An endpoint: `https://` anywhere, plain `http://` only to this machine (development),
/// without credentials or a fragment, at most [`MAX_URL_CHARS`] long.
pub fn parse_url(value: &str) -> Result<String, Invalid> {
    let field = "url";
    if value.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if value.chars().count() > MAX_URL_CHARS {
        return Err(invalid(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(invalid(field, "is not an absolute URL"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(invalid(
            field,
            "must be https (plain http only to localhost)",
        ));
    }
    if value.contains('#') {
        return Err(invalid(field, "must not have a fragment"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(field, "must not carry credentials"));
    }
    let host = host_of(authority).ok_or_else(|| invalid(field, "is not an absolute URL"))?;
    if scheme == "http" && !crate::http::is_loopback_host(&host) {
        return Err(invalid(
            field,
            "must be https (plain http only to localhost)",
        ));
    }
    Ok(value.to_string())
}

/// The host of `authority` (`host[:port]`, `[v6][:port]`), lower-cased, if well formed.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        (format!("[{inside}]"), after.strip_prefix(':'))
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !host.trim_end_matches('.').split('.').all(label_ok) {
            return None;
        }
        (host.to_string(), port)
    };
    if let Some(port) = port {
        if !port.is_empty() && port.parse::<u16>().is_err() {
            return None;
        }
    }
    Some(host.to_ascii_lowercase())
}

/// The event types: one to [`MAX_EVENT_TYPES`] patterns, each an [`EventTypeFilter`];
/// repeats are dropped, the order kept.
pub fn parse_event_types(patterns: &[String]) -> Result<Vec<String>, Invalid> {
    let field = "event_types";
    if patterns.is_empty() {
        return Err(invalid(field, "needs at least one event type"));
    }
    if patterns.len() > MAX_EVENT_TYPES {
        return Err(invalid(
            field,
            format!("may have at most {MAX_EVENT_TYPES} patterns"),
        ));
    }
    let mut kept: Vec<String> = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        EventTypeFilter::parse(pattern).map_err(|_| {
            invalid(
                field,
                format!(
                    "{pattern:?} is not an eventType (user.session.start), a prefix (user.*) or *"
                ),
            )
        })?;
        if !kept.contains(pattern) {
            kept.push(pattern.clone());
        }
    }
    Ok(kept)
}

/// A description of at most [`MAX_DESCRIPTION_CHARS`] characters, without control
/// characters.
pub fn parse_description(value: &str) -> Result<String, Invalid> {
    let field = "description";
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(
            field,
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

/// The shortest timeout an inline hook may have.
pub const MIN_TIMEOUT_MS: u64 = 100;

/// Where an inline hook is consulted: `registration` or `token`.
pub fn parse_inline_kind(value: &str) -> Result<InlineHookKind, Invalid> {
    InlineHookKind::parse(value).ok_or_else(|| invalid("kind", "must be registration or token"))
}

/// A client id as clients are registered with: a letter or digit, then up to 127 of
/// letters, digits and `._~-`.
pub fn parse_client_id(value: &str) -> Result<String, Invalid> {
    let mut bytes = value.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
    if first_ok && rest_ok && value.len() <= 128 {
        Ok(value.to_string())
    } else {
        Err(invalid("client_id", "is not a client id"))
    }
}

/// How long an inline hook may take: [`MIN_TIMEOUT_MS`] to [`MAX_TIMEOUT_MS`], by
/// default [`DEFAULT_TIMEOUT_MS`].
pub fn parse_timeout_ms(value: Option<u64>) -> Result<u64, Invalid> {
    let timeout = value.unwrap_or(DEFAULT_TIMEOUT_MS);
    if (MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout) {
        Ok(timeout)
    } else {
        Err(invalid(
            "timeout_ms",
            format!("must be {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS}"),
        ))
    }
}

/// What a failed inline hook call means: `open` or `closed` (the default).
pub fn parse_failure_mode(value: Option<&str>) -> Result<FailureMode, Invalid> {
    value.map_or(Ok(FailureMode::Closed), |v| {
        FailureMode::parse(v).ok_or_else(|| invalid("failure_mode", "must be open or closed"))
    })
}

/// Whether `id` has the shape of an event hook id (`hk_` and 16 to 32 hex digits), so
/// malformed ids are answered as unknown before any store is read.
pub fn is_hook_id(id: &str) -> bool {
    has_id_shape(id, "hk_")
}

/// Whether `id` has the shape of an inline hook id (`ih_` and 16 to 32 hex digits).
pub fn is_inline_hook_id(id: &str) -> bool {
    has_id_shape(id, "ih_")
}

fn has_id_shape(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (16..=32).contains(&hex.len())
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const VECTORS: &str = include_str!("../../tests/vectors/hook-rules.json");

    fn cases(kind: &str, outcome: &str) -> Vec<Value> {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        vectors[kind][outcome].as_array().unwrap().clone()
    }

    #[test]
    fn hook_urls_follow_the_shared_vectors() {
        for url in cases("url", "valid") {
            let url = url.as_str().unwrap();
            assert_eq!(parse_url(url).as_deref(), Ok(url), "{url}");
        }
        for url in cases("url", "invalid") {
            let url = url.as_str().unwrap();
            assert_eq!(parse_url(url).map_err(|e| e.field), Err("url"), "{url}");
        }
    }

    #[test]
    fn hook_event_types_and_descriptions_follow_the_shared_vectors() {
        for pattern in cases("event_type", "valid") {
            let pattern = pattern.as_str().unwrap().to_string();
            assert!(
                parse_event_types(std::slice::from_ref(&pattern)).is_ok(),
                "{pattern}"
            );
        }
        for pattern in cases("event_type", "invalid") {
            let pattern = pattern.as_str().unwrap().to_string();
            assert!(
                parse_event_types(std::slice::from_ref(&pattern)).is_err(),
                "{pattern}"
            );
        }
        for length in cases("description_length", "valid") {
            let text = "é".repeat(length.as_u64().unwrap() as usize);
            assert!(parse_description(&text).is_ok());
        }
        for length in cases("description_length", "invalid") {
            let text = "é".repeat(length.as_u64().unwrap() as usize);
            assert!(parse_description(&text).is_err());
        }
        assert!(parse_event_types(&[]).is_err());
        assert_eq!(
            parse_event_types(&["user.*".into(), "user.*".into(), "*".into()]),
            Ok(vec!["user.*".to_string(), "*".to_string()])
        );
    }

    #[test]
    fn inline_hook_settings_follow_the_shared_vectors() {
        let strings = |kind, outcome| -> Vec<String> {
            cases(kind, outcome)
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        for kind in strings("inline_kind", "valid") {
            assert!(parse_inline_kind(&kind).is_ok(), "{kind}");
        }
        for kind in strings("inline_kind", "invalid") {
            assert!(parse_inline_kind(&kind).is_err(), "{kind}");
        }
        for id in strings("client_id", "valid") {
            assert_eq!(parse_client_id(&id), Ok(id.clone()));
        }
        for id in strings("client_id", "invalid") {
            assert!(parse_client_id(&id).is_err(), "{id}");
        }
        for mode in strings("failure_mode", "valid") {
            assert!(parse_failure_mode(Some(&mode)).is_ok(), "{mode}");
        }
        for mode in strings("failure_mode", "invalid") {
            assert!(parse_failure_mode(Some(&mode)).is_err(), "{mode}");
        }
        for ms in cases("timeout_ms", "valid") {
            assert!(parse_timeout_ms(ms.as_u64()).is_ok(), "{ms}");
        }
        for ms in cases("timeout_ms", "invalid") {
            assert!(parse_timeout_ms(ms.as_u64()).is_err(), "{ms}");
        }
        assert_eq!(parse_timeout_ms(None), Ok(DEFAULT_TIMEOUT_MS));
        assert_eq!(parse_failure_mode(None), Ok(FailureMode::Closed));
    }

    #[test]
    fn hook_ids_have_one_shape() {
        assert!(is_inline_hook_id("ih_0123456789abcdef") && !is_hook_id("ih_0123456789abcdef"));
        assert!(is_hook_id("hk_0123456789abcdef"));
        for bad in [
            "hk_0123",
            "hk_0123456789ABCDEF",
            "ih_0123456789abcdef",
            "hk_../x",
        ] {
            assert!(!is_hook_id(bad), "{bad}");
        }
    }
}
