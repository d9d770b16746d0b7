//! Passkeys: signing in (from a button or from the email field's autofill), creating an
//! account with one, and managing the signed-in person's passkeys.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use portcullis_shared::api::{PasskeyChallenge, PasskeyList, PasskeySignUp, RenamePasskey};

use super::{Flow, Method, Screen, Session};
use crate::api::{AccessToken, Failure};
use crate::webauthn::{self, Capabilities, Credential, Mediation};

/// The edge's challenges live five minutes: a pending autofill request asks for a fresh
/// one before its own expires, so a passkey picked after a long pause still works.
const AUTOFILL_RENEWAL: Duration = Duration::from_secs(4 * 60);

/// A change to the signed-in person's passkeys.
pub enum Change {
    /// Make a passkey on this device and register it.
    Add,
    Rename {
        id: String,
        name: String,
    },
    Delete {
        id: String,
    },
}

/// A passkey the person picked, not yet checked by the edge.
pub struct Assertion {
    flow_id: String,
    credential: Credential,
    /// The RP ID of the options it answers, for the Signal API.
    rp_id: String,
}

impl Session {
    pub fn capabilities(self) -> Capabilities {
        self.capabilities.get_untracked()
    }

    /// [`Session::capabilities`], tracked: they change once, when detected under a first
    /// screen that the edge rendered.
    pub fn watch_capabilities(self) -> Capabilities {
        self.capabilities.get()
    }

    pub fn set_capabilities(self, capabilities: Capabilities) {
        self.capabilities.set(capabilities);
    }

    /// Whether the email field offers passkeys in its autofill menu.
    pub fn autofill_wanted(self) -> bool {
        let caps = self.capabilities();
        caps.passkeys && caps.autofill && self.env.with_value(|env| env.autofill_allowed)
    }

    /// Withdraws a pending autofill request. Browsers allow one WebAuthn request at a
    /// time, so this comes before any other, and when the email field goes away.
    pub fn stop_autofill(self) {
        if let Some(controller) = self.env.with_value(|env| env.autofill.take()) {
            controller.abort();
        }
    }

    /// Takes over the autofill request the loader made while the widget loaded
    /// (`startAutofill` in `widget.js`): `controller` withdraws it, as [`stop_autofill`]
    /// does the widget's own, and `ready` gives its flow and the credential the person
    /// picks (or undefined where none could be made).
    ///
    /// [`stop_autofill`]: Session::stop_autofill
    pub fn adopt_early_autofill(
        self,
        controller: web_sys::AbortController,
        ready: js_sys::Promise,
    ) {
        self.env.with_value(|env| {
            env.autofill.replace(Some(controller));
            env.early_autofill.replace(Some(ready));
        });
    }

    /// Conditional mediation (WebAuthn §5.1.4, Credential Management §2.3.2): offers the
    /// site's passkeys in the email field's autofill menu and waits until the person
    /// picks one. `None` once the request is withdrawn or cannot be made; failures here
    /// are silent, since the person asked for nothing yet.
    pub async fn autofill(self) -> Option<Assertion> {
        if let Some(outcome) = self.early_request().await {
            return outcome;
        }
        loop {
            let controller = web_sys::AbortController::new().ok()?;
            self.stop_autofill();
            self.env
                .with_value(|env| env.autofill.replace(Some(controller.clone())));
            let (picked, renewing) =
                until_renewal(&controller, self.conditional_request(&controller.signal())).await;
            if picked.is_some() || !self.renews(renewing) {
                return picked;
            }
        }
    }

