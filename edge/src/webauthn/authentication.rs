//! The authentication ceremony, W3C WebAuthn Level 3 §7.2 "Verifying an Authentication
//! Assertion".

use super::authenticator_data::AuthenticatorData;
use super::client_data::ClientData;
use super::cose::CredentialPublicKey;
use super::{sha256, CeremonyError, CredentialRecord, RelyingParty};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthentication {
    pub challenge: Vec<u8>,
    pub user_verification_required: bool,
}

/// The browser's `AuthenticatorAssertionResponse`, decoded from base64url.
pub struct AssertionResponse<'a> {
    pub credential_id: &'a [u8],
    pub client_data_json: &'a [u8],
    pub authenticator_data: &'a [u8],
    pub signature: &'a [u8],
}

/// The outcome of a verified assertion: the record to store, and whether the signature
/// counter went backwards (a possible cloned authenticator, §6.1.1), which the caller logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub updated: CredentialRecord,
    pub counter_regressed: bool,
}

/// Runs §7.2 steps 5–24 against `record`, the credential the response names (steps 5–7:
/// the caller looked it up by `credential_id` and, for usernameless sign-in, by the user
/// handle; an unknown credential never reaches here).
pub fn verify(
    rp: &RelyingParty,
    pending: &PendingAuthentication,
    record: &CredentialRecord,
    response: &AssertionResponse<'_>,
) -> Result<Verified, CeremonyError> {
    if response.credential_id != record.id.as_slice() {
        return Err(CeremonyError::UnknownCredential);
    }
    // Steps 9–10: parse clientDataJSON.
    let client_data = ClientData::parse(response.client_data_json)?;
    // Steps 11–14: type, challenge, origin, topOrigin.
    client_data.verify("webauthn.get", &pending.challenge, &rp.origins)?;
    let auth_data = AuthenticatorData::parse(response.authenticator_data)?;
    // Steps 15–18: rpIdHash, UP, UV when required, BS only with BE.
    auth_data.verify_common(&rp.id_hash(), pending.user_verification_required)?;
    // Step 18 also: BE never changes for a credential (§6.1.3).
    if auth_data.backup_eligible() != record.backup_eligible {
        return Err(CeremonyError::InvalidBackupFlags);
    }
    // Steps 20–21: the signature over authenticatorData ‖ SHA-256(clientDataJSON).
    let mut signed = response.authenticator_data.to_vec();
    signed.extend_from_slice(&sha256(response.client_data_json));
    CredentialPublicKey::parse(&record.public_key)?.verify(&signed, response.signature)?;
    // Step 22: the signature counter. Policy: a non-zero counter that does not increase
    // is reported (possible clone) but does not fail the ceremony, because synced
    // passkeys legitimately report 0 and some authenticators reuse values.
    let counter_regressed = (auth_data.sign_count != 0 || record.sign_count != 0)
        && auth_data.sign_count <= record.sign_count;
    // Step 24: update the stored record.
    let updated = CredentialRecord {
        sign_count: auth_data.sign_count,
        backup_state: auth_data.backup_state(),
        uv_initialized: record.uv_initialized || auth_data.user_verified(),
        ..record.clone()
    };
    Ok(Verified {
        updated,
        counter_regressed,
    })
}
