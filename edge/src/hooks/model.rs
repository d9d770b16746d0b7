//! What hooks are, as stored and as queued: plain data, below the ports that store it.

use serde::{Deserialize, Serialize};

use crate::time::UnixMillis;
use portcullis_shared::system_log::SystemLogEvent;

/// Which System Log `eventType`s a hook receives: one exact type, or every type under a
/// prefix (`user.*`, `user.authentication.*`), or all (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTypeFilter {
    Exact(String),
    /// The part before `*`, ending in `.` (or empty for `*`).
    Prefix(String),
}

/// An event type pattern that is neither `a.b.c`, `a.b.*` nor `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedFilter(pub String);

impl EventTypeFilter {
    pub fn parse(pattern: &str) -> Result<EventTypeFilter, MalformedFilter> {
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if pattern == "*" {
            return Ok(EventTypeFilter::Prefix(String::new()));
        }
        if let Some(prefix) = pattern.strip_suffix(".*") {
            if prefix.split('.').all(segment_ok) {
                return Ok(EventTypeFilter::Prefix(format!("{prefix}.")));
            }
        } else if pattern.split('.').all(segment_ok) {
            return Ok(EventTypeFilter::Exact(pattern.to_string()));
        }
        Err(MalformedFilter(pattern.to_string()))
    }

    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            EventTypeFilter::Exact(t) => t == event_type,
            EventTypeFilter::Prefix(p) => event_type.starts_with(p.as_str()),
        }
    }
}

/// A hook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHook {
    /// `hk_…`.
    pub id: String,
    /// `https://…`, or `http://` on a loopback host (development).
    pub url: String,
    pub event_types: Vec<EventTypeFilter>,
    /// The `whsec_…` secret, sealed under the key-encryption key for `hook:<id>`.
    pub sealed_secret: String,
    /// The secret before the last rotation, and until when it still signs.
    pub previous_secret: Option<(String, UnixMillis)>,
    pub enabled: bool,
}

impl EventHook {
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && self.event_types.iter().any(|f| f.matches(event_type))
    }

    /// What the sealed secrets are bound to.
    pub fn sealing_record(&self) -> String {
        format!("hook:{}", self.id)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Every attempt failed; the message went to the dead-letter queue.
    Dead,
    /// The hook was disabled or removed before the delivery was made.
    Cancelled,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Dead,
        DeliveryStatus::Cancelled,
    ];

    /// The status written as [`DeliveryStatus::as_str`] writes it.
    pub fn parse(value: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }
}

/// A hook as administrators see it: everything but its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRecord {
    pub id: String,
    pub url: String,
    /// The patterns as registered (each an [`EventTypeFilter`]).
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// When the endpoint last answered the one-time verification challenge; a hook is
    /// enabled only once this is set, and a new URL clears it.
    pub verified_at: Option<UnixMillis>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// A delivery as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The Standard Webhooks `webhook-id`.
    pub id: String,
    pub hook_id: String,
    pub event_uuid: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// The POSTs made so far.
    pub attempts: u32,
    /// The HTTP status of the last attempt, when the endpoint answered.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: UnixMillis,
    pub last_attempt_at: Option<UnixMillis>,
    pub delivered_at: Option<UnixMillis>,
}

/// Where a page of a list continues: after the row made at `created_at` with `id`
/// (rows are ordered by both, so rows made in one millisecond are neither skipped nor
/// repeated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageCursor {
    pub created_at: UnixMillis,
    pub id: String,
}

/// A row listed in pages: where a page that ends with it continues.
pub trait Paged {
    fn cursor(&self) -> PageCursor;
}

impl Paged for HookRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

impl Paged for DeliveryRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

impl Paged for InlineHookRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

/// What one POST to a hook's endpoint came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// Why it failed (transport error, timeout, non-2xx), for administrators.
    pub error: Option<String>,
    pub at: UnixMillis,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One POST to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One event to deliver to one hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    /// The Standard Webhooks `webhook-id`: the same on every attempt, so receivers can
    /// drop a delivery they have already processed.
    pub id: String,
    pub hook_id: String,
    pub event: SystemLogEvent,
}

impl DeliveryMessage {
    pub fn new(hook: &EventHook, event: &SystemLogEvent) -> DeliveryMessage {
        DeliveryMessage {
            id: format!("{}_{}", hook.id, event.uuid.replace('-', "")),
            hook_id: hook.id.clone(),
            event: event.clone(),
        }
    }
}

/// Where an inline hook is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineHookKind {
    /// Before an account is created, by any method.
    Registration,
    /// Before tokens are minted, at the token endpoint (every grant).
    Token,
}

impl InlineHookKind {
    /// The kind written as [`InlineHookKind::as_str`] writes it.
    pub fn parse(value: &str) -> Option<InlineHookKind> {
        [InlineHookKind::Registration, InlineHookKind::Token]
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InlineHookKind::Registration => "registration",
            InlineHookKind::Token => "token",
        }
    }
}

/// What a failed call means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// Go on as if there were no hook.
    Open,
    /// Refuse what the hook guards.
    Closed,
}

impl FailureMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureMode::Open => "open",
            FailureMode::Closed => "closed",
        }
    }

    /// The mode written as [`FailureMode::as_str`] writes it.
    pub fn parse(value: &str) -> Option<FailureMode> {
        [FailureMode::Open, FailureMode::Closed]
            .into_iter()
            .find(|m| m.as_str() == value)
    }
}

/// An inline hook as administrators see it: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineHookRecord {
    /// `ih_…`.
    pub id: String,
    pub kind: InlineHookKind,
    /// The client it serves; `None` for every client without its own.
    pub client_id: Option<String>,
    pub url: String,
    pub timeout_ms: u64,
    pub failure_mode: FailureMode,
    pub description: String,
    pub created_at: UnixMillis,
}

/// An inline hook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineHook {
    /// `ih_…`.
    pub id: String,
    pub kind: InlineHookKind,
    pub url: String,
    /// The `whsec_…` secret, sealed under the key-encryption key for `hook:<id>`.
    pub sealed_secret: String,
    pub timeout_ms: u64,
    pub failure_mode: FailureMode,
}
