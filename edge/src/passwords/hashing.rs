//! Password storage: Argon2id (RFC 9106) in PHC string format, so the parameters travel
//! with each hash and can be raised later; a hash made with weaker parameters is
//! reported on a successful sign-in so the caller can store a fresh one.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::ports::SecureRandom;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Cost {
    /// OWASP Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1.
    pub const OWASP: Cost = Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    fn argon2(self) -> Result<Argon2<'static>, HashError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| HashError(format!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashing failed, or a stored hash is not a PHC string we can read; detail for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashError(pub String);

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches; `needs_rehash` when the stored hash is weaker than `Cost`
    /// asks for today (or not Argon2id at all).
    Match {
        needs_rehash: bool,
    },
    Mismatch,
}

/// Hashes an already-normalised password with a fresh 128-bit salt.
pub fn hash(normalized: &str, cost: Cost, random: &dyn SecureRandom) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    random
        .fill(&mut salt)
        .map_err(|_| HashError("random source failed".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(format!("salt: {e}")))?;
    let hash = cost
        .argon2()?
        .hash_password(normalized.as_bytes(), &salt)
        .map_err(|e| HashError(format!("argon2: {e}")))?;
    Ok(hash.to_string())
}

/// Checks an already-normalised password against a stored PHC string.
pub fn verify(normalized: &str, stored: &str, cost: Cost) -> Result<Verification, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(format!("stored hash: {e}")))?;
    // The verifier takes algorithm and parameters from the stored hash itself.
    match Argon2::default().verify_password(normalized.as_bytes(), &parsed) {
        Ok(()) => Ok(Verification::Match {
            needs_rehash: is_weaker(&parsed, cost),
        }),
        Err(argon2::password_hash::Error::Password) => Ok(Verification::Mismatch),
        Err(e) => Err(HashError(format!("verify: {e}"))),
    }
}

/// Spends what one verification costs, for callers with no account to check, so that
/// "no such account" takes as long as "wrong password" and cannot be told apart by timing.
pub fn spend_equivalent_time(normalized: &str, cost: Cost) {
    // A fixed salt is fine: the result is thrown away.
    let salt = [0x5au8; 16];
    let mut out = [0u8; 32];
    if let Ok(argon2) = cost.argon2() {
        let _ = argon2.hash_password_into(normalized.as_bytes(), &salt, &mut out);
    }
}

fn is_weaker(parsed: &PasswordHash<'_>, cost: Cost) -> bool {
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return true;
    }
    match Params::try_from(parsed) {
        Ok(params) => {
            params.m_cost() < cost.memory_kib
                || params.t_cost() < cost.iterations
                || params.p_cost() < cost.parallelism
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    /// Small parameters keep the unit tests fast; one test uses the real ones.
    const CHEAP: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn owasp_parameters_are_recorded_in_the_phc_string() {
        let phc = hash(
            "correct horse battery staple",
            Cost::OWASP,
            &SeededRandom::new(1),
        )
        .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(
            verify("correct horse battery staple", &phc, Cost::OWASP).unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn right_password_matches_and_wrong_one_does_not() {
        let phc = hash("correct horse battery staple", CHEAP, &SeededRandom::new(2)).unwrap();
        assert_eq!(
            verify("correct horse battery staple", &phc, CHEAP).unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify("correct horse battery stapler", &phc, CHEAP).unwrap(),
            Verification::Mismatch
        );
        assert_eq!(verify("", &phc, CHEAP).unwrap(), Verification::Mismatch);
    }

    #[test]
    fn salts_differ_so_equal_passwords_hash_differently() {
        let random = SeededRandom::new(3);
        let a = hash("same password here", CHEAP, &random).unwrap();
        let b = hash("same password here", CHEAP, &random).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_hash_weaker_than_todays_cost_asks_for_a_rehash() {
        let phc = hash("correct horse battery staple", CHEAP, &SeededRandom::new(4)).unwrap();
        let stronger = Cost {
            memory_kib: 128,
            ..CHEAP
        };
        assert_eq!(
            verify("correct horse battery staple", &phc, stronger).unwrap(),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            verify("wrong password entirely", &phc, stronger).unwrap(),
            Verification::Mismatch,
            "no rehash is offered for a wrong password"
        );
    }

    #[test]
    fn an_argon2i_hash_verifies_and_asks_for_argon2id() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let phc = argon2i
            .hash_password(b"an older password hash", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify("an older password hash", &phc, CHEAP).unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    #[test]
    fn unreadable_stored_hashes_are_errors_not_matches() {
        assert!(verify("x", "", CHEAP).is_err());
        assert!(verify("x", "plaintext-password", CHEAP).is_err());
        assert!(verify("x", "$argon2id$v=19$m=64,t=1,p=1$bad", CHEAP).is_err());
    }
}
