//! Federation connections (`connections`) and linked identities
//! (`federated_identities`); see `edge/migrations/0014_federation.sql`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::users::{user_args, INSERT_USER};
use super::{conflict_or_unavailable, millis, optional_text, text, unavailable, D1Stores};
use crate::federation::connection::ConnectionOptions;
use crate::federation::settings::{ConnectionResource, ConnectionSettings, SecretChange};
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
    home_realm_domains: String,
    options: String,
}

impl ConnectionRow {
    /// `None` for a row this version cannot use (a kind it does not know): skipped.
    fn into_connection(self) -> Option<Connection> {
        let list = |json: &str| serde_json::from_str::<Vec<String>>(json).ok();
        Some(Connection {
            kind: ConnectionKind::parse(&self.kind)?,
            scopes: list(&self.scopes)?,
            trusted_email_domains: list(&self.trusted_email_domains)?,
            home_realm_domains: list(&self.home_realm_domains)?,
            enabled_clients: match &self.enabled_clients {
                Some(json) => Some(list(json)?),
                None => None,
            },
            options: serde_json::from_str::<ConnectionOptions>(&self.options).ok()?,
            id: self.id,
            display_name: self.display_name,
            issuer: self.issuer,
            client_id: self.client_id,
            sealed_client_secret: self.sealed_client_secret,
        })
    }
}

/// A row as the admin API reads it: never the sealed secret, only whether there is one.
#[derive(Deserialize)]
struct ResourceRow {
    id: String,
    kind: String,
    display_name: String,
    issuer: String,
    client_id: String,
    has_secret: f64,
    scopes: String,
    trusted_email_domains: String,
    enabled_clients: Option<String>,
    home_realm_domains: String,
    options: String,
    position: f64,
    created_at: f64,
    updated_at: f64,
    disabled_at: Option<f64>,
}

const RESOURCE_COLUMNS: &str = "id, kind, display_name, issuer, client_id, \
     (sealed_client_secret IS NOT NULL) AS has_secret, scopes, trusted_email_domains, \
     enabled_clients, home_realm_domains, options, position, created_at, updated_at, disabled_at";

impl ResourceRow {
    fn into_resource(self) -> Result<ConnectionResource, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Unavailable(format!("connections row {}: bad {what}", self.id))
        };
        let list = |json: &str, what: &str| {
            serde_json::from_str::<Vec<String>>(json).map_err(|_| corrupt(what))
        };
        let settings = ConnectionSettings {
            kind: ConnectionKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?,
            scopes: list(&self.scopes, "scopes")?,
            trusted_email_domains: list(&self.trusted_email_domains, "trusted_email_domains")?,
            home_realm_domains: list(&self.home_realm_domains, "home_realm_domains")?,
            enabled_clients: match &self.enabled_clients {
                Some(json) => Some(list(json, "enabled_clients")?),
                None => None,
            },
            options: serde_json::from_str(&self.options).map_err(|_| corrupt("options"))?,
            position: self.position as u32,
            enabled: self.disabled_at.is_none(),
            id: self.id,
            display_name: self.display_name,
            issuer: self.issuer,
            client_id: self.client_id,
        };
        Ok(ConnectionResource {
            settings,
            has_secret: self.has_secret != 0.0,
            created_at: self.created_at as u64,
            updated_at: self.updated_at as u64,
        })
    }
}

