//! How the core finds registered clients: through the isolate cache (see
//! [`crate::cache`]) while an entry is fresh, from the store otherwise. Every lookup of
//! the core goes through here.

use std::rc::Rc;

use crate::clients::Client;
use crate::ports::{Ports, StoreError};

/// The enabled client with this id: from the isolate cache while it is fresh, from the
/// store otherwise (see [`crate::cache`]).
pub async fn find(ports: &Ports<'_>, client_id: &str) -> Result<Option<Client>, StoreError> {
    crate::cache_version::freshen(ports).await;
    let now = ports.clock.now();
    if let Some(client) = ports.cache.client(client_id, now) {
        return Ok(Some(client));
    }
    let found = ports.clients.find(client_id).await?;
    if let Some(client) = &found {
        ports.cache.keep_client(client, now);
    }
    Ok(found)
}

/// The enabled client with this id as stored now, bypassing the isolate cache and
/// renewing it.
pub async fn find_in_store(
    ports: &Ports<'_>,
    client_id: &str,
) -> Result<Option<Client>, StoreError> {
    let found = ports.clients.find(client_id).await?;
    match &found {
        Some(client) => ports.cache.keep_client(client, ports.clock.now()),
        None => ports.cache.forget_client(client_id),
    }
    Ok(found)
}

/// Every enabled client's allowed origins, through the isolate cache like [`find`].
pub async fn allowed_origins(ports: &Ports<'_>) -> Result<Rc<Vec<String>>, StoreError> {
    crate::cache_version::freshen(ports).await;
    let now = ports.clock.now();
    if let Some(origins) = ports.cache.allowed_origins(now) {
        return Ok(origins);
    }
    let origins = Rc::new(ports.clients.allowed_origins().await?);
    ports.cache.keep_allowed_origins(Rc::clone(&origins), now);
    Ok(origins)
}
