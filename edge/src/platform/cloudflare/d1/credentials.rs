//! Passkeys (`credentials`).

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::users::{user_args, INSERT_USER};
use super::{conflict_or_unavailable, credential_id, flag, millis, text, unavailable, D1Stores};
use crate::ports::{CredentialStore, StoreError, StoredCredential, UnixMillis};
use crate::users::User;
use crate::webauthn::CredentialRecord;

#[derive(Deserialize)]
struct CredentialRow {
    id: String,
    user_id: String,
    public_key: String,
    sign_count: f64,
    uv_initialized: f64,
    backup_eligible: f64,
    backup_state: f64,
    transports: String,
    name: String,
    created_at: f64,
    last_used_at: Option<f64>,
}

impl CredentialRow {
    fn into_credential(self) -> Result<StoredCredential, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Unavailable(format!(
                "d1 webauthn_credentials.{what} of {} is malformed",
                self.id
            ))
        };
        Ok(StoredCredential {
            record: CredentialRecord {
                id: URL_SAFE_NO_PAD
                    .decode(&self.id)
                    .map_err(|_| corrupt("id"))?,
                public_key: URL_SAFE_NO_PAD
                    .decode(&self.public_key)
                    .map_err(|_| corrupt("public_key"))?,
                sign_count: self.sign_count as u32,
                uv_initialized: self.uv_initialized != 0.0,
                backup_eligible: self.backup_eligible != 0.0,
                backup_state: self.backup_state != 0.0,
            },
            transports: serde_json::from_str(&self.transports)
                .map_err(|_| corrupt("transports"))?,
            user_id: self.user_id,
            name: self.name,
            created_at: UnixMillis(self.created_at as u64),
            last_used_at: self.last_used_at.map(|at| UnixMillis(at as u64)),
        })
    }
}

const CREDENTIAL_COLUMNS: &str = "id, user_id, public_key, sign_count, uv_initialized, \
                                  backup_eligible, backup_state, transports, name, created_at, \
                                  last_used_at";

impl D1Stores {
    fn insert_credential(
        &self,
        credential: &StoredCredential,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        let record = &credential.record;
        let transports = serde_json::to_string(&credential.transports)
            .map_err(|e| StoreError::Unavailable(format!("transports: {e}")))?;
        self.db
            .prepare(format!(
                "INSERT INTO webauthn_credentials ({CREDENTIAL_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .bind(&[
                credential_id(&record.id),
                text(&credential.user_id),
                text(&URL_SAFE_NO_PAD.encode(&record.public_key)),
                JsValue::from_f64(f64::from(record.sign_count)),
                flag(record.uv_initialized),
                flag(record.backup_eligible),
                flag(record.backup_state),
                text(&transports),
                text(&credential.name),
                millis(credential.created_at),
                credential.last_used_at.map_or(JsValue::NULL, millis),
            ])
            .map_err(unavailable("bind"))
    }

    async fn credentials_where(
        &self,
        condition: &str,
        value: JsValue,
    ) -> Result<Vec<StoredCredential>, StoreError> {
        let rows: Vec<CredentialRow> = self
            .db
            .prepare(format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE {condition} \
                 ORDER BY created_at, id"
            ))
            .bind(&[value])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("webauthn_credentials.select"))?
            .results()
            .map_err(unavailable("webauthn_credentials.select"))?;
        rows.into_iter()
            .map(CredentialRow::into_credential)
            .collect()
    }
}

#[async_trait(?Send)]
impl CredentialStore for D1Stores {
    async fn create(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        self.insert_credential(credential)?
            .run()
            .await
            .map_err(conflict_or_unavailable("webauthn_credentials.create"))?;
        Ok(())
    }

    async fn create_with_user(
        &self,
        user: &User,
        credential: &StoredCredential,
    ) -> Result<(), StoreError> {
        let insert_user = self
            .db
            .prepare(INSERT_USER)
            .bind(&user_args(user))
            .map_err(unavailable("bind"))?;
        // A D1 batch is one transaction: both rows, or neither.
        self.db
            .batch(vec![insert_user, self.insert_credential(credential)?])
            .await
            .map_err(conflict_or_unavailable("users+webauthn_credentials.create"))?;
        Ok(())
    }

    async fn find(
        &self,
        credential_id_bytes: &[u8],
    ) -> Result<Option<StoredCredential>, StoreError> {
        Ok(self
            .credentials_where("id = ?1", credential_id(credential_id_bytes))
            .await?
            .into_iter()
            .next())
    }

    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredCredential>, StoreError> {
        self.credentials_where("user_id = ?1", text(user_id)).await
    }

    async fn record_use(
        &self,
        record: &CredentialRecord,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.changes(
            "UPDATE webauthn_credentials SET sign_count = ?2, uv_initialized = ?3, \
             backup_state = ?4, last_used_at = ?5 WHERE id = ?1",
            &[
                credential_id(&record.id),
                JsValue::from_f64(f64::from(record.sign_count)),
                flag(record.uv_initialized),
                flag(record.backup_state),
                millis(at),
            ],
            "webauthn_credentials.record_use",
        )
        .await
        .map(|_| ())
    }

    async fn rename(
        &self,
        user_id: &str,
        credential_id_bytes: &[u8],
        name: &str,
    ) -> Result<bool, StoreError> {
        let changes = self
            .changes(
                "UPDATE webauthn_credentials SET name = ?3 WHERE id = ?1 AND user_id = ?2",
                &[
                    credential_id(credential_id_bytes),
                    text(user_id),
                    text(name),
                ],
                "webauthn_credentials.rename",
            )
            .await?;
        Ok(changes > 0)
    }

    async fn delete(&self, user_id: &str, credential_id_bytes: &[u8]) -> Result<bool, StoreError> {
        let changes = self
            .changes(
                "DELETE FROM webauthn_credentials WHERE id = ?1 AND user_id = ?2",
                &[credential_id(credential_id_bytes), text(user_id)],
                "webauthn_credentials.delete",
            )
            .await?;
        Ok(changes > 0)
    }
}
