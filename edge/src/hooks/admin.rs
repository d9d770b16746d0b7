//! Event hooks through the admin API (`/admin/v1/hooks`): register, read, change,
//! verify, rotate the secret of and remove hooks, and read their deliveries; and inline
//! hooks (`/admin/v1/inline-hooks`): register, read and remove them.
//!
//! - Reading needs a client's own token with `admin.hooks.read` (or `admin.hooks.manage`);
//!   every change needs `admin.hooks.manage`. A refused call changes nothing and is logged.
//! - A hook's secret (`whsec_…`) is made here, returned once (at creation and at each
//!   rotation) and stored sealed under the key-encryption key; no answer carries it again.
//! - A new hook is disabled; enabling it sends the one-time verification challenge
//!   (`GET` with `x-portcullis-verification-challenge`, echoed back as
//!   `{"verification": …}`), and a new URL must be verified again.
//! - Lists are pages of at most `limit` rows with an opaque `next` cursor.
//! - Every call is a System Log event naming the calling client as its actor.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{
    DeliveryRecord, DeliveryStatus, HookRecord, InlineHookRecord, PageCursor, Paged,
};
use super::rules::{self, Invalid};
use super::standard_webhooks::SECRET_PREFIX;
use crate::admin::{self, Admin, AdminRefusal, AdminScope};
use crate::events::{self, AdminEventSpec, RequestContext};
use crate::http::{BodyProblem, Method, Request, Response};
use crate::ports::{Ports, StoreError, UnixMillis};
use crate::time::rfc3339;
use portcullis_shared::route::Route;
use portcullis_shared::system_log::Party;

/// The System Log event types of hook administration (Okta's names).
pub mod types {
    pub const CREATED: &str = "event_hook.created";
    pub const UPDATED: &str = "event_hook.updated";
    pub const ACTIVATED: &str = "event_hook.activated";
    pub const DEACTIVATED: &str = "event_hook.deactivated";
    pub const VERIFIED: &str = "event_hook.verified";
    pub const SECRET_ROTATED: &str = "event_hook.secret_rotated";
    pub const DELETED: &str = "event_hook.deleted";
    pub const INLINE_CREATED: &str = "inline_hook.created";
    pub const INLINE_DELETED: &str = "inline_hook.deleted";
}

/// The header of the one-time verification `GET`; the endpoint echoes its value.
pub const CHALLENGE_HEADER: &str = "x-portcullis-verification-challenge";
/// How long the endpoint has to answer the challenge.
const VERIFY_TIMEOUT_MS: u64 = 5_000;
/// Rows per page unless `limit` says otherwise, and the most a page holds.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// How long the previous secret keeps signing after a rotation unless told otherwise,
/// and the longest overlap allowed.
const DEFAULT_OVERLAP_SECONDS: u64 = 86_400;
const MAX_OVERLAP_SECONDS: u64 = 30 * 86_400;

/// Why a hook call failed, each with its stable wire code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// The token is missing, invalid, or lacks the scope.
    Refused(AdminRefusal),
    /// The body is not JSON of the expected shape (the detail says where).
    MalformedBody(String),
    UnsupportedMediaType,
    BodyTooLarge,
    /// A field or query parameter broke a rule.
    Invalid(Invalid),
    NotFound,
    /// An inline hook of this kind already serves this client (or every client).
    InlineHookExists,
    /// The endpoint did not answer the verification challenge; the hook is unchanged.
    VerificationFailed(String),
    /// A store or the key-encryption key is unavailable; the detail is for logs.
    Unavailable(String),
}

