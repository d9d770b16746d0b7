//! Progressive profiling: once the person is signed in (every factor proven), a client
//! with a profiling policy ([`crate::profile::policy`]) may ask a few more details or an
//! agreement to a document before the flow ends. The flow then answers
//! `profile_required` and waits for `POST /v1/flows/{flow_id}/profile`.
//!
//! - **Nothing before the sign-in.** The step is reachable only in a flow whose person
//!   has proven every factor; the flow's handle is the proof, as for the other steps.
//! - **Only what was asked.** The answer may set the attributes asked, nothing else,
//!   checked by the profile schema; optional ones may be left out (skipped).
//! - **Required means required.** The flow does not end until each required attribute
//!   is set and each required document agreed to; the flow stays for another answer.
//! - **Consent bound to the text.** Each agreement is a consent record (method `widget`)
//!   with the document's version and SHA-256 as offered in this flow, so a new version
//!   asks again and the history shows both.
//! - **Counted per client.** The `n`th sign-in is counted atomically per person and
//!   client (a counter in a Durable Object), once per completed sign-in.

use portcullis_shared::api::FlowOutcome;
use portcullis_shared::consent::{ConsentChange, ConsentMethod, ConsentState};
use portcullis_shared::profile::{ConsentDocument, FieldProblem, ProfileAnswers};
use serde::{Deserialize, Serialize};

use super::{finish, put, take_for, Caller, Completed, FlowRecord};
use crate::address_proof::Proof;
use crate::amr::Amr;
use crate::error::Error;
use crate::passkeys::account::Account;
use crate::ports::Ports;
use crate::profile::policy::Granted;
use crate::profile::{Editor, Refused};
use crate::users::User;

/// A sign-in counter lasts as long as any account: a hundred years.
const SIGN_IN_COUNT_SECONDS: u64 = 100 * 365 * 24 * 3600;

/// A flow whose person is signed in and is asked for details before it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asking {
    pub user_id: String,
    pub amr: Amr,
    #[serde(default)]
    pub credentials_removed: bool,
    /// The attributes asked, and whether each is required.
    pub attributes: Vec<(String, bool)>,
    /// The documents offered, as offered.
    pub documents: Vec<ConsentDocument>,
}

fn sign_in_counter(client_id: &str, user_id: &str) -> String {
    format!("sign-ins:{client_id}:{user_id}")
}

/// The person's current consent per purpose (newest record first in the store).
async fn granted(ports: &Ports<'_>, user_id: &str) -> Result<Vec<(String, String)>, Error> {
    let records = ports.consents.for_user(user_id).await?;
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut decided: Vec<&str> = Vec::new();
    for record in &records {
        if decided.contains(&record.purpose.as_str()) {
            continue;
        }
        decided.push(&record.purpose);
        if record.state == ConsentState::Granted {
            seen.push((record.purpose.clone(), record.document_version.clone()));
        }
    }
    Ok(seen)
}

/// After every factor: asks what the client's policy wants now (keeping the flow), or
/// `None` to end the flow.
pub(super) async fn ask_if_due(
    ports: &Ports<'_>,
    flow_id: &str,
    record: &mut FlowRecord,
    user: &User,
    amr: &Amr,
    proof: Proof,
) -> Result<Option<Completed>, Error> {
    let Some(client) = crate::client_lookup::find(ports, &record.client_id).await? else {
        return Ok(None);
    };
    if client.profile.is_empty() {
        return Ok(None);
    }
    let now = ports.clock.now();
    let sign_in = ports
        .counters
        .increment(
            &sign_in_counter(&client.id, &user.id),
            SIGN_IN_COUNT_SECONDS,
            now,
        )
        .await?;
    let current = granted(ports, &user.id).await?;
    let current: Vec<Granted<'_>> = current
        .iter()
        .map(|(purpose, version)| Granted { purpose, version })
        .collect();
    let scopes = &record.authorization.scopes;
    let due = client
        .profile
        .due(user, sign_in, |scope| scopes.has(scope), &current);
    if due.is_empty() {
        return Ok(None);
    }
    record.profiling = Some(Asking {
        user_id: user.id.clone(),
        amr: amr.clone(),
        credentials_removed: proof.credentials_removed,
        attributes: due
            .attributes
            .iter()
            .map(|a| (a.attribute.name.clone(), a.required))
            .collect(),
        documents: due.documents.clone(),
    });
    put(ports, flow_id, record).await?;
    Ok(Some(Completed {
        outcome: FlowOutcome::ProfileRequired {
            attributes: due.attributes,
            documents: due.documents,
        },
        session: None,
        device: None,
        proof,
        recovery_codes: None,
        device_token: None,
    }))
}

