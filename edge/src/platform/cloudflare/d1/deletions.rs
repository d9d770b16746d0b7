//! Scheduled account deletions (`account_deletions`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{DeletionStore, ScheduledDeletion, StoreError, UnixMillis};

const COLUMNS: &str = "user_id, requested_at, due_at, cancel_token_hash, client_id";

#[derive(Deserialize)]
struct DeletionRow {
    user_id: String,
    requested_at: f64,
    due_at: f64,
    cancel_token_hash: String,
    client_id: String,
}

impl From<DeletionRow> for ScheduledDeletion {
    fn from(row: DeletionRow) -> Self {
        ScheduledDeletion {
            user_id: row.user_id,
            requested_at: UnixMillis(row.requested_at as u64),
            due_at: UnixMillis(row.due_at as u64),
            cancel_token_hash: row.cancel_token_hash,
            client_id: row.client_id,
        }
    }
}

impl D1Stores {
    async fn one_deletion(
        &self,
        sql: &str,
        args: &[JsValue],
        context: &str,
    ) -> Result<Option<ScheduledDeletion>, StoreError> {
        let row: Option<DeletionRow> = self
            .db
            .prepare(sql)
            .bind(args)
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable(context))?;
        Ok(row.map(ScheduledDeletion::from))
    }
}

#[async_trait(?Send)]
impl DeletionStore for D1Stores {
    async fn schedule(&self, deletion: &ScheduledDeletion) -> Result<(), StoreError> {
        self.changes(
            "INSERT INTO account_deletions (user_id, requested_at, due_at, cancel_token_hash, \
             client_id) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO UPDATE SET \
             requested_at = excluded.requested_at, due_at = excluded.due_at, \
             cancel_token_hash = excluded.cancel_token_hash, client_id = excluded.client_id",
            &[
                text(&deletion.user_id),
                millis(deletion.requested_at),
                millis(deletion.due_at),
                text(&deletion.cancel_token_hash),
                text(&deletion.client_id),
            ],
            "account_deletions.schedule",
        )
        .await
        .map(|_| ())
    }

    async fn cancel(
        &self,
        cancel_token_hash: &str,
    ) -> Result<Option<ScheduledDeletion>, StoreError> {
        self.one_deletion(
            &format!(
                "DELETE FROM account_deletions WHERE cancel_token_hash = ?1 RETURNING {COLUMNS}"
            ),
            &[text(cancel_token_hash)],
            "account_deletions.cancel",
        )
        .await
    }

    async fn find(&self, user_id: &str) -> Result<Option<ScheduledDeletion>, StoreError> {
        self.one_deletion(
            &format!("SELECT {COLUMNS} FROM account_deletions WHERE user_id = ?1"),
            &[text(user_id)],
            "account_deletions.find",
        )
        .await
    }

    async fn due(
        &self,
        now: UnixMillis,
        limit: usize,
    ) -> Result<Vec<ScheduledDeletion>, StoreError> {
        let rows: Vec<DeletionRow> = self
            .db
            .prepare(format!(
                "SELECT {COLUMNS} FROM account_deletions WHERE due_at <= ?1 \
                 ORDER BY due_at LIMIT ?2"
            ))
            .bind(&[millis(now), JsValue::from_f64(limit as f64)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("account_deletions.due"))?
            .results()
            .map_err(unavailable("account_deletions.due"))?;
        Ok(rows.into_iter().map(ScheduledDeletion::from).collect())
    }

    async fn claim_due(&self, user_id: &str, now: UnixMillis) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM account_deletions WHERE user_id = ?1 AND due_at <= ?2",
                &[text(user_id), millis(now)],
                "account_deletions.claim_due",
            )
            .await?;
        Ok(changed == 1)
    }
}
