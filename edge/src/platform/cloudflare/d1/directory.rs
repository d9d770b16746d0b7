//! What administrators do to users (`users`, SCIM): search, change, erase.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::users::{UserRow, USER_COLUMNS};
use super::{
    bound, conflict_or_unavailable, flag, millis, optional_text, text, unavailable, D1Stores,
};
use crate::ports::{Directory, StoreError, UnixMillis, UserPage, UserQuery};
use crate::scim::filter::compile;
use crate::users::User;

#[derive(Deserialize)]
struct Count {
    total: f64,
}

#[async_trait(?Send)]
impl Directory for D1Stores {
    async fn search(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        // The condition is built from fixed column expressions; every value the filter
        // holds is a bound parameter (see `scim::filter`).
        let condition = query.filter.as_ref().map(compile);
        let matching = match &condition {
            Some(c) => format!("status <> 'deprovisioned' AND {}", c.sql),
            None => "status <> 'deprovisioned'".to_string(),
        };
        let mut args: Vec<JsValue> = condition
            .as_ref()
            .map(|c| c.params.iter().map(bound).collect())
            .unwrap_or_default();
        let count: Option<Count> = self
            .db
            .prepare(format!(
                "SELECT COUNT(*) AS total FROM users WHERE {matching}"
            ))
            .bind(&args)
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("users.count"))?;
        args.push(JsValue::from_f64(query.limit as f64));
        args.push(JsValue::from_f64(query.offset as f64));
        let rows: Vec<UserRow> = self
            .db
            .prepare(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {matching} \
                 ORDER BY created_at, id LIMIT ? OFFSET ?"
            ))
            .bind(&args)
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("users.search"))?
            .results()
            .map_err(unavailable("users.search rows"))?;
        Ok(UserPage {
            total: count.map_or(0, |c| c.total as u64),
            users: rows
                .into_iter()
                .map(UserRow::into_user)
                .collect::<Result<_, _>>()?,
        })
    }

    async fn update(&self, user: &User, expected: UnixMillis) -> Result<bool, StoreError> {
        let (status, stage) = super::users::status_columns(user.status);
        let changed = self
            .db
            .prepare(
                "UPDATE users SET email = ?2, email_verified = ?3, name = ?4, given_name = ?5, \
                 family_name = ?6, external_id = ?7, status = ?8, updated_at = ?9, \
                 tokens_valid_after = ?10, profile = ?12, stage = ?13 \
                 WHERE id = ?1 AND updated_at = ?11 AND status <> 'deprovisioned'",
            )
            .bind(&[
                text(&user.id),
                text(&user.email),
                flag(user.email_verified),
                optional_text(user.name.as_deref()),
                optional_text(user.given_name.as_deref()),
                optional_text(user.family_name.as_deref()),
                optional_text(user.external_id.as_deref()),
                text(status),
                millis(user.updated_at),
                user.tokens_valid_after.map_or(JsValue::NULL, millis),
                millis(expected),
                super::users::profile_json(user),
                optional_text(stage),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("users.update"))?
            .meta()
            .map_err(unavailable("users.update"))?
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(changed == 1)
    }

    async fn erase(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        let statement = |sql: &str, args: &[JsValue]| {
            self.db.prepare(sql).bind(args).map_err(unavailable("bind"))
        };
        let batch = vec![
            statement(
                "DELETE FROM webauthn_credentials WHERE user_id = ?1",
                &[text(id)],
            )?,
            statement("DELETE FROM sessions WHERE user_id = ?1", &[text(id)])?,
            // Linked provider identities name the person (subject, address).
            statement(
                "DELETE FROM federated_identities WHERE user_id = ?1",
                &[text(id)],
            )?,
            statement("DELETE FROM totp_factors WHERE user_id = ?1", &[text(id)])?,
            statement("DELETE FROM recovery_codes WHERE user_id = ?1", &[text(id)])?,
            statement("DELETE FROM device_tokens WHERE user_id = ?1", &[text(id)])?,
            statement("DELETE FROM sign_in_places WHERE user_id = ?1", &[text(id)])?,
            statement(
                "DELETE FROM remembered_devices WHERE user_id = ?1",
                &[text(id)],
            )?,
            statement(
                "DELETE FROM account_deletions WHERE user_id = ?1",
                &[text(id)],
            )?,
            // Consent records stay as proof, under the pseudonymous id only.
            statement(
                "UPDATE consents SET ip_address = NULL, user_agent = NULL WHERE user_id = ?1",
                &[text(id)],
            )?,
            // Mail kept for development to the address (before the address goes).
            statement(
                "DELETE FROM dev_mailbox WHERE to_address = (SELECT email FROM users WHERE id = ?1)",
                &[text(id)],
            )?,
            statement(
                "UPDATE users SET email = 'deleted-' || id || '@deprovisioned.invalid', \
                 email_verified = 0, name = NULL, given_name = NULL, family_name = NULL, \
                 external_id = NULL, password_hash = NULL, last_login_at = NULL, profile = '{}', \
                 status = 'deprovisioned', stage = NULL, updated_at = ?2, tokens_valid_after = ?2 \
                 WHERE id = ?1",
                &[text(id), millis(at)],
            )?,
            // The pseudonymous record: the id stays, what names or locates the person goes.
            statement(
                "UPDATE events SET ip_address = NULL, data = json_remove(data, \
                 '$.actor.alternateId', '$.actor.displayName', '$.client.ipAddress', \
                 '$.client.userAgent', '$.request.ipAddress', '$.request.userAgent') \
                 WHERE actor_id = ?1",
                &[text(id)],
            )?,
            // Events that targeted the person keep the id, lose the address and name.
            statement(
                "UPDATE events SET data = json_set(data, '$.target', (\
                   SELECT json_group_array(CASE WHEN json_extract(t.value, '$.id') = ?1 \
                     THEN json_remove(t.value, '$.alternateId', '$.displayName') \
                     ELSE json(t.value) END) \
                   FROM json_each(events.data, '$.target') AS t)) \
                 WHERE instr(data, ?1) > 0 AND json_array_length(data, '$.target') > 0",
                &[text(id)],
            )?,
        ];
        // A D1 batch is one transaction: all of it, or none.
        self.db
            .batch(batch)
            .await
            .map_err(unavailable("users.erase"))?;
        Ok(())
    }
}
