//! Which grants each person holds (`person_grants`), by grant reference.

use async_trait::async_trait;
use serde::Deserialize;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{GrantIndex, StoreError, UnixMillis};

#[derive(Deserialize)]
struct Row {
    grant_ref: String,
}

#[async_trait(?Send)]
impl GrantIndex for D1Stores {
    async fn add(
        &self,
        user_id: &str,
        grant_ref: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.changes(
            "INSERT OR IGNORE INTO person_grants (grant_ref, user_id, expires_at) \
             VALUES (?1, ?2, ?3)",
            &[text(grant_ref), text(user_id), millis(expires_at)],
            "person_grants.add",
        )
        .await
        .map(|_| ())
    }

    async fn for_person(&self, user_id: &str, now: UnixMillis) -> Result<Vec<String>, StoreError> {
        self.changes(
            "DELETE FROM person_grants WHERE user_id = ?1 AND expires_at <= ?2",
            &[text(user_id), millis(now)],
            "person_grants.forget_expired",
        )
        .await?;
        let rows: Vec<Row> = self
            .db
            .prepare(
                "SELECT grant_ref FROM person_grants WHERE user_id = ?1 AND expires_at > ?2 \
                 ORDER BY expires_at, grant_ref",
            )
            .bind(&[text(user_id), millis(now)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("person_grants.for_person"))?
            .results()
            .map_err(unavailable("person_grants.for_person"))?;
        Ok(rows.into_iter().map(|r| r.grant_ref).collect())
    }

    async fn remove(&self, user_id: &str, grant_refs: &[String]) -> Result<(), StoreError> {
        for grant_ref in grant_refs {
            self.changes(
                "DELETE FROM person_grants WHERE user_id = ?1 AND grant_ref = ?2",
                &[text(user_id), text(grant_ref)],
                "person_grants.remove",
            )
            .await?;
        }
        Ok(())
    }
}
