//! The signed-in person's linked identities, through the account API
//! (`/v1/me/identities`): listed, and unlinked with a fresh sign-in, never the last way
//! the account can sign in.

use portcullis_shared::api::{IdentityList, IdentitySummary};

use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::passkeys::account::{Account, AccountRequest};
use crate::ports::Ports;

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
    Ok(())
}
