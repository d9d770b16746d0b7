//! Federation: people sign in with an upstream provider (any OpenID Connect provider by
//! discovery), Portcullis acting as its relying party at the edge and minting its own
//! tokens as before.
//!
//! - [`connection`]: connections as data, and the identities people hold at them.
//! - [`apple`]: the Apple preset (form_post answers, an ES256 client secret made at the
//!   edge, private relay addresses).
//! - [`github`]: the GitHub preset (OAuth 2.0 and its REST API, no ID token).
//! - [`upstream`]: the leg to the provider and back (PKCE, state, nonce, RFC 9207).
//! - [`provider`]: the provider's metadata and keys ([`metadata`]), cached per isolate.
//! - [`id_token`]: ID token validation, OIDC Core §3.1.3.7.
//! - [`userinfo`]: claims from the provider's userinfo endpoint (OIDC Core §5.3).
//! - [`linking`]: who the person is here (identity = connection + subject).
//! - [`identities`]: the signed-in person's linked identities (list, unlink).
//! - [`upstream_tokens`]: the provider's tokens, kept (sealed, refreshable) only for a
//!   connection that asks.
//! - [`settings`]: what a connection must be (the admin API's and `scripts/connections`'s
//!   rules).
//!
//! The sign-in flow's side (leaving, coming back, proving an account before linking)
//! is in [`crate::flows::federation`].

use std::rc::Rc;

use crate::error::Error;
use crate::ports::Ports;

pub mod apple;
pub mod connection;
pub mod github;
pub mod id_token;
pub mod identities;
pub mod linking;
pub mod metadata;
pub mod provider;
pub mod settings;
pub mod upstream;
pub mod upstream_tokens;
pub mod userinfo;

pub use connection::{Connection, ConnectionKind, FederatedIdentity};

/// Every enabled connection, from this isolate's cache or the store.
pub async fn enabled(ports: &Ports<'_>) -> Result<Rc<Vec<Connection>>, Error> {
    let now = ports.clock.now();
    if let Some(kept) = ports.cache.connections(now) {
        return Ok(kept);
    }
    let all = Rc::new(ports.connections.enabled().await?);
    ports.cache.keep_connections(all.clone(), now);
    Ok(all)
}

/// The enabled connections `client_id` offers, in order.
pub async fn for_client(ports: &Ports<'_>, client_id: &str) -> Result<Vec<Connection>, Error> {
    Ok(enabled(ports)
        .await?
        .iter()
        .filter(|c| c.enabled_for(client_id))
        .cloned()
        .collect())
}

/// The connection `client_id` offers that claims the domain of `email` for home-realm
/// discovery (the first by position, then id), if any. Decided by the domain alone.
pub async fn home_realm(
    ports: &Ports<'_>,
    client_id: &str,
    email: &str,
) -> Result<Option<String>, Error> {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return Ok(None);
    };
    Ok(for_client(ports, client_id)
        .await?
        .into_iter()
        .find(|c| c.claims_domain(domain))
        .map(|c| c.id))
}

/// The enabled connection `connection_id`, if `client_id` offers it.
pub async fn find(
    ports: &Ports<'_>,
    client_id: &str,
    connection_id: &str,
) -> Result<Connection, Error> {
    enabled(ports)
        .await?
        .iter()
        .find(|c| c.id == connection_id && c.enabled_for(client_id))
        .cloned()
        .ok_or(Error::ConnectionNotFound)
}

#[cfg(test)]
mod tests;
