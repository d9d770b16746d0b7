//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! `plain` is refused: RFC 9700 §2.1.1 says clients SHOULD use S256, and a server that
//! accepts `plain` lets anyone who sees the authorization request redeem the code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A `code_challenge` made with S256: 43 base64url characters (a SHA-256 digest).
/// Stored as its string; only [`CodeChallenge::parse`] makes one from a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

/// Why a `code_challenge` was not accepted at the authorization endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    /// RFC 7636 §4.4.1: the challenge is required here.
    Missing,
    /// RFC 7636 §4.3: only `S256` is supported (missing method means `plain`).
    UnsupportedMethod,
    /// RFC 7636 §4.2: not the base64url encoding of 32 bytes.
    Malformed,
}

impl CodeChallenge {
    /// Parses `code_challenge` and `code_challenge_method` of an authorization request
    /// (RFC 7636 §4.3).
    pub fn parse(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<CodeChallenge, ChallengeError> {
        let challenge = challenge.ok_or(ChallengeError::Missing)?;
        // §4.3: "defaults to plain if not present in the request".
        if method != Some("S256") {
            return Err(ChallengeError::UnsupportedMethod);
        }
        let decoded = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| ChallengeError::Malformed)?;
        if decoded.len() != 32 || challenge.len() != 43 {
            return Err(ChallengeError::Malformed);
        }
        Ok(CodeChallenge(challenge.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.6: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge`,
    /// compared in constant time. A verifier that breaks §4.1's syntax never matches.
    pub fn verify(&self, code_verifier: &str) -> bool {
        if !is_valid_verifier(code_verifier) {
            return false;
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()));
        computed.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        code_verifier: String,
        code_challenge: String,
        code_challenge_method: String,
    }

    fn appendix_b() -> Vector {
        serde_json::from_str(include_str!("../../tests/vectors/rfc7636-appendix-b.json")).unwrap()
    }

    #[test]
    fn rfc7636_appendix_b_s256_vector_verifies() {
        let v = appendix_b();
        let challenge =
            CodeChallenge::parse(Some(&v.code_challenge), Some(&v.code_challenge_method)).unwrap();
        assert!(challenge.verify(&v.code_verifier));
    }

    #[test]
    fn rfc7636_4_6_wrong_verifier_fails() {
        let v = appendix_b();
        let challenge = CodeChallenge::parse(Some(&v.code_challenge), Some("S256")).unwrap();
        let mut wrong = v.code_verifier.clone();
        wrong.replace_range(0..1, "e");
        assert!(!challenge.verify(&wrong));
        assert!(!challenge.verify(""));
        // The challenge itself is not a verifier for itself.
        assert!(!challenge.verify(&v.code_challenge));
    }

    #[test]
    fn rfc7636_4_3_plain_and_missing_method_are_refused() {
        let v = appendix_b();
        assert_eq!(
            CodeChallenge::parse(Some(&v.code_verifier), Some("plain")),
            Err(ChallengeError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(Some(&v.code_challenge), None),
            Err(ChallengeError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(Some(&v.code_challenge), Some("s256")),
            Err(ChallengeError::UnsupportedMethod)
        );
    }

    #[test]
    fn rfc7636_4_4_1_missing_challenge_is_refused() {
        assert_eq!(
            CodeChallenge::parse(None, Some("S256")),
            Err(ChallengeError::Missing)
        );
    }

    #[test]
    fn rfc7636_4_2_malformed_challenges_are_refused() {
        for bad in [
            "",
            "short",
            &"A".repeat(44),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
        ] {
            assert_eq!(
                CodeChallenge::parse(Some(bad), Some("S256")),
                Err(ChallengeError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn rfc7636_4_1_verifier_syntax() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~._-".repeat(32)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}=", "a".repeat(43))));
        assert!(!is_valid_verifier(&format!("{}é", "a".repeat(43))));
    }
}
