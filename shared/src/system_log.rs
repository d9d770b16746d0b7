//! The System Log event: what the edge records for every security-relevant action, in
//! the shape identity teams already query (`eventType`, `actor`, `target[]`, `client`,
//! `request`, `outcome`, `severity`, `published`, `uuid`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemLogEvent {
    pub uuid: String,
    /// RFC 3339 UTC timestamp with milliseconds.
    pub published: String,
    /// e.g. `user.session.start`.
    pub event_type: String,
    pub severity: Severity,
    pub display_message: String,
    pub actor: Party,
    pub client: EventClient,
    pub request: EventRequest,
    pub outcome: Outcome,
    pub target: Vec<Party>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Warn,
}

/// Who acted, or what was acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// The user's `sub`, the client's id; `unknown` when nobody could be identified.
    pub id: String,
    /// `User`, `AppInstance`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A human identifier, such as the email typed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The application and device the request came through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventClient {
    /// The OAuth `client_id`, when the request was made for a client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The URL the request was made to, without codes, tokens or secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<EventUrl>,
}

/// Okta's `request.url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventUrl {
    pub full_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub result: OutcomeResult,
    /// Why it failed, for administrators; never shown to the person signing in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OutcomeResult {
    Success,
    Failure,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_uses_the_system_log_member_names() {
        let event = SystemLogEvent {
            uuid: "u".into(),
            published: "2026-01-01T00:00:00.000Z".into(),
            event_type: "user.session.start".into(),
            severity: Severity::Info,
            display_message: "User login".into(),
            actor: Party {
                id: "sub".into(),
                kind: "User".into(),
                alternate_id: Some("a@example.com".into()),
                display_name: None,
            },
            client: EventClient {
                id: Some("demo".into()),
                ip_address: Some("192.0.2.1".into()),
                user_agent: Some("UA".into()),
            },
            request: EventRequest {
                ip_address: Some("192.0.2.1".into()),
                user_agent: Some("UA".into()),
                url: Some(EventUrl {
                    full_url: "https://id.example/authorize?client_id=demo".into(),
                }),
            },
            outcome: Outcome {
                result: OutcomeResult::Success,
                reason: None,
            },
            target: vec![],
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["eventType"], "user.session.start");
        assert_eq!(json["severity"], "INFO");
        assert_eq!(json["actor"]["type"], "User");
        assert_eq!(
            json["request"]["url"]["fullUrl"],
            "https://id.example/authorize?client_id=demo"
        );
        assert_eq!(json["actor"]["alternateId"], "a@example.com");
        assert_eq!(json["request"]["ipAddress"], "192.0.2.1");
        assert_eq!(json["request"]["userAgent"], "UA");
        assert_eq!(json["client"]["id"], "demo");
        assert_eq!(json["outcome"]["result"], "SUCCESS");
        assert!(json["outcome"].get("reason").is_none());
    }
}
