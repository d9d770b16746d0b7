//! Token revocation (RFC 7009). Revoking either token of a grant revokes the grant: the
//! refresh-token family and every access token minted from it. A token that is not one
//! we issued to this client revokes nothing, and the answer is the same (§2.2).

use crate::events::{self, types, EventSpec, RequestContext};
use crate::oauth::authorization_request::Params;
use crate::oauth::grant::{GrantCommand, GrantRef, GrantReply};
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
    // A refresh token is checked by its grant: only a secret the family issued revokes
    // (a grant id with a made-up secret revokes nothing). An access token is proof in
    // itself once its signature verifies, and names its grant by reference.
    let (reference, command) = match split_refresh_token(token) {
        Some((grant_id, secret)) => (
            GrantRef::of(grant_id),
            GrantCommand::RevokeRefresh {
                client_id: client.id.clone(),
                presented: secret.to_string(),
            },
        ),
        None => {
            let ring = keys::load(ports).await?;
            let grant = verify_access_token(&ring, issuer, token, now)
                .await
                .ok()
                .filter(|claims| claims.client_id == client.id)
                .and_then(|claims| claims.grant);
            let Some(grant) = grant else {
                return Ok(());
            };
            let command = GrantCommand::Revoke {
                client_id: Some(client.id.clone()),
            };
            (grant, command)
        }
    };
    let reply = ports
        .grants
        .apply(reference.as_str(), &command, now)
        .await?;
    if let GrantReply::Revoked = reply {
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
                actor_name: None,
                client_id: Some(&client.id),
            },
        )
        .await;
    }
    Ok(())
}
