//! The version key (see [`crate::cache`]) on one Durable Object, named `cache`, holding
//! one SQLite row. Reads and bumps are handled one at a time, synchronously from read to
//! write, so no bump is lost and a read after a bump sees it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, State};

use super::objects;
use crate::ports::{CacheVersion, StoreError};

/// The one object's name.
const NAME: &str = "cache";

#[derive(Serialize, Deserialize)]
struct VersionReply {
    version: u64,
}

#[derive(Deserialize)]
struct Row {
    version: f64,
}

/// The Durable Object class behind the `VERSIONS` binding.
#[durable_object]
pub struct VersionObject {
    state: State,
    table: objects::Table,
}

impl VersionObject {
    fn read(&self) -> worker::Result<u64> {
        let sql = self.table.sql(&self.state)?;
        let rows: Vec<Row> = sql.exec("SELECT version FROM version", None)?.to_array()?;
        Ok(rows.first().map_or(0, |row| row.version as u64))
    }

    fn bump(&self) -> worker::Result<u64> {
        let next = self.read()?.saturating_add(1);
        let sql = self.table.sql(&self.state)?;
        sql.exec("DELETE FROM version", None)?;
        sql.exec(
            "INSERT INTO version (version) VALUES (?)",
            vec![(next as i64).into()],
        )?;
        Ok(next)
    }
}

impl DurableObject for VersionObject {
    fn new(state: State, _env: Env) -> Self {
        VersionObject {
            state,
            table: objects::Table::new(
                "CREATE TABLE IF NOT EXISTS version (version INTEGER NOT NULL)",
            ),
        }
    }

    async fn fetch(&self, req: worker::Request) -> worker::Result<worker::Response> {
        let version = match req.path().as_str() {
            "/current" => self.read()?,
            "/bump" => self.bump()?,
            _ => return Ok(worker::Response::empty()?.with_status(404)),
        };
        worker::Response::from_json(&VersionReply { version })
    }
}

/// [`CacheVersion`] on the [`VersionObject`].
pub struct DurableCacheVersion {
    namespace: ObjectNamespace,
}

impl DurableCacheVersion {
    pub fn new(namespace: ObjectNamespace) -> Self {
        DurableCacheVersion { namespace }
    }

    async fn call(&self, path: &str) -> Result<u64, StoreError> {
        let url = format!("https://versions.internal{path}");
        let mut response =
            objects::post_json(&self.namespace, NAME, &url, String::from("{}")).await?;
        if response.status_code() != 200 {
            return Err(StoreError::Unavailable(format!(
                "{url}: status {}",
                response.status_code()
            )));
        }
        let reply: VersionReply = response
            .json()
            .await
            .map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?;
        Ok(reply.version)
    }
}

#[async_trait(?Send)]
impl CacheVersion for DurableCacheVersion {
    async fn current(&self) -> Result<u64, StoreError> {
        self.call("/current").await
    }

    async fn bump(&self) -> Result<u64, StoreError> {
        self.call("/bump").await
    }
}
