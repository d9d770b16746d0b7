//! Consent records on the wire: the account API's `/v1/me/consents` and its receipts.

use serde::{Deserialize, Serialize};

/// Whether a record gives or takes back consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    Granted,
    Withdrawn,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Granted => "granted",
            ConsentState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(value: &str) -> Option<ConsentState> {
        match value {
            "granted" => Some(ConsentState::Granted),
            "withdrawn" => Some(ConsentState::Withdrawn),
            _ => None,
        }
    }
}

/// How a record was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// A checkbox in the sign-in widget.
    Widget,
    /// An administrator, on the person's behalf.
    Admin,
    /// The account API, called by the client's own page.
    Api,
    /// Records brought over from another system.
    Import,
    /// A Global Privacy Control signal (`Sec-GPC: 1`) withdrew it.
    Gpc,
}

impl ConsentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMethod::Widget => "widget",
            ConsentMethod::Admin => "admin",
            ConsentMethod::Api => "api",
            ConsentMethod::Import => "import",
            ConsentMethod::Gpc => "gpc",
        }
    }

    pub fn parse(value: &str) -> Option<ConsentMethod> {
        match value {
            "widget" => Some(ConsentMethod::Widget),
            "admin" => Some(ConsentMethod::Admin),
            "api" => Some(ConsentMethod::Api),
            "import" => Some(ConsentMethod::Import),
            "gpc" => Some(ConsentMethod::Gpc),
            _ => None,
        }
    }
}

/// `POST /v1/me/consents`: one purpose granted or withdrawn, with the document shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    pub purpose: String,
    pub state: ConsentState,
    /// The version of the document the person was shown.
    pub document_version: String,
    /// SHA-256 of the text shown, lowercase hex (64 characters).
    pub text_sha256: String,
    /// `widget` (the default) or `api`: how the page collected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ConsentMethod>,
    /// The language the document was shown in (BCP 47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// One consent record as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecordView {
    pub id: String,
    pub purpose: String,
    pub state: ConsentState,
    pub document_version: String,
    pub text_sha256: String,
    /// Unix seconds.
    pub recorded_at: u64,
    pub method: ConsentMethod,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The request carried `Sec-GPC: 1`.
    pub gpc: bool,
    /// The System Log event that recorded it.
    pub event_id: String,
}

/// `GET /v1/me/consents`: each purpose's newest record, and every record, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentList {
    pub current: Vec<ConsentRecordView>,
    pub history: Vec<ConsentRecordView>,
}

/// `POST /v1/me/consents`: the records written (the change, and any purpose a Global
/// Privacy Control signal withdrew).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecorded {
    pub records: Vec<ConsentRecordView>,
}
/// Purpose ids: `terms`, `marketing_email`, `acme.loyalty-programme`: lowercase, from a
/// letter, at most 64 characters.
pub fn valid_purpose(purpose: &str) -> bool {
    let mut chars = purpose.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && purpose.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.:-".contains(c))
}

/// A document version: 1–64 visible ASCII characters.
pub fn valid_version(version: &str) -> bool {
    (1..=64).contains(&version.len()) && version.chars().all(|c| c.is_ascii_graphic())
}

/// The SHA-256 of a document's text: 64 lower-case hex digits.
pub fn valid_sha256_hex(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}