    /// The loader's request, adopted: `None` when there is none to adopt (never made,
    /// already withdrawn, or on a flow other than the widget's), and the widget makes
    /// its own; else what it came to, as [`Session::autofill`] answers.
    async fn early_request(self) -> Option<Option<Assertion>> {
        use crate::read::Json;
        use wasm_bindgen::JsCast;
        let ready = self.env.with_value(|env| env.early_autofill.take())?;
        let early = wasm_bindgen_futures::JsFuture::from(ready).await.ok()?;
        // Withdrawn meanwhile (the person did something else first): the widget's own
        // request replaces it when the email field asks again.
        let controller = self
            .env
            .with_value(|env| env.autofill.borrow().clone())
            .filter(|c| !c.signal().aborted())?;
        if !early.is_object() {
            return None;
        }
        let flow_id = crate::read::text(&early, "flowId")?;
        match self.flow_id_now() {
            None if self.embedded_scope().is_some()
                && crate::read::text(&early, "scope") == self.flow_scope() =>
            {
                self.set_flow(Some(Flow {
                    id: flow_id.clone(),
                    verifier: crate::read::text(&early, "verifier"),
                }));
            }
            Some(current) if current == flow_id => {}
            _ => {
                controller.abort();
                return None;
            }
        }
        let credential = early
            .member("credential")?
            .dyn_into::<js_sys::Promise>()
            .ok()?;
        let (picked, renewing) = until_renewal(
            &controller,
            wasm_bindgen_futures::JsFuture::from(credential),
        )
        .await;
        match picked {
            Ok(picked) => Some(Some(Assertion {
                flow_id,
                credential: Credential {
                    json: crate::read::text(&picked, "json")?,
                    id: crate::read::text(&picked, "id")?,
                },
                rp_id: crate::read::text(&early, "rpId").unwrap_or_default(),
            })),
            // Its challenge is about to expire: the widget asks for a fresh one.
            Err(_) if self.renews(renewing) => None,
            Err(_) => Some(None),
        }
    }

    /// Whether an autofill request withdrawn for `renewing` is made again: only while the
    /// email field is still there, since leaving the screen withdraws the request and a
    /// renewal must not bring it back.
    fn renews(self, renewing: bool) -> bool {
        renewing && self.screen.get_untracked() == Screen::Identify
    }

    async fn conditional_request(self, signal: &web_sys::AbortSignal) -> Option<Assertion> {
        // Two tries: an embedded flow that expired behind the widget's back is replaced.
        for _ in 0..2 {
            let flow_id = match self.flow_id_now() {
                Some(id) => id,
                None if self.embedded_scope().is_some() => {
                    let (flow, _, _) = self.new_flow(None).await.ok()?;
                    if signal.aborted() {
                        // Withdrawn meanwhile: whatever replaced this request has its own flow.
                        let _ = self.api().cancel_flow(&flow.id).await;
                        return None;
                    }
                    if self.flow_id_now().is_some() {
                        // Something the person did started a flow meanwhile: theirs stays
                        // the current one (its PKCE verifier is the one kept), and the menu
                        // offers passkeys on it.
                        let _ = self.api().cancel_flow(&flow.id).await;
                        continue;
                    }
                    let id = flow.id.clone();
                    self.set_flow(Some(flow));
                    id
                }
                None => return None,
            };
            let options = self
                .api()
                .passkey_options(&flow_id, &PasskeyChallenge::default(), Some(signal))
                .await;
            if signal.aborted() {
                return None;
            }
            let options = match options {
                Ok(options) => options,
                Err(Failure::FlowExpired) if self.embedded_scope().is_some() => {
                    self.set_flow(None);
                    continue;
                }
                Err(_) => return None,
            };
            let credential = webauthn::get(&options, Mediation::Conditional, Some(signal))
                .await
                .ok()?;
            return Some(Assertion {
                flow_id,
                credential,
                rp_id: options.rp_id,
            });
        }
        None
    }

    /// A passkey sign-in from a button: without `email` any of the site's passkeys will
    /// do (usernameless); with it, the browser offers that account's passkeys.
    pub async fn sign_in_with_passkey(self, email: Option<String>) -> Result<(), Failure> {
        self.stop_autofill();
        self.reported(email.as_deref(), async {
            let flow_id = self.flow_id(email.as_deref()).await?;
            let challenge = PasskeyChallenge {
                email: email.clone(),
            };
            let options = self
                .api()
                .passkey_options(&flow_id, &challenge, None)
                .await?;
            let credential = webauthn::get(&options, Mediation::Modal, None)
                .await
                .map_err(Failure::Passkey)?;
            let assertion = Assertion {
                flow_id,
                credential,
                rp_id: options.rp_id,
            };
            self.verify_passkey(assertion, email.clone()).await
        })
        .await
    }

    /// Finishes a sign-in with the passkey picked from autofill.
    pub async fn sign_in_with_assertion(self, assertion: Assertion) -> Result<(), Failure> {
        self.reported(None, self.verify_passkey(assertion, None))
            .await
    }

    async fn verify_passkey(
        self,
        assertion: Assertion,
        email: Option<String>,
    ) -> Result<(), Failure> {
        let outcome = self
            .api()
            .passkey_sign_in(&assertion.flow_id, &assertion.credential.json)
            .await;
        if matches!(outcome, Err(Failure::UnknownPasskey)) {
            // The passkey was deleted from the account: let the provider hide it.
            let id = &assertion.credential.id;
            webauthn::forget_unknown(self.capabilities(), &assertion.rp_id, id);
        }
        self.finish(email, outcome?, Method::Passkey).await
    }

