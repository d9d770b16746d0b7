//! Stores on D1. The schema lives in `edge/migrations/`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::clients::{Client, ClientType};
use crate::events::SystemLogEvent;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::ports::{
    ClientStore, CredentialStore, EventLog, KeptMail, KeyStore, Mail, MailError, Mailbox, Mailer,
    SessionStore, StoreError, StoredCredential, StoredKey, UnixMillis, UserStore,
};
use crate::users::{Session, User, UserStatus};
use crate::webauthn::CredentialRecord;

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
    email_verification: String,
    theme: Option<String>,
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
            requires_verified_email: self.email_verification == "required",
            theme: self.theme.as_deref().and_then(crate::clients::parse_theme),
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
                 secret_hash, grant_types, post_logout_redirect_uris, email_verification, \
                 theme, access_token_ttl, id_token_ttl, refresh_token_ttl \
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
    tokens_valid_after: Option<f64>,
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
            tokens_valid_after: self.tokens_valid_after.map(|t| UnixMillis(t as u64)),
        })
    }
}

fn user_args(user: &User) -> [JsValue; 11] {
    [
        text(&user.id),
        text(&user.email),
        flag(user.email_verified),
        optional_text(user.name.as_deref()),
        optional_text(user.given_name.as_deref()),
        optional_text(user.family_name.as_deref()),
        optional_text(user.password_hash.as_deref()),
        text(user.status.as_str()),
        millis(user.created_at),
        millis(user.updated_at),
        user.last_login_at.map_or(JsValue::NULL, millis),
    ]
}

const USER_COLUMNS: &str = "id, email, email_verified, name, given_name, family_name, \
                            password_hash, status, created_at, updated_at, last_login_at, \
                            tokens_valid_after";

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
                &user_args(user),
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

    async fn set_email_verified(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        self.changes(
            "UPDATE users SET email_verified = 1, updated_at = ?2 WHERE id = ?1",
            &[text(id), millis(at)],
            "users.set_email_verified",
        )
        .await
        .map(|_| ())
    }

    async fn set_password(
        &self,
        id: &str,
        password_hash: &str,
        at: UnixMillis,
        revoke_tokens: bool,
    ) -> Result<(), StoreError> {
        self.changes(
            "UPDATE users SET password_hash = ?2, updated_at = ?3, \
             tokens_valid_after = CASE WHEN ?4 THEN ?3 ELSE tokens_valid_after END WHERE id = ?1",
            &[
                text(id),
                text(password_hash),
                millis(at),
                flag(revoke_tokens),
            ],
            "users.set_password",
        )
        .await
        .map(|_| ())
    }

    async fn reset_credentials(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        self.changes(
            "UPDATE users SET password_hash = NULL, updated_at = ?2, tokens_valid_after = ?2 \
             WHERE id = ?1",
            &[text(id), millis(at)],
            "users.reset_credentials",
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

    async fn delete_for_user(&self, user_id: &str) -> Result<(), StoreError> {
        self.changes(
            "DELETE FROM sessions WHERE user_id = ?1",
            &[text(user_id)],
            "sessions.delete_for_user",
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

fn flag(value: bool) -> JsValue {
    JsValue::from_f64(if value { 1.0 } else { 0.0 })
}

fn credential_id(id: &[u8]) -> JsValue {
    text(&URL_SAFE_NO_PAD.encode(id))
}

/// A failed write: a uniqueness violation is a conflict, anything else an outage.
fn conflict_or_unavailable(context: &str) -> impl Fn(worker::Error) -> StoreError + '_ {
    move |e| {
        let message = e.to_string();
        if message.contains("UNIQUE constraint failed") {
            StoreError::Conflict
        } else {
            StoreError::Unavailable(format!("d1 {context}: {message}"))
        }
    }
}

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
            .prepare(
                "INSERT INTO users (id, email, email_verified, name, given_name, family_name, \
                 password_hash, status, created_at, updated_at, last_login_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
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

/// The development mailbox on D1: mail is kept in `dev_mailbox` instead of sent.
pub struct D1DevMailbox {
    db: D1Database,
}

impl D1DevMailbox {
    pub fn new(db: D1Database) -> Self {
        D1DevMailbox { db }
    }
}

#[async_trait(?Send)]
impl Mailer for D1DevMailbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| MailError(format!("random: {e}")))?;
        self.db
            .prepare(
                "INSERT INTO dev_mailbox (id, to_address, subject, text_body, html_body, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                text(&URL_SAFE_NO_PAD.encode(id)),
                text(&mail.to),
                text(&mail.subject),
                text(&mail.text),
                text(&mail.html),
                JsValue::from_f64(js_sys::Date::now()),
            ])
            .map_err(|e| MailError(format!("dev mailbox bind: {e}")))?
            .run()
            .await
            .map_err(|e| MailError(format!("dev mailbox insert: {e}")))?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct MailRow {
    id: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: f64,
}

#[async_trait(?Send)]
impl Mailbox for D1DevMailbox {
    async fn messages(&self, to: &str, limit: usize) -> Result<Vec<KeptMail>, StoreError> {
        let rows: Vec<MailRow> = self
            .db
            .prepare(
                "SELECT id, to_address, subject, text_body, html_body, created_at FROM dev_mailbox \
                 WHERE to_address = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
            )
            .bind(&[text(to), JsValue::from_f64(limit as f64)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("dev_mailbox.select"))?
            .results()
            .map_err(unavailable("dev_mailbox.select"))?;
        Ok(rows
            .into_iter()
            .map(|row| KeptMail {
                id: row.id,
                mail: Mail {
                    to: row.to_address,
                    subject: row.subject,
                    text: row.text_body,
                    html: row.html_body,
                },
                created_at: UnixMillis(row.created_at as u64),
            })
            .collect())
    }
}
