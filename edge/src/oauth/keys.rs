//! The token signing key ring: generated on first use, sealed at rest, rotated with
//! overlap (OIDC Core §10.1.1).
//!
//! At most one ES256 key is current and signs; when it is rotated it stays in the JWKS
//! for [`PUBLISH_RETIRED_MS`], longer than any token it signed can live, so relying
//! parties that cached the JWKS keep verifying.

use std::rc::Rc;

use crate::crypto::es256::Es256Signer;
use crate::crypto::sealing::KeyEncryptionKey;
use crate::oauth::jwks::{es256_jwk, JwkSet};
use crate::ports::{Ports, StoreError, StoredKey, UnixMillis};

const ALG: &str = "ES256";
/// The scheduled rotation replaces a current key older than this.
pub const ROTATE_AFTER_MS: u64 = 30 * 24 * 3600 * 1000;
/// Longest lifetime of any token we sign (ID and access tokens are capped at a day).
pub const MAX_TOKEN_LIFETIME_SECONDS: u64 = 24 * 3600;
/// How long a retired key stays published: longer than any token it signed lives.
pub const PUBLISH_RETIRED_MS: u64 = 2 * MAX_TOKEN_LIFETIME_SECONDS * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The `KEY_ENCRYPTION_KEY` secret is not configured.
    NoKeyEncryptionKey,
    /// A stored key does not open under the configured secret (wrong or changed secret).
    Unsealable(String),
    Store(StoreError),
    RandomUnavailable,
}

impl From<StoreError> for KeyError {
    fn from(err: StoreError) -> Self {
        KeyError::Store(err)
    }
}

pub use super::key_ring::KeyRing;

fn kek<'a>(ports: &'a Ports<'_>) -> Result<&'a KeyEncryptionKey, KeyError> {
    ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or(KeyError::NoKeyEncryptionKey)
}

fn new_key(ports: &Ports<'_>, kek: &KeyEncryptionKey) -> Result<StoredKey, KeyError> {
    let fresh =
        Es256Signer::generate("pending", ports.random).map_err(|_| KeyError::RandomUnavailable)?;
    let jwk = es256_jwk(&fresh.verifying_key());
    let signer = fresh.with_key_id(jwk.kid.clone());
    let sealed = signer
        .seal(kek, ports.random)
        .map_err(|_| KeyError::RandomUnavailable)?;
    Ok(StoredKey {
        kid: jwk.kid.clone(),
        alg: ALG.into(),
        // Serialising a struct of strings cannot fail.
        public_jwk: serde_json::to_string(&jwk).unwrap_or_default(),
        sealed_private_key: sealed,
        created_at: ports.clock.now(),
        retired_at: None,
    })
}

fn current_of(keys: &[StoredKey]) -> Option<&StoredKey> {
    keys.iter().find(|k| k.alg == ALG && k.retired_at.is_none())
}

/// The key ring: the isolate's while it is fresh (see [`crate::cache`]), otherwise read
/// from the store, the current private key opened once, and kept.
pub async fn load(ports: &Ports<'_>) -> Result<Rc<KeyRing>, KeyError> {
    crate::cache_version::freshen(ports).await;
    let now = ports.clock.now();
    if let Some(ring) = ports.cache.key_ring(now) {
        return Ok(ring);
    }
    let ring = Rc::new(load_from_store(ports).await?);
    ports.cache.keep_key_ring(Rc::clone(&ring), now);
    Ok(ring)
}

/// The key ring as stored, generating the first key if there is none.
async fn load_from_store(ports: &Ports<'_>) -> Result<KeyRing, KeyError> {
    let kek = kek(ports)?;
    let mut keys = ports.keys.all().await?;
    if current_of(&keys).is_none() {
        ports
            .keys
            .insert_if_none_current(&new_key(ports, kek)?)
            .await?;
        // Another isolate may have won the race: use whichever key is current now.
        keys = ports.keys.all().await?;
    }
    let current = current_of(&keys).ok_or_else(|| {
        KeyError::Store(StoreError::Unavailable(
            "no current signing key after insert".into(),
        ))
    })?;
    let signer = Es256Signer::open(&current.kid, &current.sealed_private_key, kek)
        .map_err(|_| KeyError::Unsealable(current.kid.clone()))?;
    let signer = ports.signers.signer(signer).await;
    let published = published(&keys, ports.clock.now());
    let check = ports.signers.check(&published).await;
    Ok(KeyRing::new(signer, check, published))
}

