//! Event hooks (`event_hooks`), their deliveries (`event_hook_deliveries`), and inline
//! hooks (`inline_hooks`).

use std::cell::RefCell;
use std::collections::HashMap;

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{conflict_or_unavailable, flag, millis, optional_text, text, unavailable, D1Stores};
use crate::hooks::inline::{FailureMode, InlineHook, InlineHookKind};
use crate::hooks::{
    Attempt, DeliveryMessage, DeliveryRecord, DeliveryStatus, EventHook, EventTypeFilter,
    HookRecord, InlineHookRecord, PageCursor,
};
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

/// A row of `event_hooks` as administrators see it.
#[derive(Deserialize)]
struct RecordRow {
    id: String,
    url: String,
    event_types: String,
    description: String,
    enabled: f64,
    verified_at: Option<f64>,
    previous_secret_expires_at: Option<f64>,
    created_at: f64,
    updated_at: f64,
}

const RECORD_COLUMNS: &str = "id, url, event_types, description, enabled, verified_at, \
     previous_secret_expires_at, created_at, updated_at";

impl RecordRow {
    fn into_record(self) -> Result<HookRecord, StoreError> {
        let event_types = serde_json::from_str(&self.event_types).map_err(|_| {
            StoreError::Unavailable(format!(
                "d1 event_hooks.event_types of {} is malformed",
                self.id
            ))
        })?;
        let at = |ms: f64| UnixMillis(ms as u64);
        Ok(HookRecord {
            id: self.id,
            url: self.url,
            event_types,
            description: self.description,
            enabled: self.enabled != 0.0,
            verified_at: self.verified_at.map(at),
            previous_secret_expires_at: self.previous_secret_expires_at.map(at),
            created_at: at(self.created_at),
            updated_at: at(self.updated_at),
        })
    }
}

/// A row of `event_hook_deliveries`.
#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    hook_id: String,
    event_uuid: String,
    event_type: String,
    status: String,
    attempts: f64,
    last_status: Option<f64>,
    last_error: Option<String>,
    created_at: f64,
    last_attempt_at: Option<f64>,
    delivered_at: Option<f64>,
}

impl DeliveryRow {
    fn into_record(self) -> Result<DeliveryRecord, StoreError> {
        let status = DeliveryStatus::parse(&self.status).ok_or_else(|| {
            StoreError::Unavailable(format!(
                "d1 event_hook_deliveries.status of {} is {:?}",
                self.id, self.status
            ))
        })?;
        let at = |ms: f64| UnixMillis(ms as u64);
        Ok(DeliveryRecord {
            id: self.id,
            hook_id: self.hook_id,
            event_uuid: self.event_uuid,
            event_type: self.event_type,
            status,
            attempts: self.attempts as u32,
            last_status: self.last_status.map(|s| s as u16),
            last_error: self.last_error,
            created_at: at(self.created_at),
            last_attempt_at: self.last_attempt_at.map(at),
            delivered_at: self.delivered_at.map(at),
        })
    }
}

