//! The signed-in person's linked provider identities through the account API: listed,
//! and unlinked (the edge asks for a recent sign-in and keeps the last way to sign in).

use portcullis_shared::api::IdentityList;

use super::*;

impl Session {
    /// Unlinks the identity `unlink`, if any, and answers the identities as they then
    /// are. A sign-in too old for the change takes the person through a new sign-in (see
    /// [`Session::account`]).
    pub async fn identities(self, unlink: Option<String>) -> Result<IdentityList, Failure> {
        let token = self.access_token()?;
        let api = self.api();
        if let Some(id) = unlink {
            let unlinked = match api.unlink_identity(&token, &id).await {
                // Unlinked already (in another tab, say): what the person wanted.
                Err(Failure::Other { code, .. }) if code == "identity_not_found" => Ok(()),
                done => done,
            };
            self.account(unlinked)?;
        }
        self.account(api.my_identities(&token).await)
    }

    /// What the button of connection `id` says, or the id for one the client no longer
    /// offers.
    pub fn connection_name(self, id: &str) -> String {
        self.env.with_value(|env| {
            env.connections
                .borrow()
                .iter()
                .find(|c| c.id == id)
                .map_or_else(|| id.to_string(), |c| c.name.clone())
        })
    }
}