/// The JWKS at `now`: the current key first, then retired keys still within their
/// publication window.
pub fn published(keys: &[StoredKey], now: UnixMillis) -> JwkSet {
    let mut ordered: Vec<&StoredKey> = keys
        .iter()
        .filter(|k| match k.retired_at {
            None => true,
            Some(retired) => now.0 < retired.0.saturating_add(PUBLISH_RETIRED_MS),
        })
        .collect();
    ordered.sort_by_key(|k| (k.retired_at.is_some(), std::cmp::Reverse(k.created_at)));
    JwkSet {
        keys: ordered
            .into_iter()
            .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
            .collect(),
    }
}

/// Rotates the current key if it is older than `max_age_ms` (0 forces a rotation).
/// Returns the new key's `kid` when it rotated.
pub async fn rotate_if_older_than(
    ports: &Ports<'_>,
    max_age_ms: u64,
) -> Result<Option<String>, KeyError> {
    let kek = kek(ports)?;
    let keys = ports.keys.all().await?;
    let now = ports.clock.now();
    let fresh = new_key(ports, kek)?;
    match current_of(&keys) {
        None => {
            ports.keys.insert_if_none_current(&fresh).await?;
            crate::cache_version::changed(ports).await;
            Ok(Some(fresh.kid))
        }
        Some(current) if now.0.saturating_sub(current.created_at.0) >= max_age_ms => {
            ports.keys.rotate(&current.kid, now, &fresh).await?;
            // This isolate signs with the new key from its next request; others within
            // their version check interval (see crate::cache).
            crate::cache_version::changed(ports).await;
            Ok(Some(fresh.kid))
        }
        Some(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    #[test]
    fn oidc_core_10_1_1_first_use_generates_one_sealed_key() {
        let t = TestPorts::new();
        let ports = t.ports();
        let ring = pollster::block_on(load(&ports)).unwrap();
        assert_eq!(ring.published.keys.len(), 1);
        assert_eq!(ring.published.keys[0].kid, ring.signer.key_id());
        let stored = pollster::block_on(ports.keys.all()).unwrap();
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].sealed_private_key.is_empty());
        // Loading again reuses the key.
        let again = pollster::block_on(load(&ports)).unwrap();
        assert_eq!(again.published, ring.published);
    }

    #[test]
    fn without_a_key_encryption_key_nothing_is_generated() {
        let mut t = TestPorts::new();
        t.settings.key_encryption_key = None;
        let ports = t.ports();
        assert_eq!(
            pollster::block_on(load(&ports)).err(),
            Some(KeyError::NoKeyEncryptionKey)
        );
        assert!(pollster::block_on(ports.keys.all()).unwrap().is_empty());
    }

    #[test]
    fn oidc_core_10_1_1_rotation_keeps_the_old_key_published_until_its_tokens_expire() {
        let t = TestPorts::new();
        let ports = t.ports();
        let first = pollster::block_on(load(&ports)).unwrap();
        let old_kid = first.published.keys[0].kid.clone();

        t.clock.advance_seconds(3600);
        assert_eq!(
            pollster::block_on(rotate_if_older_than(&ports, ROTATE_AFTER_MS)).unwrap(),
            None,
            "a young key is kept"
        );
        let new_kid = pollster::block_on(rotate_if_older_than(&ports, 0))
            .unwrap()
            .unwrap();
        let ring = pollster::block_on(load(&ports)).unwrap();
        assert_eq!(ring.signer.key_id(), new_kid);
        let kids: Vec<&str> = ring.published.keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);

        t.clock.advance_seconds(PUBLISH_RETIRED_MS / 1000);
        let ring = pollster::block_on(load(&ports)).unwrap();
        let kids: Vec<&str> = ring.published.keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(
            kids,
            [new_kid.as_str()],
            "retired key dropped after its window"
        );
    }

    #[test]
    fn a_changed_key_encryption_key_is_reported_not_papered_over() {
        let mut t = TestPorts::new();
        pollster::block_on(load(&t.ports())).unwrap();
        t.settings.key_encryption_key = Some(crate::testing::key_encryption_key(5));
        assert!(matches!(
            pollster::block_on(load(&t.ports())),
            Err(KeyError::Unsealable(_))
        ));
    }
}