impl HookError {
    pub fn code(&self) -> &'static str {
        match self {
            HookError::Refused(AdminRefusal::NoToken | AdminRefusal::InvalidToken) => {
                "unauthorized"
            }
            HookError::Refused(AdminRefusal::InsufficientScope(_)) => "insufficient_scope",
            HookError::Refused(AdminRefusal::InsufficientUserAuthentication) => {
                "insufficient_user_authentication"
            }
            HookError::Refused(AdminRefusal::Unavailable(_)) | HookError::Unavailable(_) => {
                "server_error"
            }
            HookError::MalformedBody(_) | HookError::Invalid(_) => "invalid_request",
            HookError::UnsupportedMediaType => "unsupported_media_type",
            HookError::BodyTooLarge => "payload_too_large",
            HookError::NotFound => "hook_not_found",
            HookError::InlineHookExists => "inline_hook_exists",
            HookError::VerificationFailed(_) => "hook_verification_failed",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            HookError::Refused(refusal) => refusal.status(),
            HookError::MalformedBody(_) | HookError::Invalid(_) => 400,
            HookError::UnsupportedMediaType => 415,
            HookError::BodyTooLarge => 413,
            HookError::NotFound => 404,
            HookError::InlineHookExists => 409,
            HookError::VerificationFailed(_) => 422,
            HookError::Unavailable(_) => 503,
        }
    }

    /// What the administrator is told: the rule broken, never a store's detail.
    pub fn message(&self) -> String {
        match self {
            HookError::Refused(refusal) => refusal.description(),
            HookError::MalformedBody(detail) => {
                format!("The body is not JSON of the expected shape: {detail}")
            }
            HookError::UnsupportedMediaType => "Send the body as application/json.".into(),
            HookError::BodyTooLarge => "The request body is too large.".into(),
            HookError::Invalid(invalid) => format!("`{}` {}.", invalid.field, invalid.reason),
            HookError::NotFound => "There is no hook with this id.".into(),
            HookError::InlineHookExists => {
                "An inline hook of this kind already serves this client; remove it first.".into()
            }
            HookError::VerificationFailed(reason) => format!(
                "The endpoint did not pass the verification challenge ({reason}); the hook is unchanged."
            ),
            HookError::Unavailable(_) => "The service is temporarily unavailable.".into(),
        }
    }

    fn to_response(&self) -> Response {
        let response = Response::json(
            self.status(),
            &json!({"code": self.code(), "message": self.message()}),
        );
        match self {
            HookError::Refused(refusal) => match refusal.challenge() {
                Some(challenge) => response.with_header("www-authenticate", &challenge),
                None => response,
            },
            _ => response,
        }
    }
}

impl From<StoreError> for HookError {
    fn from(err: StoreError) -> Self {
        HookError::Unavailable(format!("{err:?}"))
    }
}

impl From<Invalid> for HookError {
    fn from(invalid: Invalid) -> Self {
        HookError::Invalid(invalid)
    }
}

/// `POST /admin/v1/hooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    pub url: String,
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// `PATCH /admin/v1/hooks/{id}`: what is given changes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookChange {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// `POST /admin/v1/hooks/{id}/secret`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRotation {
    pub overlap_seconds: Option<u64>,
}

