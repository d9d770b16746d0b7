//! RFC 6749 §3.3 `scope`: "a list of space-delimited, case-sensitive strings". The one
//! place a scope string is read; empty entries (doubled spaces) are dropped.

/// The scopes of a space-delimited list, in order.
pub fn parse(list: &str) -> Vec<String> {
    list.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether the space-delimited `list` holds `scope`.
pub fn has(list: &str, scope: &str) -> bool {
    list.split(' ').any(|s| s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_3_3_scopes_are_space_delimited_and_case_sensitive() {
        assert_eq!(parse("openid  email"), ["openid", "email"]);
        assert!(parse("").is_empty());
        assert!(has("openid account", "account"));
        assert!(!has("openid Account", "account"));
        assert!(!has("openidaccount", "account"));
    }
}