/// `POST /v1/flows/{flow_id}/profile`: the person's answers; ends the flow.
pub async fn answer(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    answers: &ProfileAnswers,
) -> Result<Completed, Error> {
    let (mut record, client) = take_for(ports, caller, flow_id).await?;
    let Some(asking) = record.profiling.clone() else {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    };
    let Some(user) = ports
        .users
        .find_by_id(&asking.user_id)
        .await?
        .filter(|u| crate::policy::admits(&client, u).is_ok())
    else {
        return Err(Error::FlowNotFound);
    };
    let changed = match check(&asking, &user, answers, ports.clock.now()) {
        Ok(changed) => changed,
        Err(refused) => {
            put(ports, flow_id, &record).await?;
            return Err(Error::InvalidProfile(
                refused.field_errors(&caller.context.words()),
            ));
        }
    };
    let user = if changed {
        let saved = crate::account_profile::save(
            ports,
            caller.context,
            &client.id,
            &user,
            &answers.attributes,
        )
        .await;
        match saved {
            Ok(saved) => saved,
            Err(err) => {
                put(ports, flow_id, &record).await?;
                return Err(err);
            }
        }
    } else {
        user
    };
    let account = Account {
        user: user.clone(),
        client: client.clone(),
        auth_time: None,
        multi_factor: false,
        grant: None,
    };
    for document in asking
        .documents
        .iter()
        .filter(|d| answers.agreed.contains(&d.purpose))
    {
        let change = ConsentChange {
            purpose: document.purpose.clone(),
            state: ConsentState::Granted,
            document_version: document.version.clone(),
            text_sha256: document.text_sha256.clone(),
            method: Some(ConsentMethod::Widget),
            locale: Some(caller.context.language().to_string()),
        };
        crate::consent::record(ports, caller.context, &account, &change, false).await?;
    }
    record.profiling = None;
    let proof = Proof {
        credentials_removed: asking.credentials_removed,
    };
    finish(ports, caller, record, &user, asking.amr, proof, None).await
}

/// Whether the answers change the person, or every problem: attributes not asked, bad
/// values, required ones left out.
fn check(
    asking: &Asking,
    user: &User,
    answers: &ProfileAnswers,
    now: crate::time::UnixMillis,
) -> Result<bool, Refused> {
    let mut problems = Vec::new();
    for name in answers.attributes.keys() {
        if !asking.attributes.iter().any(|(asked, _)| asked == name) {
            problems.push((name.clone(), FieldProblem::UnknownAttribute));
        }
    }
    for purpose in &answers.agreed {
        if !asking.documents.iter().any(|d| &d.purpose == purpose) {
            problems.push((purpose.clone(), FieldProblem::UnknownAttribute));
        }
    }
    let applied = crate::profile::apply(user, &answers.attributes, Editor::Person, now);
    let (changed, names) = match applied {
        Ok(done) => done,
        Err(Refused(mut refused)) => {
            problems.append(&mut refused);
            (user.clone(), Vec::new())
        }
    };
    for (name, required) in &asking.attributes {
        let set = crate::profile::attribute(name).and_then(|a| a.value_of(&changed));
        let already = problems.iter().any(|(field, _)| field == name);
        if *required && set.is_none() && !already {
            problems.push((name.clone(), FieldProblem::Required));
        }
    }
    for document in asking.documents.iter().filter(|d| d.required) {
        if !answers.agreed.contains(&document.purpose) {
            problems.push((document.purpose.clone(), FieldProblem::Required));
        }
    }
    if !problems.is_empty() {
        return Err(Refused(problems));
    }
    Ok(!names.is_empty())
}

#[cfg(test)]
mod tests;
