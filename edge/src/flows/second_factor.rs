//! The second-factor steps of a flow: after the first factor, [`gate`] runs the MFA
//! decision ([`mfa::requirement`]) and either completes the flow or keeps it waiting for
//! a code from an authenticator app or a recovery code, a security key, a code emailed
//! to the account's verified address where the client allows it ([`mfa::email_code`]),
//! or for the enrolment of an app when the client requires one the account does not
//! have.
//!
//! Nothing here is reachable without the first factor: a flow waits for a second
//! factor only after a right password (or emailed code), and each step checks that it
//! does. Wrong codes count against the flow ([`super::MAX_FAILURES`]) and against the
//! account across flows ([`mfa::admit_code`]).

use portcullis_shared::api::{EmailSent, FlowOutcome, TotpEnrolment};
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{PublicKeyCredential, RequestChallengeResponse};

use super::{complete, keep, put, take_for, Caller, Completed, FlowRecord};
use crate::accounts::Attempt;
use crate::address_proof::Proof;
use crate::amr::{Amr, Method};
use crate::clients::Client;
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::mfa::notify::Change;
use crate::mfa::{self, Enrolled, Requirement, Risk, StepUp};
use crate::passkeys;
use crate::ports::Ports;
use crate::users::{User, UserStatus};
use crate::webauthn::CeremonyError;

/// A flow whose person proved a first factor and owes a second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub user_id: String,
    /// How the first factor was proven.
    pub amr: Amr,
    /// The account has no factor and must enrol one.
    pub enrol: bool,
    /// An app being enrolled, until its first code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<mfa::totp::Pending>,
    /// The first factor's proof of the address removed older credentials (told at the
    /// end, as without a second factor).
    #[serde(default)]
    pub credentials_removed: bool,
}

/// After a first factor: completes the flow, or asks for a second factor.
#[allow(clippy::too_many_arguments)]
pub(super) async fn gate(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    client: &Client,
    user: &User,
    amr: Amr,
    proof: Proof,
    risk: Risk,
) -> Result<Completed, Error> {
    let enrolled = Enrolled::of_user(ports, user).await?;
    let step_up = record.authorization.step_up;
    let requirement = mfa::requirement(client, &enrolled, &amr, step_up, risk);
    // A remembered device skips what the client's policy asks, not what the relying party
    // or the sign-in's risk asks (see `mfa::remembered`). The amr stays what it was.
    let policy_only = step_up == StepUp::NotAsked && risk == Risk::NotElevated;
    if requirement == Requirement::Challenge && policy_only {
        if let Some(token) = remembered(ports, caller, user, &client.id).await {
            let mut done = complete(ports, caller, flow_id, record, user, amr, proof, None).await?;
            done.device_token = Some(token);
            return Ok(done);
        }
    }
    let outcome = match requirement {
        Requirement::Satisfied => {
            return complete(ports, caller, flow_id, record, user, amr, proof, None).await
        }
        Requirement::Challenge => FlowOutcome::SecondFactor {
            methods: enrolled.methods_for(client, &amr, step_up),
        },
        Requirement::Enrol => FlowOutcome::EnrolSecondFactor,
    };
    record.second_factor = Some(Waiting {
        user_id: user.id.clone(),
        amr,
        enrol: requirement == Requirement::Enrol,
        enrolment: None,
        credentials_removed: proof.credentials_removed,
    });
    put(ports, flow_id, &record).await?;
    Ok(Completed {
        outcome,
        session: None,
        device: None,
        proof: Proof::default(),
        recovery_codes: None,
        device_token: None,
    })
}

/// Uses the device token the request carries, if it is live for `user` at `client_id`:
/// its replacement, and a System Log event saying the second factor was skipped. A store
/// that fails asks for the second factor (`None`).
async fn remembered(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    user: &User,
    client_id: &str,
) -> Option<String> {
    let redeemed = mfa::remembered::redeem(ports, caller.context, &user.id, client_id).await;
    let token = logged(ports, "use a remembered device", redeemed)?;
    let spec = EventSpec {
        event_type: types::EVALUATE_SIGN_ON,
        display_message: "Evaluation of sign-on policy",
        reason: Some("remembered_device; second factor skipped"),
        ..EventSpec::user_success(types::EVALUATE_SIGN_ON, "", user, client_id)
    };
    events::record(ports, caller.context, spec).await;
    Some(token)
}

/// After a second factor with "remember this device": the new device's token. Best
/// effort: a store that fails costs the person the remembering, not the sign-in.
async fn remember(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    user: &User,
    client_id: &str,
    wanted: bool,
) -> Option<String> {
    if !wanted {
        return None;
    }
    let issued = mfa::remembered::issue(ports, caller.context, &user.id, client_id).await;
    logged(ports, "remember the device", issued.map(Some))
}

