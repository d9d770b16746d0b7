//! ID token validation, OpenID Connect Core 1.0 §3.1.3.7, each numbered step cited
//! above its check. The signature is verified by the [`JwsVerifier`] port against a key
//! of the provider's JWKS (WebCrypto on Workers); every claim is checked here, with time
//! from the [`Clock`] port.
//!
//! [`Clock`]: crate::ports::Clock
//! [`JwsVerifier`]: crate::ports::JwsVerifier

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::time::UnixMillis;

/// Tolerated difference between our clock and the provider's.
pub const CLOCK_SKEW_SECONDS: u64 = 60;
/// An ID token issued longer ago than this is refused (§3.1.3.7 step 10): it was just
/// minted for a code exchanged a moment ago.
pub const MAX_AGE_SECONDS: u64 = 600;

/// What the provider asserts about the person, once the token validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: String,
    pub email: Option<String>,
    /// Only `true` when the provider said so (`email_verified: true`).
    pub email_verified: bool,
    /// Every claim the provider asserted (the ID token's, with userinfo's added): what
    /// the connection's claim mapping fills a new account's profile from.
    pub claims: Map<String, Value>,
}

/// Whether a claim says yes: `true`, or the string `"true"` (Apple writes its flags
/// as strings).
pub fn says_true(claim: Option<&Value>) -> bool {
    match claim {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true",
        _ => false,
    }
}

/// Why an ID token was refused (for logs; the person is told only that it failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenError {
    Malformed,
    /// §3.1.3.7 step 7: `none`, HMAC and anything but RS256 and ES256.
    UnsupportedAlgorithm,
    /// No key of the provider's JWKS has the token's `kid` (after one refresh).
    UnknownKey,
    /// §3.1.3.7 step 6.
    BadSignature,
    /// §3.1.3.7 step 2.
    WrongIssuer,
    /// §3.1.3.7 step 3.
    WrongAudience,
    /// §3.1.3.7 steps 4–5.
    WrongAuthorizedParty,
    /// §3.1.3.7 step 9.
    Expired,
    /// §3.1.3.7 step 10.
    IssuedAtOutOfRange,
    /// §3.1.3.7 step 11.
    NonceMismatch,
    /// §3.2.2.9 / §3.1.3.8: `at_hash` does not match the access token.
    AccessTokenHashMismatch,
    /// A multi-tenant issuer (`…/{tenantid}/…`) and no usable `tid` in the token.
    MissingTenant,
}

/// What the token is checked against.
pub struct Expected<'a> {
    /// The issuer, or with [`Expected::tenant_issuer`] its template (`{tenantid}`).
    pub issuer: &'a str,
    /// Microsoft's multi-tenant endpoints publish an issuer template: the token's issuer
    /// is the template with the token's own `tid` in place of `{tenantid}`.
    pub tenant_issuer: bool,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: UnixMillis,
    /// The access token from the same response, for `at_hash`.
    pub access_token: Option<&'a str>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: u64,
    iat: u64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    at_hash: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// Microsoft's tenant id.
    #[serde(default)]
    tid: Option<String>,
}

/// The template placeholder of Microsoft's multi-tenant issuers.
pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// A tenant id as Microsoft writes it: a GUID, lower-case hex in the 8-4-4-4-12 form.
fn is_tenant_id(tid: &str) -> bool {
    let groups: Vec<&str> = tid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `concrete` is `template` with one path segment in place of `{tenantid}`
/// (`https://login.microsoftonline.com/common/v2.0` fits
/// `https://login.microsoftonline.com/{tenantid}/v2.0`).
pub fn fits_tenant_template(template: &str, concrete: &str) -> bool {
    let Some((prefix, suffix)) = template.split_once(TENANT_PLACEHOLDER) else {
        return false;
    };
    concrete.len() > prefix.len() + suffix.len()
        && concrete.starts_with(prefix)
        && concrete.ends_with(suffix)
        && !concrete[prefix.len()..concrete.len() - suffix.len()].contains(['/', '{', '}'])
}

/// The JWS algorithms accepted for ID tokens (RFC 7518 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Google, Microsoft, Apple).
    Rs256,
    /// ECDSA P-256 with SHA-256; the signature is `r ‖ s` (64 bytes).
    Es256,
}

impl Algorithm {
    /// The JWK `kty` of its keys.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RSA",
            Algorithm::Es256 => "EC",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// The parts of a compact JWS, before anything is trusted.
pub struct Unverified<'a> {
    token: &'a str,
    /// `BASE64URL(header) . BASE64URL(payload)`: what the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
    pub algorithm: Algorithm,
    /// The `kid` of the signing key, if the header names one.
    pub kid: Option<String>,
}

/// A JWS part: base64url of a JSON object.
fn json_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, IdTokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(IdTokenError::Malformed)
}

