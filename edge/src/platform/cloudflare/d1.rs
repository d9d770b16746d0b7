//! Stores on D1. The schema lives in `edge/migrations/`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::clients::{Client, ClientType};
use crate::events::SystemLogEvent;
use crate::ports::{
    ClientStore, EventLog, KeyStore, SessionStore, StoreError, StoredKey, UnixMillis, UserStore,
};
use crate::users::{Session, User, UserStatus};

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
    secret_hash: Option<String>,
    grant_types: String,
    post_logout_redirect_uris: String,
    access_token_ttl: f64,
    id_token_ttl: f64,
    refresh_token_ttl: f64,
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
            access_token_ttl: self.access_token_ttl as u64,
            id_token_ttl: self.id_token_ttl as u64,
            refresh_token_ttl: self.refresh_token_ttl as u64,
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
                 secret_hash, grant_types, post_logout_redirect_uris, access_token_ttl, \
                 id_token_ttl, refresh_token_ttl \
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

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn millis(value: UnixMillis) -> JsValue {
    JsValue::from_f64(value.0 as f64)
}

fn optional_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// D1 on the database bound as `DB`: users, sessions, the System Log and signing keys.
pub struct D1Stores {
    db: D1Database,
}

impl D1Stores {
    pub fn new(db: D1Database) -> Self {
        D1Stores { db }
    }

    async fn changes(
        &self,
        sql: &str,
        args: &[JsValue],
        context: &str,
    ) -> Result<usize, StoreError> {
        let result = self
            .db
            .prepare(sql)
            .bind(args)
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(unavailable(context))?;
        Ok(result
            .meta()
            .map_err(unavailable(context))?
            .and_then(|m| m.changes)
            .unwrap_or(0))
    }
}

#[derive(Deserialize)]
struct UserRow {
    id: String,
    email: String,
    email_verified: f64,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    password_hash: Option<String>,
    status: String,
    created_at: f64,
    updated_at: f64,
    last_login_at: Option<f64>,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        let status = UserStatus::parse(&self.status).ok_or_else(|| {
            StoreError::Unavailable(format!("d1 users.status of {} is malformed", self.id))
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            email_verified: self.email_verified != 0.0,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            password_hash: self.password_hash,
            status,
            created_at: UnixMillis(self.created_at as u64),
            updated_at: UnixMillis(self.updated_at as u64),
            last_login_at: self.last_login_at.map(|t| UnixMillis(t as u64)),
        })
    }
}

const USER_COLUMNS: &str = "id, email, email_verified, name, given_name, family_name, \
                            password_hash, status, created_at, updated_at, last_login_at";

impl D1Stores {
    async fn user_where(&self, column: &str, value: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = self
            .db
            .prepare(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1"
            ))
            .bind(&[text(value)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("users.find"))?;
        row.map(UserRow::into_user).transpose()
    }
}

#[async_trait(?Send)]
impl UserStore for D1Stores {
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.user_where("email", email).await
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.user_where("id", id).await
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        let changes = self
            .changes(
                "INSERT INTO users (id, email, email_verified, name, given_name, family_name, \
                 password_hash, status, created_at, updated_at, last_login_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
                &[
                    text(&user.id),
                    text(&user.email),
                    JsValue::from_f64(if user.email_verified { 1.0 } else { 0.0 }),
                    optional_text(user.name.as_deref()),
                    optional_text(user.given_name.as_deref()),
                    optional_text(user.family_name.as_deref()),
                    optional_text(user.password_hash.as_deref()),
                    text(user.status.as_str()),
                    millis(user.created_at),
                    millis(user.updated_at),
                    user.last_login_at.map_or(JsValue::NULL, millis),
                ],
                "users.create",
            )
            .await?;
        if changes == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    async fn record_sign_in(
        &self,
        id: &str,
        at: UnixMillis,
        new_password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        self.changes(
            "UPDATE users SET last_login_at = ?2, \
             password_hash = COALESCE(?3, password_hash), \
             updated_at = CASE WHEN ?3 IS NULL THEN updated_at ELSE ?2 END WHERE id = ?1",
            &[text(id), millis(at), optional_text(new_password_hash)],
            "users.record_sign_in",
        )
        .await
        .map(|_| ())
    }
}

#[derive(Deserialize)]
struct SessionRow {
    user_id: String,
    auth_time: f64,
    amr: String,
    expires_at: f64,
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
                JsValue::from_f64(session.auth_time as f64),
                text(&amr),
                JsValue::from_f64(session.expires_at as f64),
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
        Ok(row.map(|r| Session {
            user_id: r.user_id,
            auth_time: r.auth_time as u64,
            amr: serde_json::from_str(&r.amr).unwrap_or_default(),
            expires_at: r.expires_at as u64,
        }))
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
}

#[async_trait(?Send)]
impl EventLog for D1Stores {
    async fn append(&self, event: &SystemLogEvent) -> Result<(), StoreError> {
        let data = serde_json::to_string(event)
            .map_err(|e| StoreError::Unavailable(format!("event json: {e}")))?;
        let outcome = match event.outcome.result {
            portcullis_shared::system_log::OutcomeResult::Success => "SUCCESS",
            portcullis_shared::system_log::OutcomeResult::Failure => "FAILURE",
        };
        let severity = match event.severity {
            portcullis_shared::system_log::Severity::Info => "INFO",
            portcullis_shared::system_log::Severity::Warn => "WARN",
        };
        let actor = (event.actor.id != "unknown").then_some(event.actor.id.as_str());
        self.changes(
            "INSERT INTO events (uuid, published, event_type, severity, outcome, actor_id, \
             client_id, ip_address, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                text(&event.uuid),
                text(&event.published),
                text(&event.event_type),
                text(severity),
                text(outcome),
                optional_text(actor),
                optional_text(event.client.id.as_deref()),
                optional_text(event.request.ip_address.as_deref()),
                text(&data),
            ],
            "events.append",
        )
        .await
        .map(|_| ())
    }
}

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
