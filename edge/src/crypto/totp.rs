//! Time-based one-time passwords (RFC 6238) as authenticator apps compute them: HOTP
//! (RFC 4226) with HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch.
//!
//! A code is accepted in the step it was made for and the steps either side of it
//! (RFC 6238 §5.2: "at most one time step is allowed as the network delay"); which step
//! matched is returned so the caller can refuse a step used before (§5.2: "the verifier
//! MUST NOT accept the second attempt of the OTP after the successful validation").

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::crypto::constant_time_eq;
use crate::crypto::random::{RandomUnavailable, SecureRandom};
use crate::time::UnixMillis;

/// RFC 6238 §4.1 `X`, the step size in seconds (the recommended default).
pub const STEP_SECONDS: u64 = 30;
/// Digits in a code (RFC 4226 §5.3 minimum; what every authenticator app shows).
pub const DIGITS: usize = 6;
/// RFC 4226 §4 R6: the shared secret is at least 128 bits; 160 bits is the length RFC
/// 4226 recommends and the length of an HMAC-SHA-1 block's natural key.
pub const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. Prints as `[redacted]`; [`TotpSecret::base32`] gives the form
/// people type into an app.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl core::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A new random secret of [`SECRET_BYTES`].
    pub fn generate(random: &dyn SecureRandom) -> Result<TotpSecret, RandomUnavailable> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        random.fill(&mut bytes)?;
        Ok(TotpSecret(bytes))
    }

    /// The secret's bytes as they were sealed (see [`crate::crypto::sealing`]).
    pub fn from_bytes(bytes: Vec<u8>) -> TotpSecret {
        TotpSecret(bytes)
    }

    /// The bytes to seal at rest.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 §6 base32 without padding, the form of the `secret` in an `otpauth://`
    /// URI and of the key people type by hand.
    pub fn base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// RFC 4226 §5.3 HOTP value for `counter`, as a zero-padded string of [`DIGITS`].
    pub fn hotp(&self, counter: u64) -> String {
        let mut mac = match Hmac::<Sha1>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(&counter.to_be_bytes());
        let hash = mac.finalize().into_bytes();
        // §5.3 dynamic truncation: the low 4 bits of the last byte pick the offset.
        let offset = usize::from(hash[hash.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            hash[offset] & 0x7f,
            hash[offset + 1],
            hash[offset + 2],
            hash[offset + 3],
        ]);
        format!(
            "{:0width$}",
            binary % 10u32.pow(DIGITS as u32),
            width = DIGITS
        )
    }

    /// The code for the step that `at` falls in.
    pub fn code_at(&self, at: UnixMillis) -> String {
        self.hotp(step_of(at))
    }

    /// The time step `code` was made for, if it is the code of the step `now` falls in
    /// or of the step either side (RFC 6238 §5.2). Every candidate is compared, in
    /// constant time, so timing does not tell which step was near. Spaces are ignored.
    pub fn verify(&self, code: &str, now: UnixMillis) -> Option<u64> {
        // Apps show the code in groups ("287 082"); people paste it so.
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = step_of(now);
        let mut matched = None;
        for step in [current.saturating_sub(1), current, current + 1] {
            if constant_time_eq(&self.hotp(step), &code) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }
}

/// RFC 6238 §4.2: `T = floor((now - T0) / X)` with `T0 = 0`.
pub fn step_of(at: UnixMillis) -> u64 {
    at.as_seconds() / STEP_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII of "12345678901234567890".
    fn rfc6238_seed() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors_in_six_digits() {
        // The appendix prints 8 digits; 6 are the last 6 (both are `binary mod 10^d`).
        let vectors: [(u64, &str); 6] = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (seconds, eight) in vectors {
            let at = UnixMillis(seconds * 1000);
            assert_eq!(rfc6238_seed().code_at(at), eight[2..], "T = {seconds}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(rfc6238_seed().hotp(counter as u64), *code);
        }
    }

    #[test]
    fn rfc6238_5_2_one_step_either_side_is_accepted_and_no_further() {
        let secret = rfc6238_seed();
        let now = UnixMillis(1_111_111_111_000);
        let step = step_of(now);
        assert_eq!(secret.verify(&secret.hotp(step), now), Some(step));
        assert_eq!(secret.verify(&secret.hotp(step - 1), now), Some(step - 1));
        assert_eq!(secret.verify(&secret.hotp(step + 1), now), Some(step + 1));
        assert_eq!(secret.verify(&secret.hotp(step - 2), now), None);
        assert_eq!(secret.verify(&secret.hotp(step + 2), now), None);
    }

    #[test]
    fn malformed_codes_are_refused_without_computing_anything_odd() {
        let secret = rfc6238_seed();
        let now = UnixMillis(59_000);
        for code in ["", "12345", "1234567", "abcdef", "28708２", "-28708"] {
            assert_eq!(secret.verify(code, now), None, "{code:?}");
        }
        assert_eq!(secret.verify(" 287 082 ", now), Some(1));
        assert_eq!(format!("{secret:?}"), "TotpSecret([redacted])");
    }

    #[test]
    fn secrets_are_160_random_bits_in_rfc4648_base32() {
        let secret = TotpSecret::generate(&crate::testing::SeededRandom::new(3)).unwrap();
        assert_eq!(secret.bytes().len(), 20);
        let b32 = secret.base32();
        assert_eq!(b32.len(), 32);
        assert!(b32
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(
            TotpSecret::from_bytes(b"12345678901234567890".to_vec()).base32(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
