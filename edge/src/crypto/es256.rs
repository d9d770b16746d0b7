//! ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) signing with the `p256` crate.
//!
//! Pure Rust, so it runs natively and in wasm alike.

use async_trait::async_trait;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

use super::sealing::{KeyEncryptionKey, OpenFailed};
use crate::ports::{RandomUnavailable, SecureRandom, SignError, Signer};

/// An ES256 signing key with its JOSE key id.
pub struct Es256Signer {
    key_id: String,
    key: SigningKey,
}

impl Es256Signer {
    /// Generates a fresh key from the platform's random source.
    pub fn generate(
        key_id: impl Into<String>,
        random: &dyn SecureRandom,
    ) -> Result<Es256Signer, RandomUnavailable> {
        // A random 32-byte string is a valid P-256 scalar unless it is zero or ≥ n,
        // which happens with probability below 2^-32; draw again in that case.
        loop {
            let mut secret = [0u8; 32];
            random.fill(&mut secret)?;
            if let Ok(key) = SigningKey::from_slice(&secret) {
                return Ok(Es256Signer {
                    key_id: key_id.into(),
                    key,
                });
            }
        }
    }

    /// The same key under another key id (e.g. its RFC 7638 thumbprint, known only once
    /// the key exists).
    pub fn with_key_id(self, key_id: impl Into<String>) -> Es256Signer {
        Es256Signer {
            key_id: key_id.into(),
            key: self.key,
        }
    }

    /// The public half, for the JWKS.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// The private scalar sealed under `kek`, bound to this key's id.
    pub fn seal(
        &self,
        kek: &KeyEncryptionKey,
        random: &dyn SecureRandom,
    ) -> Result<String, RandomUnavailable> {
        kek.seal(&self.key.to_bytes(), &self.key_id, random)
    }

    /// Opens a key sealed by [`Es256Signer::seal`].
    pub fn open(
        key_id: &str,
        sealed: &str,
        kek: &KeyEncryptionKey,
    ) -> Result<Es256Signer, OpenFailed> {
        let scalar = kek.open(sealed, key_id)?;
        let key = SigningKey::from_slice(&scalar).map_err(|_| OpenFailed)?;
        Ok(Es256Signer {
            key_id: key_id.to_string(),
            key,
        })
    }
}

#[async_trait(?Send)]
impl Signer for Es256Signer {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn algorithm(&self) -> &'static str {
        "ES256"
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature: Signature = self
            .key
            .try_sign(message)
            .map_err(|e| SignError(e.to_string()))?;
        // JWS wants the fixed-width r ‖ s form (RFC 7518 §3.4), not DER.
        Ok(signature.to_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn a_sealed_key_opens_to_the_same_key_under_its_own_id_only() {
        use base64::Engine;
        let kek = KeyEncryptionKey::parse(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([9u8; 32]),
        )
        .unwrap();
        let signer = Es256Signer::generate("k1", &SeededRandom::new(2)).unwrap();
        let sealed = signer.seal(&kek, &SeededRandom::new(3)).unwrap();
        let opened = Es256Signer::open("k1", &sealed, &kek).unwrap();
        assert_eq!(opened.verifying_key(), signer.verifying_key());
        assert!(Es256Signer::open("k2", &sealed, &kek).is_err());
    }
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn rfc7518_3_4_signature_is_64_bytes_r_s_and_verifies() {
        let signer = Es256Signer::generate("k1", &SeededRandom::new(1)).unwrap();
        let sig = pollster::block_on(signer.sign(b"header.payload")).unwrap();
        assert_eq!(sig.len(), 64);
        let parsed = Signature::from_slice(&sig).unwrap();
        signer
            .verifying_key()
            .verify(b"header.payload", &parsed)
            .unwrap();
        assert!(signer
            .verifying_key()
            .verify(b"header.payload!", &parsed)
            .is_err());
        assert_eq!(signer.key_id(), "k1");
        assert_eq!(signer.algorithm(), "ES256");
    }
}
