//! The System Log (`events`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{optional_text, text, unavailable, D1Stores};
use crate::events::SystemLogEvent;
use crate::logs::LogQuery;
use crate::ports::{EventLog, StoreError, UnixMillis};

#[derive(Deserialize)]
struct EventRow {
    data: String,
}

/// Idempotent: a queue may hand over the same event twice.
const INSERT: &str = "INSERT OR IGNORE INTO events (uuid, published, event_type, severity, \
                      outcome, actor_id, client_id, ip_address, data) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// An event stored after its person was deleted (it waited in the events queue while the
/// erasure ran) gets the erasure's treatment at once: the same pseudonymous record as
/// every older event (`users.erase` in directory.rs).
const SCRUB_ACTOR: &str = "UPDATE events SET ip_address = NULL, data = json_remove(data, \
                           '$.actor.alternateId', '$.actor.displayName', '$.client.ipAddress', \
                           '$.client.userAgent', '$.request.ipAddress', '$.request.userAgent') \
                           WHERE uuid = ?1 AND actor_id IN \
                           (SELECT id FROM users WHERE status = 'deprovisioned')";
const SCRUB_TARGETS: &str = "UPDATE events SET data = json_set(data, '$.target', (\
                             SELECT json_group_array(CASE WHEN json_extract(t.value, '$.id') IN \
                               (SELECT id FROM users WHERE status = 'deprovisioned') \
                             THEN json_remove(t.value, '$.alternateId', '$.displayName') \
                             ELSE json(t.value) END) \
                             FROM json_each(events.data, '$.target') AS t)) \
                             WHERE uuid = ?1 AND json_array_length(data, '$.target') > 0";

/// The columns of `events` for `event`.
fn columns(event: &SystemLogEvent) -> Result<Vec<JsValue>, StoreError> {
    let data = serde_json::to_string(event)
        .map_err(|e| StoreError::Unavailable(format!("event json: {e}")))?;
    let outcome = match event.outcome.result {
        portcullis_shared::system_log::OutcomeResult::Success => "SUCCESS",
        portcullis_shared::system_log::OutcomeResult::Failure => "FAILURE",
    };
    let severity = match event.severity {
        portcullis_shared::system_log::Severity::Info => "INFO",
        portcullis_shared::system_log::Severity::Warn => "WARN",
    };
    let actor = (event.actor.id != "unknown").then_some(event.actor.id.as_str());
    // The INTEGER column holds Unix milliseconds (migration 0015); the event's JSON keeps
    // the RFC 3339 text the API shows.
    let published = crate::time::parse_rfc3339(&event.published).ok_or_else(|| {
        StoreError::Unavailable(format!(
            "event {} published {:?}",
            event.uuid, event.published
        ))
    })?;
    Ok(vec![
        text(&event.uuid),
        JsValue::from_f64(published.0 as f64),
        text(&event.event_type),
        text(severity),
        text(outcome),
        optional_text(actor),
        optional_text(event.client.id.as_deref()),
        optional_text(event.request.ip_address.as_deref()),
        text(&data),
    ])
}

#[async_trait(?Send)]
impl EventLog for D1Stores {
    async fn append(&self, event: &SystemLogEvent) -> Result<(), StoreError> {
        self.append_all(std::slice::from_ref(event)).await
    }

    /// One D1 batch: a single round trip, in one transaction.
    async fn append_all(&self, events: &[SystemLogEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut statements = Vec::with_capacity(events.len() * 3);
        for event in events {
            let bound = |sql: &str, args: &[JsValue]| {
                self.db.prepare(sql).bind(args).map_err(unavailable("bind"))
            };
            statements.push(bound(INSERT, &columns(event)?)?);
            statements.push(bound(SCRUB_ACTOR, &[text(&event.uuid)])?);
            statements.push(bound(SCRUB_TARGETS, &[text(&event.uuid)])?);
        }
        self.db
            .batch(statements)
            .await
            .map_err(unavailable("events.append_all"))?;
        Ok(())
    }

    /// One statement, so a run of the purge holds the write lock one batch at a time.
    async fn delete_before(&self, before: UnixMillis, limit: u32) -> Result<u32, StoreError> {
        let deleted = self
            .changes(
                crate::logs::retention::PURGE_SQL,
                &[
                    JsValue::from_f64(before.0 as f64),
                    JsValue::from_f64(f64::from(limit)),
                ],
                "events.delete_before",
            )
            .await?;
        Ok(u32::try_from(deleted).unwrap_or(u32::MAX))
    }

    async fn query(&self, query: &LogQuery) -> Result<Vec<SystemLogEvent>, StoreError> {
        let compiled = query.compile();
        let args: Vec<JsValue> = compiled.params.iter().map(super::bound).collect();
        let rows: Vec<EventRow> = self
            .db
            .prepare(format!("SELECT data FROM events WHERE {}", compiled.sql))
            .bind(&args)
            .map_err(super::unavailable("bind"))?
            .all()
            .await
            .map_err(super::unavailable("events.query"))?
            .results()
            .map_err(super::unavailable("events.query rows"))?;
        rows.iter()
            .map(|row| {
                serde_json::from_str(&row.data)
                    .map_err(|e| StoreError::Unavailable(format!("event json: {e}")))
            })
            .collect()
    }

    async fn about_user(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<SystemLogEvent>, StoreError> {
        let rows: Vec<EventRow> = self
            .db
            .prepare(
                "SELECT data FROM events WHERE actor_id = ?1 OR (instr(data, ?1) > 0 AND \
                 EXISTS (SELECT 1 FROM json_each(events.data, '$.target') AS t \
                 WHERE json_extract(t.value, '$.id') = ?1)) \
                 ORDER BY published DESC, rowid DESC LIMIT ?2",
            )
            .bind(&[text(user_id), JsValue::from_f64(limit as f64)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("events.about_user"))?
            .results()
            .map_err(unavailable("events.about_user rows"))?;
        rows.iter()
            .map(|row| {
                serde_json::from_str(&row.data)
                    .map_err(|e| StoreError::Unavailable(format!("event json: {e}")))
            })
            .collect()
    }
}
