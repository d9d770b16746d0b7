//! The WebAuthn Level 3 relying party: registration (§7.1) and authentication (§7.2)
//! ceremonies, every numbered verification step implemented and cited where it is
//! checked.
//!
//! Wire parsing lives beside the checks: `client_data` (§5.8.1), `authenticator_data`
//! (§6.1), `cose` (credential public keys, RFC 9052/9053). Only ES256 credentials are
//! accepted for now; the algorithm list offered to authenticators says so.

pub mod authentication;
pub mod authenticator_data;
pub mod client_data;
pub mod cose;
pub mod registration;

use portcullis_shared::ErrorCode;
use sha2::{Digest, Sha256};

/// §5.4.3: credential ids are at most 1023 bytes.
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// What went wrong in a ceremony. The wire code of each is [`CeremonyError::code`];
/// nothing else about the failure reaches the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyError {
    MalformedClientData,
    WrongType,
    MismatchedChallenge,
    InvalidOrigin,
    CrossOriginNotAllowed,
    MalformedAuthenticatorData,
    InvalidRpIdHash,
    UserNotPresent,
    UserNotVerified,
    InvalidBackupFlags,
    MalformedAttestation,
    UnsupportedAttestation,
    UnsupportedAlgorithm,
    MalformedPublicKey,
    CredentialIdTooLong,
    CredentialAlreadyRegistered,
    UnknownCredential,
    BadSignature,
}

impl CeremonyError {
    /// Every error, for exhaustive tests and documentation.
    pub const ALL: [CeremonyError; 18] = [
        CeremonyError::MalformedClientData,
        CeremonyError::WrongType,
        CeremonyError::MismatchedChallenge,
        CeremonyError::InvalidOrigin,
        CeremonyError::CrossOriginNotAllowed,
        CeremonyError::MalformedAuthenticatorData,
        CeremonyError::InvalidRpIdHash,
        CeremonyError::UserNotPresent,
        CeremonyError::UserNotVerified,
        CeremonyError::InvalidBackupFlags,
        CeremonyError::MalformedAttestation,
        CeremonyError::UnsupportedAttestation,
        CeremonyError::UnsupportedAlgorithm,
        CeremonyError::MalformedPublicKey,
        CeremonyError::CredentialIdTooLong,
        CeremonyError::CredentialAlreadyRegistered,
        CeremonyError::UnknownCredential,
        CeremonyError::BadSignature,
    ];

    /// The stable wire code.
    pub fn code(self) -> ErrorCode {
        match self {
            CeremonyError::MalformedClientData => ErrorCode::WebauthnMalformedClientData,
            CeremonyError::WrongType => ErrorCode::WebauthnWrongType,
            CeremonyError::MismatchedChallenge => ErrorCode::WebauthnChallengeMismatch,
            CeremonyError::InvalidOrigin => ErrorCode::WebauthnOriginNotAllowed,
            CeremonyError::CrossOriginNotAllowed => ErrorCode::WebauthnCrossOriginNotAllowed,
            CeremonyError::MalformedAuthenticatorData => {
                ErrorCode::WebauthnMalformedAuthenticatorData
            }
            CeremonyError::InvalidRpIdHash => ErrorCode::WebauthnRpIdMismatch,
            CeremonyError::UserNotPresent => ErrorCode::WebauthnUserNotPresent,
            CeremonyError::UserNotVerified => ErrorCode::WebauthnUserNotVerified,
            CeremonyError::InvalidBackupFlags => ErrorCode::WebauthnInvalidBackupFlags,
            CeremonyError::MalformedAttestation => ErrorCode::WebauthnMalformedAttestation,
            CeremonyError::UnsupportedAttestation => ErrorCode::WebauthnUnsupportedAttestation,
            CeremonyError::UnsupportedAlgorithm => ErrorCode::WebauthnUnsupportedAlgorithm,
            CeremonyError::MalformedPublicKey => ErrorCode::WebauthnMalformedPublicKey,
            CeremonyError::CredentialIdTooLong => ErrorCode::WebauthnCredentialIdTooLong,
            CeremonyError::CredentialAlreadyRegistered => ErrorCode::WebauthnCredentialExists,
            CeremonyError::UnknownCredential => ErrorCode::WebauthnUnknownCredential,
            CeremonyError::BadSignature => ErrorCode::WebauthnBadSignature,
        }
    }
}

/// The relying party a ceremony runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID (§5.1.2 `rp.id`): a registrable domain, e.g. `example.com` or `localhost`.
    pub id: String,
    /// Web origins allowed to run ceremonies, compared exactly (§13.4.9).
    pub origins: Vec<String>,
}

impl RelyingParty {
    fn id_hash(&self) -> [u8; 32] {
        Sha256::digest(self.id.as_bytes()).into()
    }
}

/// A registered credential, as stored (§4 "credential record").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub id: Vec<u8>,
    /// The COSE_Key as the authenticator sent it.
    pub public_key: Vec<u8>,
    pub sign_count: u32,
    pub uv_initialized: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