    /// Creates an account whose only sign-in method is a new passkey.
    pub async fn sign_up_with_passkey(
        self,
        email: String,
        name: Option<String>,
    ) -> Result<(), Failure> {
        self.stop_autofill();
        self.reported(Some(&email), async {
            let flow_id = self.flow_id(Some(&email)).await?;
            let body = PasskeySignUp {
                email: email.clone(),
                name,
            };
            let api = self.api();
            let options = api.passkey_sign_up_options(&flow_id, &body).await?;
            let credential = webauthn::create(&options).await.map_err(Failure::Passkey)?;
            let outcome = api.passkey_sign_up(&flow_id, &credential.json).await?;
            self.finish(Some(email.clone()), outcome, Method::Passkey)
                .await
        })
        .await
    }

    /// Whether the widget can manage the signed-in person's passkeys (embedded, and the
    /// access token has not been refused).
    pub fn manages_passkeys(self) -> bool {
        self.capabilities().passkeys && self.manages_account()
    }

    /// Makes `change` to the signed-in person's passkeys, if any, and answers the list
    /// as it then is. The browser's passkey provider is told which of the account's
    /// passkeys still count and what the account is called now (Signal API).
    ///
    /// One function for every change, so that the widget compiles one request sequence.
    pub async fn passkeys(self, change: Option<Change>) -> Result<PasskeyList, Failure> {
        let token = self.access_token()?;
        let api = self.api();
        let changed = match change {
            None => Ok(()),
            Some(Change::Add) => {
                async {
                    let options = api.add_passkey_options(&token).await?;
                    let credential = webauthn::create(&options).await.map_err(Failure::Passkey)?;
                    api.add_passkey(&token, &credential.json).await
                }
                .await
            }
            Some(Change::Rename { id, name }) => {
                api.rename_passkey(&token, &id, &RenamePasskey { name })
                    .await
            }
            Some(Change::Delete { id }) => api.delete_passkey(&token, &id).await,
        };
        self.account(changed)?;
        let list = self.account(api.my_passkeys(&token).await)?;
        self.env
            .with_value(|env| env.account_email.replace(Some(list.name.clone())));
        let ids: Vec<&str> = list.passkeys.iter().map(|p| p.id.as_str()).collect();
        webauthn::sync_account(
            self.capabilities(),
            &list.rp_id,
            &list.user_id,
            &list.name,
            &list.display_name,
            &ids,
        );
        Ok(list)
    }

    /// Whether the widget holds an account API token (embedded, not refused yet).
    pub fn manages_account(self) -> bool {
        self.env
            .with_value(|env| env.access_token.borrow().is_some())
    }

    pub(super) fn access_token(self) -> Result<AccessToken, Failure> {
        self.env
            .with_value(|env| env.access_token.borrow().clone())
            .ok_or(Failure::Unauthorized)
    }

    /// Reports an account API failure; a refused token is forgotten, and a sign-in too
    /// old (or, for second factors, too weak) for a change asks the person to sign in
    /// again.
    pub(super) fn account<T>(self, result: Result<T, Failure>) -> Result<T, Failure> {
        result.map_err(|failure| {
            self.events().failed(&failure, self.text());
            match failure {
                Failure::Unauthorized => {
                    self.env.with_value(|env| env.access_token.replace(None));
                }
                Failure::ReauthenticationRequired => self.reauthenticate(false),
                Failure::MfaRequired => self.reauthenticate(true),
                _ => {}
            }
            failure
        })
    }
}

/// Awaits `request`, withdrawing it through `controller` once its challenge is about to
/// expire ([`AUTOFILL_RENEWAL`]); returns its outcome and whether that is why it ended.
async fn until_renewal<T>(
    controller: &web_sys::AbortController,
    request: impl std::future::Future<Output = T>,
) -> (T, bool) {
    let renewing = Rc::new(Cell::new(false));
    let timer = {
        let renewing = renewing.clone();
        let controller = controller.clone();
        set_timeout_with_handle(
            move || {
                renewing.set(true);
                controller.abort();
            },
            AUTOFILL_RENEWAL,
        )
        .ok()
    };
    let outcome = request.await;
    if let Some(timer) = timer {
        timer.clear();
    }
    (outcome, renewing.get())
}
