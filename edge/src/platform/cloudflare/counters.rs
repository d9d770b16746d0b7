//! Windowed counters on Durable Objects: one object per key, one SQLite row. Each
//! request is handled alone, so increments are never lost. An alarm at the end of the
//! window erases the object.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, State};

use super::objects;
use crate::ports::{Counters, StoreError, UnixMillis};

#[derive(Serialize, Deserialize)]
struct CounterBody {
    now: u64,
    /// `Some` to increment (starting a window this long if none runs), `None` to read.
    window_seconds: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct CounterReply {
    count: u32,
}

#[derive(Deserialize)]
struct Row {
    count: f64,
    window_ends: f64,
}

/// The Durable Object class behind the `COUNTERS` binding.
#[durable_object]
pub struct CounterObject {
    state: State,
}

impl DurableObject for CounterObject {
    fn new(state: State, _env: Env) -> Self {
        CounterObject { state }
    }

    async fn fetch(&self, mut req: worker::Request) -> worker::Result<worker::Response> {
        let body: CounterBody = req.json().await?;
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS counter (count INTEGER NOT NULL, window_ends INTEGER NOT NULL)",
            None,
        )?;
        let rows: Vec<Row> = sql
            .exec("SELECT count, window_ends FROM counter", None)?
            .to_array()?;
        let now = body.now as f64;
        let current = rows
            .into_iter()
            .next()
            .filter(|r| now < r.window_ends)
            .map(|r| (r.count as u32, r.window_ends));
        let Some(window_seconds) = body.window_seconds else {
            let count = current.map_or(0, |(count, _)| count);
            return worker::Response::from_json(&CounterReply { count });
        };
        let (count, window_ends) = match current {
            Some((count, ends)) => (count + 1, ends),
            None => (1, now + (window_seconds * 1000) as f64),
        };
        sql.exec("DELETE FROM counter", None)?;
        sql.exec(
            "INSERT INTO counter (count, window_ends) VALUES (?, ?)",
            vec![i64::from(count).into(), (window_ends as i64).into()],
        )?;
        if count == 1 {
            let offset = (window_ends as i64)
                .saturating_sub(js_sys::Date::now() as i64)
                .max(0);
            self.state.storage().set_alarm(offset).await?;
        }
        worker::Response::from_json(&CounterReply { count })
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        self.state.storage().delete_all().await?;
        worker::Response::empty()
    }
}

/// [`Counters`] backed by [`CounterObject`]s.
pub struct DurableCounters {
    namespace: ObjectNamespace,
}

impl DurableCounters {
    pub fn new(namespace: ObjectNamespace) -> Self {
        DurableCounters { namespace }
    }

    async fn call(&self, key: &str, body: &CounterBody) -> Result<u32, StoreError> {
        let url = "https://counters.internal/";
        let mut response =
            objects::post_json(&self.namespace, key, url, objects::to_json(body)?).await?;
        let reply: CounterReply = response
            .json()
            .await
            .map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?;
        Ok(reply.count)
    }
}

#[async_trait(?Send)]
impl Counters for DurableCounters {
    async fn get(&self, key: &str, now: UnixMillis) -> Result<u32, StoreError> {
        self.call(
            key,
            &CounterBody {
                now: now.0,
                window_seconds: None,
            },
        )
        .await
    }

    async fn increment(
        &self,
        key: &str,
        window_seconds: u64,
        now: UnixMillis,
    ) -> Result<u32, StoreError> {
        self.call(
            key,
            &CounterBody {
                now: now.0,
                window_seconds: Some(window_seconds),
            },
        )
        .await
    }
}
