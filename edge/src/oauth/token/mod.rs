//! The token endpoint (RFC 6749 §3.2): authenticates the client, parses the grant, and
//! hands it to the module named after it. Every refusal is an RFC 6749 §5.2 error.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use portcullis_shared::oauth::OAuthErrorCode;
use serde::Serialize;

use crate::clients::{Client, ClientType};
use crate::events::RequestContext;
use crate::oauth::authorization_request::{param, Params};
use crate::oauth::client_authentication::{credentials, ClientCredentials};
use crate::oauth::keys::{self, KeyError, KeyRing};
use crate::oauth::resource::{Resource, TargetError};
use crate::oauth::token_request::{self, TokenError, TokenRequest};
use crate::oauth::tokens::{mint, Subject};
use crate::ports::{Ports, StoreError};

/// RFC 6749 §5.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// A refusal, and what to log about it (never sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: TokenError,
    pub log: Option<String>,
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Failure { error, log: None }
    }
}

impl Failure {
    pub fn logged(error: TokenError, log: String) -> Failure {
        Failure {
            error,
            log: Some(log),
        }
    }

    pub fn unavailable(log: String) -> Failure {
        Failure::logged(
            TokenError::new(
                OAuthErrorCode::TemporarilyUnavailable,
                "The service is temporarily unavailable. Try again.",
            ),
            log,
        )
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure::unavailable(format!("token endpoint store: {err:?}"))
    }
}

/// A fault of ours below the endpoint (a store, the random source, corrupt data).
impl From<crate::error::Error> for Failure {
    fn from(err: crate::error::Error) -> Self {
        Failure::unavailable(format!("token endpoint: {err:?}"))
    }
}

impl From<KeyError> for Failure {
    fn from(err: KeyError) -> Self {
        Failure::unavailable(format!("signing keys: {err:?}"))
    }
}

pub(crate) fn invalid_grant(description: &'static str) -> TokenError {
    TokenError::new(OAuthErrorCode::InvalidGrant, description)
}

fn invalid_client() -> TokenError {
    TokenError::new(
        OAuthErrorCode::InvalidClient,
        "Client authentication failed.",
    )
}

/// One token request as it arrived.
pub struct Incoming<'a> {
    pub issuer: &'a str,
    pub authorization: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub params: &'a Params,
    pub context: &'a RequestContext,
}

/// RFC 6749 §2.3: who is calling. Public clients identify themselves (and must then use
/// PKCE); confidential clients prove their secret. Browser calls must come from an
/// allowed origin.
pub async fn authenticate_client(
    ports: &Ports<'_>,
    authorization: Option<&str>,
    origin: Option<&str>,
    issuer: &str,
    params: &Params,
) -> Result<Client, Failure> {
    let creds = credentials(authorization, params)?;
    let authenticates = |client: &Client| match (&client.client_type, &creds) {
        (ClientType::Public, ClientCredentials::None { .. }) => true,
        (
            ClientType::Confidential,
            ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. },
        ) => client.verify_secret(secret.secret()),
        _ => false,
    };
    let mut client = crate::client_lookup::find(ports, creds.client_id())
        .await?
        .ok_or_else(invalid_client)?;
    let mut authenticated = authenticates(&client);
    if !authenticated && client.client_type == ClientType::Confidential {
        // The isolate may hold the client from before its secret was rotated: a new
        // secret works at once. (A wrong secret costs the read it always did.)
        client = crate::client_lookup::find_in_store(ports, creds.client_id())
            .await?
            .ok_or_else(invalid_client)?;
        authenticated = authenticates(&client);
    }
    if !authenticated {
        return Err(invalid_client().into());
    }
    if !client.allows_origin(origin, issuer) {
        return Err(Failure::logged(
            invalid_client(),
            format!("token request for {} from origin not allowed", client.id),
        ));
    }
    Ok(client)
}

