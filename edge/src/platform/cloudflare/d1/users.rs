//! People who sign in (`users`).

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{flag, millis, optional_text, text, unavailable, D1Stores};
use crate::ports::{StoreError, UnixMillis, UserStore};
use crate::users::{User, UserStatus};

#[derive(Deserialize)]
pub(super) struct UserRow {
    id: String,
    email: String,
    email_verified: f64,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    external_id: Option<String>,
    password_hash: Option<String>,
    status: String,
    /// `staged` or `deactivated` beside a `suspended` status (see [`status_columns`]).
    #[serde(default)]
    stage: Option<String>,
    created_at: f64,
    updated_at: f64,
    last_login_at: Option<f64>,
    tokens_valid_after: Option<f64>,
    /// The profile attributes as a JSON object (`'{}'` when none).
    #[serde(default)]
    profile: Option<String>,
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<User, StoreError> {
        let status = status_of(&self.status, self.stage.as_deref()).ok_or_else(|| {
            StoreError::Unavailable(format!("d1 users.status of {} is malformed", self.id))
        })?;
        let profile = match self.profile.as_deref() {
            None | Some("") => Default::default(),
            Some(json) => serde_json::from_str(json).map_err(|_| {
                StoreError::Unavailable(format!("d1 users.profile of {} is malformed", self.id))
            })?,
        };
        Ok(User {
            profile,
            id: self.id,
            email: self.email,
            email_verified: self.email_verified != 0.0,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            external_id: self.external_id,
            password_hash: self.password_hash,
            status,
            created_at: UnixMillis(self.created_at as u64),
            updated_at: UnixMillis(self.updated_at as u64),
            last_login_at: self.last_login_at.map(|t| UnixMillis(t as u64)),
            tokens_valid_after: self.tokens_valid_after.map(|t| UnixMillis(t as u64)),
        })
    }
}

/// `users.status` and `users.stage` for `status`. The `status` column predates STAGED
/// and DEPROVISIONED-but-kept accounts: they are `suspended` there, so any query that
/// reads `status` alone sees an account that cannot sign in, and `stage` says which.
pub(super) fn status_columns(status: UserStatus) -> (&'static str, Option<&'static str>) {
    match status {
        UserStatus::Staged | UserStatus::Deactivated => {
            (UserStatus::Suspended.as_str(), Some(status.as_str()))
        }
        other => (other.as_str(), None),
    }
}

/// The status kept as `status` and `stage` (the inverse of [`status_columns`]).
fn status_of(status: &str, stage: Option<&str>) -> Option<UserStatus> {
    match (UserStatus::parse(status)?, stage.map(UserStatus::parse)) {
        (UserStatus::Suspended, Some(Some(s @ (UserStatus::Staged | UserStatus::Deactivated)))) => {
            Some(s)
        }
        (status, None) => Some(status),
        _ => None,
    }
}

/// The user's profile attributes as the `profile` column keeps them.
pub(super) fn profile_json(user: &User) -> JsValue {
    // A map of strings to JSON values always serialises.
    text(&serde_json::to_string(&user.profile).unwrap_or_else(|_| "{}".into()))
}

pub(super) fn user_args(user: &User) -> [JsValue; 14] {
    let (status, stage) = status_columns(user.status);
    [
        text(&user.id),
        text(&user.email),
        flag(user.email_verified),
        optional_text(user.name.as_deref()),
        optional_text(user.given_name.as_deref()),
        optional_text(user.family_name.as_deref()),
        optional_text(user.password_hash.as_deref()),
        text(status),
        millis(user.created_at),
        millis(user.updated_at),
        user.last_login_at.map_or(JsValue::NULL, millis),
        optional_text(user.external_id.as_deref()),
        profile_json(user),
        optional_text(stage),
    ]
}

/// Inserts a user with the values of [`user_args`].
pub(super) const INSERT_USER: &str =
    "INSERT INTO users (id, email, email_verified, name, given_name, family_name, \
     password_hash, status, created_at, updated_at, last_login_at, external_id, profile, stage) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

pub(super) const USER_COLUMNS: &str = "id, email, email_verified, name, given_name, family_name, \
                            password_hash, status, created_at, updated_at, last_login_at, \
                            tokens_valid_after, external_id, profile, stage";

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
                &format!("{INSERT_USER} ON CONFLICT DO NOTHING"),
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
