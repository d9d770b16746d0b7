//! The upstream leg: Portcullis as an OpenID Connect relying party of the provider
//! (OIDC Core §3.1, authorization code flow), with PKCE S256 (RFC 7636), `state` and
//! `nonce`, and the RFC 9207 `iss` check.
//!
//! 1. The widget asks to leave ([`depart`]): a one-time ticket names the departure.
//! 2. The browser opens `/federation/start?ticket=…` ([`start`]): the ticket is spent,
//!    `state`, `nonce` and the PKCE verifier are stored for ten minutes under `state`,
//!    and a cookie that only this browser holds is set beside them: the answer counts
//!    only in the browser that left (a link signs in only the browser that opens it).
//! 3. The provider sends the browser to `/callback/{connection}` ([`callback`]): the
//!    state is spent (single use), the cookie checked, the code exchanged with the
//!    verifier, and the ID token validated (§3.1.3.7, [`super::id_token`]).

use serde::{Deserialize, Serialize};

use super::id_token::{self, Expected, IdTokenError, Verified};
use super::provider::{self, TIMEOUT_MS};
use super::{apple, github, userinfo, Connection, ConnectionKind};
use crate::crypto::sha256_hex;
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::hooks::WebhookRequest;
use crate::http::{redirect, Response};
use crate::oauth::authorization_response::with_query;
use crate::one_time::OneTime;
use crate::ports::Ports;

/// How long a departure and its state stay usable (OAuth 2.0 codes live ≤ 10 minutes).
pub const STATE_TTL_SECONDS: u64 = 600;

/// Where a departure goes and comes back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub flow_id: String,
    pub client_id: String,
    pub connection_id: String,
    /// The page the browser returns to, with the outcome in its fragment.
    pub return_to: String,
    /// Passed upstream as `login_hint`.
    pub login_hint: Option<String>,
}

/// What waits for the provider's answer, under `state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    departure: Departure,
    nonce: String,
    code_verifier: String,
    /// SHA-256 of the cookie value that binds the answer to the browser that left.
    browser_hash: String,
}

const DEPARTURES: OneTime<Departure> = OneTime::new("federation-departure");
const STATES: OneTime<Pending> = OneTime::new("federation-state");

/// Stores `departure`; returns the ticket for `/federation/start`.
pub async fn depart(ports: &Ports<'_>, departure: &Departure) -> Result<String, Error> {
    let expires_at = ports.clock.now().plus_seconds(STATE_TTL_SECONDS);
    DEPARTURES.issue(ports, departure, expires_at).await
}

/// The cookie that binds the answer for `state` to this browser.
fn cookie_name(state: &str) -> String {
    format!("portcullis_federation_{}", &sha256_hex(state)[..16])
}

