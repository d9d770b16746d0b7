//! `GET /v1/me/export`: what the deployment holds about the signed-in person.

use serde::{Deserialize, Serialize};

use crate::api::{FactorSummary, PasskeySummary};
use crate::consent::ConsentRecordView;
use crate::system_log::SystemLogEvent;

/// The person's data, for them to keep (GDPR Art. 15 and 20). Credentials appear as
/// metadata only: never a password hash, a public key, a shared secret or a code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountExport {
    /// Unix seconds.
    pub exported_at: u64,
    pub profile: ExportedProfile,
    pub passkeys: Vec<PasskeySummary>,
    pub factors: Vec<FactorSummary>,
    pub recovery_codes_left: u32,
    pub sessions: Vec<ExportedSession>,
    /// The person's sign-ins to applications (as `GET /v1/me/sessions` lists them).
    #[serde(default)]
    pub app_sessions: Vec<crate::api::SessionSummary>,
    /// The applications holding access (as `GET /v1/me/applications` lists them).
    #[serde(default)]
    pub applications: Vec<crate::api::ApplicationSummary>,
    pub consents: Vec<ConsentRecordView>,
    /// The System Log events the person did or that were done to them, newest first.
    pub events: Vec<SystemLogEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedProfile {
    /// The `sub` claim.
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub status: String,
    /// The account has a password (never the password or its hash).
    pub has_password: bool,
    /// Unix seconds.
    pub created_at: u64,
    pub updated_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<u64>,
    /// Every profile attribute held (`/v1/me/profile` and more: the export also holds
    /// what the site's own code set), by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A live SSO session of the hosted sign-in page (never its cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedSession {
    /// Unix seconds.
    pub auth_time: u64,
    /// RFC 8176 methods.
    pub amr: Vec<String>,
    pub expires_at: u64,
}
