//! `POST /v1/me/password`: the signed-in person sets a new password.
//!
//! - **A fresh proof first.** Changing how the account signs in needs a sign-in within
//!   five minutes and, once the account has a second factor, one that proved it (the
//!   same rule as the factors: `reauthentication_required`, `mfa_required`). That sign-in
//!   is the proof, so no current password is asked: a person who signs in with a passkey
//!   or an emailed code can set one too, and a stolen token cannot be used to guess it.
//! - **The password rules of every other path**: NIST SP 800-63B-4 length, blocklist,
//!   nothing from the address, and the client's breached-password check.
//! - **The owner is told**, at the account's address, and the change is a
//!   `user.account.update_password` event. Other sessions stay (the account page's "sign
//!   out everywhere else" ends them).

use portcullis_shared::api::PasswordChange;

use crate::accounts;
use crate::attack::breached;
use crate::email::templates::{self, SignInMethod};
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::passkeys::account::{Account, AccountRequest};
use crate::passwords::hashing::{self, Cost};
use crate::ports::Ports;

/// `POST /v1/me/password`.
pub async fn change(
    ports: &Ports<'_>,
    me: &AccountRequest<'_>,
    account: &Account,
    request: &PasswordChange,
) -> Result<(), Error> {
    crate::mfa::account::may_change(ports, account).await?;
    let user = &account.user;
    let normalized = accounts::check_new_password(request.password.expose(), &user.email)?;
    if account.client.protection.breached_password_check {
        let chooser = breached::Chooser {
            user_id: Some(&user.id),
            email: &user.email,
            client_id: &account.client.id,
        };
        breached::check(ports, me.context, &chooser, &normalized).await?;
    }
    let hash = hashing::hash(&normalized, Cost::OWASP, ports.random)
        .map_err(|e| Error::Internal(format!("password hash: {e:?}")))?;
    let now = ports.clock.now();
    ports
        .users
        .set_password(&user.id, &hash, now, false)
        .await?;
    events::record(
        ports,
        me.context,
        EventSpec::user_success(
            types::UPDATE_PASSWORD,
            "User changed their password",
            user,
            &account.client.id,
        ),
    )
    .await;
    let words = me.context.words();
    let mail =
        templates::method_added(&user.email, &account.client, &words, SignInMethod::Password);
    crate::email::deliver(ports, me.context, &account.client.id, &mail).await;
    Ok(())
}

#[cfg(test)]
mod tests;
