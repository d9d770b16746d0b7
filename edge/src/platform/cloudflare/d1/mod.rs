//! Stores on D1, one file per store. The schema lives in `edge/migrations/`.

mod clients;
mod connections;
mod consents;
mod credentials;
mod deletions;
mod directory;
mod events;
mod factors;
mod groups;
mod hooks;
mod keys;
mod mailbox;
mod person_grants;
mod risk;
mod sessions;
mod upstream_tokens;
mod users;

pub use clients::D1ClientStore;
pub use mailbox::D1DevMailbox;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

use crate::ports::{StoreError, UnixMillis};

fn unavailable(context: &str) -> impl Fn(worker::Error) -> StoreError + '_ {
    move |e| StoreError::Unavailable(format!("d1 {context}: {e}"))
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn millis(value: UnixMillis) -> JsValue {
    JsValue::from_f64(value.0 as f64)
}

/// A filter's bound parameter (see `scim::filter`).
fn bound(value: &crate::scim::filter::SqlValue) -> JsValue {
    match value {
        crate::scim::filter::SqlValue::Text(text) => JsValue::from_str(text),
        crate::scim::filter::SqlValue::Integer(n) => JsValue::from_f64(*n as f64),
    }
}

fn optional_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// The database, counting the statements prepared on it (see `round_trips`).
struct Db(D1Database);

impl Db {
    fn prepare<T: Into<String>>(&self, query: T) -> D1PreparedStatement {
        super::round_trips::d1();
        self.0.prepare(query)
    }

    /// Runs statements made with [`Db::prepare`] (counted there) in one transaction.
    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        self.0.batch(statements).await
    }
}

/// D1 on the database bound as `DB`: users, sessions, the System Log and signing keys.
pub struct D1Stores {
    db: Db,
}

impl D1Stores {
    pub fn new(db: D1Database) -> Self {
        D1Stores { db: Db(db) }
    }

    async fn changes(
        &self,
        sql: &str,
        args: &[JsValue],
        context: &str,
    ) -> Result<usize, StoreError> {
        let result = self
            .db
            .prepare(sql)
            .bind(args)
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(unavailable(context))?;
        Ok(result
            .meta()
            .map_err(unavailable(context))?
            .and_then(|m| m.changes)
            .unwrap_or(0))
    }
}

fn flag(value: bool) -> JsValue {
    JsValue::from_f64(if value { 1.0 } else { 0.0 })
}

fn credential_id(id: &[u8]) -> JsValue {
    text(&URL_SAFE_NO_PAD.encode(id))
}

/// A failed write: a uniqueness violation is a conflict, anything else an outage.
fn conflict_or_unavailable(context: &str) -> impl Fn(worker::Error) -> StoreError + '_ {
    move |e| {
        let message = e.to_string();
        if message.contains("UNIQUE constraint failed") {
            StoreError::Conflict
        } else {
            StoreError::Unavailable(format!("d1 {context}: {message}"))
        }
    }
}