/// Handles `POST /token`.
pub async fn handle(ports: &Ports<'_>, incoming: &Incoming<'_>) -> Result<TokenResponse, Failure> {
    let client = authenticate_client(
        ports,
        incoming.authorization,
        incoming.origin,
        incoming.issuer,
        incoming.params,
    )
    .await?;
    let request = token_request::parse(incoming.params)?;
    let grant_type = match &request {
        TokenRequest::AuthorizationCode { .. } => "authorization_code",
        TokenRequest::RefreshToken { .. } => "refresh_token",
        TokenRequest::ClientCredentials { .. } => "client_credentials",
    };
    if !client.allows_grant(grant_type) {
        return Err(TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            "This client may not use this grant type.",
        )
        .into());
    }
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let redemption = authorization_code::Redemption {
                code: &code,
                redirect_uri: redirect_uri.as_deref(),
                code_verifier: &code_verifier,
                resource: &resource,
            };
            authorization_code::exchange(ports, incoming, &client, redemption).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
            resource,
        } => {
            refresh_token::exchange(ports, incoming, &client, &refresh_token, scope, &resource)
                .await
        }
        TokenRequest::ClientCredentials { scope, resource } => {
            client_credentials::exchange(ports, incoming, &client, scope, &resource).await
        }
    }
}

/// RFC 8707 §2.2: the resource the access token is for, from the request's `resource`
/// parameters and the scopes granted.
fn target(issuer: &str, requested: &[String], granted: &[String]) -> Result<Resource, Failure> {
    Resource::select(issuer, requested, granted).map_err(invalid_target)
}

/// RFC 8707 §2: `invalid_target`.
fn invalid_target(err: TargetError) -> Failure {
    let description = match err {
        TargetError::Unknown => "The resource is unknown, or more than one was asked for.",
        TargetError::NotGranted => "The grant does not cover the requested resource.",
    };
    TokenError::new(OAuthErrorCode::InvalidTarget, description).into()
}

/// Mints the tokens for `subject` and shapes the §5.1 response.
async fn respond(
    ports: &Ports<'_>,
    context: &RequestContext,
    ring: &KeyRing,
    subject: &Subject<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, Failure> {
    let groups = crate::oauth::groups_claim::for_subject(ports, subject).await?;
    let custom = crate::oauth::custom_claims::for_subject(ports, subject).await?;
    let sub = subject.person.map(|p| p.id);
    let hooked = crate::hooks::inline::token_claims(
        ports,
        context,
        &crate::hooks::inline::TokenContext {
            client_id: &subject.client.id,
            sub,
            email: subject.person.map(|p| p.holder.email.as_str()),
            scopes: subject.scopes,
        },
    )
    .await
    .map_err(|_| Failure::unavailable("the token hook failed and fails closed".into()))?;
    // The client's own claims first: a token hook cannot replace them.
    let with_custom = |hook: &serde_json::Map<String, serde_json::Value>| {
        let mut claims = custom.clone();
        for (name, value) in hook {
            claims.entry(name.clone()).or_insert_with(|| value.clone());
        }
        claims
    };
    let extra = crate::hooks::inline::ExtraClaims {
        access_token: with_custom(&hooked.access_token),
        id_token: with_custom(&hooked.id_token),
    };
    let minted = mint(ring, subject, groups, &extra, ports.random)
        .await
        .map_err(|e| Failure::unavailable(format!("signing: {e:?}")))?;
    Ok(TokenResponse {
        access_token: minted.access_token,
        token_type: "Bearer",
        expires_in: minted.expires_in,
        // The access token's own scope, which leaves out other resources' (§5.1: sent
        // because it may differ from the scope granted).
        scope: minted.scope,
        id_token: minted.id_token,
        refresh_token,
    })
}

async fn key_ring(ports: &Ports<'_>) -> Result<std::rc::Rc<KeyRing>, Failure> {
    Ok(keys::load(ports).await?)
}

/// The `token` parameter of revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1).
pub fn token_parameter(params: &Params) -> Result<&str, Failure> {
    param(params, "token").ok_or_else(|| {
        TokenError::new(OAuthErrorCode::InvalidRequest, "The request has no token.").into()
    })
}

/// A refresh token on the wire: `{grant_id}.{secret}`.
pub fn refresh_token_for(grant_id: &str, secret: &str) -> String {
    format!("{grant_id}.{secret}")
}

/// Splits a refresh token into grant id and secret, if it has the shape.
pub fn split_refresh_token(token: &str) -> Option<(&str, &str)> {
    let (grant_id, secret) = token.split_once('.')?;
    let handle = crate::crypto::token::is_handle;
    (handle(grant_id) && handle(secret)).then_some((grant_id, secret))
}
