//! Signing in with a provider (a federation connection): a full-page redirect that
//! returns to the page it left and resumes the flow there.
//!
//! A full page rather than a popup: popups are blocked, lose their opener on some
//! phones, and cannot show the provider's own pages to a screen reader alongside the
//! widget. The page's state goes with the redirect, so an embedded widget parks what it
//! needs to resume in `sessionStorage` (this tab only): the flow handle and its PKCE
//! verifier, never a token. The edge sends the browser back with a one-time ticket in
//! the fragment, which the widget removes from the address bar before it uses it.

use portcullis_shared::api::{ConnectionButton, FederationResume, FederationStart};
use serde::Serialize;

use super::*;

const PARKED: &str = "portcullis:federation";
const TICKET: &str = "portcullis_federation=";
const ERROR: &str = "portcullis_federation_error=";

/// What an embedded widget keeps across the redirect.
#[derive(Serialize)]
struct Parked {
    client_id: String,
    flow_id: String,
    verifier: Option<String>,
}

impl Parked {
    /// Read back as [`crate::read`] reads the edge's answers.
    fn read(json: &str) -> Option<Parked> {
        use crate::read::Json;
        let parked = crate::read::parse(json)?;
        Some(Parked {
            client_id: parked.member("client_id")?.text()?,
            flow_id: parked.member("flow_id")?.text()?,
            verifier: parked.member("verifier").and_then(|v| v.text()),
        })
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl Session {
    /// The providers the client offers, in order.
    pub fn connections(self) -> Vec<ConnectionButton> {
        self.env.with_value(|env| env.connections.borrow().clone())
    }

    pub fn set_connections(self, connections: Vec<ConnectionButton>) {
        self.env
            .with_value(|env| env.connections.replace(connections));
    }

    /// Leaves the page for the provider `connection`; the page comes back to resume.
    pub async fn sign_in_with_provider(self, connection: String) -> Result<(), Failure> {
        let flow_id = self.flow_id(None).await?;
        let location = web_sys::window().ok_or(Failure::Network)?.location();
        let here = location.href().map_err(|_| Failure::Network)?;
        let here = here.split('#').next().unwrap_or_default().to_string();
        let embedded = self.embedded_scope().is_some();
        let body = FederationStart {
            return_to: embedded.then_some(here),
        };
        let api = self.api();
        let leave = self
            .reported(None, api.federation_start(&flow_id, &connection, &body))
            .await?;
        if embedded {
            // The verifier of the flow that leaves, never of one that replaced it meanwhile.
            let verifier = self.env.with_value(|env| {
                env.flow
                    .borrow()
                    .as_ref()
                    .filter(|flow| flow.id == flow_id)
                    .and_then(|flow| flow.verifier.clone())
            });
            let parked = Parked {
                client_id: api.client_id().to_string(),
                flow_id,
                verifier,
            };
            let json = crate::json::to_string(&parked).map_err(|_| Failure::Network)?;
            storage()
                .and_then(|s| s.set_item(PARKED, &json).ok())
                .ok_or(Failure::Network)?;
        }
        self.go(
            Screen::Redirecting { continue_to: None },
            text::signed_in::REDIRECTING,
        );
        location
            .assign(&leave.redirect_to)
            .map_err(|_| Failure::Network)
    }

    /// If the page just came back from a provider, resumes the flow: `None` if it did
    /// not, else how the return went (a failure is for the first screen to say).
    pub async fn come_back(self) -> Option<Result<(), Failure>> {
        let hash = web_sys::window()?.location().hash().ok()?;
        let hash = hash.trim_start_matches('#');
        if !hash.starts_with(TICKET) && !hash.starts_with(ERROR) {
            return None;
        }
        match crate::screens::split::federation_resume(self).await {
            Ok(resumed) => resumed.await,
            Err(_) => Some(Err(Failure::Network)),
        }
    }

    /// [`Self::come_back`] once the page is known to have come back from a provider.
    pub(crate) async fn resume_from_provider(self) -> Option<Result<(), Failure>> {
        let window = web_sys::window()?;
        let location = window.location();
        let hash = location.hash().ok()?;
        let hash = hash.trim_start_matches('#');
        let (ticket, error) = if let Some(ticket) = hash.strip_prefix(TICKET) {
            (Some(ticket.to_string()), None)
        } else if let Some(error) = hash.strip_prefix(ERROR) {
            (None, Some(error.to_string()))
        } else {
            return None;
        };
        // Out of the address bar at once: a reload or a copied address must not carry it.
        let href = location.href().ok()?;
        let bare = href.split('#').next().unwrap_or_default();
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(bare));
        }
        if self.embedded_scope().is_some() {
            let parked = storage().and_then(|s| {
                let json = s.get_item(PARKED).ok().flatten();
                let _ = s.remove_item(PARKED);
                json
            });
            let parked = parked.and_then(|json| Parked::read(&json));
            match parked {
                Some(parked) if parked.client_id == self.api().client_id() => {
                    self.set_flow(Some(Flow {
                        id: parked.flow_id,
                        verifier: parked.verifier,
                    }));
                }
                _ => return Some(Err(Failure::FlowExpired)),
            }
        }
        if let Some(error) = error {
            return Some(Err(Failure::Provider(error)));
        }
        let ticket = ticket?;
        let Some(flow_id) = self.flow_id_now() else {
            return Some(Err(Failure::FlowExpired));
        };
        let body = FederationResume {
            ticket: ticket.as_str().into(),
        };
        let api = self.api();
        Some(match api.federation_resume(&flow_id, &body).await {
            Ok(outcome) => self.finish(None, outcome, Method::Provider).await,
            Err(Failure::LinkProofRequired) => {
                api.set_federation_ticket(Some(ticket));
                Err(Failure::LinkProofRequired)
            }
            Err(failure) => Err(self.report(failure, None).await),
        })
    }
}