/// Reads the header: which key and algorithm the token claims.
pub fn parse(token: &str) -> Result<Unverified<'_>, IdTokenError> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(IdTokenError::Malformed)?;
    let (header, _) = signing_input
        .split_once('.')
        .ok_or(IdTokenError::Malformed)?;
    let header: Header = json_part(header)?;
    // §3.1.3.7 step 7: the algorithm must be one we accept for ID tokens; never `none`
    // or HMAC (which would turn our client secret into a signing key).
    let algorithm = match header.alg.as_str() {
        "RS256" => Algorithm::Rs256,
        "ES256" => Algorithm::Es256,
        _ => return Err(IdTokenError::UnsupportedAlgorithm),
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| IdTokenError::Malformed)?;
    Ok(Unverified {
        token,
        signing_input,
        signature,
        algorithm,
        kid: header.kid,
    })
}

/// The key in `keys` (a JWKS's `keys`) that may verify `token`: the one with its `kid`,
/// or the only key of the right type when the token names none; only keys for
/// signatures whose `kty` (and `alg`, when given) fit the token's algorithm. `None` if
/// there is no such key.
pub fn key_for<'k>(keys: &'k [Value], token: &Unverified<'_>) -> Option<&'k Value> {
    let text = |key: &'k Value, name: &str| key.get(name).and_then(Value::as_str);
    let fits = |key: &&'k Value| {
        text(key, "kty") == Some(token.algorithm.key_type())
            && text(key, "alg").is_none_or(|alg| alg == token.algorithm.as_str())
            && text(key, "use").is_none_or(|usage| usage == "sig")
    };
    match &token.kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|key| text(key, "kid") == Some(kid.as_str())),
        None => {
            let mut candidates = keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
}

/// Validates the claims of `token`, whose signature the caller verified (§3.1.3.7 step
/// 6), per the rest of §3.1.3.7.
pub fn validate(token: &Unverified<'_>, expected: &Expected<'_>) -> Result<Verified, IdTokenError> {
    let payload = token
        .token
        .split('.')
        .nth(1)
        .ok_or(IdTokenError::Malformed)?;
    let all: Map<String, Value> = json_part(payload)?;
    let claims: Claims =
        serde_json::from_value(Value::Object(all.clone())).map_err(|_| IdTokenError::Malformed)?;

    // §3.1.3.7 step 2: "The Issuer Identifier for the OpenID Provider … MUST exactly match
    // the value of the iss (issuer) Claim." For a multi-tenant Microsoft connection the
    // issuer is the template with the token's `tid`: a token of tenant A must say A in
    // both (Microsoft identity platform, "Validate the issuer").
    let issuer = if expected.tenant_issuer {
        let tid = claims
            .tid
            .as_deref()
            .filter(|tid| is_tenant_id(tid))
            .ok_or(IdTokenError::MissingTenant)?;
        expected.issuer.replace(TENANT_PLACEHOLDER, tid)
    } else {
        expected.issuer.to_string()
    };
    if claims.iss != issuer {
        return Err(IdTokenError::WrongIssuer);
    }
    // §3.1.3.7 step 3: aud must contain our client_id, and the token is refused if it
    // contains audiences we do not trust (we trust none but ourselves).
    let audiences = match &claims.aud {
        Audience::One(one) => vec![one.as_str()],
        Audience::Many(many) => many.iter().map(String::as_str).collect(),
    };
    if audiences.is_empty() || audiences.iter().any(|aud| *aud != expected.client_id) {
        return Err(IdTokenError::WrongAudience);
    }
    // §3.1.3.7 steps 4–5: if azp is present, it must be our client_id.
    if claims
        .azp
        .as_deref()
        .is_some_and(|azp| azp != expected.client_id)
    {
        return Err(IdTokenError::WrongAuthorizedParty);
    }
    let now = expected.now.as_seconds();
    // §3.1.3.7 step 9: "The current time MUST be before the time represented by the exp
    // Claim" (with a little allowance for clock skew).
    if now >= claims.exp.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(IdTokenError::Expired);
    }
    // §3.1.3.7 step 10: iat can be used to reject tokens issued too far from now.
    if claims.iat > now + CLOCK_SKEW_SECONDS || claims.iat.saturating_add(MAX_AGE_SECONDS) < now {
        return Err(IdTokenError::IssuedAtOutOfRange);
    }
    // §3.1.3.7 step 11: the nonce we sent must come back, exactly.
    match claims.nonce.as_deref() {
        Some(nonce) if crate::crypto::constant_time_eq(nonce, expected.nonce) => {}
        _ => return Err(IdTokenError::NonceMismatch),
    }
    // §3.1.3.8 / §3.2.2.9: at_hash is the left half of the SHA-256 of the access token
    // (RS256 and ES256 both hash with SHA-256), base64url.
    if let (Some(at_hash), Some(access_token)) = (&claims.at_hash, expected.access_token) {
        let digest = Sha256::digest(access_token.as_bytes());
        let wanted = URL_SAFE_NO_PAD.encode(&digest[..16]);
        if !crate::crypto::constant_time_eq(at_hash, &wanted) {
            return Err(IdTokenError::AccessTokenHashMismatch);
        }
    }
    // §2: "sub … MUST NOT exceed 255 ASCII characters in length."
    if claims.sub.is_empty() || claims.sub.len() > 255 || !claims.sub.is_ascii() {
        return Err(IdTokenError::Malformed);
    }
    Ok(Verified {
        subject: claims.sub,
        email: claims.email,
        email_verified: says_true(all.get("email_verified")),
        claims: all,
    })
}
