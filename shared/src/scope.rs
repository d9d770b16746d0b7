//! RFC 6749 §3.3 `scope`: "a list of space-delimited, case-sensitive strings". The one
//! place a scope string is read; empty entries (doubled spaces) are dropped.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Scopes asked for or granted, in order. Stored as a list (as always); written in
/// protocol messages as the space-delimited string ([`fmt::Display`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// The scopes of a space-delimited list.
    pub fn parse(list: &str) -> Scopes {
        list.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Whether `scope` is one of them.
    pub fn has(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// Whether every scope of `other` is one of these (a narrowing, never a widening).
    pub fn covers(&self, other: &[String]) -> bool {
        other.iter().all(|s| self.has(s))
    }
}

impl Deref for Scopes {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl FromIterator<String> for Scopes {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Scopes {
        Scopes(iter.into_iter().collect())
    }
}

impl<'a> FromIterator<&'a str> for Scopes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Scopes {
        iter.into_iter().map(str::to_string).collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
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
        let parsed = Scopes::parse("openid  email");
        assert_eq!(&*parsed, ["openid", "email"]);
        assert_eq!(parsed.to_string(), "openid email");
        assert!(Scopes::parse("").is_empty());
        assert!(has("openid account", "account"));
        assert!(!has("openid Account", "account"));
        assert!(!has("openidaccount", "account"));
        assert!(Scopes::parse("openid account").has("account"));
        assert!(!Scopes::parse("openid Account").has("account"));
    }

    #[test]
    fn a_narrowing_is_covered_and_a_widening_is_not() {
        let granted = Scopes::parse("openid email offline_access");
        assert!(granted.covers(&Scopes::parse("openid email")));
        assert!(granted.covers(&Scopes::default()));
        assert!(!granted.covers(&Scopes::parse("openid admin")));
    }

    #[test]
    fn stored_as_the_list_it_always_was() {
        let scopes = Scopes::parse("openid email");
        let json = serde_json::to_string(&scopes).unwrap();
        assert_eq!(json, r#"["openid","email"]"#);
        assert_eq!(serde_json::from_str::<Scopes>(&json).unwrap(), scopes);
    }
}
