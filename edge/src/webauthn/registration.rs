//! The registration ceremony, W3C WebAuthn Level 3 §7.1 "Registering a New Credential".
//!
//! Steps 1–4 (calling `create()` and reading the response) happen in the browser; the
//! numbered checks from step 5 on are made here, each where its comment says.

use super::authenticator_data::AuthenticatorData;
use super::client_data::ClientData;
use super::cose::{CredentialPublicKey, SUPPORTED_ALGORITHMS};
use super::{sha256, CeremonyError, CredentialRecord, RelyingParty};

/// What the relying party remembers between `create()` options and the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRegistration {
    pub challenge: Vec<u8>,
    /// Passkeys require user verification (§7.1 step 14).
    pub user_verification_required: bool,
}

/// The browser's `AuthenticatorAttestationResponse`, decoded from base64url.
pub struct AttestationResponse<'a> {
    pub client_data_json: &'a [u8],
    pub attestation_object: &'a [u8],
}

/// Runs §7.1 steps 5–27. `is_registered` answers step 26 ("credentialId is not yet
/// registered for any user").
pub fn verify(
    rp: &RelyingParty,
    pending: &PendingRegistration,
    response: &AttestationResponse<'_>,
    is_registered: impl FnOnce(&[u8]) -> bool,
) -> Result<CredentialRecord, CeremonyError> {
    // Steps 5–6: parse clientDataJSON.
    let client_data = ClientData::parse(response.client_data_json)?;
    // Steps 7–10: type, challenge, origin, topOrigin.
    client_data.verify("webauthn.create", &pending.challenge, &rp.origins)?;
    // Step 11: hash of clientDataJSON.
    let client_data_hash = sha256(response.client_data_json);
    // Step 12: CBOR-decode the attestation object into fmt, authData and attStmt.
    let attestation = AttestationObject::parse(response.attestation_object)?;
    let auth_data = AuthenticatorData::parse(attestation.auth_data)?;
    // Steps 13–17: rpIdHash, UP, UV when required, BS only with BE.
    auth_data.verify_common(&rp.id_hash(), pending.user_verification_required)?;
    let attested = auth_data
        .attested
        .as_ref()
        .ok_or(CeremonyError::MalformedAuthenticatorData)?;
    // Step 19: the credential public key's algorithm is one we offered.
    let public_key = CredentialPublicKey::parse(attested.public_key)?;
    if !SUPPORTED_ALGORITHMS.contains(&public_key.algorithm) {
        return Err(CeremonyError::UnsupportedAlgorithm);
    }
    // Steps 21–22: the attestation statement format and its verification procedure.
    attestation.verify_statement(&public_key, &client_data_hash)?;
    // Step 25: credentialId is at most 1023 bytes.
    if !AuthenticatorData::credential_id_acceptable(attested.credential_id) {
        return Err(CeremonyError::CredentialIdTooLong);
    }
    // Step 26: the credential id is not yet registered.
    if is_registered(attested.credential_id) {
        return Err(CeremonyError::CredentialAlreadyRegistered);
    }
    // Step 27: the new credential record.
    Ok(CredentialRecord {
        id: attested.credential_id.to_vec(),
        public_key: attested.public_key.to_vec(),
        sign_count: auth_data.sign_count,
        uv_initialized: auth_data.user_verified(),
        backup_eligible: auth_data.backup_eligible(),
        backup_state: auth_data.backup_state(),
    })
}

/// The attestation object (§6.5.4): `fmt`, `attStmt`, `authData`.
struct AttestationObject<'a> {
    fmt: &'a str,
    auth_data: &'a [u8],
    /// `attStmt` of `packed` self attestation: `alg` and `sig` (§8.2), without `x5c`.
    packed: Option<(i64, &'a [u8])>,
    has_certificates: bool,
    statement_empty: bool,
}

