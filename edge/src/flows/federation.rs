//! The flow's side of signing in with a provider (see [`crate::federation`]).
//!
//! The widget (or the hosted page) asks to leave for a connection ([`depart`]) and
//! navigates the whole page to the provider; the provider's answer comes back to the
//! edge, which decides who the person is ([`crate::federation::linking`]) and sends the
//! browser back to the page it left, with a one-time ticket in the URL fragment
//! ([`arrive`]). The page resumes the flow with the ticket ([`resume`], the
//! `Federated` step), and the flow ends as any other: the client's policy, adaptive MFA
//! and second factors apply. A ticket is spent by the resume, and works only with the
//! flow it was made for; the flow handle alone is not enough.
//!
//! When the identity may not be linked automatically (an account has the provider's
//! address, or the provider did not verify it), the resume answers
//! `link_proof_required` and the flow waits for the person to sign in to (or create)
//! their account; the identity is linked to it when the flow completes, if the steps
//! came with the ticket (`Portcullis-Federation-Ticket`): only the browser that came
//! back can link.

use portcullis_shared::api::{FederationRedirect, FederationStart};
use portcullis_shared::route::Route;
use serde::{Deserialize, Serialize};

use super::{client_for, put, Caller, FlowRecord, FLOWS};
use crate::clients::Client;
use crate::crypto::token::random_handle;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::error::Error;
use crate::events::RequestContext;
use crate::federation::linking::{self, PendingLink, Resolution};
use crate::federation::upstream::{self, Answer, Departure};
use crate::federation::upstream_tokens;
use crate::oauth::authorization_response::with_query;
use crate::ports::Ports;
use crate::users::User;

/// The longest page address the browser may ask to come back to.
const MAX_RETURN_TO_LEN: usize = 2048;

/// What came back from the provider, until the page resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returned {
    /// SHA-256 of the ticket handed to the returning page.
    ticket_hash: String,
    /// Who signed in; `None` while an account must be proven first.
    user_id: Option<String>,
    /// The client's registration hook refused the account the provider's answer would
    /// have created, with its words for the person when it gave any: the resume answers
    /// `registration_denied` with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    denied: Option<Denial>,
}

/// A registration hook's refusal, kept for the resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    message: Option<String>,
}

/// An embedded flow's page to come back to: on one of the client's allowed origins,
/// without a fragment (the edge writes the fragment) or user information.
fn check_return_to(return_to: &str, client: &Client) -> Result<(), Error> {
    let bad = Error::InvalidField("return_to");
    if return_to.len() > MAX_RETURN_TO_LEN
        || return_to.contains('#')
        || return_to
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad);
    }
    let (scheme, rest) = return_to
        .split_once("://")
        .ok_or(Error::InvalidField("return_to"))?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') || !matches!(scheme, "https" | "http") {
        return Err(bad);
    }
    let origin = format!("{scheme}://{authority}");
    if !client.allowed_origins.contains(&origin) {
        return Err(bad);
    }
    Ok(())
}

/// `POST /v1/flows/{flow_id}/federation/{connection}`: where to send the whole page to
/// leave for the provider. The flow stays as it is until the browser comes back.
pub async fn depart(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    connection_id: &str,
    body: &FederationStart,
) -> Result<FederationRedirect, Error> {
    let record = FLOWS
        .peek(ports, flow_id)
        .await?
        .ok_or(Error::FlowNotFound)?;
    let client = client_for(ports, caller, &record.client_id).await?;
    crate::federation::find(ports, &client.id, connection_id).await?;
    let return_to = match &record.authorization.redirect_uri {
        // A hosted flow comes back to the hosted sign-in page.
        Some(_) => with_query(
            &format!("{}/signin", caller.self_origin),
            &[("flow", flow_id), ("client_id", &client.id)],
        ),
        None => {
            let return_to = body
                .return_to
                .as_deref()
                .ok_or(Error::InvalidField("return_to"))?;
            check_return_to(return_to, &client)?;
            return_to.to_string()
        }
    };
    let departure = Departure {
        flow_id: flow_id.to_string(),
        client_id: client.id,
        connection_id: connection_id.to_string(),
        return_to,
        login_hint: record.login_hint,
    };
    let ticket = upstream::depart(ports, &departure).await?;
    let start = format!("{}{}", caller.self_origin, Route::FederationStart.path());
    Ok(FederationRedirect {
        redirect_to: with_query(&start, &[("ticket", &ticket)]),
    })
}

fn back_to(return_to: &str, name: &str, value: &str) -> String {
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("{return_to}#{name}={value}")
}

