//! Windowed counters on Durable Objects: one object per key, one SQLite row. Each
//! request is handled alone and reads and writes its row without awaiting in between,
//! so increments are atomic and never lost: the count returned is this request's own.
//! The window itself is [`next_window`], the same function the native tests run. An
//! alarm at the end of the window erases the object.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, State};

use super::objects;
use crate::ports::{Counters, StoreError, UnixMillis};
use crate::throttle::{next_window, Change, Window};

#[derive(Serialize, Deserialize)]
struct CounterBody {
    now: u64,
    change: Change,
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
    table: objects::Table,
}

impl CounterObject {
    /// Applies `change` to the stored window and stores the result; returns the window
    /// before and after. Synchronous from read to write, so nothing interleaves.
    fn apply(
        &self,
        change: Change,
        now: UnixMillis,
    ) -> worker::Result<(Option<Window>, Option<Window>)> {
        let sql = self.table.sql(&self.state)?;
        let rows: Vec<Row> = sql
            .exec("SELECT count, window_ends FROM counter", None)?
            .to_array()?;
        let current = rows.into_iter().next().map(|row| Window {
            count: row.count as u32,
            ends: UnixMillis(row.window_ends as u64),
        });
        let next = next_window(current, change, now);
        sql.exec("DELETE FROM counter", None)?;
        if let Some(window) = next {
            sql.exec(
                "INSERT INTO counter (count, window_ends) VALUES (?, ?)",
                vec![
                    i64::from(window.count).into(),
                    (window.ends.0 as i64).into(),
                ],
            )?;
        }
        Ok((current, next))
    }
}

impl DurableObject for CounterObject {
    fn new(state: State, _env: Env) -> Self {
        CounterObject {
            state,
            table: objects::Table::new(
                "CREATE TABLE IF NOT EXISTS counter (count INTEGER NOT NULL, window_ends INTEGER NOT NULL)",
            ),
        }
    }

    async fn fetch(&self, mut req: worker::Request) -> worker::Result<worker::Response> {
        let body: CounterBody = req.json().await?;
        let (before, after) = self.apply(body.change, UnixMillis(body.now))?;
        // A window that just started: erase the object when it ends.
        let started = after.filter(|window| before.map(|w| w.ends) != Some(window.ends));
        if let Some(window) = started {
            let offset = (window.ends.0 as i64)
                .saturating_sub(js_sys::Date::now() as i64)
                .max(0);
            self.state.storage().set_alarm(offset).await?;
        }
        worker::Response::from_json(&CounterReply {
            count: after.map_or(0, |w| w.count),
        })
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        self.table.erase(&self.state).await?;
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
    async fn increment(
        &self,
        key: &str,
        window_seconds: u64,
        now: UnixMillis,
    ) -> Result<u32, StoreError> {
        let change = Change::Increment { window_seconds };
        self.call(key, &CounterBody { now: now.0, change }).await
    }

    async fn decrement(&self, key: &str, now: UnixMillis) -> Result<u32, StoreError> {
        let change = Change::Decrement;
        self.call(key, &CounterBody { now: now.0, change }).await
    }

    async fn reset(&self, key: &str, now: UnixMillis) -> Result<(), StoreError> {
        let change = Change::Reset;
        self.call(key, &CounterBody { now: now.0, change })
            .await
            .map(|_| ())
    }
}
