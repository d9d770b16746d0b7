//! The signed-in person's linked identities, through the account API
//! (`/v1/me/identities`): listed, and unlinked with a fresh sign-in, never the last way
//! the account can sign in.

use portcullis_shared::api::{IdentityList, IdentitySummary};

use crate::email::templates;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::passkeys::account::{Account, AccountRequest};
use crate::ports::Ports;
use crate::users::User;

/// What happened to one of the person's identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Linked,
    Unlinked,
}

/// Emails the owner of `user` that signing in with connection `connection_id` was
/// linked to or unlinked from their account: whoever did it, the owner hears of it
/// (changing how an account signs in tells its owner).
pub async fn tell_owner(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    user: &User,
    connection_id: &str,
    change: Change,
) {
    let client = match crate::client_lookup::find(ports, client_id).await {
        Ok(Some(client)) => client,
        _ => return,
    };
    // The button's name (a connection since disabled keeps its id).
    let provider = match super::enabled(ports).await {
        Ok(all) => all
            .iter()
            .find(|c| c.id == connection_id)
            .map(|c| c.display_name.clone()),
        Err(_) => None,
    }
    .unwrap_or_else(|| connection_id.to_string());
    let words = context.words();
    let mail = match change {
        Change::Linked => templates::identity_linked(&user.email, &client, &words, &provider),
        Change::Unlinked => templates::identity_unlinked(&user.email, &client, &words, &provider),
    };
    crate::email::deliver(ports, context, client_id, &mail).await;
}

pub async fn list(ports: &Ports<'_>, account: &Account) -> Result<IdentityList, Error> {
    let identities = ports
        .connections
        .identities_for(&account.user.id)
        .await?
        .into_iter()
        .map(|identity| IdentitySummary {
            id: identity.id,
            connection: identity.connection_id,
            email: identity.email,
            created_at: identity.created_at.as_seconds(),
        })
        .collect();
    Ok(IdentityList { identities })
}

/// Unlinks the identity `id`. Changing how the account signs in needs a recent sign-in;
/// an identity that is the account's only way to sign in stays.
pub async fn unlink(
    ports: &Ports<'_>,
    request: &AccountRequest<'_>,
    account: &Account,
    id: &str,
) -> Result<(), Error> {
    account.signed_in_recently(ports)?;
    let user = &account.user;
    let identities = ports.connections.identities_for(&user.id).await?;
    if !identities.iter().any(|i| i.id == id) {
        return Err(Error::IdentityNotFound);
    }
    let others = identities.len() > 1
        || user.password_hash.is_some()
        || !ports.credentials.for_user(&user.id).await?.is_empty();
    if !others {
        return Err(Error::LastSignInMethod);
    }
    if !ports.connections.unlink(&user.id, id).await? {
        return Err(Error::IdentityNotFound);
    }
    let connection_id = identities
        .iter()
        .find(|i| i.id == id)
        .map(|i| i.connection_id.as_str())
        .unwrap_or_default();
    events::record(
        ports,
        request.context,
        EventSpec::user_success(
            types::IDENTITY_UNLINK,
            "User unlinked an identity provider account",
            user,
            &account.client.id,
        ),
    )
    .await;
    tell_owner(
        ports,
        request.context,
        &account.client.id,
        user,
        connection_id,
        Change::Unlinked,
    )
    .await;
    Ok(())
}
