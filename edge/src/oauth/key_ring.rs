//! The signing keys as the token endpoint and the JWKS see them, once loaded (see
//! [`crate::oauth::keys`]): what an isolate keeps between requests.

use crate::crypto::signer::Signer;
use crate::oauth::jwks::{EcJwk, JwkSet};

/// The keys as the token endpoint and the JWKS see them.
pub struct KeyRing {
    /// Signs new tokens (see [`crate::ports::SignerFactory`]).
    pub signer: Box<dyn Signer>,
    /// What `jwks_uri` publishes: the current key and recently retired ones.
    pub published: JwkSet,
    /// [`KeyRing::published`] as served, and its entity tag (RFC 9110 §8.8.3).
    jwks: (String, String),
}

impl KeyRing {
    pub(crate) fn new(signer: Box<dyn Signer>, published: JwkSet) -> KeyRing {
        // Serialising a struct of strings cannot fail.
        let json = serde_json::to_string(&published).unwrap_or_default();
        let etag = format!("\"{}\"", &crate::crypto::sha256_hex(&json)[..32]);
        KeyRing {
            signer,
            published,
            jwks: (json, etag),
        }
    }

    /// The JWKS document as served.
    pub fn jwks_json(&self) -> &str {
        &self.jwks.0
    }

    /// The JWKS document's strong entity tag: it changes exactly when the document does.
    pub fn jwks_etag(&self) -> &str {
        &self.jwks.1
    }

    /// The published key with this `kid`, for verifying our own tokens.
    pub fn find(&self, kid: &str) -> Option<&EcJwk> {
        self.published.keys.iter().find(|k| k.kid == kid)
    }
}