/// A hook on the wire.
#[derive(Debug, Serialize)]
pub struct HookView {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    pub verified_at: Option<String>,
    pub previous_secret_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&HookRecord> for HookView {
    fn from(hook: &HookRecord) -> Self {
        HookView {
            id: hook.id.clone(),
            url: hook.url.clone(),
            event_types: hook.event_types.clone(),
            description: hook.description.clone(),
            enabled: hook.enabled,
            verified_at: hook.verified_at.map(rfc3339),
            previous_secret_expires_at: hook.previous_secret_expires_at.map(rfc3339),
            created_at: rfc3339(hook.created_at),
            updated_at: rfc3339(hook.updated_at),
            secret: None,
        }
    }
}

/// A delivery on the wire.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub id: String,
    pub hook_id: String,
    pub event_uuid: String,
    pub event_type: String,
    pub status: &'static str,
    /// Whether the delivery ended in the dead-letter queue after its last attempt.
    pub dead_lettered: bool,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

impl From<&DeliveryRecord> for DeliveryView {
    fn from(d: &DeliveryRecord) -> Self {
        DeliveryView {
            id: d.id.clone(),
            hook_id: d.hook_id.clone(),
            event_uuid: d.event_uuid.clone(),
            event_type: d.event_type.clone(),
            status: d.status.as_str(),
            dead_lettered: d.status == DeliveryStatus::Dead,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            created_at: rfc3339(d.created_at),
            last_attempt_at: d.last_attempt_at.map(rfc3339),
            delivered_at: d.delivered_at.map(rfc3339),
        }
    }
}

/// `POST /admin/v1/inline-hooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInlineHook {
    pub kind: String,
    pub url: String,
    /// The client it serves; absent for every client without its own.
    pub client_id: Option<String>,
    pub timeout_ms: Option<u64>,
    pub failure_mode: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// An inline hook on the wire.
#[derive(Debug, Serialize)]
pub struct InlineHookView {
    pub id: String,
    pub kind: &'static str,
    pub client_id: Option<String>,
    pub url: String,
    pub timeout_ms: u64,
    pub failure_mode: &'static str,
    pub description: String,
    pub created_at: String,
    /// Only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&InlineHookRecord> for InlineHookView {
    fn from(hook: &InlineHookRecord) -> Self {
        InlineHookView {
            id: hook.id.clone(),
            kind: hook.kind.as_str(),
            client_id: hook.client_id.clone(),
            url: hook.url.clone(),
            timeout_ms: hook.timeout_ms,
            failure_mode: hook.failure_mode.as_str(),
            description: hook.description.clone(),
            created_at: rfc3339(hook.created_at),
            secret: None,
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `after` for the next page; `null` on the last.
    pub next: Option<String>,
}

fn encode_cursor(cursor: &PageCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", cursor.created_at.0, cursor.id))
}

fn decode_cursor(value: &str) -> Result<PageCursor, Invalid> {
    let bad = || Invalid {
        field: "after",
        reason: "is not a cursor this API gave".into(),
    };
    let text = URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    Ok(PageCursor {
        created_at: UnixMillis(at.parse().map_err(|_| bad())?),
        id: id.to_string(),
    })
}

/// `limit` and `after` of a list.
fn paging(params: &[(String, String)]) -> Result<(u32, Option<PageCursor>), Invalid> {
    let limit = match query(params, "limit") {
        None => DEFAULT_LIMIT,
        Some(value) => value
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| Invalid {
                field: "limit",
                reason: format!("must be a whole number from 1 to {MAX_LIMIT}"),
            })?,
    };
    let after = query(params, "after").map(decode_cursor).transpose()?;
    Ok((limit, after))
}

fn query<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn page<T, R: Paged>(rows: &[R], limit: u32, view: impl Fn(&R) -> T) -> Page<T> {
    let next = (rows.len() as u32 == limit)
        .then(|| rows.last().map(|r| encode_cursor(&r.cursor())))
        .flatten();
    Page {
        data: rows.iter().map(view).collect(),
        next,
    }
}

/// A `whsec_` secret of 32 random bytes, and its sealed form bound to `hook:<id>`.
fn new_secret(ports: &Ports<'_>, id: &str) -> Result<(String, String), HookError> {
    let kek = ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| HookError::Unavailable("KEY_ENCRYPTION_KEY is not configured".into()))?;
    let mut bytes = [0u8; 32];
    ports
        .random
        .fill(&mut bytes)
        .map_err(|_| HookError::Unavailable("secure random source failed".into()))?;
    let secret = format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes));
    let sealed = kek
        .seal(secret.as_bytes(), &format!("hook:{id}"), ports.random)
        .map_err(|_| HookError::Unavailable("secure random source failed".into()))?;
    Ok((secret, sealed))
}

/// A new id: `prefix` and 16 random hex digits.
fn new_id(ports: &Ports<'_>, prefix: &str) -> Result<String, HookError> {
    let mut raw = [0u8; 8];
    ports
        .random
        .fill(&mut raw)
        .map_err(|_| HookError::Unavailable("secure random source failed".into()))?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}_{hex}"))
}