/// Where the browser goes after the provider answered: the page it left, told the
/// outcome in the fragment (`portcullis_federation=<ticket>`, or
/// `portcullis_federation_error=<code>`).
pub async fn arrive(
    ports: &Ports<'_>,
    context: &RequestContext,
    answer: Answer,
) -> Result<String, Error> {
    let (departure, connection, verified, grant) = match answer {
        Answer::Refused { departure, error } => {
            return Ok(back_to(
                &departure.return_to,
                "portcullis_federation_error",
                &error,
            ))
        }
        Answer::Verified {
            departure,
            connection,
            verified,
            grant,
        } => (departure, connection, verified, grant),
    };
    let failed = |code: &str| back_to(&departure.return_to, "portcullis_federation_error", code);
    let Some(mut record) = FLOWS.take(ports, &departure.flow_id).await? else {
        return Ok(failed("flow_not_found"));
    };
    let resolution =
        match linking::resolve(ports, context, &record.client_id, &connection, &verified).await {
            Ok(resolution) => Ok(resolution),
            Err(Error::RegistrationDenied(message)) => Err(Denial { message }),
            Err(err) => {
                if let Some(detail) = err.detail() {
                    ports.diagnostics.log(&format!("federation: {detail}"));
                }
                put(ports, &departure.flow_id, &record).await?;
                return Ok(failed("server_error"));
            }
        };
    let ticket = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let (user_id, denied) = match resolution {
        Ok(Resolution::SignedIn(user)) => {
            // Kept for the linked identity, if the connection asks; failing to keep
            // them does not fail the sign-in.
            if let Err(err) =
                upstream_tokens::keep(ports, &connection, &verified.subject, &grant).await
            {
                ports.diagnostics.log(&format!(
                    "federation: connection {}: upstream tokens not kept: {err:?}",
                    connection.id
                ));
            }
            (Some(user.id), None)
        }
        Ok(Resolution::ProveFirst(mut pending)) => {
            pending.ticket_hash = sha256_hex(&ticket);
            record.pending_link = Some(pending);
            (None, None)
        }
        Err(denial) => (None, Some(denial)),
    };
    record.federated = Some(Returned {
        ticket_hash: sha256_hex(&ticket),
        user_id,
        denied,
    });
    put(ports, &departure.flow_id, &record).await?;
    Ok(back_to(
        &departure.return_to,
        "portcullis_federation",
        &ticket,
    ))
}

/// Links the identity waiting in the flow to `user`, who just signed in to it, if the
/// step came from the browser that came back from the provider (it carries the ticket).
pub(super) async fn link_if_same_browser(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    client_id: &str,
    pending: &PendingLink,
    user: &User,
) -> Result<(), Error> {
    let same_browser = caller
        .federation_ticket
        .is_some_and(|ticket| constant_time_eq(&sha256_hex(ticket), &pending.ticket_hash));
    if !same_browser {
        ports
            .diagnostics
            .log("federation: a flow with an identity to link ended without its ticket");
        return Ok(());
    }
    linking::link_proven(ports, caller.context, client_id, pending, user).await
}

/// The `Federated` step: the person the provider vouched for, if `ticket` is the one
/// this flow's returning page was given. Spends what came back either way.
pub(super) async fn resume(
    ports: &Ports<'_>,
    record: &mut FlowRecord,
    ticket: &str,
) -> Result<User, Error> {
    let returned = record.federated.take().ok_or(Error::StepNotExpected)?;
    if !constant_time_eq(&sha256_hex(ticket), &returned.ticket_hash) {
        return Err(Error::FederationFailed("a ticket of another return".into()));
    }
    if let Some(denial) = returned.denied {
        return Err(Error::RegistrationDenied(denial.message));
    }
    let user_id = returned.user_id.ok_or(Error::LinkProofRequired)?;
    ports
        .users
        .find_by_id(&user_id)
        .await?
        .ok_or(Error::InvalidCredentials)
}

#[cfg(test)]
mod tests {
    use super::check_return_to;
    use crate::testing::demo_client;

    #[test]
    fn the_page_to_come_back_to_is_on_an_allowed_origin_of_the_client() {
        let client = demo_client();
        let origin = client.allowed_origins[0].clone();
        assert!(check_return_to(&format!("{origin}/shop?x=1"), &client).is_ok());
        assert!(check_return_to(&origin, &client).is_ok());
        for bad in [
            "https://evil.example/".to_string(),
            format!("{origin}.evil.example/"),
            format!("{origin}@evil.example/"),
            format!("{origin}/#frag"),
            format!("{origin}/ space"),
            "javascript:alert(1)".to_string(),
        ] {
            assert!(check_return_to(&bad, &client).is_err(), "{bad}");
        }
    }
}
