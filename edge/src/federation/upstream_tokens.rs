//! Upstream tokens: the provider's access token and refresh token for a linked identity
//! `(connection, subject)`, kept only for a connection whose options say
//! `store_tokens: true`, so the site's back end can call the provider's API on the
//! person's behalf (through the admin API, never the browser).
//!
//! - Kept sealed under the key-encryption key, bound to
//!   `upstream-tokens:<connection>:<subject>`; a new sign-in through the identity
//!   replaces them; a connection without the option keeps nothing.
//! - [`live_access_token`] refreshes an expired access token with the kept refresh token
//!   (RFC 6749 §6), keeping a rotated refresh token; the provider's `invalid_grant`
//!   erases what was kept (the person revoked the access there).
//! - Erased with the identity: the store erases them when the identity goes (unlink,
//!   account deletion, connection removal).

use serde::{Deserialize, Serialize};

use super::upstream::{self, Grant};
use super::Connection;
use crate::crypto::sealing::KeyEncryptionKey;
use crate::error::Error;
use crate::ports::{KeptTokens, Ports};
use crate::time::UnixMillis;

/// An access token this close to its expiry counts as expired (clock skew, the call
/// the site makes with it).
const EXPIRY_MARGIN_SECONDS: u64 = 30;

/// The sealed part.
#[derive(Serialize, Deserialize)]
struct Secrets {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// What an administrator may know of what is kept, without the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub expires_at: Option<UnixMillis>,
    pub scopes: Vec<String>,
}

/// Why a live access token could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// Nothing is kept (or the provider refused the refresh token, and it was erased).
    NotHeld,
    /// The provider could not be asked, or answered something else than tokens or
    /// `invalid_grant`: what is kept stays. The detail is for the operators' log.
    Upstream(String),
    Store(Error),
}

impl From<Error> for LiveError {
    fn from(err: Error) -> LiveError {
        LiveError::Store(err)
    }
}

fn record(connection_id: &str, subject: &str) -> String {
    format!("upstream-tokens:{connection_id}:{subject}")
}

fn kek<'a>(ports: &Ports<'a>) -> Result<&'a KeyEncryptionKey, Error> {
    ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| Error::Internal("KEY_ENCRYPTION_KEY is not set".into()))
}

/// Keeps what the provider handed over at sign-in for `(connection, subject)`, if the
/// connection asks for it (replacing what was kept); a connection without
/// `store_tokens` keeps nothing. A grant without an access token keeps nothing.
pub async fn keep(
    ports: &Ports<'_>,
    connection: &Connection,
    subject: &str,
    grant: &Grant,
) -> Result<(), Error> {
    if !connection.options.store_tokens {
        return Ok(());
    }
    let Some(access_token) = grant.access_token.clone() else {
        return Ok(());
    };
    let scopes = match &grant.scope {
        // RFC 6749 §5.1: absent, the scopes are the ones asked for.
        None => connection.scopes.clone(),
        Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
    };
    store(
        ports,
        &connection.id,
        subject,
        Secrets {
            access_token,
            refresh_token: grant.refresh_token.clone(),
        },
        grant.expires_in_seconds(),
        scopes,
    )
    .await
}

async fn store(
    ports: &Ports<'_>,
    connection_id: &str,
    subject: &str,
    secrets: Secrets,
    expires_in: Option<u64>,
    scopes: Vec<String>,
) -> Result<(), Error> {
    let now = ports.clock.now();
    let plain = serde_json::to_vec(&secrets)
        .map_err(|e| Error::Internal(format!("upstream tokens json: {e}")))?;
    let sealed_tokens = kek(ports)?
        .seal(&plain, &record(connection_id, subject), ports.random)
        .map_err(|_| Error::RandomUnavailable)?;
    ports
        .upstream_tokens
        .keep(&KeptTokens {
            connection_id: connection_id.to_string(),
            subject: subject.to_string(),
            sealed_tokens,
            expires_at: expires_in.map(|s| now.plus_seconds(s)),
            scopes,
            updated_at: now,
        })
        .await?;
    Ok(())
}

/// Whether tokens are kept for `(connection_id, subject)`, and for how long and what.
pub async fn held(
    ports: &Ports<'_>,
    connection_id: &str,
    subject: &str,
) -> Result<Option<Held>, Error> {
    Ok(ports
        .upstream_tokens
        .kept(connection_id, subject)
        .await?
        .map(|kept| Held {
            expires_at: kept.expires_at,
            scopes: kept.scopes,
        }))
}