/// What worked; what failed goes to the operators' log as "could not `what`".
fn logged<T>(ports: &Ports<'_>, what: &str, result: Result<Option<T>, Error>) -> Option<T> {
    result.unwrap_or_else(|err| {
        ports
            .diagnostics
            .log(&format!("mfa: could not {what}: {err:?}"));
        None
    })
}

/// The flow, its client and the person it waits on; `Err` (with the flow put back where
/// it can go on) when it does not wait for a second factor.
async fn waiting(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<(FlowRecord, Client, Waiting, User), Error> {
    let (record, client) = take_for(ports, caller, flow_id).await?;
    let Some(waiting) = record.second_factor.clone() else {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    };
    let user = ports
        .users
        .find_by_id(&waiting.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active);
    match user {
        Some(user) => Ok((record, client, waiting, user)),
        // Suspended meanwhile: the flow ends.
        None => Err(Error::InvalidCredentials),
    }
}

/// Which code a step checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    RecoveryCode,
    /// A code emailed by [`send_email_code`].
    EmailCode,
}

/// Whether the client takes an emailed code as the second factor of this flow, which
/// waits on `user`.
async fn email_code_allowed(
    ports: &Ports<'_>,
    record: &FlowRecord,
    client: &Client,
    waiting: &Waiting,
    user: &User,
) -> Result<bool, Error> {
    let enrolled = Enrolled::of_user(ports, user).await?;
    let step_up = record.authorization.step_up;
    Ok(mfa::email_code::allowed(
        client,
        &enrolled,
        &waiting.amr,
        step_up,
    ))
}

