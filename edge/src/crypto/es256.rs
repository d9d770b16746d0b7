//! ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) signing with the `p256` crate.
//!
//! Pure Rust, so it runs natively and in wasm alike.

use async_trait::async_trait;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

use super::random::{RandomUnavailable, SecureRandom};
use super::sealing::{KeyEncryptionKey, OpenFailed};
use super::signer::{SignError, Signer};

/// The affine coordinates of `key`, base64url-encoded (RFC 7518 §6.2.1.2–3).
pub fn coordinates(key: &VerifyingKey) -> (String, String) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let point = key.to_encoded_point(false);
    // An uncompressed point always has both coordinates.
    let x = point
        .x()
        .map(|x| URL_SAFE_NO_PAD.encode(x))
        .unwrap_or_default();
    let y = point
        .y()
        .map(|y| URL_SAFE_NO_PAD.encode(y))
        .unwrap_or_default();
    (x, y)
}

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

    /// The key as the members of a private JWK (RFC 7518 §6.2.1–6.2.2), base64url:
    /// `(x, y, d)`. Only for handing the key to the platform's own crypto once (WebCrypto
    /// `importKey`, as a non-extractable key).
    pub fn private_jwk_members(&self) -> (String, String, String) {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let (x, y) = coordinates(self.key.verifying_key());
        (x, y, URL_SAFE_NO_PAD.encode(self.key.to_bytes()))
    }

    /// The private scalar sealed under `kek`, bound to this key's id.
    pub fn seal(
        &self,
        kek: &KeyEncryptionKey,
        random: &dyn SecureRandom,
    ) -> Result<String, RandomUnavailable> {
        kek.seal(&self.key.to_bytes(), &self.key_id, random)
    }

    /// A P-256 private key in PKCS #8 (RFC 5208) PEM (RFC 7468 §10,
    /// `-----BEGIN PRIVATE KEY-----`), as Apple hands out its Sign in with Apple keys
    /// (`AuthKey_<key id>.p8`), to sign as `key_id`.
    pub fn from_pkcs8_pem(key_id: &str, pem: &str) -> Result<Es256Signer, OpenFailed> {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine;
        use p256::pkcs8::DecodePrivateKey;
        let body = pem
            .trim()
            .strip_prefix("-----BEGIN PRIVATE KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PRIVATE KEY-----"))
            .ok_or(OpenFailed)?;
        let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD.decode(base64).map_err(|_| OpenFailed)?;
        let key = SigningKey::from_pkcs8_der(&der).map_err(|_| OpenFailed)?;
        Ok(Es256Signer {
            key_id: key_id.to_string(),
            key,
        })
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
    fn rfc7518_6_2_private_jwk_members_are_the_published_coordinates_and_the_scalar() {
        let signer = Es256Signer::generate("k1", &SeededRandom::new(4)).unwrap();
        let (x, y, d) = signer.private_jwk_members();
        let public = crate::oauth::jwks::es256_jwk(&signer.verifying_key());
        assert_eq!(
            (x.as_str(), y.as_str()),
            (public.x.as_str(), public.y.as_str())
        );
        let scalar =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, d).unwrap();
        assert_eq!(SigningKey::from_slice(&scalar).unwrap(), signer.key);
    }

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
