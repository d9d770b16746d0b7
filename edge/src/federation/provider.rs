//! What Portcullis knows of an upstream OpenID Provider: its metadata (OIDC Discovery
//! 1.0 §4) and its signing keys (the JWKS at `jwks_uri`), fetched through the outbound
//! port and kept per isolate ([`crate::cache`]). A token signed with a key we do not
//! have refreshes the keys (the provider rotated), at most once a minute per provider.

use std::rc::Rc;

use serde_json::Value;

pub use super::metadata::{Metadata, Provider, KEY_REFRESH_SECONDS, PROVIDER_TTL_SECONDS};
use super::Connection;
use crate::error::Error;
use crate::ports::{HttpAnswer, Ports};

/// How long to wait for a provider's answer.
pub const TIMEOUT_MS: u64 = 5_000;
/// Only `https`, or `http` to this machine (a provider run for development or tests).
fn acceptable_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

fn failed(connection: &Connection, what: impl core::fmt::Display) -> Error {
    Error::FederationFailed(format!("connection {}: {what}", connection.id))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    ports: &Ports<'_>,
    connection: &Connection,
    url: &str,
) -> Result<T, Error> {
    let headers = [("accept".to_string(), "application/json".to_string())];
    get_json_with(ports, connection, url, &headers).await
}

/// `GET url` with `headers` (https, or http to this machine), answered `200` with JSON
/// of `T`.
pub(super) async fn get_json_with<T: serde::de::DeserializeOwned>(
    ports: &Ports<'_>,
    connection: &Connection,
    url: &str,
    headers: &[(String, String)],
) -> Result<T, Error> {
    if !acceptable_url(url) {
        return Err(failed(connection, format!("refused URL {url}")));
    }
    let answer: HttpAnswer = ports
        .http
        .get(url, headers, TIMEOUT_MS)
        .await
        .map_err(|e| failed(connection, format!("GET {url}: {}", e.0)))?;
    if answer.status != 200 {
        return Err(failed(
            connection,
            format!("GET {url} answered {}", answer.status),
        ));
    }
    serde_json::from_str(&answer.body)
        .map_err(|e| failed(connection, format!("GET {url}: not the expected JSON: {e}")))
}

async fn fetch_keys(
    ports: &Ports<'_>,
    connection: &Connection,
    metadata: &Metadata,
) -> Result<Vec<Value>, Error> {
    let raw: Value = get_json(ports, connection, &metadata.jwks_uri).await?;
    match raw.get("keys") {
        Some(Value::Array(keys)) => Ok(keys.iter().filter(|k| k.is_object()).cloned().collect()),
        _ => Err(failed(connection, "the JWKS has no keys")),
    }
}

/// The provider of `connection`, from this isolate's cache or fetched.
pub async fn load(ports: &Ports<'_>, connection: &Connection) -> Result<Rc<Provider>, Error> {
    let now = ports.clock.now();
    if let Some(provider) = ports.cache.provider(&connection.issuer, now) {
        return Ok(provider);
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        connection.issuer.trim_end_matches('/')
    );
    let metadata: Metadata = get_json(ports, connection, &url).await?;
    // OIDC Discovery §4.3: "The issuer value returned MUST be identical to the Issuer
    // URL that was used as the prefix to /.well-known/openid-configuration".
    // Microsoft's multi-tenant endpoints (`…/common/v2.0`, `…/organizations/v2.0`)
    // publish the template `…/{tenantid}/v2.0`; each token's issuer is then checked
    // against its own `tid` (see `id_token::validate`).
    let templated = connection.kind == super::ConnectionKind::Microsoft
        && super::id_token::fits_tenant_template(&metadata.issuer, &connection.issuer);
    if metadata.issuer != connection.issuer && !templated {
        return Err(failed(connection, "the metadata's issuer is another"));
    }
    for endpoint in [&metadata.authorization_endpoint, &metadata.token_endpoint] {
        if !acceptable_url(endpoint) {
            return Err(failed(connection, format!("refused endpoint {endpoint}")));
        }
    }
    let keys = fetch_keys(ports, connection, &metadata).await?;
    let provider = Rc::new(Provider {
        metadata,
        keys,
        keys_fetched_at: now,
    });
    ports
        .cache
        .keep_provider(&connection.issuer, provider.clone(), now);
    Ok(provider)
}

/// The provider with its keys fetched again, if they were fetched long enough ago
/// ([`KEY_REFRESH_SECONDS`]); `None` if it is too soon.
pub async fn refresh_keys(
    ports: &Ports<'_>,
    connection: &Connection,
    provider: &Provider,
) -> Result<Option<Rc<Provider>>, Error> {
    let now = ports.clock.now();
    if now < provider.keys_fetched_at.plus_seconds(KEY_REFRESH_SECONDS) {
        return Ok(None);
    }
    let keys = fetch_keys(ports, connection, &provider.metadata).await?;
    let refreshed = Rc::new(Provider {
        metadata: provider.metadata.clone(),
        keys,
        keys_fetched_at: now,
    });
    ports
        .cache
        .keep_provider(&connection.issuer, refreshed.clone(), now);
    Ok(Some(refreshed))
}

#[cfg(test)]
mod tests {
    use super::acceptable_url;

    #[test]
    fn provider_endpoints_are_https_or_this_machine() {
        assert!(acceptable_url(
            "https://accounts.google.com/o/oauth2/v2/auth"
        ));
        assert!(acceptable_url("http://127.0.0.1:4000/auth"));
        assert!(acceptable_url("http://localhost/auth"));
        assert!(!acceptable_url("http://idp.example/auth"));
        assert!(!acceptable_url("http://127.0.0.1.evil.test/auth"));
        assert!(!acceptable_url("javascript:alert(1)"));
    }
}
