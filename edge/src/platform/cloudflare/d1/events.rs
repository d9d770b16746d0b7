//! The System Log (`events`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{optional_text, text, unavailable, D1Stores};
use crate::events::SystemLogEvent;
use crate::logs::LogQuery;
use crate::ports::{EventLog, StoreError};

#[derive(Deserialize)]
struct EventRow {
    data: String,
}

/// Idempotent: a queue may hand over the same event twice.
const INSERT: &str = "INSERT OR IGNORE INTO events (uuid, published, event_type, severity, \
                      outcome, actor_id, client_id, ip_address, data) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

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
    Ok(vec![
        text(&event.uuid),
        text(&event.published),
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
        self.changes(INSERT, &columns(event)?, "events.append")
            .await
            .map(|_| ())
    }

    /// One D1 batch: a single round trip, in one transaction.
    async fn append_all(&self, events: &[SystemLogEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut statements = Vec::with_capacity(events.len());
        for event in events {
            statements.push(
                self.db
                    .prepare(INSERT)
                    .bind(&columns(event)?)
                    .map_err(unavailable("bind"))?,
            );
        }
        self.db
            .batch(statements)
            .await
            .map_err(unavailable("events.append_all"))?;
        Ok(())
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
}
