//! Second factors (`totp_factors`, `recovery_codes`) and devices remembered after one
//! (`device_tokens`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{conflict_or_unavailable, millis, text, unavailable, D1Stores};
use crate::ports::{FactorStore, StoreError, StoredDeviceToken, StoredTotp, UnixMillis};

#[derive(Deserialize)]
struct TotpRow {
    id: String,
    user_id: String,
    name: String,
    sealed_secret: String,
    created_at: f64,
    last_used_at: Option<f64>,
}

#[derive(Deserialize)]
struct DeviceRow {
    id: String,
    user_id: String,
    client_id: String,
    token_hash: String,
    name: String,
    created_at: f64,
    expires_at: f64,
    last_used_at: Option<f64>,
}

impl From<DeviceRow> for StoredDeviceToken {
    fn from(r: DeviceRow) -> StoredDeviceToken {
        StoredDeviceToken {
            id: r.id,
            user_id: r.user_id,
            client_id: r.client_id,
            token_hash: r.token_hash,
            name: r.name,
            created_at: UnixMillis(r.created_at as u64),
            expires_at: UnixMillis(r.expires_at as u64),
            last_used_at: r.last_used_at.map(|at| UnixMillis(at as u64)),
        }
    }
}

const DEVICE_COLUMNS: &str =
    "id, user_id, client_id, token_hash, name, created_at, expires_at, last_used_at";

#[async_trait(?Send)]
impl FactorStore for D1Stores {
    async fn add_totp(&self, factor: &StoredTotp) -> Result<(), StoreError> {
        self.db
            .prepare(
                "INSERT INTO totp_factors (id, user_id, name, sealed_secret, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                text(&factor.id),
                text(&factor.user_id),
                text(&factor.name),
                text(&factor.sealed_secret),
                millis(factor.created_at),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("totp_factors.insert"))?;
        Ok(())
    }

    async fn totp_for(&self, user_id: &str) -> Result<Vec<StoredTotp>, StoreError> {
        let rows: Vec<TotpRow> = self
            .db
            .prepare(
                "SELECT id, user_id, name, sealed_secret, created_at, last_used_at \
                 FROM totp_factors WHERE user_id = ?1 ORDER BY created_at, id",
            )
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("totp_factors.select"))?
            .results()
            .map_err(unavailable("totp_factors.select"))?;
        Ok(rows
            .into_iter()
            .map(|r| StoredTotp {
                id: r.id,
                user_id: r.user_id,
                name: r.name,
                sealed_secret: r.sealed_secret,
                created_at: UnixMillis(r.created_at as u64),
                last_used_at: r.last_used_at.map(|at| UnixMillis(at as u64)),
            })
            .collect())
    }

    async fn delete_totp(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM totp_factors WHERE id = ?1 AND user_id = ?2",
                &[text(id), text(user_id)],
                "totp_factors.delete",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn use_totp_step(&self, id: &str, step: u64, at: UnixMillis) -> Result<bool, StoreError> {
        // One statement: of concurrent uses of one code, one row update wins.
        let changed = self
            .changes(
                "UPDATE totp_factors SET last_step = ?2, last_used_at = ?3 \
                 WHERE id = ?1 AND last_step < ?2",
                &[text(id), JsValue::from_f64(step as f64), millis(at)],
                "totp_factors.use",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut statements = vec![self
            .db
            .prepare("DELETE FROM recovery_codes WHERE user_id = ?1")
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?];
        for hash in hashes {
            statements.push(
                self.db
                    .prepare(
                        "INSERT INTO recovery_codes (user_id, code_hash, created_at) \
                         VALUES (?1, ?2, ?3)",
                    )
                    .bind(&[text(user_id), text(hash), millis(at)])
                    .map_err(unavailable("bind"))?,
            );
        }
        // A D1 batch is one transaction: the old codes go only when the new ones are in.
        self.db
            .batch(statements)
            .await
            .map_err(unavailable("recovery_codes.replace"))?;
        Ok(())
    }

    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM recovery_codes WHERE user_id = ?1 AND code_hash = ?2",
                &[text(user_id), text(hash)],
                "recovery_codes.use",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<u32, StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let row: Option<Count> = self
            .db
            .prepare("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?1")
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("recovery_codes.count"))?;
        Ok(row.map_or(0, |r| r.n as u32))
    }

    async fn add_device_token(&self, device: &StoredDeviceToken) -> Result<(), StoreError> {
        self.db
            .prepare(
                "INSERT INTO device_tokens \
                 (id, user_id, client_id, token_hash, name, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(&[
                text(&device.id),
                text(&device.user_id),
                text(&device.client_id),
                text(&device.token_hash),
                text(&device.name),
                millis(device.created_at),
                millis(device.expires_at),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("device_tokens.insert"))?;
        Ok(())
    }

    async fn find_device_token(
        &self,
        token_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<Option<StoredDeviceToken>, StoreError> {
        let row: Option<DeviceRow> = self
            .db
            .prepare(format!(
                "SELECT {DEVICE_COLUMNS} FROM device_tokens WHERE token_hash = ?1 \
                 AND user_id = ?2 AND client_id = ?3 AND expires_at > ?4"
            ))
            .bind(&[
                text(token_hash),
                text(user_id),
                text(client_id),
                millis(now),
            ])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("device_tokens.find"))?;
        Ok(row.map(Into::into))
    }

    async fn rotate_device_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        // One statement: of concurrent uses of one token, one row update wins.
        let changed = self
            .changes(
                "UPDATE device_tokens SET token_hash = ?2, last_used_at = ?5 \
                 WHERE token_hash = ?1 AND user_id = ?3 AND client_id = ?4 AND expires_at > ?5",
                &[
                    text(old_hash),
                    text(new_hash),
                    text(user_id),
                    text(client_id),
                    millis(now),
                ],
                "device_tokens.rotate",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn device_tokens_for(
        &self,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<Vec<StoredDeviceToken>, StoreError> {
        let rows: Vec<DeviceRow> = self
            .db
            .prepare(format!(
                "SELECT {DEVICE_COLUMNS} FROM device_tokens WHERE user_id = ?1 \
                 AND expires_at > ?2 ORDER BY created_at, id"
            ))
            .bind(&[text(user_id), millis(now)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("device_tokens.select"))?
            .results()
            .map_err(unavailable("device_tokens.select"))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn forget_device_token(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM device_tokens WHERE id = ?1 AND user_id = ?2",
                &[text(id), text(user_id)],
                "device_tokens.delete",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn forget_device_tokens(&self, user_id: &str) -> Result<usize, StoreError> {
        self.changes(
            "DELETE FROM device_tokens WHERE user_id = ?1",
            &[text(user_id)],
            "device_tokens.delete_all",
        )
        .await
    }
}