/// Registers a hook, disabled until its endpoint is verified; the answer carries the
/// secret, this once.
pub async fn create(ports: &Ports<'_>, new: NewHook) -> Result<HookView, HookError> {
    let url = rules::parse_url(&new.url)?;
    let event_types = rules::parse_event_types(&new.event_types)?;
    let description = rules::parse_description(&new.description)?;
    let id = new_id(ports, "hk")?;
    let (secret, sealed) = new_secret(ports, &id)?;
    let now = ports.clock.now();
    let hook = HookRecord {
        id,
        url,
        event_types,
        description,
        enabled: false,
        verified_at: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    ports.hooks.insert(&hook, &sealed).await?;
    Ok(HookView {
        secret: Some(secret),
        ..HookView::from(&hook)
    })
}

/// Registers an inline hook, consulted from its next call on (within the isolates'
/// 30-second cache elsewhere); the answer carries the secret, this once.
pub async fn create_inline(
    ports: &Ports<'_>,
    new: NewInlineHook,
) -> Result<InlineHookView, HookError> {
    let kind = rules::parse_inline_kind(&new.kind)?;
    let url = rules::parse_url(&new.url)?;
    let client_id = new
        .client_id
        .as_deref()
        .map(rules::parse_client_id)
        .transpose()?;
    let timeout_ms = rules::parse_timeout_ms(new.timeout_ms)?;
    let failure_mode = rules::parse_failure_mode(new.failure_mode.as_deref())?;
    let description = rules::parse_description(&new.description)?;
    let id = new_id(ports, "ih")?;
    let (secret, sealed) = new_secret(ports, &id)?;
    let hook = InlineHookRecord {
        id,
        kind,
        client_id,
        url,
        timeout_ms,
        failure_mode,
        description,
        created_at: ports.clock.now(),
    };
    match ports.inline_hooks.insert(&hook, &sealed).await {
        Err(StoreError::Conflict) => return Err(HookError::InlineHookExists),
        other => other?,
    }
    Ok(InlineHookView {
        secret: Some(secret),
        ..InlineHookView::from(&hook)
    })
}

async fn existing_inline(ports: &Ports<'_>, id: &str) -> Result<InlineHookRecord, HookError> {
    if !rules::is_inline_hook_id(id) {
        return Err(HookError::NotFound);
    }
    ports
        .inline_hooks
        .record(id)
        .await?
        .ok_or(HookError::NotFound)
}

async fn existing(ports: &Ports<'_>, id: &str) -> Result<HookRecord, HookError> {
    if !rules::is_hook_id(id) {
        return Err(HookError::NotFound);
    }
    ports.hooks.record(id).await?.ok_or(HookError::NotFound)
}

/// The one-time verification: a `GET` with a random challenge, answered 2xx with
/// `{"verification": "<the challenge>"}`. Redirects are not followed.
async fn verify_endpoint(ports: &Ports<'_>, url: &str) -> Result<(), String> {
    let challenge = crate::crypto::token::random_handle(ports.random)
        .map_err(|_| "secure random source failed".to_string())?;
    let headers = [
        (CHALLENGE_HEADER.to_string(), challenge.clone()),
        (
            "user-agent".to_string(),
            "Portcullis-Webhooks/1".to_string(),
        ),
    ];
    let answer = ports
        .http
        .get(url, &headers, VERIFY_TIMEOUT_MS)
        .await
        .map_err(|e| format!("could not reach it: {}", e.0))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("it answered HTTP {}", answer.status));
    }
    #[derive(Deserialize)]
    struct Echo {
        verification: Option<String>,
    }
    let echo: Echo =
        serde_json::from_str(&answer.body).map_err(|_| "it did not answer JSON".to_string())?;
    if echo.verification.as_deref() != Some(challenge.as_str()) {
        return Err("it did not echo the challenge".into());
    }
    Ok(())
}

/// What a change did, for the System Log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Updated,
    Activated,
    Deactivated,
}

