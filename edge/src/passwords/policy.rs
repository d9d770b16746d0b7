//! Which passwords are accepted: NIST SP 800-63B-4 §3.1.1.2.
//!
//! - Length is counted in Unicode code points after NFKC normalisation (§3.1.1.2: "each
//!   Unicode code point SHALL be counted as a single character"; normalisation so the
//!   same password typed on another keyboard still matches).
//! - At least 15 characters when the password is the only factor, at least 8 when the
//!   account has a second factor; at least 64 allowed (we allow 256).
//! - No composition rules (§3.1.1.2 "SHALL NOT impose other composition rules").
//! - Rejected if it is on the blocklist of common and breached passwords.

use unicode_normalization::UnicodeNormalization;

/// Minimum length when the password is the only authentication factor.
pub const MIN_LEN_SINGLE_FACTOR: usize = 15;
/// Minimum length when the account also has a second factor.
pub const MIN_LEN_WITH_MFA: usize = 8;
/// Maximum accepted length; well above the 64 that §3.1.1.2 requires, and bounded so
/// hashing cost stays fixed.
pub const MAX_LEN: usize = 256;

/// Common, expected or compromised passwords (§3.1.1.2 "blocklist").
pub trait Blocklist {
    /// Whether `normalized` (NFKC, as returned by [`normalize`]) is on the list, compared
    /// without regard to case.
    fn contains(&self, normalized: &str) -> bool;
}

/// Why a new password was refused. Shown to the person choosing it (§3.1.1.2 asks
/// verifiers to say why), never to anyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// On the blocklist of common or breached passwords.
    Common,
}

/// The password in the form that is hashed and compared: NFKC-normalised.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Checks a new password and returns its normalised form if it is acceptable.
pub fn check_new(
    password: &str,
    has_second_factor: bool,
    blocklist: &dyn Blocklist,
) -> Result<String, Rejection> {
    let normalized = normalize(password);
    let length = normalized.chars().count();
    let min = if has_second_factor {
        MIN_LEN_WITH_MFA
    } else {
        MIN_LEN_SINGLE_FACTOR
    };
    if length < min {
        return Err(Rejection::TooShort { min });
    }
    if length > MAX_LEN {
        return Err(Rejection::TooLong { max: MAX_LEN });
    }
    if blocklist.contains(&normalized) {
        return Err(Rejection::Common);
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct List(&'static [&'static str]);

    impl Blocklist for List {
        fn contains(&self, normalized: &str) -> bool {
            self.0.contains(&normalized.to_lowercase().as_str())
        }
    }

    const LIST: List = List(&["passwordpassword", "123456789012345"]);

    #[test]
    fn sp800_63b4_3_1_1_2_minimum_is_15_alone_and_8_with_mfa() {
        assert_eq!(
            check_new("fourteen chars", false, &LIST),
            Err(Rejection::TooShort { min: 15 })
        );
        assert!(check_new("fifteen chars!!", false, &LIST).is_ok());
        assert_eq!(
            check_new("seven c", true, &LIST),
            Err(Rejection::TooShort { min: 8 })
        );
        assert!(check_new("eight ch", true, &LIST).is_ok());
    }

    #[test]
    fn sp800_63b4_3_1_1_2_at_least_64_allowed_and_bounded() {
        assert!(check_new(&"x".repeat(64), false, &LIST).is_ok());
        assert!(check_new(&"x".repeat(MAX_LEN), false, &LIST).is_ok());
        assert_eq!(
            check_new(&"x".repeat(MAX_LEN + 1), false, &LIST),
            Err(Rejection::TooLong { max: MAX_LEN })
        );
    }

    #[test]
    fn sp800_63b4_3_1_1_2_no_composition_rules() {
        assert!(check_new("correct horse battery staple", false, &LIST).is_ok());
        assert!(check_new("alllowercaseletters", false, &LIST).is_ok());
    }

    #[test]
    fn sp800_63b4_3_1_1_2_code_points_count_as_one_character_each() {
        // 15 CJK code points are 45 UTF-8 bytes and exactly long enough.
        let cjk = "密码密码密码密码密码密码密码密";
        assert_eq!(cjk.chars().count(), 15);
        assert!(check_new(cjk, false, &LIST).is_ok());
        assert_eq!(
            check_new("密码密码密码密码密码密码密码", false, &LIST),
            Err(Rejection::TooShort { min: 15 })
        );
    }

    #[test]
    fn nfkc_makes_equivalent_spellings_equal() {
        // U+FB01 LATIN SMALL LIGATURE FI and full-width letters normalise to ASCII.
        assert_eq!(normalize("ﬁ"), "fi");
        assert_eq!(normalize("ＡＢＣ"), "ABC");
        // Precomposed é and e + combining acute are the same password.
        assert_eq!(normalize("caf\u{e9}"), normalize("cafe\u{301}"));
    }

    #[test]
    fn blocklisted_passwords_are_refused_in_any_case_or_width() {
        assert_eq!(
            check_new("passwordpassword", false, &LIST),
            Err(Rejection::Common)
        );
        assert_eq!(
            check_new("PasswordPassword", false, &LIST),
            Err(Rejection::Common)
        );
        assert_eq!(
            check_new("ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", false, &LIST),
            Err(Rejection::Common)
        );
        assert_eq!(
            check_new("123456789012345", false, &LIST),
            Err(Rejection::Common)
        );
    }
}