/// Erases what is kept for `(connection_id, subject)`; `false` if nothing was.
pub async fn erase(ports: &Ports<'_>, connection_id: &str, subject: &str) -> Result<bool, Error> {
    Ok(ports.upstream_tokens.erase(connection_id, subject).await?)
}

/// A live access token for `(connection, subject)`: the kept one while it has not
/// expired, else a new one from the provider's token endpoint with the kept refresh
/// token (RFC 6749 §6), kept in its place (with the rotated refresh token if the
/// provider sent one). The provider's `invalid_grant` erases what was kept.
pub async fn live_access_token(
    ports: &Ports<'_>,
    connection: &Connection,
    subject: &str,
) -> Result<(String, Held), LiveError> {
    let Some(kept) = ports
        .upstream_tokens
        .kept(&connection.id, subject)
        .await
        .map_err(Error::from)?
    else {
        return Err(LiveError::NotHeld);
    };
    let bound = record(&connection.id, subject);
    let secrets: Secrets = kek(ports)?
        .open(&kept.sealed_tokens, &bound)
        .ok()
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or_else(|| Error::Internal(format!("upstream tokens of {bound} do not open")))?;
    let now = ports.clock.now();
    let live = kept
        .expires_at
        .is_none_or(|at| now.plus_seconds(EXPIRY_MARGIN_SECONDS) < at);
    if live {
        let held = Held {
            expires_at: kept.expires_at,
            scopes: kept.scopes,
        };
        return Ok((secrets.access_token, held));
    }
    let Some(refresh_token) = secrets.refresh_token else {
        // Expired, and nothing to renew it with: what is kept is of no more use.
        erase(ports, &connection.id, subject).await?;
        return Err(LiveError::NotHeld);
    };
    let endpoint = upstream::token_endpoint(ports, connection)
        .await
        .map_err(|e| LiveError::Upstream(format!("{e:?}")))?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "refresh_token");
    form.append_pair("refresh_token", &refresh_token);
    let answer = upstream::token_request(ports, connection, (&endpoint.0, endpoint.1), form)
        .await
        .map_err(|e| LiveError::Upstream(format!("{e:?}")))?;
    #[derive(Deserialize)]
    struct Refreshed {
        #[serde(flatten)]
        grant: Grant,
        #[serde(default)]
        error: Option<String>,
    }
    let refreshed: Option<Refreshed> = serde_json::from_str(&answer.body).ok();
    let refreshed = match refreshed {
        // RFC 6749 §5.2: the refresh token is invalid, expired or revoked.
        Some(Refreshed {
            error: Some(error), ..
        }) if error == "invalid_grant" => {
            erase(ports, &connection.id, subject).await?;
            return Err(LiveError::NotHeld);
        }
        Some(Refreshed {
            grant:
                Grant {
                    access_token: Some(access_token),
                    refresh_token: rotated,
                    expires_in,
                    scope,
                },
            error: None,
        }) if answer.status == 200 => (access_token, rotated, expires_in, scope),
        _ => {
            return Err(LiveError::Upstream(format!(
                "connection {}: refresh answered {}: {}",
                connection.id,
                answer.status,
                answer.body.chars().take(200).collect::<String>()
            )))
        }
    };
    let (access_token, rotated, expires_in, scope) = refreshed;
    let grant = Grant {
        access_token: Some(access_token.clone()),
        refresh_token: None,
        expires_in,
        scope,
    };
    let scopes = match &grant.scope {
        // RFC 6749 §6: absent, the scopes are those granted before.
        None => kept.scopes,
        Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
    };
    let expires_in = grant.expires_in_seconds();
    store(
        ports,
        &connection.id,
        subject,
        Secrets {
            access_token: access_token.clone(),
            // RFC 6749 §6: a new refresh token replaces the old one; else it stays.
            refresh_token: Some(rotated.unwrap_or(refresh_token)),
        },
        expires_in,
        scopes.clone(),
    )
    .await?;
    Ok((
        access_token,
        Held {
            expires_at: expires_in.map(|s| now.plus_seconds(s)),
            scopes,
        },
    ))
}
