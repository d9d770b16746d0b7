//! The only module that touches key material and raw randomness.

pub mod es256;
pub mod sealing;
pub mod token;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex SHA-256 of `value`: how high-entropy secrets (session handles, refresh
/// tokens, client secrets) are stored, so a database leak does not leak them.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two secrets without leaking through timing where they first differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    constant_time_eq_bytes(a.as_bytes(), b.as_bytes())
}

/// [`constant_time_eq`] for bytes.
pub fn constant_time_eq_bytes(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_the_fips_180_2_abc_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "samf"));
        assert!(!constant_time_eq("same", "sam"));
    }
}
