//! Public signing keys as a JWK Set (RFC 7517 §5) for `jwks_uri`, with key ids that are
//! RFC 7638 JWK thumbprints, so a key's id follows from the key alone.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::es256::coordinates;

/// An EC P-256 public key (RFC 7518 §6.2.1) for ES256 signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

/// `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<EcJwk>,
}

impl EcJwk {
    /// The P-256 public key this JWK describes, if it is one.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.kty != "EC" || self.crv != "P-256" {
            return None;
        }
        let x: [u8; 32] = URL_SAFE_NO_PAD.decode(&self.x).ok()?.try_into().ok()?;
        let y: [u8; 32] = URL_SAFE_NO_PAD.decode(&self.y).ok()?.try_into().ok()?;
        let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        VerifyingKey::from_encoded_point(&point).ok()
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let (x, y) = coordinates(key);
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The JWK of an ES256 verification key, `kid` its thumbprint.
pub fn es256_jwk(key: &VerifyingKey) -> EcJwk {
    let (x, y) = coordinates(key);
    EcJwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        x,
        y,
        kid: thumbprint(key),
        use_: "sig".into(),
        alg: "ES256".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::es256::Es256Signer;
    use crate::testing::SeededRandom;

    #[test]
    fn rfc7518_6_2_1_members_and_32_byte_coordinates() {
        let signer = Es256Signer::generate("k", &SeededRandom::new(5)).unwrap();
        let jwk = es256_jwk(&signer.verifying_key());
        assert_eq!(
            (
                jwk.kty.as_str(),
                jwk.crv.as_str(),
                jwk.alg.as_str(),
                jwk.use_.as_str()
            ),
            ("EC", "P-256", "ES256", "sig")
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwk.x).unwrap().len(), 32);
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwk.y).unwrap().len(), 32);
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["use"], "sig");
    }

    #[test]
    fn a_published_jwk_yields_the_same_verifying_key() {
        let signer = Es256Signer::generate("k", &SeededRandom::new(6)).unwrap();
        let jwk = es256_jwk(&signer.verifying_key());
        assert_eq!(jwk.verifying_key(), Some(signer.verifying_key()));
        let mut wrong_curve = jwk.clone();
        wrong_curve.crv = "P-384".into();
        assert_eq!(wrong_curve.verifying_key(), None);
        let mut off_curve = jwk;
        off_curve.y = off_curve.x.clone();
        assert_eq!(off_curve.verifying_key(), None);
    }

    #[test]
    fn rfc7638_thumbprint_is_stable_and_distinct_per_key() {
        let a = Es256Signer::generate("a", &SeededRandom::new(6))
            .unwrap()
            .verifying_key();
        let b = Es256Signer::generate("b", &SeededRandom::new(7))
            .unwrap()
            .verifying_key();
        assert_eq!(thumbprint(&a), thumbprint(&a));
        assert_ne!(thumbprint(&a), thumbprint(&b));
        assert_eq!(thumbprint(&a).len(), 43);
    }
}
