//! Registered clients (`clients`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use super::{millis, optional_text, text, unavailable};
use crate::client_settings::{ClaimMapping, ClientResource, ClientSettings};
use crate::clients::{AdaptiveMfa, Client, ClientType, MfaPolicy, Protection};
use crate::ports::{ClientStore, StoreError, UnixMillis};

/// The columns of [`ClientRow`].
const COLUMNS: &str = "id, name, client_type, redirect_uris, allowed_origins, allowed_scopes, \
     secret_hash, grant_types, post_logout_redirect_uris, email_verification, \
     mfa, theme, adaptive_mfa, human_check, breached_password_check, \
     access_token_ttl, id_token_ttl, refresh_token_ttl, groups_claim, \
     custom_claims, roles_prefix, profile_policy, email_second_factor, created_at, updated_at, \
     disabled_at";

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
    custom_claims: String,
    roles_prefix: Option<String>,
    /// The profiling policy as JSON (`{}`: none).
    profile_policy: Option<String>,
    email_second_factor: f64,
    created_at: f64,
    updated_at: f64,
    disabled_at: Option<f64>,
}

impl ClientRow {
    /// The admin API's view: the settings and times, never the secret's hash.
    fn into_resource(self) -> Result<ClientResource, StoreError> {
        let has_secret = self.secret_hash.is_some();
        let (created_at, updated_at) = (self.created_at as u64, self.updated_at as u64);
        let disabled_at = self.disabled_at.map(|at| at as u64);
        let theme = ClientSettings::theme_from_stored(self.theme.as_deref());
        let adaptive_mfa = self.adaptive_mfa.replace('_', "-");
        let (email_verification, mfa) = (self.email_verification.clone(), self.mfa.clone());
        let client = self.into_client()?;
        Ok(ClientResource {
            settings: ClientSettings {
                theme,
                adaptive_mfa,
                email_verification,
                mfa,
                ..ClientSettings::of_client(&client)
            },
            has_secret,
            created_at,
            updated_at,
            disabled_at,
        })
    }

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
        let custom =
            serde_json::from_str(&self.custom_claims).map_err(|_| corrupt("custom_claims"))?;
        let profile = match self.profile_policy.as_deref() {
            None | Some("") => Default::default(),
            Some(json) => serde_json::from_str(json).map_err(|_| corrupt("profile_policy"))?,
        };
        Ok(Client {
            profile,
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
            email_second_factor: self.email_second_factor != 0.0,
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
            claims: ClaimMapping {
                custom,
                roles_prefix: self.roles_prefix,
            },
        })
    }
}

pub struct D1ClientStore {
    db: super::Db,
}

impl D1ClientStore {
    pub fn new(db: D1Database) -> Self {
        D1ClientStore { db: super::Db(db) }
    }
}

