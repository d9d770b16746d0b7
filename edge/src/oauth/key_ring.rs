//! The signing keys as the token endpoint and the JWKS see them, once loaded (see
//! [`crate::oauth::keys`]): what an isolate keeps between requests.

use async_trait::async_trait;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

use crate::crypto::signer::{SignatureCheck, Signer};
use crate::oauth::jwks::{EcJwk, JwkSet};

/// The key named `kid` among published keys held in some form.
pub fn by_kid<'a, K>(keys: &'a [(String, K)], kid: &str) -> Option<&'a K> {
    keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
}

/// The published keys, parsed once, checking with `p256`.
pub struct SoftwareCheck {
    keys: Vec<(String, VerifyingKey)>,
}

impl SoftwareCheck {
    pub fn new(published: &JwkSet) -> SoftwareCheck {
        SoftwareCheck {
            keys: published
                .keys
                .iter()
                .filter_map(|jwk| Some((jwk.kid.clone(), jwk.verifying_key()?)))
                .collect(),
        }
    }
}

#[async_trait(?Send)]
impl SignatureCheck for SoftwareCheck {
    fn knows(&self, kid: &str) -> bool {
        by_kid(&self.keys, kid).is_some()
    }

    async fn verifies(&self, kid: &str, message: &[u8], signature: &[u8]) -> bool {
        let key = by_kid(&self.keys, kid);
        let (Some(key), Ok(signature)) = (key, Signature::from_slice(signature)) else {
            return false;
        };
        key.verify(message, &signature).is_ok()
    }
}

/// The keys as the token endpoint and the JWKS see them.
pub struct KeyRing {
    /// Signs new tokens (see [`crate::ports::SignerFactory`]).
    pub signer: Box<dyn Signer>,
    /// Checks our own tokens when they come back, against [`KeyRing::published`].
    pub check: Box<dyn SignatureCheck>,
    /// What `jwks_uri` publishes: the current key and recently retired ones.
    pub published: JwkSet,
    /// [`KeyRing::published`] as served, and its entity tag (RFC 9110 §8.8.3).
    jwks: (String, String),
}

impl KeyRing {
    pub(crate) fn new(
        signer: Box<dyn Signer>,
        check: Box<dyn SignatureCheck>,
        published: JwkSet,
    ) -> KeyRing {
        // Serialising a struct of strings cannot fail.
        let json = serde_json::to_string(&published).unwrap_or_default();
        let etag = format!("\"{}\"", &crate::crypto::sha256_hex(&json)[..32]);
        KeyRing {
            signer,
            check,
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
