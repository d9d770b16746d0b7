//! Federation connections (`connections`) and linked identities
//! (`federated_identities`); see `edge/migrations/0014_federation.sql`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::users::{user_args, INSERT_USER};
use super::{conflict_or_unavailable, millis, optional_text, text, unavailable, D1Stores};
use crate::federation::{Connection, ConnectionKind, FederatedIdentity};
use crate::ports::{ConnectionStore, StoreError, UnixMillis};
use crate::users::User;

#[derive(Deserialize)]
struct ConnectionRow {
    id: String,
    kind: String,
    display_name: String,
    issuer: String,
    client_id: String,
    sealed_client_secret: Option<String>,
    scopes: String,
    trusted_email_domains: String,
    enabled_clients: Option<String>,
}

impl ConnectionRow {
    /// `None` for a row this version cannot use (a kind it does not know): skipped.
    fn into_connection(self) -> Option<Connection> {
        let list = |json: &str| serde_json::from_str::<Vec<String>>(json).ok();
        Some(Connection {
            kind: ConnectionKind::parse(&self.kind)?,
            scopes: list(&self.scopes)?,
            trusted_email_domains: list(&self.trusted_email_domains)?,
            enabled_clients: match &self.enabled_clients {
                Some(json) => Some(list(json)?),
                None => None,
            },
            id: self.id,
            display_name: self.display_name,
            issuer: self.issuer,
            client_id: self.client_id,
            sealed_client_secret: self.sealed_client_secret,
        })
    }
}

#[derive(Deserialize)]
struct IdentityRow {
    id: String,
    connection_id: String,
    subject: String,
    user_id: String,
    email: Option<String>,
    created_at: f64,
    last_used_at: Option<f64>,
}

impl IdentityRow {
    fn into_identity(self) -> FederatedIdentity {
        FederatedIdentity {
            id: self.id,
            connection_id: self.connection_id,
            subject: self.subject,
            user_id: self.user_id,
            email: self.email,
            created_at: UnixMillis(self.created_at as u64),
            last_used_at: self.last_used_at.map(|t| UnixMillis(t as u64)),
        }
    }
}

const IDENTITY_COLUMNS: &str =
    "id, connection_id, subject, user_id, email, created_at, last_used_at";

const INSERT_IDENTITY: &str = "INSERT INTO federated_identities \
     (id, connection_id, subject, user_id, email, created_at, last_used_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

fn identity_args(identity: &FederatedIdentity) -> [JsValue; 7] {
    [
        text(&identity.id),
        text(&identity.connection_id),
        text(&identity.subject),
        text(&identity.user_id),
        optional_text(identity.email.as_deref()),
        millis(identity.created_at),
        identity.last_used_at.map_or(JsValue::NULL, millis),
    ]
}

impl D1Stores {
    async fn identities_where(
        &self,
        condition: &str,
        args: &[JsValue],
    ) -> Result<Vec<FederatedIdentity>, StoreError> {
        let rows: Vec<IdentityRow> = self
            .db
            .prepare(format!(
                "SELECT {IDENTITY_COLUMNS} FROM federated_identities WHERE {condition} \
                 ORDER BY created_at, id"
            ))
            .bind(args)
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("federated_identities.select"))?
            .results()
            .map_err(unavailable("federated_identities.select"))?;
        Ok(rows.into_iter().map(IdentityRow::into_identity).collect())
    }
}

#[async_trait(?Send)]
impl ConnectionStore for D1Stores {
    async fn enabled(&self) -> Result<Vec<Connection>, StoreError> {
        let rows: Vec<ConnectionRow> = self
            .db
            .prepare(
                "SELECT id, kind, display_name, issuer, client_id, sealed_client_secret, scopes, \
                 trusted_email_domains, enabled_clients FROM connections \
                 WHERE disabled_at IS NULL ORDER BY position, id",
            )
            .all()
            .await
            .map_err(unavailable("connections.select"))?
            .results()
            .map_err(unavailable("connections.select"))?;
        Ok(rows
            .into_iter()
            .filter_map(ConnectionRow::into_connection)
            .collect())
    }

    async fn identity(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<FederatedIdentity>, StoreError> {
        Ok(self
            .identities_where(
                "connection_id = ?1 AND subject = ?2",
                &[text(connection_id), text(subject)],
            )
            .await?
            .into_iter()
            .next())
    }

    async fn identities_for(&self, user_id: &str) -> Result<Vec<FederatedIdentity>, StoreError> {
        self.identities_where("user_id = ?1", &[text(user_id)])
            .await
    }

    async fn link(&self, identity: &FederatedIdentity) -> Result<(), StoreError> {
        self.db
            .prepare(INSERT_IDENTITY)
            .bind(&identity_args(identity))
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("federated_identities.insert"))?;
        Ok(())
    }

    async fn create_user_with_identity(
        &self,
        user: &User,
        identity: &FederatedIdentity,
    ) -> Result<(), StoreError> {
        let insert_user = self
            .db
            .prepare(INSERT_USER)
            .bind(&user_args(user))
            .map_err(unavailable("bind"))?;
        let insert_identity = self
            .db
            .prepare(INSERT_IDENTITY)
            .bind(&identity_args(identity))
            .map_err(unavailable("bind"))?;
        // A D1 batch is one transaction: the account and its identity, or neither.
        self.db
            .batch(vec![insert_user, insert_identity])
            .await
            .map_err(conflict_or_unavailable("users+federated_identities.create"))?;
        Ok(())
    }

    async fn unlink(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .changes(
                "DELETE FROM federated_identities WHERE id = ?1 AND user_id = ?2",
                &[text(id), text(user_id)],
                "federated_identities.delete",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn record_use(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        self.changes(
            "UPDATE federated_identities SET last_used_at = ?2 WHERE id = ?1",
            &[text(id), millis(at)],
            "federated_identities.record_use",
        )
        .await
        .map(|_| ())
    }
}