fn pkce_challenge(verifier: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The redirect URI registered at the provider for `connection_id`.
pub fn callback_url(issuer: &str, connection_id: &str) -> String {
    format!(
        "{issuer}{}",
        portcullis_shared::route::Route::FederationCallback(connection_id).path()
    )
}

/// `GET /federation/start?ticket=…`: spends the ticket and sends the browser to the
/// provider's authorization endpoint.
pub async fn start(ports: &Ports<'_>, issuer: &str, ticket: &str) -> Result<Response, Error> {
    let departure = DEPARTURES
        .take(ports, ticket)
        .await?
        .ok_or(Error::LinkExpired)?;
    let connection = super::find(ports, &departure.client_id, &departure.connection_id).await?;
    let authorization_endpoint = match connection.kind {
        ConnectionKind::Oidc | ConnectionKind::Microsoft | ConnectionKind::Apple => {
            provider::load(ports, &connection)
                .await?
                .metadata
                .authorization_endpoint
                .clone()
        }
        ConnectionKind::Github => github::endpoints(&connection.issuer).authorization,
    };
    let fresh = || random_handle(ports.random).map_err(|_| Error::RandomUnavailable);
    let (state, nonce, code_verifier, browser) = (fresh()?, fresh()?, fresh()?, fresh()?);
    let expires_at = ports.clock.now().plus_seconds(STATE_TTL_SECONDS);
    let mut params = vec![
        ("client_id", connection.client_id.clone()),
        ("redirect_uri", callback_url(issuer, &connection.id)),
        ("scope", connection.scopes.join(" ")),
        ("state", state.clone()),
        ("code_challenge", pkce_challenge(&code_verifier)),
        ("code_challenge_method", "S256".to_string()),
    ];
    match connection.kind {
        ConnectionKind::Oidc | ConnectionKind::Microsoft => {
            params.push(("response_type", "code".to_string()));
            params.push(("nonce", nonce.clone()));
            if let Some(hint) = &departure.login_hint {
                params.push(("login_hint", hint.clone()));
                // The provider of the address's domain: let it skip its own account
                // picker (Microsoft's `domain_hint`).
                if let Some((_, domain)) = hint.rsplit_once('@') {
                    if connection.claims_domain(domain) {
                        params.push(("domain_hint", domain.to_ascii_lowercase()));
                    }
                }
            }
        }
        // Apple answers with a form POST, which it requires when names or addresses are
        // asked for; it takes no hint.
        ConnectionKind::Apple => {
            params.push(("response_type", "code".to_string()));
            params.push(("response_mode", "form_post".to_string()));
            params.push(("nonce", nonce.clone()));
        }
        // GitHub's own parameter for the account to suggest.
        ConnectionKind::Github => {
            if let Some(hint) = &departure.login_hint {
                params.push(("login", hint.clone()));
            }
        }
    }
    STATES
        .put(
            ports,
            &state,
            &Pending {
                departure,
                nonce,
                code_verifier,
                browser_hash: sha256_hex(&browser),
            },
            expires_at,
        )
        .await?;
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let location = with_query(&authorization_endpoint, &pairs);
    let cookie = format!(
        "{}={browser}; Path=/callback/; Max-Age={STATE_TTL_SECONDS}; HttpOnly; SameSite={}{}",
        cookie_name(&state),
        same_site(connection.kind),
        crate::sessions::secure_attribute(issuer)
    );
    Ok(redirect(&location).with_header("set-cookie", &cookie))
}

/// The browser-binding cookie's `SameSite` (RFC 6265bis §5.4.7). A provider that comes
/// back with a top-level GET navigation gets `Lax`. Apple comes back with a cross-site
/// form POST, which carries only a `None` cookie (with `Secure`). That is safe here: the
/// cookie holds nothing but a random value whose hash waits beside one unguessable,
/// single-use `state`; a POST forged from another site must carry a `state` the victim's
/// browser has the matching cookie for, which only the victim's own departure made.
fn same_site(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Apple => "None",
        ConnectionKind::Oidc | ConnectionKind::Microsoft | ConnectionKind::Github => "Lax",
    }
}

/// The provider's answer, as far as the flow needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The provider vouched for the person.
    Verified {
        departure: Departure,
        connection: Box<Connection>,
        verified: Verified,
        /// The provider's tokens, kept only if the connection says so.
        grant: Box<Grant>,
    },
    /// The provider refused or the person cancelled there (`error=access_denied`, say):
    /// the error code, for the person to be told. Nothing is created.
    Refused { departure: Departure, error: String },
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    match (values.next(), values.next()) {
        (Some(one), None) => Some(one.as_str()),
        _ => None,
    }
}

