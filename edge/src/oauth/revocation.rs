//! Token revocation (RFC 7009). Revoking either token of a grant revokes the grant: the
//! refresh-token family and every access token minted from it.

use crate::events::{self, types, EventSpec, RequestContext};
use crate::oauth::authorization_request::Params;
use crate::oauth::grant::{GrantCommand, GrantReply};
use crate::oauth::keys;
use crate::oauth::token::{authenticate_client, split_refresh_token, token_parameter, Failure};
use crate::oauth::tokens::verify_access_token;
use crate::ports::Ports;

/// Handles `POST /revoke`. §2.2: an unknown or already invalid token is not an error.
pub async fn handle(
    ports: &Ports<'_>,
    issuer: &str,
    authorization: Option<&str>,
    origin: Option<&str>,
    params: &Params,
    context: &RequestContext,
) -> Result<(), Failure> {
    let client = authenticate_client(ports, authorization, origin, issuer, params).await?;
    let token = token_parameter(params)?;
    let now = ports.clock.now();
    let grant_id = match split_refresh_token(token) {
        Some((grant_id, _)) => Some(grant_id.to_string()),
        None => {
            let ring = keys::load(ports).await?;
            verify_access_token(&ring, issuer, token, now)
                .ok()
                .filter(|claims| claims.client_id == client.id)
                .and_then(|claims| claims.grant_id)
        }
    };
    let Some(grant_id) = grant_id else {
        return Ok(());
    };
    let command = GrantCommand::Revoke {
        client_id: Some(client.id.clone()),
    };
    if let GrantReply::Revoked = ports.grants.apply(&grant_id, &command, now).await? {
        events::record(
            ports,
            context,
            EventSpec {
                event_type: types::TOKEN_REVOKE,
                display_message: "OAuth2 grant revoked by the client",
                success: true,
                reason: None,
                actor_id: None,
                actor_email: None,
                client_id: Some(&client.id),
            },
        )
        .await;
    }
    Ok(())
}
