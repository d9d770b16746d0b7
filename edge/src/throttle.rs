//! Throttling password guessing: failed sign-ins are counted per account (by the email
//! typed, whether or not an account exists, so the throttle reveals nothing) and per
//! client IP, in fixed windows held by strongly consistent counters (a Durable Object
//! per key). Past the limit, sign-in answers `too_many_attempts` until the window ends,
//! before any password is checked.
//!
//! Limits follow NIST SP 800-63B-4 §3.2.2 (no more than 100 consecutive failures per
//! account) with room to spare: 10 per account and 100 per IP address per 15 minutes.

use crate::crypto::sha256_hex;
use crate::error::Error;
use crate::ports::Ports;

pub const WINDOW_SECONDS: u64 = 15 * 60;
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 10;
pub const MAX_FAILURES_PER_IP: u32 = 100;

fn keys(email: &str, ip: Option<&str>) -> Vec<(String, u32)> {
    let mut keys = vec![(
        format!("signin-failures:account:{}", sha256_hex(email)),
        MAX_FAILURES_PER_ACCOUNT,
    )];
    if let Some(ip) = ip {
        keys.push((
            format!("signin-failures:ip:{}", sha256_hex(ip)),
            MAX_FAILURES_PER_IP,
        ));
    }
    keys
}

/// Refuses the attempt if the account or the IP address has too many recent failures.
pub async fn check(ports: &Ports<'_>, email: &str, ip: Option<&str>) -> Result<(), Error> {
    let now = ports.clock.now();
    for (key, limit) in keys(email, ip) {
        if ports.counters.get(&key, now).await? >= limit {
            return Err(Error::Throttled);
        }
    }
    Ok(())
}

/// Counts a failed sign-in against the account and the IP address.
pub async fn note_failure(ports: &Ports<'_>, email: &str, ip: Option<&str>) -> Result<(), Error> {
    let now = ports.clock.now();
    for (key, _) in keys(email, ip) {
        ports.counters.increment(&key, WINDOW_SECONDS, now).await?;
    }
    Ok(())
}
