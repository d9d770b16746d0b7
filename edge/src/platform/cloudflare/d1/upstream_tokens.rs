//! Upstream tokens kept for linked identities (`upstream_tokens`); see
//! `edge/migrations/0025_upstream_tokens.sql`. A trigger there erases them with their
//! identity.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{KeptTokens, StoreError, UnixMillis, UpstreamTokenStore};

#[derive(Deserialize)]
struct KeptRow {
    connection_id: String,
    subject: String,
    sealed_tokens: String,
    expires_at: Option<f64>,
    scopes: String,
    updated_at: f64,
}

impl KeptRow {
    fn into_kept(self) -> KeptTokens {
        KeptTokens {
            connection_id: self.connection_id,
            subject: self.subject,
            sealed_tokens: self.sealed_tokens,
            expires_at: self.expires_at.map(|at| UnixMillis(at as u64)),
            // A list this version cannot read is shown as no scopes, never a failure.
            scopes: serde_json::from_str(&self.scopes).unwrap_or_default(),
            updated_at: UnixMillis(self.updated_at as u64),
        }
    }
}

#[async_trait(?Send)]
impl UpstreamTokenStore for D1Stores {
    async fn keep(&self, tokens: &KeptTokens) -> Result<(), StoreError> {
        let scopes = serde_json::to_string(&tokens.scopes)
            .map_err(|e| StoreError::Unavailable(format!("scopes json: {e}")))?;
        self.changes(
            "INSERT INTO upstream_tokens \
             (connection_id, subject, sealed_tokens, expires_at, scopes, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (connection_id, subject) DO UPDATE SET \
             sealed_tokens = excluded.sealed_tokens, expires_at = excluded.expires_at, \
             scopes = excluded.scopes, updated_at = excluded.updated_at",
            &[
                text(&tokens.connection_id),
                text(&tokens.subject),
                text(&tokens.sealed_tokens),
                tokens.expires_at.map_or(JsValue::NULL, millis),
                text(&scopes),
                millis(tokens.updated_at),
            ],
            "upstream_tokens.keep",
        )
        .await?;
        Ok(())
    }

    async fn kept(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<KeptTokens>, StoreError> {
        let row: Option<KeptRow> = self
            .db
            .prepare(
                "SELECT connection_id, subject, sealed_tokens, expires_at, scopes, updated_at \
                 FROM upstream_tokens WHERE connection_id = ?1 AND subject = ?2",
            )
            .bind(&[text(connection_id), text(subject)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("upstream_tokens.select"))?;
        Ok(row.map(KeptRow::into_kept))
    }

    async fn erase(&self, connection_id: &str, subject: &str) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM upstream_tokens WHERE connection_id = ?1 AND subject = ?2",
                &[text(connection_id), text(subject)],
                "upstream_tokens.delete",
            )
            .await?;
        Ok(changed > 0)
    }
}
