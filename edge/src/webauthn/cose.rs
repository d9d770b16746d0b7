//! Credential public keys: COSE_Key (RFC 9052 §7) for ES256 (RFC 9053 §2.1, §7.1.1).

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

use super::CeremonyError;

/// COSE algorithm identifier of ES256 (ECDSA with P-256 and SHA-256).
pub const ES256: i64 = -7;

/// Algorithms we offer in `pubKeyCredParams`, most preferred first.
pub const SUPPORTED_ALGORITHMS: [i64; 1] = [ES256];

/// A parsed credential public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPublicKey {
    pub algorithm: i64,
    key: VerifyingKey,
}

impl CredentialPublicKey {
    /// Parses a COSE_Key. Keys of other algorithms are `UnsupportedAlgorithm`.
    pub fn parse(cose: &[u8]) -> Result<CredentialPublicKey, CeremonyError> {
        let bad = CeremonyError::MalformedPublicKey;
        let mut d = minicbor::Decoder::new(cose);
        let entries = d.map().map_err(|_| bad)?.ok_or(bad)?;
        let (mut kty, mut alg, mut crv) = (None, None, None);
        let (mut x, mut y): (Option<&[u8]>, Option<&[u8]>) = (None, None);
        for _ in 0..entries {
            match d.i64().map_err(|_| bad)? {
                1 => kty = Some(d.i64().map_err(|_| bad)?),
                3 => alg = Some(d.i64().map_err(|_| bad)?),
                -1 => crv = Some(d.i64().map_err(|_| bad)?),
                -2 => x = Some(d.bytes().map_err(|_| bad)?),
                -3 => y = Some(d.bytes().map_err(|_| bad)?),
                _ => d.skip().map_err(|_| bad)?,
            }
        }
        let algorithm = alg.ok_or(bad)?;
        if algorithm != ES256 {
            return Err(CeremonyError::UnsupportedAlgorithm);
        }
        // RFC 9053 §7.1.1: EC2 key (kty 2) on P-256 (crv 1), 32-byte coordinates.
        if kty != Some(2) || crv != Some(1) {
            return Err(bad);
        }
        let x: [u8; 32] = x.ok_or(bad)?.try_into().map_err(|_| bad)?;
        let y: [u8; 32] = y.ok_or(bad)?.try_into().map_err(|_| bad)?;
        let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        let key = VerifyingKey::from_encoded_point(&point).map_err(|_| bad)?;
        Ok(CredentialPublicKey { algorithm, key })
    }

    /// Verifies a WebAuthn ES256 signature (ASN.1 DER, §6.5.5) over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CeremonyError> {
        let signature = Signature::from_der(signature).map_err(|_| CeremonyError::BadSignature)?;
        self.key
            .verify(message, &signature)
            .map_err(|_| CeremonyError::BadSignature)
    }
}
