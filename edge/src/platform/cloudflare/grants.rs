//! Grants on Durable Objects: one object per grant, named by its reference
//! (`idFromName` of [`crate::oauth::grant::GrantRef`], never the grant id), holding the
//! grant as one SQLite row. The object runs one request at a time and its SQL calls are
//! synchronous, so [`Grant::apply`] — read, decide, write — is atomic: two concurrent
//! refreshes of one token are decided one after the other. An alarm at expiry erases it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, State};

use super::objects;
use crate::oauth::grant::{Grant, GrantCommand, GrantReply};
use crate::ports::{GrantStore, StoreError, UnixMillis};

#[derive(Serialize, Deserialize)]
struct ApplyBody {
    command: GrantCommand,
    now: u64,
}

#[derive(Deserialize)]
struct Row {
    value: String,
}

/// The Durable Object class behind the `GRANTS` binding.
#[durable_object]
pub struct GrantObject {
    state: State,
    table: objects::Table,
}

impl GrantObject {
    fn load(&self) -> worker::Result<Option<Grant>> {
        let sql = self.table.sql(&self.state)?;
        let rows: Vec<Row> = sql
            .exec("SELECT value FROM grant_state", None)?
            .to_array()?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| serde_json::from_str(&r.value).ok()))
    }

    fn save(&self, grant: &Grant) -> worker::Result<()> {
        let sql = self.table.sql(&self.state)?;
        let value =
            serde_json::to_string(grant).map_err(|e| worker::Error::RustError(e.to_string()))?;
        sql.exec("DELETE FROM grant_state", None)?;
        sql.exec(
            "INSERT INTO grant_state (value) VALUES (?)",
            vec![value.into()],
        )?;
        Ok(())
    }
}

impl DurableObject for GrantObject {
    fn new(state: State, _env: Env) -> Self {
        GrantObject {
            state,
            table: objects::Table::new(
                "CREATE TABLE IF NOT EXISTS grant_state (value TEXT NOT NULL)",
            ),
        }
    }

    async fn fetch(&self, mut req: worker::Request) -> worker::Result<worker::Response> {
        match req.path().as_str() {
            "/create" => {
                let grant: Grant = req.json().await?;
                // No await between the check and the write.
                if self.load()?.is_some() {
                    return Ok(worker::Response::empty()?.with_status(409));
                }
                self.save(&grant)?;
                let offset = (grant.expires_at.0 as i64)
                    .saturating_sub(js_sys::Date::now() as i64)
                    .max(0);
                self.state.storage().set_alarm(offset).await?;
                Ok(worker::Response::empty()?.with_status(201))
            }
            "/apply" => {
                let body: ApplyBody = req.json().await?;
                let (state, reply) =
                    Grant::apply(self.load()?, &body.command, UnixMillis(body.now));
                if let Some(state) = state {
                    self.save(&state)?;
                }
                worker::Response::from_json(&reply)
            }
            _ => Ok(worker::Response::empty()?.with_status(404)),
        }
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        self.table.erase(&self.state).await?;
        worker::Response::empty()
    }
}

/// [`GrantStore`] backed by [`GrantObject`]s.
pub struct DurableGrantStore {
    namespace: ObjectNamespace,
}

impl DurableGrantStore {
    pub fn new(namespace: ObjectNamespace) -> Self {
        DurableGrantStore { namespace }
    }

    async fn call(
        &self,
        grant_id: &str,
        path: &str,
        json: String,
    ) -> Result<worker::Response, StoreError> {
        let url = format!("https://grants.internal{path}");
        objects::post_json(&self.namespace, grant_id, &url, json).await
    }
}

#[async_trait(?Send)]
impl GrantStore for DurableGrantStore {
    async fn create(&self, grant_id: &str, grant: &Grant) -> Result<(), StoreError> {
        let json = objects::to_json(grant)?;
        let response = self.call(grant_id, "/create", json).await?;
        match response.status_code() {
            201 => Ok(()),
            409 => Err(StoreError::Conflict),
            status => Err(StoreError::Unavailable(format!(
                "grant create: status {status}"
            ))),
        }
    }

    async fn apply(
        &self,
        grant_id: &str,
        command: &GrantCommand,
        now: UnixMillis,
    ) -> Result<GrantReply, StoreError> {
        let body = ApplyBody {
            command: command.clone(),
            now: now.0,
        };
        let json = objects::to_json(&body)?;
        let mut response = self.call(grant_id, "/apply", json).await?;
        if response.status_code() != 200 {
            return Err(StoreError::Unavailable(format!(
                "grant apply: status {}",
                response.status_code()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| StoreError::Unavailable(format!("grant apply: {e}")))
    }
}
