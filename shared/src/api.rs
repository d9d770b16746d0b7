//! Request and response bodies of the edge's `/v1` JSON API.

use serde::{Deserialize, Serialize};

/// `GET /v1/health`: the edge is up and its storage answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when every check passed.
    pub status: String,
    /// The edge's package version.
    pub version: String,
}

/// `GET /v1/clients/{client_id}`: what a widget may know about the client it serves.
///
/// Public and cacheable: it carries nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub client_id: String,
    /// Shown to people as "Sign in to {name}".
    pub name: String,
}

/// `POST /v1/flows`: begin a first-party sign-in flow for a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartFlow {
    pub client_id: String,
    /// The identifier the person typed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
}

/// The next thing the widget must ask of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Ask for an email address.
    Identify,
    /// Ask for the account's password.
    Password,
}

/// Response to `POST /v1/flows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStarted {
    /// Opaque, single-use handle for the rest of the flow.
    pub flow_id: String,
    /// Seconds until the handle expires.
    pub expires_in: u64,
    pub next: Step,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_flow_login_hint_is_optional() {
        let parsed: StartFlow = serde_json::from_str(r#"{"client_id":"demo"}"#).unwrap();
        assert_eq!(parsed.login_hint, None);
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#"{"client_id":"demo"}"#
        );
    }

    #[test]
    fn step_wire_names() {
        assert_eq!(
            serde_json::to_string(&Step::Identify).unwrap(),
            "\"identify\""
        );
        assert_eq!(
            serde_json::to_string(&Step::Password).unwrap(),
            "\"password\""
        );
    }
}
