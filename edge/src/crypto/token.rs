//! Opaque random handles (flow ids, codes, refresh tokens).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::ports::{RandomUnavailable, SecureRandom};

/// 256 bits: far beyond guessing, short enough for a URL.
const HANDLE_BYTES: usize = 32;

/// A fresh base64url handle carrying 256 bits of entropy (43 characters).
pub fn random_handle(random: &dyn SecureRandom) -> Result<String, RandomUnavailable> {
    let mut bytes = [0u8; HANDLE_BYTES];
    random.fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `s` has the exact shape of a handle made by [`random_handle`], so malformed
/// input is rejected before it reaches storage.
pub fn is_handle(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn handles_are_43_url_safe_characters_and_differ() {
        let random = SeededRandom::new(7);
        let a = random_handle(&random).unwrap();
        let b = random_handle(&random).unwrap();
        assert!(is_handle(&a), "{a}");
        assert!(is_handle(&b), "{b}");
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_handles_are_recognised() {
        assert!(!is_handle(""));
        assert!(!is_handle("../../etc/passwd"));
        assert!(!is_handle(&"a".repeat(44)));
        assert!(!is_handle(&format!("{}=", "a".repeat(42))));
    }
}
