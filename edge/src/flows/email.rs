//! The email steps of a flow: sign in with an emailed code or link, and verify the
//! address before a client that requires it gets a code.

use portcullis_shared::api::{EmailSent, EmailSignIn, FlowOutcome};
use serde::{Deserialize, Serialize};

use super::{live_client, put, step, Caller, Completed, FlowRecord, StepInput};
use crate::accounts::Attempt;
use crate::clients::Client;
use crate::email::codes::{self, CODE_DIGITS};
use crate::email::links::{self, LinkRecord};
use crate::email::{deliver, templates, throttle, Purpose, CODE_TTL_SECONDS};
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::ports::Ports;
use crate::users::{normalize_email, User, UserStatus};

/// A flow waiting for its person to verify their address: who, and how they had
/// authenticated (kept for the tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifying {
    pub user_id: String,
    pub amr: Vec<String>,
}

fn sent() -> EmailSent {
    EmailSent {
        expires_in: CODE_TTL_SECONDS,
        code_length: CODE_DIGITS as u8,
    }
}

/// `POST /v1/flows/{flow_id}/email`: emails a sign-in code and link for the address, or,
/// for an address without an account, a note saying so. The answer is the same.
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
        Some(user) => {
            let link = flow_link(ports, caller, &client, user, flow_id, Purpose::SignIn).await?;
            templates::sign_in(&email, &client, &words, &code, &link)
        }
        None => templates::no_account(&email, &client, &words),
    };
    deliver(ports, caller.context, &client.id, &mail).await;
    Ok(sent())
}

/// An emailed link for `user` that the flow `flow_id` waits on.
async fn flow_link(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    client: &Client,
    user: &User,
    flow_id: &str,
    purpose: Purpose,
) -> Result<String, Error> {
    let record = LinkRecord {
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        flow_id: Some(flow_id.to_string()),
        purpose,
    };
    links::issue(ports, caller, &record).await
}

/// `POST /v1/flows/{flow_id}/email/link`: completes the flow once one of its emailed
/// links was followed; `None` while none was.
pub async fn link_status(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<Option<Completed>, Error> {
    live_client(ports, caller, flow_id).await?;
    if !links::is_confirmed(ports, flow_id).await? {
        return Ok(None);
    }
    step(ports, caller, flow_id, StepInput::EmailLink)
        .await
        .map(Some)
}

/// The account an emailed code or link proved, checked against what the flow expects.
pub(super) async fn proven(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    record: &FlowRecord,
    proof: Result<(String, Purpose), Error>,
) -> Result<User, Error> {
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
    // A verification code answers only the flow that waits on that account.
    if purpose == Purpose::Verify
        && record.verifying.as_ref().map(|v| v.user_id.as_str()) != Some(user_id.as_str())
    {
        return Err(Error::CodeExpired);
    }
    let user = ports
        .users
        .find_by_id(&user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(Error::CodeExpired)?;
    if !user.email_verified {
        let now = ports.clock.now();
        ports.users.set_email_verified(&user.id, now).await?;
        events::record(
            ports,
            attempt.context,
            links::verified_event(&user, attempt.client_id),
        )
        .await;
    }
    if purpose == Purpose::SignIn {
        events::record(
            ports,
            attempt.context,
            email_event(true, None, Some(&user), attempt.client_id),
        )
        .await;
    }
    Ok(User {
        email_verified: true,
        ..user
    })
}

fn email_event<'a>(
    success: bool,
    reason: Option<&'a str>,
    user: Option<&'a User>,
    client_id: &'a str,
) -> EventSpec<'a> {
    EventSpec {
        event_type: types::AUTH_VIA_EMAIL,
        display_message: "User authentication via email code or link",
        success,
        reason,
        actor_id: user.map(|u| u.id.as_str()),
        actor_email: user.map(|u| u.email.as_str()),
        client_id: Some(client_id),
    }
}

/// After a sign-up, for a client that does not require it: a link that verifies the
/// address. Best effort: a refused or failed send leaves the address unverified.
pub(super) async fn send_verification_link(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    client: &Client,
    user: &User,
) {
    if throttle(ports, &user.email, caller.context).await.is_err() {
        return;
    }
    let record = LinkRecord {
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        flow_id: None,
        purpose: Purpose::Verify,
    };
    match links::issue(ports, caller, &record).await {
        Ok(link) => {
            let words = caller.context.words();
            let mail = templates::verify(&user.email, client, &words, None, &link);
            deliver(ports, caller.context, &client.id, &mail).await;
        }
        Err(err) => ports
            .diagnostics
            .log(&format!("verification link: {}", err.code())),
    }
}

/// The person authenticated, but the client requires a verified address or the account
/// is under attack (see [`crate::throttle`]): email a code and a link, keep the flow
/// waiting, and tell the widget.
pub(super) async fn verify_first(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    client: &Client,
    user: &User,
    amr: Vec<String>,
) -> Result<Completed, Error> {
    crate::email::throttle_proven(ports, &user.email, caller.context).await?;
    let code = codes::issue(ports, flow_id, &user.email, Some(&user.id), Purpose::Verify).await?;
    let link = flow_link(ports, caller, client, user, flow_id, Purpose::Verify).await?;
    let words = caller.context.words();
    // A proven address is not confirmed again: the code finishes signing in.
    let mail = if user.email_verified {
        templates::sign_in(&user.email, client, &words, &code, &link)
    } else {
        templates::verify(&user.email, client, &words, Some(&code), &link)
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
