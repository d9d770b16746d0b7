//! Secrets that cross the wire: passwords, emailed codes, reset tokens.

use serde::{Deserialize, Serialize};

/// A secret a person typed or was sent. Its `Debug` prints `[redacted]`, so a request
/// body logged by mistake shows no password; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that checks or sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output_but_travels_as_a_plain_string() {
        let secret = Secret::new("correct horse battery staple");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let body = crate::api::PasswordSignIn {
            email: "ada@example.com".into(),
            password: secret.clone(),
            turnstile_token: None,
        };
        assert!(!format!("{body:?}").contains("horse"));
        let json = serde_json::to_string(&body).unwrap_or_default();
        assert!(json.contains("\"password\":\"correct horse battery staple\""));
        let back: crate::api::PasswordSignIn = serde_json::from_str(&json).unwrap_or(body);
        assert_eq!(back.password.expose(), "correct horse battery staple");
    }
}
