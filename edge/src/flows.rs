//! First-party sign-in flows, after the IETF draft "OAuth 2.0 for First-Party
//! Applications": the widget starts a flow for a client, receives an opaque handle, and
//! moves through steps with it. The handle lives in the [`OneTimeStore`], so a flow can
//! be finished or cancelled exactly once.
//!
//! [`OneTimeStore`]: crate::ports::OneTimeStore

use portcullis_shared::api::{FlowStarted, StartFlow, Step};
use serde::{Deserialize, Serialize};

use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::ports::Ports;

/// How long a started flow stays usable.
pub const FLOW_TTL_SECONDS: u64 = 600;

const MAX_CLIENT_ID_LEN: usize = 128;
/// RFC 5321 §4.5.3.1.3 caps a path at 256 octets; a little slack for display names.
const MAX_LOGIN_HINT_LEN: usize = 320;

/// What the store keeps for a flow between steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FlowRecord {
    client_id: String,
    login_hint: Option<String>,
    started_at: u64,
}

fn store_key(flow_id: &str) -> String {
    format!("flow:{flow_id}")
}

/// Who is asking, as far as the browser tells us.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The `Origin` header, if the request came from a web page.
    pub origin: Option<&'a str>,
    /// This deployment's own origin.
    pub self_origin: &'a str,
}

/// Starts a flow for `request.client_id` if the calling page may act for that client.
pub async fn start(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: StartFlow,
) -> Result<FlowStarted, Error> {
    if request.client_id.is_empty() || request.client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(Error::InvalidField("client_id"));
    }
    let login_hint = match request.login_hint {
        Some(hint) if hint.chars().count() > MAX_LOGIN_HINT_LEN => {
            return Err(Error::InvalidField("login_hint"));
        }
        Some(hint) if hint.trim().is_empty() => None,
        other => other,
    };
    let client = ports
        .clients
        .find(&request.client_id)
        .await?
        .ok_or(Error::UnknownClient)?;
    if !client.allows_origin(caller.origin, caller.self_origin) {
        return Err(Error::OriginNotAllowed {
            origin: caller.origin.unwrap_or_default().to_string(),
        });
    }

    let flow_id = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let now = ports.clock.now();
    // The next step never depends on whether an account exists for the hint.
    let next = if login_hint.is_some() {
        Step::Password
    } else {
        Step::Identify
    };
    let record = FlowRecord {
        client_id: client.id,
        login_hint,
        started_at: now.0,
    };
    let value = serde_json::to_string(&record).map_err(|e| Error::MalformedBody(e.to_string()))?;
    ports
        .one_time
        .put(
            &store_key(&flow_id),
            &value,
            now.plus_seconds(FLOW_TTL_SECONDS),
        )
        .await?;
    Ok(FlowStarted {
        flow_id,
        expires_in: FLOW_TTL_SECONDS,
        next,
    })
}

/// Ends a flow so its handle can no longer be used ("use another account").
///
/// The handle is a bearer secret: whoever holds it may cancel the flow.
pub async fn cancel(ports: &Ports<'_>, flow_id: &str) -> Result<(), Error> {
    if !is_handle(flow_id) {
        return Err(Error::FlowNotFound);
    }
    let now = ports.clock.now();
    let taken = ports.one_time.take(&store_key(flow_id), now).await?;
    match taken {
        Some(_) => Ok(()),
        None => Err(Error::FlowNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    const SELF: &str = "https://id.example";

    fn caller(origin: Option<&'static str>) -> Caller<'static> {
        Caller {
            origin,
            self_origin: SELF,
        }
    }

    fn start_request(hint: Option<&str>) -> StartFlow {
        StartFlow {
            client_id: "demo".into(),
            login_hint: hint.map(Into::into),
        }
    }

    #[test]
    fn start_then_cancel_once() {
        let t = TestPorts::new();
        let ports = t.ports();
        let started =
            pollster::block_on(start(&ports, caller(Some(SELF)), start_request(None))).unwrap();
        assert_eq!(started.next, Step::Identify);
        assert_eq!(started.expires_in, FLOW_TTL_SECONDS);
        pollster::block_on(cancel(&ports, &started.flow_id)).unwrap();
        assert_eq!(
            pollster::block_on(cancel(&ports, &started.flow_id)),
            Err(Error::FlowNotFound),
            "a flow handle is single-use"
        );
    }

    #[test]
    fn next_step_is_password_for_any_hint_known_or_not() {
        let t = TestPorts::new();
        let ports = t.ports();
        let started = pollster::block_on(start(
            &ports,
            caller(None),
            start_request(Some("nobody@example.com")),
        ))
        .unwrap();
        assert_eq!(started.next, Step::Password);
    }

    #[test]
    fn flow_expires_after_its_ttl() {
        let t = TestPorts::new();
        let ports = t.ports();
        let started = pollster::block_on(start(&ports, caller(None), start_request(None))).unwrap();
        t.clock.advance_seconds(FLOW_TTL_SECONDS);
        assert_eq!(
            pollster::block_on(cancel(&ports, &started.flow_id)),
            Err(Error::FlowNotFound)
        );
    }

    #[test]
    fn flow_is_alive_one_second_before_its_ttl() {
        let t = TestPorts::new();
        let ports = t.ports();
        let started = pollster::block_on(start(&ports, caller(None), start_request(None))).unwrap();
        t.clock.advance_seconds(FLOW_TTL_SECONDS - 1);
        pollster::block_on(cancel(&ports, &started.flow_id)).unwrap();
    }

    #[test]
    fn unknown_client_and_disallowed_origin_are_refused() {
        let t = TestPorts::new();
        let ports = t.ports();
        let unknown = StartFlow {
            client_id: "nope".into(),
            login_hint: None,
        };
        assert_eq!(
            pollster::block_on(start(&ports, caller(None), unknown)),
            Err(Error::UnknownClient)
        );
        assert_eq!(
            pollster::block_on(start(
                &ports,
                caller(Some("https://evil.example")),
                start_request(None)
            )),
            Err(Error::OriginNotAllowed {
                origin: "https://evil.example".into()
            })
        );
    }

    #[test]
    fn oversized_fields_are_invalid() {
        let t = TestPorts::new();
        let ports = t.ports();
        let long_id = StartFlow {
            client_id: "x".repeat(129),
            login_hint: None,
        };
        assert_eq!(
            pollster::block_on(start(&ports, caller(None), long_id)),
            Err(Error::InvalidField("client_id"))
        );
        let long_hint = start_request(Some(&"a".repeat(321)));
        assert_eq!(
            pollster::block_on(start(&ports, caller(None), long_hint)),
            Err(Error::InvalidField("login_hint"))
        );
    }

    #[test]
    fn malformed_handle_never_reaches_the_store() {
        let t = TestPorts::new();
        let ports = t.ports();
        assert_eq!(
            pollster::block_on(cancel(&ports, "short")),
            Err(Error::FlowNotFound)
        );
        assert_eq!(t.one_time.takes(), 0);
    }
}
