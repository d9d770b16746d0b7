//! The second factor of a sign-in: a code from an authenticator app, a recovery code or
//! an emailed code, and, where the client requires a factor the account lacks, setting
//! up the app.

use super::*;
use crate::webauthn::{self, Mediation};
use portcullis_shared::route::Route;

impl Session {
    pub fn show_second_factor(
        self,
        email: Option<String>,
        recovery: bool,
        methods: Vec<SecondFactorMethod>,
    ) {
        let announcement = if recovery {
            text::announce::RECOVERY_CODE
        } else {
            text::announce::SECOND_FACTOR
        };
        let screen = Screen::SecondFactor {
            email,
            recovery,
            methods,
        };
        self.go(screen, announcement);
    }

    /// How the sign-in was proven so far, for the signed-in screen.
    fn first_factor(self, credentials_removed: bool) -> Method {
        if credentials_removed {
            Method::Email {
                credentials_removed,
            }
        } else {
            self.env.with_value(|env| env.first_factor.get())
        }
    }

    /// The code typed: from the app, or with `recovery`, a recovery code. With
    /// `remember`, the device is remembered for this client (see [`crate::api`]).
    pub async fn second_factor(
        self,
        email: Option<String>,
        recovery: bool,
        code: String,
        remember: bool,
    ) -> Result<(), Failure> {
        let route: fn(&str) -> Route<'_> = if recovery {
            |flow_id| Route::FlowRecoveryCode(flow_id)
        } else {
            |flow_id| Route::FlowTotp(flow_id)
        };
        self.factor_code(email, route, code, remember).await
    }

    /// The code from the second-factor email.
    pub async fn email_factor(
        self,
        email: Option<String>,
        code: String,
        remember: bool,
    ) -> Result<(), Failure> {
        let route: fn(&str) -> Route<'_> = |flow_id| Route::FlowEmailFactor(flow_id);
        self.factor_code(email, route, code, remember).await
    }

    async fn factor_code(
        self,
        email: Option<String>,
        route: fn(&str) -> Route<'_>,
        code: String,
        remember: bool,
    ) -> Result<(), Failure> {
        self.reported(email.as_deref(), async {
            let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
            let api = self.api();
            let (outcome, removed) = api.second_factor(route(&flow_id), &code, remember).await?;
            let method = self.first_factor(removed);
            self.finish(email.clone(), outcome, method).await
        })
        .await
    }

    /// Emails a second-factor code and shows where to type it (again: says a new one
    /// is on its way).
    pub async fn send_email_factor(
        self,
        email: Option<String>,
        methods: Vec<SecondFactorMethod>,
    ) -> Result<(), Failure> {
        let sent = self
            .reported(email.as_deref(), async {
                let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
                self.api().send_email_factor(&flow_id).await
            })
            .await?;
        let again = matches!(self.screen.get_untracked(), Screen::EmailFactor { .. });
        let screen = Screen::EmailFactor {
            email,
            methods,
            sent,
        };
        self.go(screen, text::announce::EMAIL_CODE);
        if again {
            self.announce(text::announce::CODE_SENT);
        }
        Ok(())
    }

    /// One of the person's passkeys or security keys, as the second factor.
    pub async fn second_factor_key(
        self,
        email: Option<String>,
        remember: bool,
    ) -> Result<(), Failure> {
        self.reported(email.as_deref(), async {
            let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
            let options = self.api().security_key_options(&flow_id).await?;
            let credential = webauthn::get(&options, Mediation::Modal, None)
                .await
                .map_err(Failure::Passkey)?;
            let api = self.api();
            let outcome = api
                .security_key(&flow_id, &credential.json, remember)
                .await?;
            let method = self.first_factor(false);
            self.finish(email.clone(), outcome, method).await
        })
        .await
    }

    /// A new app's key for this account: `(secret, qr_svg)`.
    pub async fn totp_enrolment(self) -> Result<(String, String), Failure> {
        self.reported(None, async {
            let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
            self.api().totp_enrolment(&flow_id).await
        })
        .await
    }

    /// The new app's first code: then the recovery codes, once, before the sign-in ends.
    pub async fn confirm_totp(self, email: Option<String>, code: String) -> Result<(), Failure> {
        self.reported(email.as_deref(), async {
            let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
            let (outcome, removed, codes) = self.api().confirm_totp(&flow_id, &code).await?;
            let method = self.first_factor(removed);
            let kept = email.clone();
            self.env
                .with_value(|env| env.after_codes.replace(Some((kept, outcome, method))));
            self.go(
                Screen::RecoveryCodes { codes },
                text::announce::RECOVERY_CODES,
            );
            Ok(())
        })
        .await
    }

    /// The person has kept their recovery codes: the sign-in completes.
    pub async fn after_recovery_codes(self) -> Result<(), Failure> {
        let Some((email, outcome, method)) = self.env.with_value(|env| env.after_codes.take())
        else {
            return Err(Failure::FlowExpired);
        };
        self.reported(
            email.as_deref(),
            self.finish(email.clone(), outcome, method),
        )
        .await
    }
}