/// Applies `change`; enabling an unverified hook verifies its endpoint first, and a new
/// URL is unverified (so a hook is never enabled at an address that was not verified).
pub async fn change(
    ports: &Ports<'_>,
    id: &str,
    change: HookChange,
) -> Result<(HookView, Changed), HookError> {
    let mut hook = existing(ports, id).await?;
    let was_enabled = hook.enabled;
    if let Some(url) = &change.url {
        let url = rules::parse_url(url)?;
        if url != hook.url {
            hook.url = url;
            hook.verified_at = None;
            hook.enabled = false;
        }
    }
    if let Some(types) = &change.event_types {
        hook.event_types = rules::parse_event_types(types)?;
    }
    if let Some(description) = &change.description {
        hook.description = rules::parse_description(description)?;
    }
    match change.enabled {
        Some(true) => {
            if hook.verified_at.is_none() {
                verify_endpoint(ports, &hook.url)
                    .await
                    .map_err(HookError::VerificationFailed)?;
                hook.verified_at = Some(ports.clock.now());
            }
            hook.enabled = true;
        }
        Some(false) => hook.enabled = false,
        None => {}
    }
    hook.updated_at = ports.clock.now();
    if !ports.hooks.update(&hook).await? {
        return Err(HookError::NotFound);
    }
    let changed = match (was_enabled, hook.enabled) {
        (false, true) => Changed::Activated,
        (true, false) => Changed::Deactivated,
        _ => Changed::Updated,
    };
    Ok((HookView::from(&hook), changed))
}

/// A new secret, returned this once; the previous one signs beside it for the overlap.
pub async fn rotate_secret(
    ports: &Ports<'_>,
    id: &str,
    rotation: SecretRotation,
) -> Result<HookView, HookError> {
    let overlap = rotation.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    if overlap > MAX_OVERLAP_SECONDS {
        return Err(HookError::Invalid(Invalid {
            field: "overlap_seconds",
            reason: format!("must be at most {MAX_OVERLAP_SECONDS}"),
        }));
    }
    let hook = existing(ports, id).await?;
    let (secret, sealed) = new_secret(ports, &hook.id)?;
    let now = ports.clock.now();
    let until = now.plus_seconds(overlap);
    if !ports
        .hooks
        .rotate_secret(&hook.id, &sealed, until, now)
        .await?
    {
        return Err(HookError::NotFound);
    }
    let rotated = HookRecord {
        previous_secret_expires_at: Some(until),
        updated_at: now,
        ..hook
    };
    Ok(HookView {
        secret: Some(secret),
        ..HookView::from(&rotated)
    })
}

/// A page of hooks, in order of creation.
pub async fn list(
    ports: &Ports<'_>,
    params: &[(String, String)],
) -> Result<Page<HookView>, HookError> {
    let (limit, after) = paging(params)?;
    let rows = ports.hooks.list(after.as_ref(), limit).await?;
    Ok(page(&rows, limit, |h| HookView::from(h)))
}

/// A page of a hook's deliveries, newest first, of one `status` if asked.
pub async fn deliveries(
    ports: &Ports<'_>,
    id: &str,
    params: &[(String, String)],
) -> Result<Page<DeliveryView>, HookError> {
    let (limit, before) = paging(params)?;
    let status = query(params, "status")
        .map(|s| {
            DeliveryStatus::parse(s).ok_or_else(|| Invalid {
                field: "status",
                reason: "must be pending, delivered, dead or cancelled".into(),
            })
        })
        .transpose()?;
    let hook = existing(ports, id).await?;
    let rows = ports
        .hooks
        .deliveries(&hook.id, status, before.as_ref(), limit)
        .await?;
    Ok(page(&rows, limit, |d| DeliveryView::from(d)))
}

fn json_body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, HookError> {
    request.json_body().map_err(|problem| match problem {
        BodyProblem::UnsupportedMediaType => HookError::UnsupportedMediaType,
        BodyProblem::TooLarge => HookError::BodyTooLarge,
        BodyProblem::Malformed(detail) => HookError::MalformedBody(detail),
    })
}

fn hook_party(view: &HookView) -> Party {
    Party {
        id: view.id.clone(),
        kind: "EventHook".into(),
        alternate_id: Some(view.url.clone()),
        display_name: (!view.description.is_empty()).then(|| view.description.clone()),
    }
}

