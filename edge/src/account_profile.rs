//! `GET/PATCH /v1/me/profile`: the signed-in person reads and corrects their profile.
//!
//! - **Only the person's own.** The token's subject is the only person read or written;
//!   nothing in the request names anyone.
//! - **What the schema lets them.** Attributes set by the site's code are not shown;
//!   administrator-only ones are shown and refused (`not_editable`).
//! - **All or nothing**, each problem named with a message in the person's language
//!   (`Accept-Language`, which the widget sets to the language it shows).
//! - **No lost update.** The change is applied to the person as stored and written only
//!   if nobody changed them meanwhile; a concurrent change is re-read and the patch
//!   applied again.
//! - **Logged and passed on.** A change is a `user.account.update_profile` event naming
//!   the attributes changed (never their values), and every grant of the person hears
//!   of it before the answer, so the next userinfo and refresh carry it.
//!
//! A profile change is not a change of how the account signs in, so it does not ask for
//! a recent sign-in; the email address (a sign-in identifier) is not a profile attribute.

use portcullis_shared::profile::ProfileView;
use portcullis_shared::system_log::Party;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::passkeys::account::Account;
use crate::ports::Ports;
use crate::profile::{apply, view, Editor};
use crate::time::UnixMillis;
use crate::users::User;

/// How many times a change is re-applied when the person changed concurrently.
const ATTEMPTS: usize = 3;

/// `GET /v1/me/profile`.
pub fn read(account: &Account) -> ProfileView {
    view(&account.user, Editor::Person)
}

/// `PATCH /v1/me/profile` with a JSON object of attribute names to new values (`null`
/// clears one).
pub async fn update(
    ports: &Ports<'_>,
    context: &RequestContext,
    account: &Account,
    change: &Map<String, Value>,
) -> Result<ProfileView, Error> {
    let saved = save(ports, context, &account.client.id, &account.user, change).await?;
    Ok(view(&saved, Editor::Person))
}

/// Applies `change` as the person may to `user` as stored now and writes it if nobody
/// changed the person meanwhile (else reads them again and retries); logs the change
/// and passes it to the person's grants. Returns the person as saved.
pub(crate) async fn save(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    user: &User,
    change: &Map<String, Value>,
) -> Result<User, Error> {
    let mut current = user.clone();
    for _ in 0..ATTEMPTS {
        let now = ports.clock.now();
        let (mut changed, names) = apply(&current, change, Editor::Person, now)
            .map_err(|refused| Error::InvalidProfile(refused.field_errors(&context.words())))?;
        if names.is_empty() {
            return Ok(current);
        }
        changed.updated_at = now.max(UnixMillis(current.updated_at.0 + 1));
        if ports.directory.update(&changed, current.updated_at).await? {
            record(ports, context, client_id, &changed, &names).await;
            crate::holders::sync(ports, &changed.id).await?;
            return Ok(changed);
        }
        current = ports
            .users
            .find_by_id(&user.id)
            .await?
            .ok_or(Error::Unauthorized)?;
    }
    Err(Error::Internal("profile: the person kept changing".into()))
}

/// The `user.account.update_profile` event, naming the attributes changed (never their
/// values).
async fn record(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    user: &User,
    names: &[&str],
) {
    let spec = EventSpec::user_success(
        types::USER_UPDATE_PROFILE,
        "A person changed their profile",
        user,
        client_id,
    );
    let mut event = spec.build(ports, context);
    event.target.extend(names.iter().map(|name| Party {
        id: (*name).to_string(),
        kind: "ProfileAttribute".into(),
        alternate_id: None,
        display_name: None,
    }));
    events::append(ports, event).await;
}
