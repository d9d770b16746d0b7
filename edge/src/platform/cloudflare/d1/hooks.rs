//! Event hooks (`event_hooks`), their deliveries (`event_hook_deliveries`), and inline
//! hooks (`inline_hooks`).

use std::cell::RefCell;
use std::collections::HashMap;

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{millis, optional_text, text, unavailable, D1Stores};
use crate::hooks::inline::{FailureMode, InlineHook, InlineHookKind};
use crate::hooks::{Attempt, DeliveryMessage, DeliveryStatus, EventHook, EventTypeFilter};
use crate::ports::{HookStore, InlineHookStore, StoreError, UnixMillis};

#[derive(Deserialize)]
struct HookRow {
    id: String,
    url: String,
    event_types: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<f64>,
    enabled: f64,
}

impl HookRow {
    fn into_hook(self) -> Result<EventHook, StoreError> {
        let corrupt = || {
            StoreError::Unavailable(format!(
                "d1 event_hooks.event_types of {} is malformed",
                self.id
            ))
        };
        let patterns: Vec<String> =
            serde_json::from_str(&self.event_types).map_err(|_| corrupt())?;
        let event_types = patterns
            .iter()
            .map(|p| EventTypeFilter::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| corrupt())?;
        let previous_secret = match (self.previous_secret, self.previous_secret_expires_at) {
            (Some(secret), Some(until)) => Some((secret, UnixMillis(until as u64))),
            _ => None,
        };
        Ok(EventHook {
            id: self.id,
            url: self.url,
            event_types,
            sealed_secret: self.secret,
            previous_secret,
            enabled: self.enabled != 0.0,
        })
    }
}

const HOOK_COLUMNS: &str =
    "id, url, event_types, secret, previous_secret, previous_secret_expires_at, enabled";

#[async_trait(?Send)]
impl HookStore for D1Stores {
    async fn enabled(&self) -> Result<Vec<EventHook>, StoreError> {
        let rows: Vec<HookRow> = self
            .db
            .prepare(format!(
                "SELECT {HOOK_COLUMNS} FROM event_hooks \
                 WHERE enabled = 1 AND verified_at IS NOT NULL"
            ))
            .all()
            .await
            .map_err(unavailable("event_hooks.enabled"))?
            .results()
            .map_err(unavailable("event_hooks.enabled"))?;
        rows.into_iter().map(HookRow::into_hook).collect()
    }

    async fn find(&self, id: &str) -> Result<Option<EventHook>, StoreError> {
        let row: Option<HookRow> = self
            .db
            .prepare(format!(
                "SELECT {HOOK_COLUMNS} FROM event_hooks WHERE id = ?1 AND verified_at IS NOT NULL"
            ))
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("event_hooks.find"))?;
        row.map(HookRow::into_hook).transpose()
    }

    async fn create_deliveries(
        &self,
        deliveries: &[DeliveryMessage],
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut statements = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            statements.push(
                self.db
                    .prepare(
                        "INSERT OR IGNORE INTO event_hook_deliveries \
                         (id, hook_id, event_uuid, event_type, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .bind(&[
                        text(&d.id),
                        text(&d.hook_id),
                        text(&d.event.uuid),
                        text(&d.event.event_type),
                        millis(at),
                    ])
                    .map_err(unavailable("bind"))?,
            );
        }
        self.db
            .batch(statements)
            .await
            .map_err(unavailable("event_hook_deliveries.create"))?;
        Ok(())
    }

    async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
    ) -> Result<u32, StoreError> {
        #[derive(Deserialize)]
        struct Attempts {
            attempts: f64,
        }
        let delivered = attempt.succeeded();
        let row: Option<Attempts> = self
            .db
            .prepare(
                "UPDATE event_hook_deliveries SET attempts = attempts + 1, last_status = ?2, \
                 last_error = ?3, last_attempt_at = ?4, \
                 status = CASE WHEN ?5 = 1 THEN 'delivered' ELSE status END, \
                 delivered_at = CASE WHEN ?5 = 1 THEN ?4 ELSE delivered_at END \
                 WHERE id = ?1 RETURNING attempts",
            )
            .bind(&[
                text(delivery_id),
                attempt
                    .status
                    .map_or(JsValue::NULL, |s| JsValue::from_f64(f64::from(s))),
                optional_text(attempt.error.as_deref()),
                millis(attempt.at),
                JsValue::from_f64(if delivered { 1.0 } else { 0.0 }),
            ])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("event_hook_deliveries.record_attempt"))?;
        row.map(|r| r.attempts as u32).ok_or_else(|| {
            StoreError::Unavailable(format!(
                "d1 event_hook_deliveries: no delivery {delivery_id}"
            ))
        })
    }

    async fn finish(
        &self,
        delivery_id: &str,
        status: DeliveryStatus,
        _at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.changes(
            "UPDATE event_hook_deliveries SET status = ?2 WHERE id = ?1 AND status = 'pending'",
            &[text(delivery_id), text(status.as_str())],
            "event_hook_deliveries.finish",
        )
        .await
        .map(|_| ())
    }
}

#[derive(Deserialize)]
struct InlineHookRow {
    id: String,
    url: String,
    secret: String,
    timeout_ms: f64,
    failure_mode: String,
}

/// How long an isolate keeps what it read of `inline_hooks`: `/token` reads nothing
/// from D1 once warm, and a changed hook takes effect within this time.
const INLINE_HOOK_CACHE_MS: f64 = 30_000.0;

type CachedHook = (f64, Option<InlineHook>);

thread_local! {
    /// `(kind, client_id)` → when it was read, and the hook.
    static INLINE_HOOKS: RefCell<HashMap<(&'static str, String), CachedHook>> =
        RefCell::new(HashMap::new());
}

impl D1Stores {
    async fn read_inline_hook(
        &self,
        kind: InlineHookKind,
        client_id: &str,
    ) -> Result<Option<InlineHook>, StoreError> {
        // The client's own hook first, then the one for every client.
        let row: Option<InlineHookRow> = self
            .db
            .prepare(
                "SELECT id, url, secret, timeout_ms, failure_mode FROM inline_hooks \
                 WHERE kind = ?1 AND enabled = 1 AND (client_id = ?2 OR client_id IS NULL) \
                 ORDER BY client_id IS NULL LIMIT 1",
            )
            .bind(&[text(kind.as_str()), text(client_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("inline_hooks.find"))?;
        Ok(row.map(|row| InlineHook {
            id: row.id,
            kind,
            url: row.url,
            sealed_secret: row.secret,
            timeout_ms: row.timeout_ms as u64,
            failure_mode: if row.failure_mode == "open" {
                FailureMode::Open
            } else {
                FailureMode::Closed
            },
        }))
    }
}

#[async_trait(?Send)]
impl InlineHookStore for D1Stores {
    async fn find(
        &self,
        kind: InlineHookKind,
        client_id: &str,
    ) -> Result<Option<InlineHook>, StoreError> {
        let key = (kind.as_str(), client_id.to_string());
        let now = js_sys::Date::now();
        let cached = INLINE_HOOKS.with(|cache| {
            cache
                .borrow()
                .get(&key)
                .filter(|(at, _)| now - at < INLINE_HOOK_CACHE_MS)
                .map(|(_, hook)| hook.clone())
        });
        if let Some(hook) = cached {
            return Ok(hook);
        }
        let hook = self.read_inline_hook(kind, client_id).await?;
        INLINE_HOOKS.with(|cache| cache.borrow_mut().insert(key, (now, hook.clone())));
        Ok(hook)
    }
}
