//! Identifying, signing in with a password, and creating an account with one.

use super::*;

impl Session {
    /// The identify step: an embedded widget starts a flow for this email; a hosted one
    /// already has its flow, and so does one back from a provider whose identity waits
    /// to be linked (its flow must end in the sign-in that links it). Either way the
    /// password step follows.
    pub async fn identify(self, email: String) -> Result<(), Failure> {
        self.stop_autofill();
        let linking = self.api().federation_ticket_pending() && self.flow_id_now().is_some();
        let (step, home_realm) = if self.embedded_scope().is_some() && !linking {
            self.cancel_flow().await;
            self.reported(Some(&email), self.start_flow(Some(&email)))
                .await?
        } else {
            let flow_id = self.flow_id_now().unwrap_or_default();
            let step = StepDetail {
                step: Step::Password,
                flow_id,
            };
            (step, None)
        };
        self.events().step(&step);
        // The address's domain belongs to a company's provider: straight there, as if
        // its button had been pressed.
        if let (Step::Provider, Some(connection)) = (step.step, home_realm) {
            return self.sign_in_with_provider(connection).await;
        }
        self.go(Screen::Password { email }, text::announce::PASSWORD);
        Ok(())
    }

    /// Back to the identify step; an embedded widget cancels its flow on the edge.
    pub async fn use_another_account(self) {
        self.env.with_value(|env| env.step_up.set(false));
        if self.embedded_scope().is_some() {
            self.cancel_flow().await;
        }
        self.show_identify();
    }

    /// Signs in with a password; `turnstile_token` where the edge asked for a human check
    /// (a client with the check, an account under attack).
    pub async fn sign_in(
        self,
        email: String,
        password: String,
        turnstile_token: Option<String>,
    ) -> Result<(), Failure> {
        self.reported(Some(&email), async {
            let flow_id = self.flow_id(Some(&email)).await?;
            let body = PasswordSignIn {
                email: email.clone(),
                password: password.into(),
                turnstile_token: turnstile_token.map(Into::into),
            };
            let outcome = self.api().sign_in(&flow_id, &body).await?;
            self.finish(Some(email.clone()), outcome, Method::Password)
                .await
        })
        .await
    }

    /// Creates an account with a password; `turnstile_token` where the client asks for a
    /// human check.
    pub async fn sign_up(
        self,
        email: String,
        name: Option<String>,
        password: String,
        turnstile_token: Option<String>,
    ) -> Result<(), Failure> {
        self.reported(Some(&email), async {
            let flow_id = self.flow_id(Some(&email)).await?;
            let body = PasswordSignUp {
                email: email.clone(),
                password: password.into(),
                name,
                turnstile_token: turnstile_token.map(Into::into),
            };
            let outcome = self.api().sign_up(&flow_id, &body).await?;
            self.finish(Some(email.clone()), outcome, Method::Password)
                .await
        })
        .await
    }
}
