//! The signed-in person's second factors through the account API: their authenticator
//! apps and recovery codes left, adding an app, removing one, new recovery codes.

use portcullis_shared::api::FactorList;

use super::*;

/// A change to the signed-in person's second factors.
pub enum FactorChange {
    /// A new authenticator app's key, to scan or type.
    Begin,
    /// The new app's first code.
    Confirm {
        code: String,
    },
    Remove {
        id: String,
    },
    /// Forget a device remembered after a second factor.
    Forget {
        id: String,
    },
    /// Ten new recovery codes, replacing the old.
    NewCodes,
}

/// What a change leaves on screen besides the list.
#[derive(Clone, PartialEq, Eq)]
pub enum Shown {
    Nothing,
    /// A new app's key: the text to type and its QR code (an SVG document).
    App {
        secret: String,
        qr_svg: String,
    },
    /// Recovery codes, shown this once.
    Codes(Vec<String>),
}

impl Session {
    /// Makes `change`, if any, and answers the factors as they then are, with what the
    /// change has to show. A change the sign-in is too old or too weak for takes the
    /// person through a new sign-in (see [`Session::account`]).
    ///
    /// One function for every change, so that the widget compiles one request sequence.
    pub async fn factors(
        self,
        change: Option<FactorChange>,
    ) -> Result<(FactorList, Shown), Failure> {
        let token = self.access_token()?;
        let api = self.api();
        let codes = |codes: Vec<String>| {
            if codes.is_empty() {
                Shown::Nothing
            } else {
                Shown::Codes(codes)
            }
        };
        let shown = match change {
            None => Ok(Shown::Nothing),
            Some(FactorChange::Begin) => api
                .add_factor(&token)
                .await
                .map(|(secret, qr_svg)| Shown::App { secret, qr_svg }),
            Some(FactorChange::Confirm { code }) => {
                api.confirm_factor(&token, &code).await.map(codes)
            }
            Some(FactorChange::Remove { id }) => api
                .remove_factor(&token, &id)
                .await
                .map(|()| Shown::Nothing),
            Some(FactorChange::NewCodes) => api.new_recovery_codes(&token).await.map(codes),
            Some(FactorChange::Forget { id }) => match api.forget_device(&token, &id).await {
                // Forgotten already (in another tab, say): what the person wanted.
                Err(Failure::Other { code, .. }) if code == "device_not_found" => {
                    Ok(Shown::Nothing)
                }
                done => done.map(|()| Shown::Nothing),
            },
        };
        let shown = self.account(shown)?;
        let list = self.account(api.my_factors(&token).await)?;
        Ok((list, shown))
    }
}
