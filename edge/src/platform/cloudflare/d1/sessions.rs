//! SSO sessions (`sessions`), named by the SHA-256 of their cookie.

use async_trait::async_trait;
use serde::Deserialize;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{SessionStore, StoreError, UnixMillis};
use crate::users::Session;

#[derive(Deserialize)]
struct SessionRow {
    user_id: String,
    auth_time: f64,
    amr: String,
    expires_at: f64,
}

impl SessionRow {
    fn into_session(self) -> Session {
        Session {
            user_id: self.user_id,
            auth_time: UnixMillis(self.auth_time as u64),
            amr: serde_json::from_str(&self.amr).unwrap_or_default(),
            expires_at: UnixMillis(self.expires_at as u64),
        }
    }
}

#[async_trait(?Send)]
impl SessionStore for D1Stores {
    async fn create(&self, id_hash: &str, session: &Session) -> Result<(), StoreError> {
        let amr = serde_json::to_string(&session.amr).unwrap_or_else(|_| "[]".into());
        self.changes(
            "INSERT INTO sessions (id_hash, user_id, auth_time, amr, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?3, ?5)",
            &[
                text(id_hash),
                text(&session.user_id),
                millis(session.auth_time),
                text(&amr),
                millis(session.expires_at),
            ],
            "sessions.create",
        )
        .await
        .map(|_| ())
    }

    async fn find(&self, id_hash: &str, now: UnixMillis) -> Result<Option<Session>, StoreError> {
        let row: Option<SessionRow> = self
            .db
            .prepare(
                "SELECT user_id, auth_time, amr, expires_at FROM sessions \
                 WHERE id_hash = ?1 AND expires_at > ?2",
            )
            .bind(&[text(id_hash), millis(now)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("sessions.find"))?;
        Ok(row.map(SessionRow::into_session))
    }

    async fn delete(&self, id_hash: &str) -> Result<(), StoreError> {
        self.changes(
            "DELETE FROM sessions WHERE id_hash = ?1",
            &[text(id_hash)],
            "sessions.delete",
        )
        .await
        .map(|_| ())
    }

    async fn delete_for_user(&self, user_id: &str) -> Result<(), StoreError> {
        self.changes(
            "DELETE FROM sessions WHERE user_id = ?1",
            &[text(user_id)],
            "sessions.delete_for_user",
        )
        .await
        .map(|_| ())
    }

    async fn for_user(&self, user_id: &str, now: UnixMillis) -> Result<Vec<Session>, StoreError> {
        let rows: Vec<SessionRow> = self
            .db
            .prepare(
                "SELECT user_id, auth_time, amr, expires_at FROM sessions \
                 WHERE user_id = ?1 AND expires_at > ?2 ORDER BY auth_time DESC",
            )
            .bind(&[text(user_id), millis(now)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("sessions.for_user"))?
            .results()
            .map_err(unavailable("sessions.for_user"))?;
        Ok(rows.into_iter().map(SessionRow::into_session).collect())
    }
}
