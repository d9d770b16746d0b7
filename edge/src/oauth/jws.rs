//! JWS compact serialisation (RFC 7515 §7.1) of JSON claims, signed through the
//! [`Signer`] port so the key may live in WebCrypto or in wasm alike.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::ports::{SignError, SignatureCheck, Signer};

/// The JOSE header we emit.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// `typ` of ID tokens (OIDC Core §2 leaves it open; "JWT" is what clients expect).
pub const TYP_ID_TOKEN: &str = "JWT";
/// `typ` of access tokens: RFC 9068 §2.1 requires `at+jwt`.
pub const TYP_ACCESS_TOKEN: &str = "at+jwt";

/// `BASE64URL(header) . BASE64URL(claims) . BASE64URL(signature)`.
pub async fn sign_compact<C: Serialize>(
    signer: &dyn Signer,
    typ: &str,
    claims: &C,
) -> Result<String, SignError> {
    let header = Header {
        alg: signer.algorithm(),
        kid: signer.key_id(),
        typ,
    };
    let header = serde_json::to_vec(&header).map_err(|e| SignError(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| SignError(e.to_string()))?;
    let mut input = URL_SAFE_NO_PAD.encode(header);
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let signature = signer.sign(input.as_bytes()).await?;
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(input)
}

/// Why a compact JWS was refused. Callers answer all of them the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    Malformed,
    /// RFC 8725 §3.1: only the algorithm we sign with is accepted; `none` never.
    WrongAlgorithm,
    WrongType,
    UnknownKey,
    BadSignature,
}

#[derive(serde::Deserialize)]
struct ParsedHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
}

/// Verifies a compact ES256 JWS of type `typ` with `keys` (our published keys) and
/// returns its claims. Claim checks (issuer, audience, expiry) are the caller's.
pub async fn verify_compact<C: serde::de::DeserializeOwned>(
    token: &str,
    typ: &str,
    keys: &dyn SignatureCheck,
) -> Result<C, VerifyError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| VerifyError::Malformed)
    };
    let parsed: ParsedHeader =
        serde_json::from_slice(&decode(header)?).map_err(|_| VerifyError::Malformed)?;
    if parsed.alg != "ES256" {
        return Err(VerifyError::WrongAlgorithm);
    }
    if !parsed.typ.is_some_and(|t| t.eq_ignore_ascii_case(typ)) {
        return Err(VerifyError::WrongType);
    }
    let kid = parsed
        .kid
        .filter(|kid| keys.knows(kid))
        .ok_or(VerifyError::UnknownKey)?;
    let signature = decode(signature)?;
    let signed = &token[..header.len() + 1 + payload.len()];
    if !keys.verifies(&kid, signed.as_bytes(), &signature).await {
        return Err(VerifyError::BadSignature);
    }
    serde_json::from_slice(&decode(payload)?).map_err(|_| VerifyError::Malformed)
}
