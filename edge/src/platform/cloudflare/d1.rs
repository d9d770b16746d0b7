//! Stores on D1. The schema lives in `edge/migrations/`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::clients::{Client, ClientType};
use crate::ports::{ClientStore, StoreError};

fn unavailable(context: &str) -> impl Fn(worker::Error) -> StoreError + '_ {
    move |e| StoreError::Unavailable(format!("d1 {context}: {e}"))
}

/// A row of `clients`; list columns hold JSON arrays.
#[derive(Deserialize)]
struct ClientRow {
    id: String,
    name: String,
    client_type: String,
    redirect_uris: String,
    allowed_origins: String,
    allowed_scopes: String,
}

impl ClientRow {
    fn into_client(self) -> Result<Client, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Unavailable(format!("d1 clients.{what} of {} is malformed", self.id))
        };
        let client_type = match self.client_type.as_str() {
            "public" => ClientType::Public,
            "confidential" => ClientType::Confidential,
            _ => return Err(corrupt("client_type")),
        };
        let redirect_uris =
            serde_json::from_str(&self.redirect_uris).map_err(|_| corrupt("redirect_uris"))?;
        let allowed_origins =
            serde_json::from_str(&self.allowed_origins).map_err(|_| corrupt("allowed_origins"))?;
        let allowed_scopes =
            serde_json::from_str(&self.allowed_scopes).map_err(|_| corrupt("allowed_scopes"))?;
        Ok(Client {
            id: self.id,
            name: self.name,
            client_type,
            redirect_uris,
            allowed_origins,
            allowed_scopes,
        })
    }
}

pub struct D1ClientStore {
    db: D1Database,
}

impl D1ClientStore {
    pub fn new(db: D1Database) -> Self {
        D1ClientStore { db }
    }
}

#[async_trait(?Send)]
impl ClientStore for D1ClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let row: Option<ClientRow> = self
            .db
            .prepare(
                "SELECT id, name, client_type, redirect_uris, allowed_origins, allowed_scopes \
                 FROM clients WHERE id = ?1 AND disabled_at IS NULL",
            )
            .bind(&[JsValue::from_str(client_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("clients.find"))?;
        row.map(ClientRow::into_client).transpose()
    }
}
