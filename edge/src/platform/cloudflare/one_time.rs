//! The one-time store on Durable Objects.
//!
//! Each key gets its own object (`idFromName(key)`), whose SQLite storage holds at most
//! one row. A Durable Object runs one event at a time and its SQL calls are synchronous,
//! so `DELETE … RETURNING` inside one `fetch` is an atomic take: of any number of
//! concurrent takes, exactly one gets the row. An alarm at expiry erases the object's
//! storage so expired values do not linger.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, State};

use super::objects;
use crate::ports::{OneTimeStore, StoreError, UnixMillis};

#[derive(Serialize, Deserialize)]
struct PutBody {
    value: String,
    expires_at: u64,
}

#[derive(Serialize, Deserialize)]
struct TakeBody {
    now: u64,
}

#[derive(Serialize, Deserialize)]
struct TakeReply {
    value: String,
}

#[derive(Deserialize)]
struct Row {
    value: String,
    expires_at: i64,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// The Durable Object class behind the `ONE_TIME` binding.
#[durable_object]
pub struct OneTimeObject {
    state: State,
    table: objects::Table,
}

impl DurableObject for OneTimeObject {
    fn new(state: State, _env: Env) -> Self {
        OneTimeObject {
            state,
            table: objects::Table::new(
                "CREATE TABLE IF NOT EXISTS item (value TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            ),
        }
    }

    async fn fetch(&self, mut req: worker::Request) -> worker::Result<worker::Response> {
        let sql = self.table.sql(&self.state)?;
        match req.path().as_str() {
            "/put" => {
                let body: PutBody = req.json().await?;
                // No await between the check and the insert: nothing else runs in between.
                let count: Count = sql.exec("SELECT COUNT(*) AS n FROM item", None)?.one()?;
                if count.n > 0 {
                    return Ok(worker::Response::empty()?.with_status(409));
                }
                let expires_at = i64::try_from(body.expires_at).unwrap_or(i64::MAX);
                sql.exec(
                    "INSERT INTO item (value, expires_at) VALUES (?, ?)",
                    vec![body.value.into(), expires_at.into()],
                )?;
                let offset = expires_at.saturating_sub(js_sys::Date::now() as i64).max(0);
                self.state.storage().set_alarm(offset).await?;
                Ok(worker::Response::empty()?.with_status(201))
            }
            // No await between reading and answering: a take is atomic.
            path @ ("/take" | "/peek") => {
                let body: TakeBody = req.json().await?;
                let query = if path == "/take" {
                    "DELETE FROM item RETURNING value, expires_at"
                } else {
                    "SELECT value, expires_at FROM item"
                };
                let rows: Vec<Row> = sql.exec(query, None)?.to_array()?;
                let now = i64::try_from(body.now).unwrap_or(i64::MAX);
                match rows.into_iter().next() {
                    Some(row) if now < row.expires_at => {
                        worker::Response::from_json(&TakeReply { value: row.value })
                    }
                    _ => Ok(worker::Response::empty()?.with_status(404)),
                }
            }
            _ => Ok(worker::Response::empty()?.with_status(404)),
        }
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        self.table.erase(&self.state).await?;
        worker::Response::empty()
    }
}

/// [`OneTimeStore`] backed by [`OneTimeObject`]s.
pub struct DurableOneTimeStore {
    namespace: ObjectNamespace,
}

impl DurableOneTimeStore {
    pub fn new(namespace: ObjectNamespace) -> Self {
        DurableOneTimeStore { namespace }
    }

    async fn call<B: Serialize>(
        &self,
        key: &str,
        path: &str,
        body: &B,
    ) -> Result<worker::Response, StoreError> {
        let url = format!("https://one-time.internal{path}");
        objects::post_json(&self.namespace, key, &url, objects::to_json(body)?).await
    }
}

#[async_trait(?Send)]
impl OneTimeStore for DurableOneTimeStore {
    async fn put(&self, key: &str, value: &str, expires_at: UnixMillis) -> Result<(), StoreError> {
        let body = PutBody {
            value: value.to_string(),
            expires_at: expires_at.0,
        };
        let response = self.call(key, "/put", &body).await?;
        match response.status_code() {
            201 => Ok(()),
            409 => Err(StoreError::Conflict),
            status => Err(StoreError::Unavailable(format!(
                "one-time store put: status {status}"
            ))),
        }
    }

    async fn take(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError> {
        self.read(key, "/take", now).await
    }

    async fn peek(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError> {
        self.read(key, "/peek", now).await
    }
}

impl DurableOneTimeStore {
    /// `/take` or `/peek`: the value if present and unexpired at `now`.
    async fn read(
        &self,
        key: &str,
        path: &str,
        now: UnixMillis,
    ) -> Result<Option<String>, StoreError> {
        let mut response = self.call(key, path, &TakeBody { now: now.0 }).await?;
        match response.status_code() {
            200 => {
                let reply: TakeReply = response
                    .json()
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("one-time store {path}: {e}")))?;
                Ok(Some(reply.value))
            }
            404 => Ok(None),
            status => Err(StoreError::Unavailable(format!(
                "one-time store {path}: status {status}"
            ))),
        }
    }
}
