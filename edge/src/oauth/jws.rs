//! JWS compact serialisation (RFC 7515 §7.1) of JSON claims, signed through the
//! [`Signer`] port so the key may live in WebCrypto or in wasm alike.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::ports::{SignError, Signer};

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
