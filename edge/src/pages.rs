//! The few HTML pages the edge renders itself (errors of `/authorize`, logout, email
//! link confirmations): small, self-contained, no scripts.

use crate::http::Response;
use crate::i18n::Words;

/// A page with `title` and `body` (HTML the caller escaped) in the language of `words`,
/// forms posting only to this origin.
pub fn page(words: &Words, status: u16, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang={lang} dir={dir}><head><meta charset=utf-8><title>{title}</title>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1>{body}</body></html>",
        title = escape(title),
        lang = words.lang(),
        dir = words.dir(),
    );
    Response {
        status,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
            (
                "content-security-policy".into(),
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'".into(),
            ),
            ("referrer-policy".into(), "no-referrer".into()),
        ],
        body: html.into_bytes(),
    }
}

/// A plain page explaining why an authorization or logout request cannot continue;
/// `message` is ours, never the caller's input.
pub fn error_page(status: u16, message: &str) -> Response {
    // For the application's developers, in English.
    page(
        &Words::english(),
        status,
        "This sign-in request can't continue",
        &format!(
            "<p>{}</p><p>Go back to the application and try again.</p>",
            escape(message)
        ),
    )
}

/// `/email-link`: sign-in and verification emails carry codes, not links; a link from an
/// older email says it has expired, whatever it holds, and uses nothing.
pub fn link_expired(words: &Words) -> Response {
    let body = format!("<p>{}</p>", escape(&words.get("page.expired-text")));
    page(words, 400, &words.get("page.expired-title"), &body)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_what_they_show() {
        let page = error_page(400, "<script>");
        let body = String::from_utf8(page.body).unwrap_or_default();
        assert!(body.contains("&lt;script&gt;") && !body.contains("<script>"));
    }

    #[test]
    fn titles_are_escaped_and_pages_are_not_cached_or_framed() {
        let page = page(&Words::for_tag("he"), 200, "<b>", "<p>ok</p>");
        let body = String::from_utf8(page.body).unwrap_or_default();
        assert!(body.contains("<title>&lt;b&gt;</title>"));
        assert!(body.contains("<html lang=he dir=rtl>"));
        let csp = page
            .headers
            .iter()
            .find(|(n, _)| n == "content-security-policy")
            .map(|(_, v)| v.as_str());
        assert!(csp.is_some_and(|v| v.contains("frame-ancestors 'none'")));
    }
}
