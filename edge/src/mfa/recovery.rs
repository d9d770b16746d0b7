//! Recovery codes: [`COUNT`] single-use codes, the fallback when the authenticator app is
//! lost. Shown once when made; stored only as keyed hashes (HMAC-SHA-256 under a key
//! derived from the key-encryption key, bound to the account), so a copy of the database
//! alone can neither read nor test them. Making new ones replaces the old.

use crate::crypto::{hmac_sha256, random::SecureRandom};
use crate::error::Error;
use crate::ports::Ports;

/// Codes made at a time.
pub const COUNT: usize = 10;
/// Characters of a code: 10 of base32's 32 symbols, 50 bits.
const CODE_CHARS: usize = 10;
/// RFC 4648 §6 base32, lower case: no 0/1/8/9 to confuse with O/I/B/g.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A new code, shown as two groups of five (`abcde-fgh23`).
fn generate(random: &dyn SecureRandom) -> Result<String, Error> {
    let mut bytes = [0u8; CODE_CHARS];
    random
        .fill(&mut bytes)
        .map_err(|_| Error::RandomUnavailable)?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

/// The code as compared: lower case, without the separator or spaces people add.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn hash(ports: &Ports<'_>, user_id: &str, code: &str) -> Result<String, Error> {
    let key = ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| Error::Internal("KEY_ENCRYPTION_KEY is not configured".into()))?
        .derive("recovery-codes");
    let mac = hmac_sha256(&key, format!("{user_id}:{}", normalize(code)).as_bytes());
    Ok(mac.iter().map(|b| format!("{b:02x}")).collect())
}

/// Makes `user_id` a new set of codes, replacing any left; returns them to show once.
pub async fn issue(ports: &Ports<'_>, user_id: &str) -> Result<Vec<String>, Error> {
    let codes = (0..COUNT)
        .map(|_| generate(ports.random))
        .collect::<Result<Vec<_>, _>>()?;
    let hashes = codes
        .iter()
        .map(|c| hash(ports, user_id, c))
        .collect::<Result<Vec<_>, _>>()?;
    ports
        .factors
        .replace_recovery_codes(user_id, &hashes, ports.clock.now())
        .await?;
    Ok(codes)
}

/// Spends `code` if it is one of `user_id`'s unused codes. The caller has counted the
/// attempt ([`super::admit_code`]).
pub async fn redeem(ports: &Ports<'_>, user_id: &str, code: &str) -> Result<(), Error> {
    let normalized = normalize(code);
    if normalized.len() != CODE_CHARS {
        return Err(Error::FactorCodeInvalid);
    }
    let hash = hash(ports, user_id, &normalized)?;
    if ports.factors.use_recovery_code(user_id, &hash).await? {
        Ok(())
    } else {
        Err(Error::FactorCodeInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    #[test]
    fn ten_codes_of_fifty_bits_each_work_once_and_only_for_their_account() {
        let t = TestPorts::new();
        let ports = t.ports();
        let codes = pollster::block_on(issue(&ports, "u1")).unwrap();
        assert_eq!(codes.len(), COUNT);
        assert!(codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let first = codes[0].clone();
        assert_eq!(
            pollster::block_on(redeem(&ports, "u2", &first)),
            Err(Error::FactorCodeInvalid)
        );
        // Typed in capitals, without the dash: the same code.
        let typed = first.replace('-', " ").to_uppercase();
        assert_eq!(pollster::block_on(redeem(&ports, "u1", &typed)), Ok(()));
        assert_eq!(
            pollster::block_on(redeem(&ports, "u1", &first)),
            Err(Error::FactorCodeInvalid)
        );
        assert_eq!(
            pollster::block_on(ports.factors.recovery_codes_left("u1")).unwrap(),
            9
        );
    }

    #[test]
    fn new_codes_replace_the_old_and_only_hashes_are_stored() {
        let t = TestPorts::new();
        let ports = t.ports();
        let old = pollster::block_on(issue(&ports, "u1")).unwrap();
        let new = pollster::block_on(issue(&ports, "u1")).unwrap();
        assert_ne!(old, new);
        assert_eq!(
            pollster::block_on(redeem(&ports, "u1", &old[1])),
            Err(Error::FactorCodeInvalid)
        );
        assert_eq!(pollster::block_on(redeem(&ports, "u1", &new[1])), Ok(()));
        assert_eq!(
            pollster::block_on(redeem(&ports, "u1", "short")),
            Err(Error::FactorCodeInvalid)
        );
    }
}
