//! Sealing secrets at rest: AES-256-GCM under the deployment's key-encryption key (the
//! `KEY_ENCRYPTION_KEY` secret), with the record's identity as associated data so a sealed
//! value cannot be moved to another record.
//!
//! Sealed form: `base64url(nonce ‖ ciphertext ‖ tag)` with a random 96-bit nonce.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::crypto::random::{RandomUnavailable, SecureRandom};

const NONCE_BYTES: usize = 12;

/// The 256-bit key that seals signing keys. Prints as `[redacted]`.
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl core::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyEncryptionKey([redacted])")
    }
}

/// The configured key is not 32 bytes of base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedKey;

/// A sealed value did not open: wrong key, wrong record, or tampered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFailed;

impl KeyEncryptionKey {
    /// Parses the secret as configured: 32 bytes, base64url without padding
    /// (`openssl rand 32 | basenc --base64url | tr -d =`).
    pub fn parse(encoded: &str) -> Result<KeyEncryptionKey, MalformedKey> {
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded.trim().trim_end_matches('='))
            .map_err(|_| MalformedKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| MalformedKey)?;
        Ok(KeyEncryptionKey(key))
    }

    /// A secret for another purpose, derived from this key and `label` (HMAC-SHA-256), so
    /// one configured secret serves several uses without them ever sharing a key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        crate::crypto::hmac_sha256(&self.0, label.as_bytes())
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte array is always a valid AES-256 key.
        Aes256Gcm::new((&self.0).into())
    }

    /// Seals `plaintext`, bound to `record` (e.g. the key id).
    pub fn seal(
        &self,
        plaintext: &[u8],
        record: &str,
        random: &dyn SecureRandom,
    ) -> Result<String, RandomUnavailable> {
        let mut nonce = [0u8; NONCE_BYTES];
        random.fill(&mut nonce)?;
        let payload = Payload {
            msg: plaintext,
            aad: record.as_bytes(),
        };
        // Encryption only fails for messages beyond 64 GiB.
        let sealed = self
            .cipher()
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| RandomUnavailable)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value sealed by [`KeyEncryptionKey::seal`] for the same `record`.
    pub fn open(&self, sealed: &str, record: &str) -> Result<Vec<u8>, OpenFailed> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| OpenFailed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenFailed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| OpenFailed)?;
        let payload = Payload {
            msg: ciphertext,
            aad: record.as_bytes(),
        };
        self.cipher()
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| OpenFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    fn kek() -> KeyEncryptionKey {
        KeyEncryptionKey::parse(&URL_SAFE_NO_PAD.encode([7u8; 32])).unwrap()
    }

    #[test]
    fn seal_then_open_round_trips_for_the_same_record() {
        let sealed = kek()
            .seal(b"secret", "kid-1", &SeededRandom::new(1))
            .unwrap();
        assert_eq!(kek().open(&sealed, "kid-1").unwrap(), b"secret");
        assert!(!sealed.contains("secret"));
    }

    #[test]
    fn a_sealed_value_does_not_open_for_another_record_key_or_after_tampering() {
        let sealed = kek()
            .seal(b"secret", "kid-1", &SeededRandom::new(1))
            .unwrap();
        assert_eq!(kek().open(&sealed, "kid-2"), Err(OpenFailed));
        let other = KeyEncryptionKey::parse(&URL_SAFE_NO_PAD.encode([8u8; 32])).unwrap();
        assert_eq!(other.open(&sealed, "kid-1"), Err(OpenFailed));
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            kek().open(&URL_SAFE_NO_PAD.encode(bytes), "kid-1"),
            Err(OpenFailed)
        );
        assert_eq!(kek().open("", "kid-1"), Err(OpenFailed));
    }

    #[test]
    fn only_32_byte_base64url_keys_parse_and_they_never_print() {
        assert_eq!(KeyEncryptionKey::parse("short").unwrap_err(), MalformedKey);
        assert_eq!(
            KeyEncryptionKey::parse(&URL_SAFE_NO_PAD.encode([1u8; 31])).unwrap_err(),
            MalformedKey
        );
        assert_eq!(format!("{:?}", kek()), "KeyEncryptionKey([redacted])");
    }
}