fn inline_party(view: &InlineHookView) -> Party {
    Party {
        id: view.id.clone(),
        kind: "InlineHook".into(),
        alternate_id: Some(view.url.clone()),
        display_name: (!view.description.is_empty()).then(|| view.description.clone()),
    }
}

fn id_party(id: &str) -> Party {
    let kind = if id.starts_with("ih_") {
        "InlineHook"
    } else {
        "EventHook"
    };
    Party {
        id: id.to_string(),
        kind: kind.into(),
        alternate_id: None,
        display_name: None,
    }
}

/// What one call did, for its System Log event.
struct Outcome {
    event_type: &'static str,
    message: &'static str,
    target: Vec<Party>,
}

/// Routes `/admin/v1/hooks…` (the methods were checked by dispatch).
pub async fn handle(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
    context: &RequestContext,
) -> Response {
    let reading = matches!(request.method, Method::Get | Method::Head);
    let needed = if reading {
        AdminScope::HooksRead
    } else {
        AdminScope::HooksManage
    };
    let admin = match admin::authenticate(
        ports,
        request.self_origin.as_str(),
        request.header("authorization"),
        needed,
        context,
    )
    .await
    {
        Ok(admin) => admin,
        Err(refusal) => return HookError::Refused(refusal).to_response(),
    };
    let result = serve(ports, request, route).await;
    let (outcome, response) = match result {
        Ok(done) => done,
        Err(err) => {
            if let HookError::Unavailable(detail) = &err {
                ports.diagnostics.log(&format!("admin hooks: {detail}"));
            }
            let outcome = failed_outcome(route, request.method, &err);
            record(ports, context, &admin, outcome, Some(&err)).await;
            return err.to_response();
        }
    };
    record(ports, context, &admin, outcome, None).await;
    response.with_header("cache-control", "no-store")
}

/// The event of a failed call, which changed nothing.
fn failed_outcome(route: Route<'_>, method: Method, err: &HookError) -> Outcome {
    let target = match route {
        Route::AdminHook(id)
        | Route::AdminHookSecret(id)
        | Route::AdminHookDeliveries(id)
        | Route::AdminInlineHook(id) => vec![id_party(id)],
        _ => Vec::new(),
    };
    let (event_type, message) = match (route, method, err) {
        (_, _, HookError::VerificationFailed(_)) => {
            (types::VERIFIED, "An event hook failed verification")
        }
        (Route::AdminHooks, Method::Post, _) => {
            (types::CREATED, "An event hook was not registered")
        }
        (Route::AdminInlineHooks, Method::Post, _) => {
            (types::INLINE_CREATED, "An inline hook was not registered")
        }
        (Route::AdminInlineHook(_), Method::Delete, _) => {
            (types::INLINE_DELETED, "An inline hook was not removed")
        }
        (Route::AdminHook(_), Method::Patch, _) => {
            (types::UPDATED, "An event hook was not changed")
        }
        (Route::AdminHook(_), Method::Delete, _) => {
            (types::DELETED, "An event hook was not removed")
        }
        (Route::AdminHookSecret(_), _, _) => (
            types::SECRET_ROTATED,
            "An event hook's secret was not rotated",
        ),
        _ => (
            events::types::ADMIN_READ,
            "An admin could not read event hooks",
        ),
    };
    Outcome {
        event_type,
        message,
        target,
    }
}

async fn record(
    ports: &Ports<'_>,
    context: &RequestContext,
    admin: &Admin,
    outcome: Outcome,
    failure: Option<&HookError>,
) {
    let reason = failure.map(HookError::code);
    events::record_admin(
        ports,
        context,
        AdminEventSpec {
            event_type: outcome.event_type,
            display_message: outcome.message,
            success: failure.is_none(),
            reason,
            actor: admin.actor(),
            target: outcome.target,
        },
    )
    .await;
}

