//! Registered clients (`clients`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use super::unavailable;
use crate::clients::{AdaptiveMfa, Client, ClientType, MfaPolicy, Protection};
use crate::ports::{ClientStore, StoreError};

/// A row of `clients`; list columns hold JSON arrays.
#[derive(Deserialize)]
struct ClientRow {
    id: String,
    name: String,
    client_type: String,
    redirect_uris: String,
    allowed_origins: String,
    allowed_scopes: String,
    secret_hash: Option<String>,
    grant_types: String,
    post_logout_redirect_uris: String,
    email_verification: String,
    mfa: String,
    theme: Option<String>,
    adaptive_mfa: String,
    human_check: f64,
    breached_password_check: f64,
    access_token_ttl: f64,
    id_token_ttl: f64,
    refresh_token_ttl: f64,
    groups_claim: Option<String>,
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
        let grant_types =
            serde_json::from_str(&self.grant_types).map_err(|_| corrupt("grant_types"))?;
        let post_logout_redirect_uris = serde_json::from_str(&self.post_logout_redirect_uris)
            .map_err(|_| corrupt("post_logout_redirect_uris"))?;
        let adaptive_mfa =
            AdaptiveMfa::parse(&self.adaptive_mfa).ok_or_else(|| corrupt("adaptive_mfa"))?;
        let groups_claim = self
            .groups_claim
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("groups_claim"))?;
        let mfa = MfaPolicy::parse(&self.mfa).ok_or_else(|| corrupt("mfa"))?;
        Ok(Client {
            id: self.id,
            name: self.name,
            client_type,
            redirect_uris,
            allowed_origins,
            allowed_scopes,
            secret_hash: self.secret_hash,
            grant_types,
            post_logout_redirect_uris,
            requires_verified_email: self.email_verification == "required",
            mfa,
            theme: self.theme.as_deref().and_then(crate::clients::parse_theme),
            access_token_ttl: self.access_token_ttl as u64,
            id_token_ttl: self.id_token_ttl as u64,
            refresh_token_ttl: self.refresh_token_ttl as u64,
            protection: Protection {
                adaptive_mfa,
                human_check: self.human_check != 0.0,
                breached_password_check: self.breached_password_check != 0.0,
            },
            groups_claim,
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
                "SELECT id, name, client_type, redirect_uris, allowed_origins, allowed_scopes, \
                 secret_hash, grant_types, post_logout_redirect_uris, email_verification, \
                 mfa, theme, adaptive_mfa, human_check, breached_password_check, \
                 access_token_ttl, id_token_ttl, refresh_token_ttl, groups_claim \
                 FROM clients WHERE id = ?1 AND disabled_at IS NULL",
            )
            .bind(&[JsValue::from_str(client_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("clients.find"))?;
        row.map(ClientRow::into_client).transpose()
    }

    async fn allowed_origins(&self) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Origin {
            origin: String,
        }
        let rows: Vec<Origin> = self
            .db
            .prepare(
                "SELECT DISTINCT value AS origin FROM clients, json_each(clients.allowed_origins) \
                 WHERE disabled_at IS NULL ORDER BY origin",
            )
            .all()
            .await
            .map_err(unavailable("clients.allowed_origins"))?
            .results()
            .map_err(unavailable("clients.allowed_origins"))?;
        Ok(rows.into_iter().map(|row| row.origin).collect())
    }
}
