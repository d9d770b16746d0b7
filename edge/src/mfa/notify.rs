//! Every change to an account's second factors is logged (`user.mfa.factor.*`) and told
//! to the owner by email: whoever made it, the owner hears of it.

use crate::clients::Client;
use crate::email::{deliver, templates};
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::{Mail, Ports};
use crate::users::User;

/// What happened to the account's second factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// An authenticator app was enrolled.
    AppAdded,
    /// An authenticator app was removed.
    AppRemoved,
    /// A recovery code was spent signing in (the sign-in itself is logged as
    /// `user.authentication.auth_via_mfa`).
    RecoveryCodeUsed,
    /// New recovery codes replaced the old.
    RecoveryCodesRenewed,
}

impl Change {
    /// The System Log event, if the change is not logged elsewhere.
    fn event(self) -> Option<(&'static str, &'static str)> {
        match self {
            Change::AppAdded => Some((types::FACTOR_ACTIVATE, "User set up an authenticator app")),
            Change::AppRemoved => Some((
                types::FACTOR_DEACTIVATE,
                "User removed an authenticator app",
            )),
            Change::RecoveryCodeUsed => None,
            Change::RecoveryCodesRenewed => {
                Some((types::FACTOR_UPDATE, "User made new recovery codes"))
            }
        }
    }

    fn mail(self, user: &User, client: &Client, context: &RequestContext) -> Mail {
        let words = context.words();
        match self {
            Change::AppAdded => templates::method_added(
                &user.email,
                client,
                &words,
                templates::SignInMethod::AuthenticatorApp,
            ),
            Change::AppRemoved => templates::app_removed(&user.email, client, &words),
            Change::RecoveryCodeUsed => templates::recovery_code_used(&user.email, client, &words),
            Change::RecoveryCodesRenewed => {
                templates::recovery_codes_renewed(&user.email, client, &words)
            }
        }
    }
}

/// Logs `change` and emails the owner about it.
pub async fn tell(
    ports: &Ports<'_>,
    context: &RequestContext,
    client: &Client,
    user: &User,
    change: Change,
) {
    if let Some((event_type, message)) = change.event() {
        let spec = EventSpec::user_success(event_type, message, user, &client.id);
        events::record(ports, context, spec).await;
    }
    deliver(
        ports,
        context,
        &client.id,
        &change.mail(user, client, context),
    )
    .await;
}