async fn serve(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
) -> Result<(Outcome, Response), HookError> {
    let params = request.query_params();
    let read = |message, target| Outcome {
        event_type: events::types::ADMIN_READ,
        message,
        target,
    };
    Ok(match (route, request.method) {
        (Route::AdminHooks, Method::Post) => {
            let created = create(ports, json_body(request)?).await?;
            let location = Route::AdminHook(&created.id).path();
            let outcome = Outcome {
                event_type: types::CREATED,
                message: "An event hook was registered",
                target: vec![hook_party(&created)],
            };
            let response = Response::json(201, &created).with_header("location", &location);
            (outcome, response)
        }
        (Route::AdminHooks, _) => {
            let found = list(ports, &params).await?;
            let outcome = read("An admin read the event hooks", Vec::new());
            (outcome, Response::json(200, &found))
        }
        (Route::AdminHook(id), Method::Patch) => {
            let (changed, what) = change(ports, id, json_body(request)?).await?;
            let (event_type, message) = match what {
                Changed::Activated => (types::ACTIVATED, "An event hook was verified and enabled"),
                Changed::Deactivated => (types::DEACTIVATED, "An event hook was disabled"),
                Changed::Updated => (types::UPDATED, "An event hook was changed"),
            };
            let outcome = Outcome {
                event_type,
                message,
                target: vec![hook_party(&changed)],
            };
            (outcome, Response::json(200, &changed))
        }
        (Route::AdminHook(id), Method::Delete) => {
            let hook = existing(ports, id).await?;
            if !ports.hooks.remove(&hook.id).await? {
                return Err(HookError::NotFound);
            }
            let outcome = Outcome {
                event_type: types::DELETED,
                message: "An event hook was removed",
                target: vec![hook_party(&HookView::from(&hook))],
            };
            (outcome, Response::empty(204))
        }
        (Route::AdminHook(id), _) => {
            let hook = HookView::from(&existing(ports, id).await?);
            let outcome = read("An admin read an event hook", vec![hook_party(&hook)]);
            (outcome, Response::json(200, &hook))
        }
        (Route::AdminHookSecret(id), _) => {
            let rotation = if request.body.is_empty() {
                SecretRotation::default()
            } else {
                json_body(request)?
            };
            let rotated = rotate_secret(ports, id, rotation).await?;
            let outcome = Outcome {
                event_type: types::SECRET_ROTATED,
                message: "An event hook's secret was rotated",
                target: vec![hook_party(&rotated)],
            };
            (outcome, Response::json(200, &rotated))
        }
        (Route::AdminInlineHooks, Method::Post) => {
            let created = create_inline(ports, json_body(request)?).await?;
            let location = Route::AdminInlineHook(&created.id).path();
            let outcome = Outcome {
                event_type: types::INLINE_CREATED,
                message: "An inline hook was registered",
                target: vec![inline_party(&created)],
            };
            let response = Response::json(201, &created).with_header("location", &location);
            (outcome, response)
        }
        (Route::AdminInlineHooks, _) => {
            let (limit, after) = paging(&params)?;
            let rows = ports.inline_hooks.list(after.as_ref(), limit).await?;
            let found = page(&rows, limit, |h| InlineHookView::from(h));
            let outcome = read("An admin read the inline hooks", Vec::new());
            (outcome, Response::json(200, &found))
        }
        (Route::AdminInlineHook(id), Method::Delete) => {
            let hook = InlineHookView::from(&existing_inline(ports, id).await?);
            if !ports.inline_hooks.remove(&hook.id).await? {
                return Err(HookError::NotFound);
            }
            let outcome = Outcome {
                event_type: types::INLINE_DELETED,
                message: "An inline hook was removed",
                target: vec![inline_party(&hook)],
            };
            (outcome, Response::empty(204))
        }
        (Route::AdminInlineHook(id), _) => {
            let hook = InlineHookView::from(&existing_inline(ports, id).await?);
            let outcome = read("An admin read an inline hook", vec![inline_party(&hook)]);
            (outcome, Response::json(200, &hook))
        }
        (Route::AdminHookDeliveries(id), _) => {
            let found = deliveries(ports, id, &params).await?;
            let outcome = read(
                "An admin read an event hook's deliveries",
                vec![id_party(id)],
            );
            (outcome, Response::json(200, &found))
        }
        _ => return Err(HookError::NotFound),
    })
}
