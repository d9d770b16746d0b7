//! One-time codes sent by email, bound to one sign-in flow: six digits, ten minutes,
//! compared in constant time, dead after five wrong tries. A new code for the flow
//! replaces the old one.
//!
//! Opening more flows does not buy more guesses: every try is also counted per address
//! and IP prefix, and per address, across its flows, *before* the code is compared; past
//! [`MAX_WRONG_PER_ADDRESS_AND_IP`] (one place) or [`MAX_WRONG_PER_ADDRESS`] (everywhere)
//! in [`WINDOW_SECONDS`] tries are refused unchecked (`too_many_attempts`). The right
//! code takes its try back. One place's wrong codes do not lock the owner out elsewhere;
//! only an attacker with many places can, for one window, and then guesses at most
//! [`MAX_WRONG_PER_ADDRESS`] of a million codes.
//!
//! A code is issued for an address without an account too (and not sent), so checking
//! it behaves exactly as for any other wrong code, limits included.

use serde::{Deserialize, Serialize};

use super::{digits, Purpose, CODE_TTL_SECONDS};
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::error::Error;
use crate::one_time::OneTime;
use crate::ports::{Ports, UnixMillis};
use crate::throttle::IpPrefix;

pub const CODE_DIGITS: usize = 6;
/// Wrong tries a code survives; the next one ends it.
pub const MAX_TRIES: u32 = 5;
/// Wrong codes per address and IP prefix, across all its flows, per window.
pub const MAX_WRONG_PER_ADDRESS_AND_IP: u32 = 10;
/// Wrong codes per address from anywhere, per window.
pub const MAX_WRONG_PER_ADDRESS: u32 = 100;
pub const WINDOW_SECONDS: u64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CodeRecord {
    /// `None` for an address without an account: no code can match.
    user_id: Option<String>,
    /// The SHA-256 of the address the code was issued for, which its tries are counted
    /// against. (`None` only in records issued before addresses were kept: those count
    /// per flow.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    code: String,
    tries: u32,
    purpose: Purpose,
    expires_at: UnixMillis,
}

/// The code of each flow, named by the flow's handle.
const CODES: OneTime<CodeRecord> = OneTime::new("email-code");
/// The second-factor code of each flow (see [`crate::mfa::email_code`]): kept apart, so
/// that neither kind of code is ever taken for the other.
const SECOND_FACTOR_CODES: OneTime<CodeRecord> = OneTime::new("email-code-second-factor");

/// Where codes issued for `purpose` are kept.
fn store(purpose: Purpose) -> OneTime<CodeRecord> {
    match purpose {
        Purpose::SignIn | Purpose::Verify | Purpose::ChangeEmail => CODES,
        Purpose::SecondFactor => SECOND_FACTOR_CODES,
    }
}

/// Issues the flow's code sent to `address` (normalised), for `user_id` (or for nobody);
/// returns it.
pub async fn issue(
    ports: &Ports<'_>,
    flow_id: &str,
    address: &str,
    user_id: Option<&str>,
    purpose: Purpose,
) -> Result<String, Error> {
    let code = digits(ports.random, CODE_DIGITS)?;
    let now = ports.clock.now();
    let record = CodeRecord {
        user_id: user_id.map(str::to_string),
        address: Some(sha256_hex(address)),
        code: code.clone(),
        tries: 0,
        purpose,
        expires_at: now.plus_seconds(CODE_TTL_SECONDS),
    };
    // Replaces the previous code, if any.
    let codes = store(purpose);
    codes.take(ports, flow_id).await?;
    codes
        .put(ports, flow_id, &record, record.expires_at)
        .await?;
    Ok(code)
}

/// Checks `code` against the flow's code: the account it proves, and what for.
///
/// `code_invalid` for a wrong code that may be tried again, `code_expired` when there
/// is no live code (expired, used, replaced, or too many wrong tries), `too_many_attempts`
/// when the address has had too many wrong codes lately (the code is left as it was).
pub async fn check(
    ports: &Ports<'_>,
    flow_id: &str,
    code: &str,
    ip: IpPrefix,
) -> Result<(String, Purpose), Error> {
    check_in(ports, CODES, flow_id, code, ip).await
}

/// [`check`] for the flow's second-factor code: the account it was sent for.
pub async fn check_second_factor(
    ports: &Ports<'_>,
    flow_id: &str,
    code: &str,
    ip: IpPrefix,
) -> Result<String, Error> {
    let (user_id, _) = check_in(ports, SECOND_FACTOR_CODES, flow_id, code, ip).await?;
    Ok(user_id)
}

async fn check_in(
    ports: &Ports<'_>,
    codes: OneTime<CodeRecord>,
    flow_id: &str,
    code: &str,
    ip: IpPrefix,
) -> Result<(String, Purpose), Error> {
    let now = ports.clock.now();
    let codes = &codes;
    let put = |record: &CodeRecord| {
        let record = record.clone();
        async move { codes.put(ports, flow_id, &record, record.expires_at).await }
    };
    let mut record = codes
        .take(ports, flow_id)
        .await?
        .ok_or(Error::CodeExpired)?;
    // Counted before the code is compared: concurrent tries across the address's flows
    // each get their own count.
    let address = match &record.address {
        Some(address) => address.clone(),
        None => format!("flow:{}", sha256_hex(flow_id)),
    };
    let limits = [
        (
            format!("email-code-misses:{address}:{}", ip.key()),
            MAX_WRONG_PER_ADDRESS_AND_IP,
        ),
        (
            format!("email-code-misses:{address}"),
            MAX_WRONG_PER_ADDRESS,
        ),
    ];
    let mut counted = Vec::new();
    for (key, limit) in limits {
        let count = ports.counters.increment(&key, WINDOW_SECONDS, now).await?;
        counted.push(key);
        if count > limit {
            put(&record).await?;
            return Err(Error::Throttled);
        }
    }
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // Compare in constant time, and always, so an unknown address takes as long.
    let matches = constant_time_eq(&typed, &record.code);
    if matches {
        if let Some(user_id) = record.user_id {
            // The right code was not a wrong try. Best effort: a failed refund leaves
            // one wrong code too many counted, which must not fail the sign-in.
            for key in &counted {
                if let Err(err) = ports.counters.decrement(key, now).await {
                    ports
                        .diagnostics
                        .log(&format!("email code limit refund failed: {err:?}"));
                }
            }
            return Ok((user_id, record.purpose));
        }
    }
    record.tries += 1;
    if record.tries >= MAX_TRIES {
        return Err(Error::CodeExpired);
    }
    put(&record).await?;
    Err(Error::CodeInvalid)
}
