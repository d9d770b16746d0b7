//! Signing keys (`signing_keys`), sealed.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{KeyStore, StoreError, StoredKey, UnixMillis};

#[derive(Deserialize)]
struct KeyRow {
    kid: String,
    alg: String,
    public_jwk: String,
    private_key: String,
    created_at: f64,
    retired_at: Option<f64>,
}

fn insert_key_sql() -> &'static str {
    "INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"
}

fn key_args(key: &StoredKey) -> [JsValue; 5] {
    [
        text(&key.kid),
        text(&key.alg),
        text(&key.public_jwk),
        text(&key.sealed_private_key),
        millis(key.created_at),
    ]
}

#[async_trait(?Send)]
impl KeyStore for D1Stores {
    async fn all(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = self
            .db
            .prepare(
                "SELECT kid, alg, public_jwk, private_key, created_at, retired_at \
                 FROM signing_keys ORDER BY created_at DESC",
            )
            .all()
            .await
            .map_err(unavailable("signing_keys.all"))?
            .results()
            .map_err(unavailable("signing_keys.all"))?;
        Ok(rows
            .into_iter()
            .map(|r| StoredKey {
                kid: r.kid,
                alg: r.alg,
                public_jwk: r.public_jwk,
                sealed_private_key: r.private_key,
                created_at: UnixMillis(r.created_at as u64),
                retired_at: r.retired_at.map(|t| UnixMillis(t as u64)),
            })
            .collect())
    }

    async fn insert_if_none_current(&self, key: &StoredKey) -> Result<(), StoreError> {
        // The partial unique index (one current key per alg) turns a lost race into a no-op.
        self.changes(insert_key_sql(), &key_args(key), "signing_keys.insert")
            .await
            .map(|_| ())
    }

    async fn rotate(
        &self,
        old_kid: &str,
        at: UnixMillis,
        new: &StoredKey,
    ) -> Result<(), StoreError> {
        let retire = self
            .db
            .prepare(
                "UPDATE signing_keys SET retired_at = ?2 WHERE kid = ?1 AND retired_at IS NULL",
            )
            .bind(&[text(old_kid), millis(at)])
            .map_err(unavailable("bind"))?;
        let insert = self
            .db
            .prepare(insert_key_sql())
            .bind(&key_args(new))
            .map_err(unavailable("bind"))?;
        // A batch is one transaction: never zero or two current keys.
        self.db
            .batch(vec![retire, insert])
            .await
            .map_err(unavailable("signing_keys.rotate"))?;
        Ok(())
    }
}