#[async_trait(?Send)]
impl ClientStore for D1ClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let row: Option<ClientRow> = self
            .db
            .prepare(format!(
                "SELECT {COLUMNS} FROM clients WHERE id = ?1 AND disabled_at IS NULL"
            ))
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

    async fn list(&self) -> Result<Vec<ClientResource>, StoreError> {
        let rows: Vec<ClientRow> = self
            .db
            .prepare(format!("SELECT {COLUMNS} FROM clients ORDER BY id"))
            .all()
            .await
            .map_err(unavailable("clients.list"))?
            .results()
            .map_err(unavailable("clients.list rows"))?;
        rows.into_iter().map(ClientRow::into_resource).collect()
    }

    async fn read(&self, client_id: &str) -> Result<Option<ClientResource>, StoreError> {
        let row: Option<ClientRow> = self
            .db
            .prepare(format!("SELECT {COLUMNS} FROM clients WHERE id = ?1"))
            .bind(&[text(client_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("clients.read"))?;
        row.map(ClientRow::into_resource).transpose()
    }

    async fn create(
        &self,
        settings: &ClientSettings,
        secret_hash: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut args = settings_args(settings)?;
        args.push(optional_text(secret_hash));
        args.push(millis(now));
        let inserted = returned_ids(
            self.db
                .prepare(
                    "INSERT INTO clients (id, name, client_type, redirect_uris, allowed_origins, \
                     allowed_scopes, grant_types, post_logout_redirect_uris, email_verification, \
                     mfa, theme, adaptive_mfa, human_check, breached_password_check, groups_claim, \
                     access_token_ttl, id_token_ttl, refresh_token_ttl, custom_claims, \
                     roles_prefix, profile_policy, email_second_factor, secret_hash, created_at, \
                     updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
                     ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?24) ON CONFLICT (id) DO NOTHING \
                     RETURNING id",
                )
                .bind(&args)
                .map_err(unavailable("bind"))?,
            "clients.create",
        )
        .await?;
        if inserted {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn replace(
        &self,
        settings: &ClientSettings,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut args = settings_args(settings)?;
        args.push(millis(now));
        returned_ids(
            self.db
                .prepare(
                    "UPDATE clients SET name = ?2, client_type = ?3, redirect_uris = ?4, \
                     allowed_origins = ?5, allowed_scopes = ?6, grant_types = ?7, \
                     post_logout_redirect_uris = ?8, email_verification = ?9, mfa = ?10, \
                     theme = ?11, adaptive_mfa = ?12, human_check = ?13, \
                     breached_password_check = ?14, groups_claim = ?15, access_token_ttl = ?16, \
                     id_token_ttl = ?17, refresh_token_ttl = ?18, custom_claims = ?19, \
                     roles_prefix = ?20, profile_policy = ?21, email_second_factor = ?22, \
                     updated_at = ?23, \
                     secret_hash = CASE WHEN ?3 = 'public' THEN NULL ELSE secret_hash END \
                     WHERE id = ?1 RETURNING id",
                )
                .bind(&args)
                .map_err(unavailable("bind"))?,
            "clients.replace",
        )
        .await
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        returned_ids(
            self.db
                .prepare("DELETE FROM clients WHERE id = ?1 RETURNING id")
                .bind(&[text(client_id)])
                .map_err(unavailable("bind"))?,
            "clients.delete",
        )
        .await
    }

    async fn set_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        returned_ids(
            self.db
                .prepare(
                    "UPDATE clients SET secret_hash = ?2, updated_at = ?3 \
                     WHERE id = ?1 AND client_type = 'confidential' RETURNING id",
                )
                .bind(&[text(client_id), text(secret_hash), millis(now)])
                .map_err(unavailable("bind"))?,
            "clients.set_secret",
        )
        .await
    }
}

/// Whether a statement ending in `RETURNING id` touched a row.
async fn returned_ids(
    statement: worker::D1PreparedStatement,
    context: &'static str,
) -> Result<bool, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        #[allow(dead_code)]
        id: String,
    }
    let rows: Vec<Id> = statement
        .all()
        .await
        .map_err(unavailable(context))?
        .results()
        .map_err(unavailable(context))?;
    Ok(!rows.is_empty())
}

/// `?1`–`?22`: the settings in the order of the `INSERT` and `UPDATE` above.
fn settings_args(settings: &ClientSettings) -> Result<Vec<JsValue>, StoreError> {
    let json = |list: &[String]| {
        serde_json::to_string(list)
            .map(|j| text(&j))
            .map_err(|e| StoreError::Unavailable(format!("clients: {e}")))
    };
    let client_type = match settings.client_type {
        ClientType::Public => "public",
        ClientType::Confidential => "confidential",
    };
    let flag = |on: bool| JsValue::from_f64(if on { 1.0 } else { 0.0 });
    let seconds = |s: u64| JsValue::from_f64(s as f64);
    Ok(vec![
        text(&settings.id),
        text(&settings.name),
        text(client_type),
        json(&settings.redirect_uris)?,
        json(&settings.allowed_origins)?,
        json(&settings.allowed_scopes)?,
        json(&settings.grant_types)?,
        json(&settings.post_logout_redirect_uris)?,
        text(&settings.email_verification),
        text(&settings.mfa),
        optional_text(settings.stored_theme().as_deref()),
        text(&settings.stored_adaptive_mfa()),
        flag(settings.human_check),
        flag(settings.breached_password_check),
        match &settings.groups_claim {
            Some(patterns) => json(patterns)?,
            None => JsValue::NULL,
        },
        seconds(settings.access_token_ttl),
        seconds(settings.id_token_ttl),
        seconds(settings.refresh_token_ttl),
        text(
            &serde_json::to_string(&settings.custom_claims)
                .map_err(|e| StoreError::Unavailable(format!("clients: {e}")))?,
        ),
        optional_text(settings.roles_prefix.as_deref()),
        text(
            &serde_json::to_string(&settings.profile)
                .map_err(|e| StoreError::Unavailable(format!("clients: {e}")))?,
        ),
        flag(settings.email_second_factor),
    ])
}
