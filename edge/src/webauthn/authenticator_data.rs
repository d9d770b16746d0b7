//! Authenticator data (§6.1) and attested credential data (§6.5.2).

use super::{CeremonyError, MAX_CREDENTIAL_ID_LEN};

/// §6.1 flags.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData<'a> {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential<'a> {
    pub aaguid: [u8; 16],
    pub credential_id: &'a [u8],
    /// The credential public key, a COSE_Key, exactly as encoded.
    pub public_key: &'a [u8],
}

impl<'a> AuthenticatorData<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<AuthenticatorData<'a>, CeremonyError> {
        let bad = CeremonyError::MalformedAuthenticatorData;
        if bytes.len() < 37 {
            return Err(bad);
        }
        let rp_id_hash: [u8; 32] = bytes[..32].try_into().map_err(|_| bad)?;
        let flags = bytes[32];
        let sign_count = u32::from_be_bytes(bytes[33..37].try_into().map_err(|_| bad)?);
        let attested = if flags & AT != 0 {
            let rest = &bytes[37..];
            if rest.len() < 18 {
                return Err(bad);
            }
            let aaguid: [u8; 16] = rest[..16].try_into().map_err(|_| bad)?;
            let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            // §7.1 step 23 is checked by the ceremony; an id longer than the data is malformed.
            let id_end = 18 + id_len;
            if rest.len() < id_end {
                return Err(bad);
            }
            let credential_id = &rest[18..id_end];
            let key_len = cbor_item_len(&rest[id_end..]).ok_or(bad)?;
            let public_key = &rest[id_end..id_end + key_len];
            Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key,
            })
        } else {
            None
        };
        Ok(AuthenticatorData {
            rp_id_hash,
            flags,
            sign_count,
            attested,
        })
    }

    pub fn user_present(&self) -> bool {
        self.flags & UP != 0
    }

    pub fn user_verified(&self) -> bool {
        self.flags & UV != 0
    }

    pub fn backup_eligible(&self) -> bool {
        self.flags & BE != 0
    }

    pub fn backup_state(&self) -> bool {
        self.flags & BS != 0
    }

    /// §6.1.3: BS may be set only when BE is.
    pub fn backup_flags_consistent(&self) -> bool {
        self.backup_eligible() || !self.backup_state()
    }

    /// The checks both ceremonies make of authenticator data, in the order of §7.1 steps
    /// 13–17 and §7.2 steps 15–18: rpIdHash is the SHA-256 of the RP ID, UP is set, UV is
    /// set when required, and BS is set only if BE is.
    pub fn verify_common(
        &self,
        rp_id_hash: &[u8; 32],
        user_verification_required: bool,
    ) -> Result<(), CeremonyError> {
        if self.rp_id_hash != *rp_id_hash {
            return Err(CeremonyError::InvalidRpIdHash);
        }
        if !self.user_present() {
            return Err(CeremonyError::UserNotPresent);
        }
        if user_verification_required && !self.user_verified() {
            return Err(CeremonyError::UserNotVerified);
        }
        if !self.backup_flags_consistent() {
            return Err(CeremonyError::InvalidBackupFlags);
        }
        Ok(())
    }

    pub fn credential_id_acceptable(id: &[u8]) -> bool {
        id.len() <= MAX_CREDENTIAL_ID_LEN
    }
}

/// The length of the CBOR data item at the start of `bytes`.
fn cbor_item_len(bytes: &[u8]) -> Option<usize> {
    let mut decoder = minicbor::Decoder::new(bytes);
    decoder.skip().ok()?;
    Some(decoder.position())
}
