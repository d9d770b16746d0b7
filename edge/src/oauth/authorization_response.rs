//! The authorization response (RFC 6749 §4.1.2, RFC 9207 §2): the client's redirect URI
//! with the code, `state` and `iss` added. Shared by `/authorize` (silent SSO) and hosted
//! flows that end in a redirect.

/// `redirect_uri` with `params` added to its query (RFC 6749 §4.1.2: "retaining" any
/// query the URI already has).
pub fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{separator}{}", query.finish())
}

/// The successful authorization response (RFC 6749 §4.1.2, RFC 9207 §2).
pub fn code_response(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    let mut params = vec![("code", code)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer));
    with_query(redirect_uri, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_4_1_2_response_keeps_the_redirect_uris_query_and_adds_iss() {
        assert_eq!(
            code_response(
                "https://a.example/cb?x=1",
                "c",
                Some("s t"),
                "https://id.example"
            ),
            "https://a.example/cb?x=1&code=c&state=s+t&iss=https%3A%2F%2Fid.example"
        );
        assert_eq!(
            code_response("https://a.example/cb", "c", None, "https://id.example"),
            "https://a.example/cb?code=c&iss=https%3A%2F%2Fid.example"
        );
    }
}