/// `GET|POST /callback/{connection}`: checks the answer and, for a code, exchanges it
/// and validates the ID token.
///
/// A missing, unknown, reused or foreign `state` is an error page: there is no flow to
/// go back to. Everything after the state is found goes back to the flow's page.
pub async fn callback(
    ports: &Ports<'_>,
    issuer: &str,
    connection_id: &str,
    params: &[(String, String)],
    cookie: Option<&str>,
) -> Result<Answer, Error> {
    let state = param(params, "state").ok_or(Error::StateInvalid)?;
    // Single use: whatever happens next, this state is spent.
    let pending = STATES
        .take(ports, state)
        .await?
        .ok_or(Error::StateInvalid)?;
    let bound = crate::sessions::cookie_handle(&cookie_name(state), cookie).is_some_and(|value| {
        crate::crypto::constant_time_eq(&sha256_hex(value), &pending.browser_hash)
    });
    if !bound || pending.departure.connection_id != connection_id {
        return Err(Error::StateInvalid);
    }
    let departure = pending.departure;
    let refused = |departure: Departure, error: &str| Answer::Refused {
        departure,
        error: error.to_string(),
    };
    if let Some(error) = param(params, "error") {
        // RFC 6749 §4.1.2.1: only the registered codes are repeated to the person.
        let known = [
            "access_denied",
            "login_required",
            "consent_required",
            "interaction_required",
            "temporarily_unavailable",
        ];
        let code = if known.contains(&error) {
            error
        } else {
            "server_error"
        };
        return Ok(refused(departure, code));
    }
    let connection = match super::find(ports, &departure.client_id, connection_id).await {
        Ok(connection) => connection,
        Err(_) => return Ok(refused(departure, "server_error")),
    };
    match verify(
        ports,
        issuer,
        &connection,
        params,
        &pending.nonce,
        &pending.code_verifier,
    )
    .await
    {
        Ok((verified, grant)) => Ok(Answer::Verified {
            departure,
            connection: Box::new(connection),
            verified,
            grant: Box::new(grant),
        }),
        Err(err) => {
            if let Some(detail) = err.detail() {
                ports.diagnostics.log(&format!("federation: {detail}"));
            }
            Ok(refused(departure, "server_error"))
        }
    }
}

