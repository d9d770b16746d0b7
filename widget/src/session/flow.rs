//! The flow on the edge: starting an embedded one with PKCE, knowing which one to submit
//! to, cancelling it, and what its outcome does.

use super::*;
use portcullis_shared::api::ACR_MULTI_FACTOR;

impl Session {
    /// Starts an embedded flow for `email` with a fresh PKCE pair and remembers it; with
    /// the connection the edge sends the address to (home-realm discovery), if any.
    pub(super) async fn start_flow(
        self,
        email: Option<&str>,
    ) -> Result<(StepDetail, Option<String>), Failure> {
        let (flow, step, connection) = self.new_flow(email).await?;
        self.set_flow(Some(flow));
        Ok((step, connection))
    }

    /// Starts an embedded flow on the edge, without making it the current one.
    pub(super) async fn new_flow(
        self,
        email: Option<&str>,
    ) -> Result<(Flow, StepDetail, Option<String>), Failure> {
        let scope = self.flow_scope();
        let pkce = Pkce::generate().await.map_err(|_| Failure::Network)?;
        let api = self.api();
        let body = StartFlow {
            client_id: api.client_id().to_string(),
            login_hint: email.map(str::to_string),
            code_challenge: Some(pkce.challenge),
            code_challenge_method: Some(pkce::METHOD.into()),
            scope,
            nonce: None,
            acr_values: self
                .env
                .with_value(|env| env.step_up.get())
                .then(|| ACR_MULTI_FACTOR.to_string()),
        };
        let started = api.start_flow(&body).await?;
        let flow = Flow {
            id: started.flow_id.clone(),
            verifier: Some(pkce.verifier),
        };
        let step = StepDetail {
            step: started.next,
            flow_id: started.flow_id,
        };
        Ok((flow, step, started.connection))
    }

    /// The flow to submit to: the current one, or (embedded) a new one.
    pub(super) async fn flow_id(self, email: Option<&str>) -> Result<String, Failure> {
        if let Some(id) = self.flow_id_now() {
            return Ok(id);
        }
        if self.embedded_scope().is_none() {
            // The hosted page cannot start another flow: only the client can, at /authorize.
            return Err(Failure::FlowExpired);
        }
        Ok(self.start_flow(email).await?.0.flow_id)
    }

    /// Cancels an embedded flow on the edge, if there is one; the outcome does not matter
    /// (an expired flow is as good as a cancelled one).
    pub(super) async fn cancel_flow(self) {
        if let Some(flow) = self.set_flow(None) {
            let _ = self.api().cancel_flow(&flow.id).await;
        }
    }

    /// The flow is over, one way or the other.
    pub(super) async fn finish(
        self,
        email: Option<String>,
        outcome: FlowOutcome,
        method: Method,
    ) -> Result<(), Failure> {
        let flow = self.set_flow(None);
        // An identity waiting to be linked was linked (or not) as the flow ended.
        self.api().set_federation_ticket(None);
        match outcome {
            FlowOutcome::Redirect { redirect_to } if method.removed_credentials() => {
                let screen = Screen::Redirecting {
                    continue_to: Some(redirect_to),
                };
                self.go(screen, text::email::CREDENTIALS_REMOVED);
                Ok(())
            }
            FlowOutcome::Redirect { redirect_to } => {
                let screen = Screen::Redirecting { continue_to: None };
                self.go(screen, text::signed_in::REDIRECTING);
                web_sys::window()
                    .ok_or(Failure::Network)?
                    .location()
                    .assign(&redirect_to)
                    .map_err(|_| Failure::Network)
            }
            FlowOutcome::AuthorizationCode {
                authorization_code, ..
            } => {
                // A code without a verifier cannot be redeemed: the hosted page never gets one.
                let verifier = flow
                    .and_then(|flow| flow.verifier)
                    .ok_or_else(|| Failure::Grant("invalid_grant".into()))?;
                let tokens = self.api().redeem(&authorization_code, &verifier).await?;
                let page_scope = self.embedded_scope().unwrap_or_default();
                tokens.default_scope(&page_scope);
                let caps = self.capabilities();
                // Kept only to manage the account: where there are passkeys, or on the account page.
                let account = if self.wants_account_api() {
                    self.account_token(&tokens, &page_scope).await
                } else {
                    None
                };
                self.env.with_value(|env| {
                    env.access_token.replace(account);
                    env.step_up.set(false);
                });
                self.events().signed_in(&tokens);
                self.go(
                    Screen::SignedIn {
                        email,
                        offer_passkey: method != Method::Passkey
                            && caps.passkeys
                            && caps.easy_to_create,
                        credentials_removed: method.removed_credentials(),
                    },
                    text::announce::SIGNED_IN,
                );
                Ok(())
            }
            // Not over yet: the client wants the address verified first. The flow goes
            // on, and the emailed code or link finishes it.
            FlowOutcome::VerifyEmail(sent) => {
                self.set_flow(flow);
                self.env.with_value(|env| env.verifying.set(method));
                self.show_code(email, true, sent);
                Ok(())
            }
            // Not over yet: the first factor was right, a second one is owed.
            FlowOutcome::SecondFactor { methods } => {
                self.set_flow(flow);
                self.env.with_value(|env| env.first_factor.set(method));
                self.show_second_factor(email, false, methods);
                Ok(())
            }
            // Not over yet: the client asks for a few details first.
            FlowOutcome::ProfileRequired {
                attributes,
                documents,
            } => {
                self.set_flow(flow);
                self.env.with_value(|env| env.first_factor.set(method));
                let screen = Screen::Profile {
                    email,
                    attributes,
                    documents,
                };
                self.go(screen, text::profile::TITLE);
                Ok(())
            }
            FlowOutcome::EnrolSecondFactor => {
                self.set_flow(flow);
                self.env.with_value(|env| env.first_factor.set(method));
                self.go(Screen::EnrolTotp { email }, text::announce::ENROL);
                Ok(())
            }
        }
    }

    /// RFC 8707 §2.2: the account API's token, from the refresh token of the grant the
    /// page's `tokens` came from. The page gets the rotated refresh token if it asked for
    /// `offline_access` itself, and none otherwise. `None` if the edge refused.
    pub(super) async fn account_token(
        self,
        tokens: &Tokens,
        page_scope: &str,
    ) -> Option<AccessToken> {
        let refresh_token = tokens.refresh_token()?;
        let page_keeps = scope::has(page_scope, "offline_access");
        let answer = self.api().account_token(&refresh_token).await;
        match &answer {
            Ok(account) if page_keeps => {
                tokens.set_refresh_token(account.refresh_token().as_deref());
            }
            // Left as it was after a failure: the edge may not have rotated it.
            Err(_) if page_keeps => {}
            _ => tokens.set_refresh_token(None),
        }
        answer.ok()?.access_token()
    }
}
