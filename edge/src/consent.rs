//! The signed-in person's consent records (`/v1/me/consents`): what they agreed to, in
//! which version of which document, when and how, and what they took back.
//!
//! - **Append-only.** A grant or a withdrawal is a new record; nothing is changed or
//!   removed, so the history proves what was agreed to at any time. A purpose's current
//!   state is its newest record.
//! - **Bound to the text shown.** Each record names the document's version and the
//!   SHA-256 of the exact text the person saw, so a later edit of a document under the
//!   same version number is detectable.
//! - **Global Privacy Control.** A request carrying `Sec-GPC: 1` is an opt-out of sale
//!   and sharing ([`GPC_PURPOSES`]): it cannot grant one of them, and every one still
//!   granted is withdrawn by a record of method `gpc`. Each record notes whether its
//!   request carried the signal.
//! - **Only the person's own.** Every read and write is keyed by the token's subject; a
//!   receipt id of anyone else answers like an unknown one.
//! - **Logged.** Each record is also a System Log event (`user.consent.grant`,
//!   `user.consent.withdraw`), whose `uuid` the record keeps.
//!
//! Reading needs only an account-API token; recording consent is something the person
//! does in the page that shows the document, so it does not ask for a recent sign-in.

use portcullis_shared::consent::{
    valid_purpose, valid_sha256_hex, valid_version, ConsentChange, ConsentList, ConsentMethod,
    ConsentRecordView, ConsentRecorded, ConsentState,
};
use portcullis_shared::system_log::Party;
use serde_json::{json, Value};

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::passkeys::account::Account;
use crate::ports::{Ports, StoredConsent};

/// The purposes that are a sale or a sharing of personal data under the CCPA/CPRA
/// (sharing: cross-context behavioural advertising), which a Global Privacy Control
/// signal opts out of.
pub const GPC_PURPOSES: &[&str] = &["sale_of_data", "cross_context_advertising"];

/// The `version` of a Kantara Consent Receipt v1.1.
const RECEIPT_VERSION: &str = "KI-CR-v1.1.0";

/// Whether the request carries a Global Privacy Control signal (`Sec-GPC: 1`, GPC §3.1:
/// the only valid value is `1`).
pub fn gpc_signal(header: Option<&str>) -> bool {
    header.is_some_and(|value| value.trim() == "1")
}

/// A consent change whose fields have been checked.
struct Checked<'a> {
    purpose: &'a str,
    state: ConsentState,
    document_version: &'a str,
    text_sha256: &'a str,
    method: ConsentMethod,
    locale: Option<&'a str>,
}

/// BCP 47 in its common shape: letters, digits and hyphens, at most 35 characters.
fn valid_locale(locale: &str) -> bool {
    (2..=35).contains(&locale.len())
        && locale
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && locale
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
}

