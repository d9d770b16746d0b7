//! Recovery by email: a password reset link or a reminder of how an address signs in,
//! and the new password chosen from the link.

use super::*;

impl Session {
    /// The forgot-password screen, or with `account`, the forgot-which-email one.
    pub fn show_forgot(self, account: bool) {
        let announcement = if account {
            text::announce::FIND_ACCOUNT
        } else {
            text::announce::FORGOT
        };
        self.go(Screen::Forgot { account }, announcement);
    }

    /// Asks for a password reset link, or with `account`, a reminder of how the address
    /// signs in; either way "check your email" follows, whatever the address.
    pub async fn recover(self, account: bool, email: String) -> Result<(), Failure> {
        let expires_in = self
            .reported(None, self.api().recover(account, &email))
            .await?;
        let link_minutes = (!account).then(|| expires_in.div_ceil(60));
        let screen = Screen::CheckEmail {
            email,
            link_minutes,
        };
        self.go(screen, text::announce::CHECK_EMAIL);
        Ok(())
    }

    /// Sets a new password with the reset link's token; the token works once.
    pub async fn reset_password(self, password: String) -> Result<(), Failure> {
        let token = self.env.with_value(|env| env.reset_token.borrow().clone());
        self.reported(None, async {
            let body = PasswordReset {
                token: token.ok_or(Failure::LinkExpired)?.into(),
                password: password.into(),
            };
            self.api().reset_password(&body).await
        })
        .await?;
        self.env.with_value(|env| env.reset_token.replace(None));
        self.go(Screen::ResetDone, text::announce::RESET_DONE);
        Ok(())
    }
}
