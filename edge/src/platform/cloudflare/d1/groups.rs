//! Groups of people (`user_groups`); members are a JSON array of user ids in the row.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{conflict_or_unavailable, millis, optional_text, text, unavailable, D1Stores};
use crate::ports::{Group, GroupStore, StoreError, UnixMillis};

#[derive(Deserialize)]
struct GroupRow {
    id: String,
    display_name: String,
    external_id: Option<String>,
    members: String,
    created_at: f64,
    updated_at: f64,
}

#[derive(Deserialize)]
struct Count {
    total: f64,
}

impl GroupRow {
    fn into_group(self) -> Result<Group, StoreError> {
        let members = serde_json::from_str(&self.members).map_err(|e| {
            StoreError::Unavailable(format!("d1 user_groups.members of {}: {e}", self.id))
        })?;
        Ok(Group {
            id: self.id,
            display_name: self.display_name,
            external_id: self.external_id,
            members,
            created_at: UnixMillis(self.created_at as u64),
            updated_at: UnixMillis(self.updated_at as u64),
        })
    }
}

const COLUMNS: &str = "id, display_name, external_id, members, created_at, updated_at";

fn members(group: &Group) -> Result<JsValue, StoreError> {
    serde_json::to_string(&group.members)
        .map(|json| text(&json))
        .map_err(|e| StoreError::Unavailable(format!("members json: {e}")))
}

#[async_trait(?Send)]
impl GroupStore for D1Stores {
    async fn create(&self, group: &Group) -> Result<(), StoreError> {
        self.db
            .prepare(format!(
                "INSERT INTO user_groups ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))
            .bind(&[
                text(&group.id),
                text(&group.display_name),
                optional_text(group.external_id.as_deref()),
                members(group)?,
                millis(group.created_at),
                millis(group.updated_at),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("user_groups.create"))?;
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = self
            .db
            .prepare(format!("SELECT {COLUMNS} FROM user_groups WHERE id = ?1"))
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("user_groups.find"))?;
        row.map(GroupRow::into_group).transpose()
    }

    async fn list(
        &self,
        display_name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Group>), StoreError> {
        let (matching, mut args) = match display_name {
            Some(name) => ("display_name = ?", vec![text(name)]),
            None => ("1", Vec::new()),
        };
        let count: Option<Count> = self
            .db
            .prepare(format!(
                "SELECT COUNT(*) AS total FROM user_groups WHERE {matching}"
            ))
            .bind(&args)
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("user_groups.count"))?;
        args.push(JsValue::from_f64(limit as f64));
        args.push(JsValue::from_f64(offset as f64));
        let rows: Vec<GroupRow> = self
            .db
            .prepare(format!(
                "SELECT {COLUMNS} FROM user_groups WHERE {matching} \
                 ORDER BY created_at, id LIMIT ? OFFSET ?"
            ))
            .bind(&args)
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("user_groups.list"))?
            .results()
            .map_err(unavailable("user_groups.list rows"))?;
        let groups = rows
            .into_iter()
            .map(GroupRow::into_group)
            .collect::<Result<_, _>>()?;
        Ok((count.map_or(0, |c| c.total as u64), groups))
    }

    async fn update(&self, group: &Group, expected: UnixMillis) -> Result<bool, StoreError> {
        let changed = self
            .db
            .prepare(
                "UPDATE user_groups SET display_name = ?2, external_id = ?3, members = ?4, \
                 updated_at = ?5 WHERE id = ?1 AND updated_at = ?6",
            )
            .bind(&[
                text(&group.id),
                text(&group.display_name),
                optional_text(group.external_id.as_deref()),
                members(group)?,
                millis(group.updated_at),
                millis(expected),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("user_groups.update"))?
            .meta()
            .map_err(unavailable("user_groups.update"))?
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(changed == 1)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let deleted = self
            .changes(
                "DELETE FROM user_groups WHERE id = ?1",
                &[text(id)],
                "user_groups.delete",
            )
            .await?;
        Ok(deleted == 1)
    }

    async fn names_for(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Name {
            display_name: String,
        }
        let rows: Vec<Name> = self
            .db
            .prepare(
                "SELECT display_name FROM user_groups \
                 WHERE EXISTS (SELECT 1 FROM json_each(user_groups.members) WHERE value = ?1) \
                 ORDER BY display_name",
            )
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("user_groups.names_for"))?
            .results()
            .map_err(unavailable("user_groups.names_for rows"))?;
        Ok(rows.into_iter().map(|r| r.display_name).collect())
    }

    async fn remove_user(&self, user_id: &str) -> Result<(), StoreError> {
        self.changes(
            "UPDATE user_groups SET members = (\
               SELECT json_group_array(m.value) FROM json_each(user_groups.members) AS m \
               WHERE m.value <> ?1), updated_at = updated_at + 1 \
             WHERE EXISTS (SELECT 1 FROM json_each(user_groups.members) WHERE value = ?1)",
            &[text(user_id)],
            "user_groups.remove_user",
        )
        .await
        .map(|_| ())
    }
}
