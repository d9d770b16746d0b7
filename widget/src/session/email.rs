//! Codes sent by email: signing in with one, or confirming the address with one.

use super::*;

impl Session {
    /// Emails a sign-in code and link to `email` and shows the code screen; again for a
    /// new code (which replaces the old one). `verify`: the code confirms the address.
    pub async fn send_email_code(self, email: String, verify: bool) -> Result<(), Failure> {
        self.stop_autofill();
        let sent = self
            .reported(Some(&email), async {
                let flow_id = self.flow_id(Some(&email)).await?;
                self.api().send_email(&flow_id, &email).await
            })
            .await?;
        let again = matches!(self.screen.get_untracked(), Screen::EmailCode { .. });
        self.show_code(Some(email), verify, sent);
        if again {
            self.announce(text::announce::CODE_SENT);
        }
        Ok(())
    }

    pub(super) fn show_code(self, email: Option<String>, verify: bool, sent: EmailSent) {
        let announcement = if verify {
            text::announce::VERIFY
        } else {
            text::announce::EMAIL_CODE
        };
        let screen = Screen::EmailCode {
            email,
            verify,
            sent,
        };
        self.go(screen, announcement);
    }

    pub(super) fn email_method(self, verify: bool, credentials_removed: bool) -> Method {
        if verify {
            self.env.with_value(|env| env.verifying.get())
        } else {
            Method::Email {
                credentials_removed,
            }
        }
    }

    /// The code the person typed from the email: finishes the flow when it proves the
    /// address.
    pub async fn email_code(
        self,
        email: Option<String>,
        verify: bool,
        code: String,
    ) -> Result<(), Failure> {
        self.reported(email.as_deref(), async {
            let flow_id = match self.flow_id_now() {
                Some(flow_id) => flow_id,
                None => self.flow_id(email.as_deref()).await?,
            };
            let answer = self.api().email_code(&flow_id, &code).await;
            if matches!(answer, Err(Failure::TooManyAttempts)) && self.embedded_scope().is_some() {
                // Too many wrong codes end the flow: a new code needs a new flow.
                self.set_flow(None);
            }
            let (outcome, removed) = answer?;
            let method = self.email_method(verify, removed);
            self.finish(email.clone(), outcome, method).await
        })
        .await
    }
}
