//! JWS signature verification in software, for the [`JwsVerifier`] port natively (tests,
//! benchmarks): `jsonwebtoken`'s RustCrypto backend. Workers verify with WebCrypto
//! instead (`platform::cloudflare::webcrypto`), so no RSA code ships in the worker.

use async_trait::async_trait;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm as JoseAlgorithm, DecodingKey};

use crate::federation::id_token::Algorithm;
use crate::ports::{JwsVerifier, VerifyUnavailable};

pub struct SoftwareJws;

#[async_trait(?Send)]
impl JwsVerifier for SoftwareJws {
    async fn verify(
        &self,
        algorithm: Algorithm,
        jwk: &serde_json::Value,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifyUnavailable> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let unusable = |e: &dyn core::fmt::Display| VerifyUnavailable(format!("JWK: {e}"));
        let jwk: Jwk = serde_json::from_value(jwk.clone()).map_err(|e| unusable(&e))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| unusable(&e))?;
        let algorithm = match algorithm {
            Algorithm::Rs256 => JoseAlgorithm::RS256,
            Algorithm::Es256 => JoseAlgorithm::ES256,
        };
        jsonwebtoken::crypto::verify(
            &URL_SAFE_NO_PAD.encode(signature),
            signing_input,
            &key,
            algorithm,
        )
        .map_err(|e| unusable(&e))
    }
}