/// `POST /v1/flows/{id}/mfa/email/send`: emails a second-factor code to the account's
/// verified address, where the client allows it (`factor_not_allowed` otherwise).
/// Leaves the flow in place.
pub async fn send_email_code(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<EmailSent, Error> {
    let (record, client, waiting, user) = self::waiting(ports, caller, flow_id).await?;
    put(ports, flow_id, &record).await?;
    if !email_code_allowed(ports, &record, &client, &waiting, &user).await? {
        return Err(Error::FactorNotAllowed);
    }
    if waiting.enrol {
        return Err(Error::StepNotExpected);
    }
    mfa::email_code::send(ports, caller.context, &client, flow_id, &user).await
}

/// `POST /v1/flows/{id}/mfa/totp`, `…/mfa/recovery-code` and `…/mfa/email`: proves the
/// second factor.
pub async fn prove(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    kind: CodeKind,
    code: &str,
    remember_device: bool,
) -> Result<Completed, Error> {
    let (record, client, waiting, user) = self::waiting(ports, caller, flow_id).await?;
    if kind == CodeKind::EmailCode
        && !email_code_allowed(ports, &record, &client, &waiting, &user).await?
    {
        put(ports, flow_id, &record).await?;
        return Err(Error::FactorNotAllowed);
    }
    if waiting.enrol {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    }
    let admitted = match mfa::admit_code(ports, &user.id).await {
        Ok(admitted) => admitted,
        Err(err) => {
            put(ports, flow_id, &record).await?;
            mfa_event(ports, caller, &user, &client.id, Some("throttled")).await;
            return Err(err);
        }
    };
    let checked = match kind {
        CodeKind::Totp => mfa::totp::verify(ports, &user.id, code).await,
        CodeKind::RecoveryCode => mfa::recovery::redeem(ports, &user.id, code).await,
        CodeKind::EmailCode => {
            mfa::email_code::check(ports, caller.context, flow_id, &user.id, code).await
        }
    };
    match checked {
        Ok(()) => {
            admitted.refund(ports).await;
            mfa_event(ports, caller, &user, &client.id, None).await;
            if kind == CodeKind::RecoveryCode {
                mfa::notify::tell(
                    ports,
                    caller.context,
                    &client,
                    &user,
                    Change::RecoveryCodeUsed,
                )
                .await;
            }
            // RFC 8176: an emailed code is `otp`, and a weak second factor (see
            // `mfa::email_code`): no `mfa`.
            let amr = match kind {
                CodeKind::EmailCode => mfa::email_code::completes(waiting.amr),
                CodeKind::Totp | CodeKind::RecoveryCode => {
                    waiting.amr.with_second_factor(&[Method::Otp])
                }
            };
            let proof = Proof {
                credentials_removed: waiting.credentials_removed,
            };
            let mut done =
                complete(ports, caller, flow_id, record, &user, amr, proof, None).await?;
            done.device_token = remember(ports, caller, &user, &client.id, remember_device).await;
            Ok(done)
        }
        Err(err) => {
            mfa_event(ports, caller, &user, &client.id, Some(err.code().as_str())).await;
            keep(ports, flow_id, record, err).await
        }
    }
}

/// The body of `POST /v1/flows/{id}/mfa/webauthn`: the browser's
/// `PublicKeyCredential.toJSON()`, and `remember_device` beside its members.
#[derive(Debug, Deserialize)]
pub struct KeyAssertion {
    #[serde(flatten)]
    pub credential: PublicKeyCredential,
    #[serde(default)]
    pub remember_device: bool,
}

/// `POST /v1/flows/{id}/mfa/webauthn/options`: assertion options for the person's
/// passkeys and security keys. Leaves the flow in place.
pub async fn security_key_options(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<RequestChallengeResponse, Error> {
    let (record, _, waiting, user) = self::waiting(ports, caller, flow_id).await?;
    put(ports, flow_id, &record).await?;
    if waiting.enrol {
        return Err(Error::StepNotExpected);
    }
    let rp_id = passkeys::rp_id(ports, caller.self_origin);
    passkeys::sign_in::second_factor_options(ports, &rp_id, flow_id, &user.id).await
}

/// `POST /v1/flows/{id}/mfa/webauthn`: one of the person's own keys, as the second
/// factor.
pub async fn prove_security_key(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    credential: &PublicKeyCredential,
    remember_device: bool,
) -> Result<Completed, Error> {
    let (record, client, waiting, user) = self::waiting(ports, caller, flow_id).await?;
    if waiting.enrol {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    }
    let attempt = Attempt {
        client_id: &client.id,
        context: caller.context,
        protection: client.protection,
        turnstile_token: None,
    };
    let rp = passkeys::relying_party(ports, caller.self_origin, &client.allowed_origins);
    let verified =
        passkeys::sign_in::verify_second_factor(ports, &attempt, &rp, flow_id, credential).await;
    match verified {
        // The options named only this person's keys; the check holds it anyway.
        Ok(owner) if owner.id == user.id => {
            mfa_event(ports, caller, &user, &client.id, None).await;
            // RFC 8176: a key that may be synced is software-secured (see flows).
            let amr = waiting.amr.with_second_factor(&[Method::Swk]);
            let proof = Proof {
                credentials_removed: waiting.credentials_removed,
            };
            let mut done =
                complete(ports, caller, flow_id, record, &user, amr, proof, None).await?;
            done.device_token = remember(ports, caller, &user, &client.id, remember_device).await;
            Ok(done)
        }
        Ok(_) => {
            keep(
                ports,
                flow_id,
                record,
                CeremonyError::UnknownCredential.into(),
            )
            .await
        }
        Err(err) => {
            mfa_event(ports, caller, &user, &client.id, Some(err.code().as_str())).await;
            keep(ports, flow_id, record, err).await
        }
    }
}

/// `POST /v1/flows/{id}/mfa/totp/enrolment`: a new app's secret for an account that must
/// enrol one. Asking again replaces the secret.
pub async fn enrol(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<TotpEnrolment, Error> {
    let (mut record, client, mut waiting, user) = self::waiting(ports, caller, flow_id).await?;
    if !waiting.enrol {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    }
    let (pending, shown) = match mfa::totp::begin(ports, &user, &client.name) {
        Ok(begun) => begun,
        Err(err) => {
            put(ports, flow_id, &record).await?;
            return Err(err);
        }
    };
    waiting.enrolment = Some(pending);
    record.second_factor = Some(waiting);
    put(ports, flow_id, &record).await?;
    Ok(shown)
}

/// `POST /v1/flows/{id}/mfa/totp/enrolment/confirm`: the app's first code. Stores the
/// app, makes the account's recovery codes (returned with the outcome, shown once),
/// tells the owner by email and completes the flow.
pub async fn confirm(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    code: &str,
) -> Result<Completed, Error> {
    let (record, client, waiting, user) = self::waiting(ports, caller, flow_id).await?;
    let Some(pending) = waiting.enrolment.as_ref().filter(|_| waiting.enrol) else {
        put(ports, flow_id, &record).await?;
        return Err(Error::StepNotExpected);
    };
    match mfa::totp::confirm(ports, &user, pending, code).await {
        Ok(_) => {
            mfa::notify::tell(ports, caller.context, &client, &user, Change::AppAdded).await;
            let codes = mfa::recovery::issue(ports, &user.id).await?;
            let amr = waiting.amr.with_second_factor(&[Method::Otp]);
            let proof = Proof {
                credentials_removed: waiting.credentials_removed,
            };
            complete(
                ports,
                caller,
                flow_id,
                record,
                &user,
                amr,
                proof,
                Some(codes),
            )
            .await
        }
        Err(err) => keep(ports, flow_id, record, err).await,
    }
}

async fn mfa_event(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    user: &User,
    client_id: &str,
    failure: Option<&str>,
) {
    let spec = EventSpec {
        event_type: types::AUTH_VIA_MFA,
        display_message: "Authentication of user via MFA",
        success: failure.is_none(),
        reason: failure,
        actor_id: Some(&user.id),
        actor_email: Some(&user.email),
        actor_name: None,
        client_id: Some(client_id),
    };
    events::record(ports, caller.context, spec).await;
}