impl<'a> Checked<'a> {
    fn from(change: &'a ConsentChange) -> Result<Checked<'a>, Error> {
        if !valid_purpose(&change.purpose) {
            return Err(Error::InvalidField("purpose"));
        }
        if !valid_version(&change.document_version) {
            return Err(Error::InvalidField("document_version"));
        }
        if !valid_sha256_hex(&change.text_sha256) {
            return Err(Error::InvalidField("text_sha256"));
        }
        // The person records consent through a page; administrators, imports and the
        // GPC signal have their own paths.
        let method = match change.method {
            None | Some(ConsentMethod::Widget) => ConsentMethod::Widget,
            Some(ConsentMethod::Api) => ConsentMethod::Api,
            Some(_) => return Err(Error::InvalidField("method")),
        };
        let locale = change.locale.as_deref();
        if locale.is_some_and(|l| !valid_locale(l)) {
            return Err(Error::InvalidField("locale"));
        }
        Ok(Checked {
            purpose: &change.purpose,
            state: change.state,
            document_version: &change.document_version,
            text_sha256: &change.text_sha256,
            method,
            locale,
        })
    }
}

fn view(record: &StoredConsent) -> ConsentRecordView {
    ConsentRecordView {
        id: record.id.clone(),
        purpose: record.purpose.clone(),
        state: record.state,
        document_version: record.document_version.clone(),
        text_sha256: record.text_sha256.clone(),
        recorded_at: record.recorded_at.as_seconds(),
        method: record.method,
        locale: record.locale.clone(),
        client_id: record.client_id.clone(),
        gpc: record.gpc,
        event_id: record.event_id.clone(),
    }
}

/// Each purpose's newest record, in the order of `records` (newest first).
fn current(records: &[StoredConsent]) -> Vec<&StoredConsent> {
    let mut seen: Vec<&str> = Vec::new();
    records
        .iter()
        .filter(|r| {
            let first = !seen.contains(&r.purpose.as_str());
            if first {
                seen.push(&r.purpose);
            }
            first
        })
        .collect()
}

/// `GET /v1/me/consents`.
pub async fn list(ports: &Ports<'_>, account: &Account) -> Result<ConsentList, Error> {
    let records = ports.consents.for_user(&account.user.id).await?;
    Ok(ConsentList {
        current: current(&records).into_iter().map(view).collect(),
        history: records.iter().map(view).collect(),
    })
}

/// `POST /v1/me/consents`: records the change; under a GPC signal, first withdraws every
/// sale or sharing purpose still granted.
pub async fn record(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    change: &ConsentChange,
    gpc: bool,
) -> Result<ConsentRecorded, Error> {
    let checked = Checked::from(change)?;
    if gpc && checked.state == ConsentState::Granted && GPC_PURPOSES.contains(&checked.purpose) {
        return Err(Error::ConsentOptedOutByGpc);
    }
    let mut written = Vec::new();
    if gpc {
        let records = ports.consents.for_user(&account.user.id).await?;
        let still_granted: Vec<StoredConsent> = current(&records)
            .into_iter()
            .filter(|r| r.state == ConsentState::Granted)
            .filter(|r| GPC_PURPOSES.contains(&r.purpose.as_str()))
            .filter(|r| r.purpose != checked.purpose)
            .cloned()
            .collect();
        for granted in still_granted {
            let opt_out = Checked {
                purpose: &granted.purpose,
                state: ConsentState::Withdrawn,
                document_version: &granted.document_version,
                text_sha256: &granted.text_sha256,
                method: ConsentMethod::Gpc,
                locale: granted.locale.as_deref(),
            };
            written.push(append(ports, context, account, &opt_out, true).await?);
        }
    }
    written.push(append(ports, context, account, &checked, gpc).await?);
    Ok(ConsentRecorded {
        records: written.iter().map(view).collect(),
    })
}

/// Stores one record and its System Log event, which name each other.
async fn append(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    change: &Checked<'_>,
    gpc: bool,
) -> Result<StoredConsent, Error> {
    let id =
        crate::crypto::token::random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let (event_type, message) = match change.state {
        ConsentState::Granted => (types::CONSENT_GRANT, "Consent granted"),
        ConsentState::Withdrawn => (types::CONSENT_WITHDRAW, "Consent withdrawn"),
    };
    let spec = EventSpec::user_success(event_type, message, &account.user, &account.client.id);
    let mut event = spec.build(ports, context);
    event.target.push(Party {
        id: id.clone(),
        kind: "Consent".into(),
        alternate_id: Some(format!("{}@{}", change.purpose, change.document_version)),
        display_name: Some(change.purpose.to_string()),
    });
    let record = StoredConsent {
        id,
        user_id: account.user.id.clone(),
        purpose: change.purpose.to_string(),
        document_version: change.document_version.to_string(),
        text_sha256: change.text_sha256.to_string(),
        state: change.state,
        recorded_at: ports.clock.now(),
        method: change.method,
        locale: change.locale.map(str::to_string),
        client_id: Some(account.client.id.clone()),
        ip_address: context.ip_address.clone(),
        user_agent: context.user_agent.clone(),
        gpc,
        event_id: event.uuid.clone(),
    };
    ports.consents.append(&record).await?;
    events::append(ports, event).await;
    Ok(record)
}

/// `GET /v1/me/consents/receipts/{id}`: the record as a Kantara Initiative Consent
/// Receipt (v1.1), with the document's version and hash under `portcullis:` names.
pub async fn receipt(
    ports: &Ports<'_>,
    issuer: &str,
    account: &Account,
    id: &str,
) -> Result<Value, Error> {
    let records = ports.consents.for_user(&account.user.id).await?;
    let record = records
        .iter()
        .find(|r| r.id == id)
        .ok_or(Error::ConsentNotFound)?;
    Ok(kantara_receipt(
        record,
        issuer,
        &account.client.name,
        &account.user.id,
    ))
}

/// The Kantara Consent Receipt Specification v1.1 shape (§4.3–4.5).
fn kantara_receipt(record: &StoredConsent, issuer: &str, controller: &str, subject: &str) -> Value {
    let consent_type = match (record.method, record.state) {
        (ConsentMethod::Gpc, _) | (_, ConsentState::Withdrawn) => "OPT-OUT",
        _ => "EXPLICIT",
    };
    json!({
        "version": RECEIPT_VERSION,
        "jurisdiction": "",
        "consentTimestamp": record.recorded_at.as_seconds(),
        "collectionMethod": record.method.as_str(),
        "consentReceiptID": record.id,
        "language": record.locale.as_deref().unwrap_or("en"),
        "piiPrincipalId": subject,
        "piiControllers": [{
            "piiController": controller,
            "contact": controller,
            "address": {},
            "email": "",
            "phone": "",
            "piiControllerUrl": issuer,
        }],
        "policyUrl": issuer,
        "services": [{
            "service": record.client_id.as_deref().unwrap_or_default(),
            "purposes": [{
                "purpose": record.purpose,
                "purposeCategory": [record.purpose],
                "consentType": consent_type,
                "piiCategory": [],
                "primaryPurpose": matches!(record.purpose.as_str(), "terms" | "privacy"),
                "termination": "withdrawal by the person, or erasure of the account",
                "thirdPartyDisclosure": GPC_PURPOSES.contains(&record.purpose.as_str()),
                "portcullis:state": record.state.as_str(),
                "portcullis:documentVersion": record.document_version,
                "portcullis:textSha256": record.text_sha256,
                "portcullis:gpc": record.gpc,
                "portcullis:eventId": record.event_id,
            }],
        }],
        "sensitive": false,
        "spiCat": [],
    })
}

#[cfg(test)]
mod tests;