impl<'a> AttestationObject<'a> {
    fn parse(bytes: &'a [u8]) -> Result<AttestationObject<'a>, CeremonyError> {
        let bad = CeremonyError::MalformedAttestation;
        let mut d = minicbor::Decoder::new(bytes);
        let entries = d.map().map_err(|_| bad)?.ok_or(bad)?;
        let (mut fmt, mut auth_data) = (None, None);
        let (mut alg, mut sig, mut has_certificates, mut statement_empty) =
            (None, None, false, true);
        for _ in 0..entries {
            match d.str().map_err(|_| bad)? {
                "fmt" => fmt = Some(d.str().map_err(|_| bad)?),
                "authData" => auth_data = Some(d.bytes().map_err(|_| bad)?),
                "attStmt" => {
                    let fields = d.map().map_err(|_| bad)?.ok_or(bad)?;
                    statement_empty = fields == 0;
                    for _ in 0..fields {
                        match d.str().map_err(|_| bad)? {
                            "alg" => alg = Some(d.i64().map_err(|_| bad)?),
                            "sig" => sig = Some(d.bytes().map_err(|_| bad)?),
                            "x5c" => {
                                has_certificates = true;
                                d.skip().map_err(|_| bad)?;
                            }
                            _ => d.skip().map_err(|_| bad)?,
                        }
                    }
                }
                _ => d.skip().map_err(|_| bad)?,
            }
        }
        Ok(AttestationObject {
            fmt: fmt.ok_or(bad)?,
            auth_data: auth_data.ok_or(bad)?,
            packed: alg.zip(sig),
            has_certificates,
            statement_empty,
        })
    }

    /// §7.1 steps 21–22 for the formats we accept: `none` (§8.7) and `packed` self
    /// attestation (§8.2 "If x5c is not present").
    fn verify_statement(
        &self,
        public_key: &CredentialPublicKey,
        client_data_hash: &[u8; 32],
    ) -> Result<(), CeremonyError> {
        match self.fmt {
            "none" if self.statement_empty => Ok(()),
            "none" => Err(CeremonyError::MalformedAttestation),
            "packed" if self.has_certificates => Err(CeremonyError::UnsupportedAttestation),
            "packed" => {
                let (alg, sig) = self.packed.ok_or(CeremonyError::MalformedAttestation)?;
                // §8.2: alg matches the credential public key's, and sig is over
                // authenticatorData ‖ clientDataHash with the credential private key.
                if alg != public_key.algorithm {
                    return Err(CeremonyError::UnsupportedAlgorithm);
                }
                let mut signed = self.auth_data.to_vec();
                signed.extend_from_slice(client_data_hash);
                public_key.verify(&signed, sig)
            }
            _ => Err(CeremonyError::UnsupportedAttestation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const ORIGIN: &str = "https://id.example.com";
    const CHALLENGE: &[u8] = b"registration-challenge-32-bytes!";

    fn rp() -> RelyingParty {
        RelyingParty {
            id: "id.example.com".into(),
            origins: vec![ORIGIN.into()],
        }
    }

    fn cose_key(alg: i64) -> Vec<u8> {
        let key = p256::ecdsa::SigningKey::from_slice(&[1u8; 32]).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let mut e = minicbor::Encoder::new(Vec::new());
        e.map(5).unwrap();
        e.i64(1).unwrap().i64(2).unwrap();
        e.i64(3).unwrap().i64(alg).unwrap();
        e.i64(-1).unwrap().i64(1).unwrap();
        e.i64(-2).unwrap().bytes(point.x().unwrap()).unwrap();
        e.i64(-3).unwrap().bytes(point.y().unwrap()).unwrap();
        e.into_writer()
    }

    /// A `none`-attestation response built by hand, for the rules a real authenticator
    /// will not break on request.
    fn response(flags: u8, credential_id: &[u8], key: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let client_data = format!(
            r#"{{"type":"webauthn.create","challenge":"{}","origin":"{ORIGIN}","crossOrigin":false}}"#,
            URL_SAFE_NO_PAD.encode(CHALLENGE)
        );
        let mut auth_data = sha256(b"id.example.com").to_vec();
        auth_data.push(flags);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(credential_id);
        auth_data.extend_from_slice(key);
        let mut e = minicbor::Encoder::new(Vec::new());
        e.map(3).unwrap();
        e.str("fmt").unwrap().str("none").unwrap();
        e.str("attStmt").unwrap().map(0).unwrap();
        e.str("authData").unwrap().bytes(&auth_data).unwrap();
        (client_data.into_bytes(), e.into_writer())
    }

    fn run(flags: u8, credential_id: &[u8], key: &[u8]) -> Result<CredentialRecord, CeremonyError> {
        let (client_data_json, attestation_object) = response(flags, credential_id, key);
        verify(
            &rp(),
            &PendingRegistration {
                challenge: CHALLENGE.to_vec(),
                user_verification_required: true,
            },
            &AttestationResponse {
                client_data_json: &client_data_json,
                attestation_object: &attestation_object,
            },
            |_| false,
        )
    }

    const UP_UV_AT: u8 = 0x01 | 0x04 | 0x40;

    #[test]
    fn webauthn_8_7_none_attestation_registers() {
        let record = run(UP_UV_AT, &[9u8; 16], &cose_key(-7)).unwrap();
        assert_eq!(record.id, vec![9u8; 16]);
    }

    #[test]
    fn webauthn_7_1_step_14_user_not_present() {
        assert_eq!(
            run(0x04 | 0x40, &[9u8; 16], &cose_key(-7)),
            Err(CeremonyError::UserNotPresent)
        );
    }

    #[test]
    fn webauthn_7_1_step_17_backup_state_without_eligibility() {
        assert_eq!(
            run(UP_UV_AT | 0x10, &[9u8; 16], &cose_key(-7)),
            Err(CeremonyError::InvalidBackupFlags)
        );
    }

    #[test]
    fn webauthn_7_1_step_19_an_algorithm_we_did_not_offer() {
        assert_eq!(
            run(UP_UV_AT, &[9u8; 16], &cose_key(-257)),
            Err(CeremonyError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn webauthn_7_1_step_25_credential_id_over_1023_bytes() {
        assert!(run(UP_UV_AT, &[9u8; 1023], &cose_key(-7)).is_ok());
        assert_eq!(
            run(UP_UV_AT, &[9u8; 1024], &cose_key(-7)),
            Err(CeremonyError::CredentialIdTooLong)
        );
    }

    #[test]
    fn malformed_attestation_objects_are_refused_not_panicked_on() {
        for bytes in [&b""[..], b"\xa0", b"\xff\xff", b"\xa1\x63fmt\x64none"] {
            let result = verify(
                &rp(),
                &PendingRegistration {
                    challenge: CHALLENGE.to_vec(),
                    user_verification_required: true,
                },
                &AttestationResponse {
                    client_data_json: response(UP_UV_AT, &[1], &cose_key(-7)).0.as_slice(),
                    attestation_object: bytes,
                },
                |_| false,
            );
            assert!(result.is_err());
        }
    }

    #[test]
    fn every_error_has_a_distinct_stable_code() {
        let all = CeremonyError::ALL;
        let codes: std::collections::HashSet<&str> =
            all.iter().map(|e| e.code().as_str()).collect();
        assert_eq!(codes.len(), all.len());
        assert!(codes.iter().all(|c| c.starts_with("webauthn_")));
    }
}
