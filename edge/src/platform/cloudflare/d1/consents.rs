//! Consent records (`consents`): appended, never updated.

use async_trait::async_trait;
use portcullis_shared::consent::{ConsentMethod, ConsentState};
use serde::Deserialize;

use super::{conflict_or_unavailable, flag, millis, optional_text, text, unavailable, D1Stores};
use crate::ports::{ConsentStore, StoreError, StoredConsent, UnixMillis};

#[derive(Deserialize)]
struct ConsentRow {
    id: String,
    user_id: String,
    purpose: String,
    document_version: String,
    text_sha256: String,
    state: String,
    recorded_at: f64,
    method: String,
    locale: Option<String>,
    client_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    gpc: f64,
    event_id: String,
}

impl ConsentRow {
    fn into_record(self) -> Result<StoredConsent, StoreError> {
        let corrupt = |what: &str| StoreError::Unavailable(format!("consents.{what}: {}", self.id));
        Ok(StoredConsent {
            state: ConsentState::parse(&self.state).ok_or_else(|| corrupt("state"))?,
            method: ConsentMethod::parse(&self.method).ok_or_else(|| corrupt("method"))?,
            id: self.id,
            user_id: self.user_id,
            purpose: self.purpose,
            document_version: self.document_version,
            text_sha256: self.text_sha256,
            recorded_at: UnixMillis(self.recorded_at as u64),
            locale: self.locale,
            client_id: self.client_id,
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            gpc: self.gpc != 0.0,
            event_id: self.event_id,
        })
    }
}

#[async_trait(?Send)]
impl ConsentStore for D1Stores {
    async fn append(&self, record: &StoredConsent) -> Result<(), StoreError> {
        self.db
            .prepare(
                "INSERT INTO consents (id, user_id, purpose, document_version, text_sha256, \
                 state, recorded_at, method, locale, client_id, ip_address, user_agent, gpc, \
                 event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .bind(&[
                text(&record.id),
                text(&record.user_id),
                text(&record.purpose),
                text(&record.document_version),
                text(&record.text_sha256),
                text(record.state.as_str()),
                millis(record.recorded_at),
                text(record.method.as_str()),
                optional_text(record.locale.as_deref()),
                optional_text(record.client_id.as_deref()),
                optional_text(record.ip_address.as_deref()),
                optional_text(record.user_agent.as_deref()),
                flag(record.gpc),
                text(&record.event_id),
            ])
            .map_err(unavailable("bind"))?
            .run()
            .await
            .map_err(conflict_or_unavailable("consents.insert"))?;
        Ok(())
    }

    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredConsent>, StoreError> {
        let rows: Vec<ConsentRow> = self
            .db
            .prepare(
                "SELECT id, user_id, purpose, document_version, text_sha256, state, \
                 recorded_at, method, locale, client_id, ip_address, user_agent, gpc, event_id \
                 FROM consents WHERE user_id = ?1 ORDER BY recorded_at DESC, rowid DESC",
            )
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("consents.select"))?
            .results()
            .map_err(unavailable("consents.select"))?;
        rows.into_iter().map(ConsentRow::into_record).collect()
    }
}