/// What the provider's token endpoint handed over besides the ID token (RFC 6749 §5.1):
/// kept for the identity only when the connection says `store_tokens`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Grant {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds; some providers send it as a string.
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl Grant {
    /// `expires_in` in seconds, whichever way the provider wrote it.
    pub fn expires_in_seconds(&self) -> Option<u64> {
        match self.expires_in.as_ref()? {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl core::fmt::Debug for Grant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Grant")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(flatten)]
    grant: Grant,
    /// GitHub answers a refused code with `200` and an RFC 6749 §5.2 error body.
    #[serde(default)]
    error: Option<String>,
}

/// How Portcullis authenticates to the provider's token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientAuth {
    /// `client_secret_basic`, which every OpenID Provider must accept.
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the body, as GitHub
    /// documents.
    Post,
}

fn invalid(connection: &Connection, what: impl core::fmt::Display) -> Error {
    Error::FederationFailed(format!("connection {}: {what}", connection.id))
}

async fn verify(
    ports: &Ports<'_>,
    issuer: &str,
    connection: &Connection,
    params: &[(String, String)],
    nonce: &str,
    code_verifier: &str,
) -> Result<(Verified, Grant), Error> {
    if connection.kind == ConnectionKind::Github {
        let code = param(params, "code").ok_or_else(|| invalid(connection, "no code"))?;
        let token_endpoint = github::endpoints(&connection.issuer).token;
        let tokens = exchange(
            ports,
            issuer,
            connection,
            (&token_endpoint, ClientAuth::Post),
            code,
            code_verifier,
        )
        .await?;
        let access_token = tokens
            .grant
            .access_token
            .as_deref()
            .ok_or_else(|| invalid(connection, "no access_token in the token response"))?;
        let person = github::person(ports, connection, access_token).await?;
        return Ok((person, tokens.grant));
    }
    let provider = provider::load(ports, connection).await?;
    // RFC 9207 §2.4: an `iss` in the response must be the provider's; a provider that
    // says it sends one must send it.
    let tenant_issuer = connection.kind == ConnectionKind::Microsoft
        && provider
            .metadata
            .issuer
            .contains(id_token::TENANT_PLACEHOLDER);
    match param(params, "iss") {
        Some(iss)
            if iss != provider.metadata.issuer
                && !(tenant_issuer
                    && id_token::fits_tenant_template(&provider.metadata.issuer, iss)) =>
        {
            return Err(invalid(connection, "RFC 9207 iss of another issuer"))
        }
        None if provider
            .metadata
            .authorization_response_iss_parameter_supported =>
        {
            return Err(invalid(connection, "RFC 9207 iss missing"))
        }
        _ => {}
    }
    let code = param(params, "code").ok_or_else(|| invalid(connection, "no code"))?;
    // Apple documents client_secret_post only.
    let auth = match connection.kind {
        ConnectionKind::Apple => ClientAuth::Post,
        _ => ClientAuth::Basic,
    };
    let tokens = exchange(
        ports,
        issuer,
        connection,
        (&provider.metadata.token_endpoint, auth),
        code,
        code_verifier,
    )
    .await?;
    let id_token = tokens
        .id_token
        .ok_or_else(|| invalid(connection, "no id_token in the token response"))?;
    let token = id_token::parse(&id_token).map_err(|e| invalid(connection, format!("{e:?}")))?;
    let expected = Expected {
        issuer: &provider.metadata.issuer,
        tenant_issuer,
        client_id: &connection.client_id,
        nonce,
        now: ports.clock.now(),
        access_token: tokens.grant.access_token.as_deref(),
    };
    let key = match id_token::key_for(&provider.keys, &token) {
        Some(key) => key.clone(),
        // An unknown kid: the provider may have rotated; fetch its keys once more.
        None => match provider::refresh_keys(ports, connection, &provider).await? {
            Some(refreshed) => id_token::key_for(&refreshed.keys, &token)
                .cloned()
                .ok_or_else(|| invalid(connection, format!("{:?}", IdTokenError::UnknownKey)))?,
            None => {
                return Err(invalid(
                    connection,
                    format!("{:?}", IdTokenError::UnknownKey),
                ))
            }
        },
    };
    // §3.1.3.7 step 6: validate the signature per JWS with the algorithm in the header.
    let signed = ports
        .jws
        .verify(
            token.algorithm,
            &key,
            token.signing_input.as_bytes(),
            &token.signature,
        )
        .await
        .map_err(|e| invalid(connection, e.0))?;
    if !signed {
        return Err(invalid(
            connection,
            format!("{:?}", IdTokenError::BadSignature),
        ));
    }
    let mut verified =
        id_token::validate(&token, &expected).map_err(|e| invalid(connection, format!("{e:?}")))?;
    if connection.kind == ConnectionKind::Apple {
        apple::private_relay(&mut verified);
        if let Some(user) = param(params, "user") {
            apple::add_first_consent(&mut verified, user);
        }
    }
    if connection.options.userinfo {
        let endpoint = provider
            .metadata
            .userinfo_endpoint
            .as_deref()
            .ok_or_else(|| invalid(connection, "no userinfo_endpoint in the metadata"))?;
        let access_token = tokens
            .grant
            .access_token
            .as_deref()
            .ok_or_else(|| invalid(connection, "no access_token for userinfo"))?;
        let answer = userinfo::fetch(ports, connection, endpoint, access_token).await?;
        userinfo::merge(&mut verified, answer)
            .map_err(|e| invalid(connection, format!("userinfo: {e:?}")))?;
    }
    Ok((verified, tokens.grant))
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: the code and the verifier, the client
/// authenticated with HTTP Basic (RFC 6749 §2.3.1) when it has a secret.
async fn exchange(
    ports: &Ports<'_>,
    issuer: &str,
    connection: &Connection,
    endpoint: (&str, ClientAuth),
    code: &str,
    code_verifier: &str,
) -> Result<TokenResponse, Error> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code");
    form.append_pair("code", code);
    form.append_pair("redirect_uri", &callback_url(issuer, &connection.id));
    form.append_pair("code_verifier", code_verifier);
    let answer = token_request(ports, connection, endpoint, form).await?;
    if answer.status != 200 {
        return Err(invalid(
            connection,
            format!(
                "token endpoint answered {}: {}",
                answer.status,
                answer.body.chars().take(200).collect::<String>()
            ),
        ));
    }
    let tokens: TokenResponse = serde_json::from_str(&answer.body)
        .map_err(|e| invalid(connection, format!("token response: {e}")))?;
    match tokens.error {
        Some(error) => Err(invalid(
            connection,
            format!("token endpoint refused the code: {error}"),
        )),
        None => Ok(tokens),
    }
}

/// The provider's token endpoint and how Portcullis authenticates there.
pub(super) async fn token_endpoint(
    ports: &Ports<'_>,
    connection: &Connection,
) -> Result<(String, ClientAuth), Error> {
    Ok(match connection.kind {
        ConnectionKind::Github => (
            github::endpoints(&connection.issuer).token,
            ClientAuth::Post,
        ),
        // Apple documents client_secret_post only.
        ConnectionKind::Apple => (
            provider::load(ports, connection)
                .await?
                .metadata
                .token_endpoint
                .clone(),
            ClientAuth::Post,
        ),
        ConnectionKind::Oidc | ConnectionKind::Microsoft => (
            provider::load(ports, connection)
                .await?
                .metadata
                .token_endpoint
                .clone(),
            ClientAuth::Basic,
        ),
    })
}

/// A token request (RFC 6749 §3.2) of `form`'s grant, the client authenticated as
/// `auth` says: the provider's answer as it came.
pub(super) async fn token_request(
    ports: &Ports<'_>,
    connection: &Connection,
    (token_endpoint, auth): (&str, ClientAuth),
    mut form: form_urlencoded::Serializer<'_, String>,
) -> Result<crate::ports::HttpAnswer, Error> {
    let secret = match (
        &connection.sealed_client_secret,
        &ports.settings.key_encryption_key,
    ) {
        (None, _) => None,
        (Some(_), None) => return Err(Error::Internal("KEY_ENCRYPTION_KEY is not set".into())),
        (Some(_), Some(kek)) => connection.client_secret(kek).map_err(|_| {
            Error::Internal(format!(
                "connection {}: secret does not open",
                connection.id
            ))
        })?,
    };
    // Apple's client secret is a JWT made now with the sealed key.
    let secret = match (connection.kind, secret) {
        (ConnectionKind::Apple, Some(key)) => {
            Some(apple::client_secret(connection, &key, ports.clock.now()).await?)
        }
        (ConnectionKind::Apple, None) => {
            return Err(invalid(connection, "no Sign in with Apple key is set"))
        }
        (_, secret) => secret,
    };
    let mut headers = vec![
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("accept".to_string(), "application/json".to_string()),
    ];
    match secret {
        Some(secret) if auth == ClientAuth::Post => {
            form.append_pair("client_id", &connection.client_id);
            form.append_pair("client_secret", &secret);
        }
        Some(secret) => {
            use base64::engine::general_purpose::STANDARD;
            use base64::Engine;
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let basic = STANDARD.encode(format!(
                "{}:{}",
                encode(&connection.client_id),
                encode(&secret)
            ));
            headers.push(("authorization".to_string(), format!("Basic {basic}")));
        }
        None => {
            form.append_pair("client_id", &connection.client_id);
        }
    }
    let request = WebhookRequest {
        url: token_endpoint.to_string(),
        headers,
        body: form.finish(),
    };
    ports
        .http
        .post(&request, TIMEOUT_MS)
        .await
        .map_err(|e| invalid(connection, format!("token endpoint: {}", e.0)))
}