/// `?1` id, `?2` kind, `?3` display name, `?4` issuer, `?5` client id, `?6` scopes,
/// `?7` trusted domains, `?8` enabled clients (JSON lists as stored), `?9` position,
/// `?10` enabled, `?11` home-realm domains (JSON), `?12` options (JSON).
fn settings_args(settings: &ConnectionSettings) -> Result<Vec<JsValue>, StoreError> {
    let list = |values: &[String]| {
        serde_json::to_string(values)
            .map(|t| text(&t))
            .map_err(|e| StoreError::Unavailable(format!("connections json: {e}")))
    };
    Ok(vec![
        text(&settings.id),
        text(settings.kind.as_str()),
        text(&settings.display_name),
        text(&settings.issuer),
        text(&settings.client_id),
        list(&settings.scopes)?,
        list(&settings.trusted_email_domains)?,
        match &settings.enabled_clients {
            Some(clients) => list(clients)?,
            None => JsValue::NULL,
        },
        JsValue::from_f64(f64::from(settings.position)),
        JsValue::from_f64(if settings.enabled { 1.0 } else { 0.0 }),
        list(&settings.home_realm_domains)?,
        serde_json::to_string(&settings.options)
            .map(|t| text(&t))
            .map_err(|e| StoreError::Unavailable(format!("connections json: {e}")))?,
    ])
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
                 trusted_email_domains, enabled_clients, home_realm_domains, options FROM connections \
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

    async fn all_connections(&self) -> Result<Vec<ConnectionResource>, StoreError> {
        let rows: Vec<ResourceRow> = self
            .db
            .prepare(format!(
                "SELECT {RESOURCE_COLUMNS} FROM connections ORDER BY position, id"
            ))
            .all()
            .await
            .map_err(unavailable("connections.list"))?
            .results()
            .map_err(unavailable("connections.list rows"))?;
        rows.into_iter().map(ResourceRow::into_resource).collect()
    }

    async fn connection(&self, id: &str) -> Result<Option<ConnectionResource>, StoreError> {
        let row: Option<ResourceRow> = self
            .db
            .prepare(format!(
                "SELECT {RESOURCE_COLUMNS} FROM connections WHERE id = ?1"
            ))
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("connections.read"))?;
        row.map(ResourceRow::into_resource).transpose()
    }

    async fn create_connection(
        &self,
        settings: &ConnectionSettings,
        sealed_client_secret: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut args = settings_args(settings)?;
        args.push(optional_text(sealed_client_secret));
        args.push(millis(now));
        let inserted = self
            .changes(
                "INSERT INTO connections (id, kind, display_name, issuer, client_id, scopes, \
                 trusted_email_domains, enabled_clients, position, disabled_at, \
                 home_realm_domains, options, sealed_client_secret, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?10 THEN NULL ELSE ?14 END, \
                 ?11, ?12, ?13, ?14, ?14) ON CONFLICT (id) DO NOTHING",
                &args,
                "connections.create",
            )
            .await?;
        if inserted > 0 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn replace_connection(
        &self,
        settings: &ConnectionSettings,
        secret: SecretChange<'_>,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut args = settings_args(settings)?;
        args.push(millis(now));
        let secret_sql = match secret {
            SecretChange::Keep => "sealed_client_secret",
            SecretChange::Set(sealed) => {
                args.push(text(sealed));
                "?14"
            }
            SecretChange::Remove => "NULL",
        };
        let changed = self
            .changes(
                &format!(
                    "UPDATE connections SET kind = ?2, display_name = ?3, issuer = ?4, \
                     client_id = ?5, scopes = ?6, trusted_email_domains = ?7, \
                     enabled_clients = ?8, position = ?9, home_realm_domains = ?11, options = ?12, \
                     disabled_at = CASE WHEN ?10 THEN NULL ELSE COALESCE(disabled_at, ?13) END, \
                     sealed_client_secret = {secret_sql}, updated_at = ?13 WHERE id = ?1"
                ),
                &args,
                "connections.replace",
            )
            .await?;
        Ok(changed > 0)
    }

    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        let identities = self
            .db
            .prepare("DELETE FROM federated_identities WHERE connection_id = ?1")
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?;
        let connection = self
            .db
            .prepare("DELETE FROM connections WHERE id = ?1")
            .bind(&[text(id)])
            .map_err(unavailable("bind"))?;
        // One transaction: identities never outlive their connection, so a later
        // connection with the same id cannot inherit them.
        let results = self
            .db
            .batch(vec![identities, connection])
            .await
            .map_err(unavailable("connections.delete"))?;
        let deleted = match results.get(1) {
            Some(result) => result
                .meta()
                .map_err(unavailable("connections.delete"))?
                .and_then(|m| m.changes)
                .unwrap_or(0),
            None => 0,
        };
        Ok(deleted > 0)
    }
}
