//! The email steps of a flow: sign in with an emailed code, and verify the address
//! before a client that requires it gets a code.
//!
//! **A code signs in only the window it is typed into.** Emails carry a code and no
//! sign-in link: whoever started a flow (perhaps an attacker who knows only the address,
//! scripting requests) can finish it only by typing the code, which only the mailbox's
//! owner can read. Nothing hands the starter of a flow the result of a click made in
//! another browser.
//!
//! **Proof of an address wipes what came before it** ([`crate::address_proof`]): a
//! sign-in code proves the mailbox alone, so on an address never proven before it
//! removes the password, passkeys, sessions and tokens someone may have planted there;
//! a verification code typed in the flow where the credential was just used comes from
//! that credential's holder and keeps it.

use portcullis_shared::api::{EmailSent, EmailSignIn, FlowOutcome};
use serde::{Deserialize, Serialize};

use super::{live_client, put, Caller, Completed, FlowRecord};
use crate::accounts::Attempt;
use crate::address_proof::{self, Proof, ProvenBy};
use crate::amr::Amr;
use crate::clients::Client;
use crate::email::codes::{self, CODE_DIGITS};
use crate::email::templates;
use crate::email::{deliver, throttle, Purpose, CODE_TTL_SECONDS};
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::ports::Ports;
use crate::users::{normalize_email, User, UserStatus};

/// A flow waiting for its person to verify their address: who, and how they had
/// authenticated (kept for the tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifying {
    pub user_id: String,
    pub amr: Amr,
}

fn sent() -> EmailSent {
    EmailSent {
        expires_in: CODE_TTL_SECONDS,
        code_length: CODE_DIGITS as u8,
    }
}

/// `POST /v1/flows/{flow_id}/email`: emails a sign-in code for the address, or, for an
/// address without an account, a note saying so. The answer is the same.
pub async fn start(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    request: &EmailSignIn,
) -> Result<EmailSent, Error> {
    let client = live_client(ports, caller, flow_id).await?;
    let (email, user) = crate::email::recipient(ports, &request.email, caller.context).await?;
    let user_id = user.as_ref().map(|u| u.id.as_str());
    let code = codes::issue(ports, flow_id, &email, user_id, Purpose::SignIn).await?;
    let words = caller.context.words();
    let mail = match &user {
        Some(_) => templates::sign_in(&email, &client, &words, &code),
        None => templates::no_account(&email, &client, &words),
    };
    deliver(ports, caller.context, &client.id, &mail).await;
    Ok(sent())
}

/// The account an emailed code proved, checked against what the flow expects, with its
/// address marked proven (see [`address_proof`]).
pub(super) async fn proven(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    record: &FlowRecord,
    proof: Result<(String, Purpose), Error>,
) -> Result<(User, Proof), Error> {
    let (user_id, purpose) = match proof {
        Ok(proof) => proof,
        Err(err) => {
            events::record(
                ports,
                attempt.context,
                email_event(false, Some(err.code().as_str()), None, attempt.client_id),
            )
            .await;
            return Err(err);
        }
    };
    // A second factor's code proves nothing by itself (it is kept apart, see
    // `mfa::email_code`; this holds even if one were ever found here).
    if purpose == Purpose::SecondFactor {
        return Err(Error::CodeExpired);
    }
    let holder = record.verifying.as_ref().map(|v| v.user_id.as_str()) == Some(user_id.as_str());
    // A verification code answers only the flow that waits on that account; a code that
    // proves a new address for a signed-in account signs nobody in.
    if (purpose == Purpose::Verify && !holder) || purpose == Purpose::ChangeEmail {
        return Err(Error::CodeExpired);
    }
    let user = ports
        .users
        .find_by_id(&user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(Error::CodeExpired)?;
    let by = if holder {
        ProvenBy::CredentialHolder
    } else {
        ProvenBy::MailboxAlone
    };
    let (user, proof) =
        address_proof::prove(ports, attempt.context, &user, attempt.client_id, by).await?;
    if purpose == Purpose::SignIn {
        events::record(
            ports,
            attempt.context,
            email_event(true, None, Some(&user), attempt.client_id),
        )
        .await;
    }
    Ok((user, proof))
}

fn email_event<'a>(
    success: bool,
    reason: Option<&'a str>,
    user: Option<&'a User>,
    client_id: &'a str,
) -> EventSpec<'a> {
    EventSpec {
        event_type: types::AUTH_VIA_EMAIL,
        display_message: "User authentication via email code",
        success,
        reason,
        actor_id: user.map(|u| u.id.as_str()),
        actor_email: user.map(|u| u.email.as_str()),
        actor_name: None,
        client_id: Some(client_id),
    }
}

/// The person authenticated, but the client requires a verified address or the account
/// is under attack (see [`crate::throttle`]): email a code, keep the flow waiting, and
/// tell the widget.
pub(super) async fn verify_first(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    client: &Client,
    user: &User,
    amr: Amr,
) -> Result<Completed, Error> {
    crate::email::throttle_proven(ports, &user.email, caller.context).await?;
    let code = codes::issue(ports, flow_id, &user.email, Some(&user.id), Purpose::Verify).await?;
    let words = caller.context.words();
    // A proven address is not confirmed again: the code finishes signing in.
    let mail = if user.email_verified {
        templates::sign_in(&user.email, client, &words, &code)
    } else {
        templates::verify(&user.email, client, &words, &code)
    };
    deliver(ports, caller.context, &client.id, &mail).await;
    record.verifying = Some(Verifying {
        user_id: user.id.clone(),
        amr,
    });
    put(ports, flow_id, &record).await?;
    Ok(waiting())
}

fn waiting() -> Completed {
    Completed {
        outcome: FlowOutcome::VerifyEmail(sent()),
        session: None,
        device: None,
        proof: Proof::default(),
        recovery_codes: None,
        device_token: None,
    }
}

/// Sign-up of a taken address, for a client that requires verification: the same answer
/// as for a new account, and an email to the address's owner. The flow's code is
/// issued for nobody, so no code completes it.
pub(super) async fn account_exists(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    record: FlowRecord,
    client: &Client,
    typed_email: &str,
) -> Result<Completed, Error> {
    let email = normalize_email(typed_email).map_err(|_| Error::InvalidField("email"))?;
    throttle(ports, &email, caller.context).await?;
    codes::issue(ports, flow_id, &email, None, Purpose::Verify).await?;
    let mail = templates::account_exists(&email, client, &caller.context.words());
    deliver(ports, caller.context, &client.id, &mail).await;
    put(ports, flow_id, &record).await?;
    Ok(waiting())
}

/// A wrong password for an account under attack: the answer a right one gets ("check
/// your email"), with a code issued for nobody and no email, so that the answer confirms
/// no guess. The attempt counts against the flow like any wrong password.
pub(super) async fn unprovable(
    ports: &Ports<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    typed_email: &str,
) -> Result<Completed, Error> {
    let email = normalize_email(typed_email).unwrap_or_else(|_| typed_email.to_lowercase());
    codes::issue(ports, flow_id, &email, None, Purpose::Verify).await?;
    record.fail()?;
    put(ports, flow_id, &record).await?;
    Ok(waiting())
}