fn optional_millis(value: Option<UnixMillis>) -> JsValue {
    value.map_or(JsValue::NULL, millis)
}

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
    ) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Recorded {
            id: String,
        }
        let mut statements = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            statements.push(
                self.db
                    .prepare(
                        "INSERT OR IGNORE INTO event_hook_deliveries \
                         (id, hook_id, event_uuid, event_type, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
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
        let results = self
            .db
            .batch(statements)
            .await
            .map_err(unavailable("event_hook_deliveries.create"))?;
        let mut recorded = Vec::new();
        for result in results {
            let rows: Vec<Recorded> = result
                .results()
                .map_err(unavailable("event_hook_deliveries.create"))?;
            recorded.extend(rows.into_iter().map(|r| r.id));
        }
        Ok(recorded)
    }

    async fn discard_deliveries(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut statements = Vec::with_capacity(ids.len());
        for id in ids {
            statements.push(
                self.db
                    .prepare(
                        "DELETE FROM event_hook_deliveries WHERE id = ?1 AND status = 'pending' \
                         AND attempts = 0",
                    )
                    .bind(&[text(id)])
                    .map_err(unavailable("bind"))?,
            );
        }
        if !statements.is_empty() {
            self.db
                .batch(statements)
                .await
                .map_err(unavailable("event_hook_deliveries.discard"))?;
        }
        Ok(())
    }

    async fn delivery_status(
        &self,
        delivery_id: &str,
    ) -> Result<Option<DeliveryStatus>, StoreError> {
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        let row: Option<Status> = self
            .db
            .prepare("SELECT status FROM event_hook_deliveries WHERE id = ?1")
            .bind(&[text(delivery_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("event_hook_deliveries.status"))?;
        row.map(|r| {
            DeliveryStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Unavailable(format!("d1 event_hook_deliveries.status {:?}", r.status))
            })
        })
        .transpose()
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

    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<HookRecord>, StoreError> {
        let rows: Vec<RecordRow> = self
            .page("event_hooks", RECORD_COLUMNS, after, limit)
            .await?;
        rows.into_iter().map(RecordRow::into_record).collect()
    }

    async fn record(&self, id: &str) -> Result<Option<HookRecord>, StoreError> {
        let row: Option<RecordRow> = self.by_id("event_hooks", RECORD_COLUMNS, id).await?;
        row.map(RecordRow::into_record).transpose()
    }

    async fn insert(&self, hook: &HookRecord, sealed_secret: &str) -> Result<(), StoreError> {
        let event_types = serde_json::to_string(&hook.event_types)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.db
            .prepare(
                "INSERT INTO event_hooks (id, url, event_types, description, secret, enabled, \
                 verified_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(&[
                text(&hook.id),
                text(&hook.url),
                text(&event_types),
                text(&hook.description),
                text(sealed_secret),
                flag(hook.enabled),
                optional_millis(hook.verified_at),
                millis(hook.created_at),
                millis(hook.updated_at),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("event_hooks.insert"))?;
        Ok(())
    }

    async fn update(&self, hook: &HookRecord) -> Result<bool, StoreError> {
        let event_types = serde_json::to_string(&hook.event_types)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let changed = self
            .changes(
                "UPDATE event_hooks SET url = ?2, event_types = ?3, description = ?4, \
                 enabled = ?5, verified_at = ?6, updated_at = ?7 WHERE id = ?1",
                &[
                    text(&hook.id),
                    text(&hook.url),
                    text(&event_types),
                    text(&hook.description),
                    flag(hook.enabled),
                    optional_millis(hook.verified_at),
                    millis(hook.updated_at),
                ],
                "event_hooks.update",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn rotate_secret(
        &self,
        id: &str,
        sealed_secret: &str,
        previous_until: UnixMillis,
        at: UnixMillis,
    ) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "UPDATE event_hooks SET previous_secret = secret, \
                 previous_secret_expires_at = ?3, secret = ?2, updated_at = ?4 WHERE id = ?1",
                &[
                    text(id),
                    text(sealed_secret),
                    millis(previous_until),
                    millis(at),
                ],
                "event_hooks.rotate_secret",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let statement = |sql: &str| {
            self.db
                .prepare(sql)
                .bind(&[text(id)])
                .map_err(unavailable("bind"))
        };
        let results = self
            .db
            .batch(vec![
                statement("DELETE FROM event_hook_deliveries WHERE hook_id = ?1")?,
                statement("DELETE FROM event_hooks WHERE id = ?1")?,
            ])
            .await
            .map_err(unavailable("event_hooks.remove"))?;
        let removed = results
            .last()
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(removed > 0)
    }

    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<DeliveryStatus>,
        before: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let (created_at, id) = before.map_or((JsValue::from_f64(f64::MAX), text("")), |b| {
            (millis(b.created_at), text(&b.id))
        });
        let rows: Vec<DeliveryRow> = self
            .db
            .prepare(
                "SELECT id, hook_id, event_uuid, event_type, status, attempts, last_status, \
                 last_error, created_at, last_attempt_at, delivered_at \
                 FROM event_hook_deliveries \
                 WHERE hook_id = ?1 AND (?2 IS NULL OR status = ?2) \
                 AND (created_at, id) < (?3, ?4) \
                 ORDER BY created_at DESC, id DESC LIMIT ?5",
            )
            .bind(&[
                text(hook_id),
                optional_text(status.map(DeliveryStatus::as_str)),
                created_at,
                id,
                JsValue::from_f64(f64::from(limit)),
            ])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("event_hook_deliveries.list"))?
            .results()
            .map_err(unavailable("event_hook_deliveries.list"))?;
        rows.into_iter().map(DeliveryRow::into_record).collect()
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
    /// Up to `limit` rows of `table` (of the hook tables, keyed by `created_at` and `id`)
    /// in that order, after `after`.
    async fn page<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        columns: &str,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<T>, StoreError> {
        let (created_at, id) = after.map_or((JsValue::from_f64(-1.0), text("")), |a| {
            (millis(a.created_at), text(&a.id))
        });
        self.db
            .prepare(format!(
                "SELECT {columns} FROM {table} \
                 WHERE (created_at, id) > (?1, ?2) ORDER BY created_at, id LIMIT ?3"
            ))
            .bind(&[created_at, id, JsValue::from_f64(f64::from(limit))])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable(table))?
            .results()
            .map_err(unavailable(table))
    }

    /// The row of `table` with `id`.
    async fn by_id<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        columns: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        self.db
            .prepare(format!("SELECT {columns} FROM {table} WHERE id = ?1"))
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable(table))
    }

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

    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<InlineHookRecord>, StoreError> {
        let rows: Vec<InlineRecordRow> = self
            .page("inline_hooks", INLINE_RECORD_COLUMNS, after, limit)
            .await?;
        rows.into_iter().map(InlineRecordRow::into_record).collect()
    }

    async fn record(&self, id: &str) -> Result<Option<InlineHookRecord>, StoreError> {
        let row: Option<InlineRecordRow> = self
            .by_id("inline_hooks", INLINE_RECORD_COLUMNS, id)
            .await?;
        row.map(InlineRecordRow::into_record).transpose()
    }

    async fn insert(&self, hook: &InlineHookRecord, sealed_secret: &str) -> Result<(), StoreError> {
        self.db
            .prepare(
                "INSERT INTO inline_hooks (id, kind, client_id, url, secret, timeout_ms, \
                 failure_mode, description, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            )
            .bind(&[
                text(&hook.id),
                text(hook.kind.as_str()),
                optional_text(hook.client_id.as_deref()),
                text(&hook.url),
                text(sealed_secret),
                JsValue::from_f64(hook.timeout_ms as f64),
                text(hook.failure_mode.as_str()),
                text(&hook.description),
                millis(hook.created_at),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("inline_hooks.insert"))?;
        // This isolate sees the change at once; others within INLINE_HOOK_CACHE_MS.
        INLINE_HOOKS.with(|cache| cache.borrow_mut().clear());
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let removed = self
            .changes(
                "DELETE FROM inline_hooks WHERE id = ?1",
                &[text(id)],
                "inline_hooks.remove",
            )
            .await?;
        INLINE_HOOKS.with(|cache| cache.borrow_mut().clear());
        Ok(removed > 0)
    }
}

/// A row of `inline_hooks` as administrators see it.
#[derive(Deserialize)]
struct InlineRecordRow {
    id: String,
    kind: String,
    client_id: Option<String>,
    url: String,
    timeout_ms: f64,
    failure_mode: String,
    description: String,
    created_at: f64,
}

const INLINE_RECORD_COLUMNS: &str =
    "id, kind, client_id, url, timeout_ms, failure_mode, description, created_at";

impl InlineRecordRow {
    fn into_record(self) -> Result<InlineHookRecord, StoreError> {
        let corrupt = |column: &str| {
            StoreError::Unavailable(format!(
                "d1 inline_hooks.{column} of {} is malformed",
                self.id
            ))
        };
        let kind = InlineHookKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?;
        let failure_mode =
            FailureMode::parse(&self.failure_mode).ok_or_else(|| corrupt("failure_mode"))?;
        Ok(InlineHookRecord {
            id: self.id,
            kind,
            client_id: self.client_id,
            url: self.url,
            timeout_ms: self.timeout_ms as u64,
            failure_mode,
            description: self.description,
            created_at: UnixMillis(self.created_at as u64),
        })
    }
}
