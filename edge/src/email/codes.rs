//! One-time codes sent by email, bound to one sign-in flow: six digits, ten minutes,
//! compared in constant time, dead after five wrong tries. A new code for the flow
//! replaces the old one.
//!
//! A code is issued for an address without an account too (and not sent), so checking
//! it behaves exactly as for any other wrong code.

use serde::{Deserialize, Serialize};

use super::{digits, Purpose, CODE_TTL_SECONDS};
use crate::crypto::constant_time_eq;
use crate::error::Error;
use crate::ports::{Ports, UnixMillis};

pub const CODE_DIGITS: usize = 6;
/// Wrong tries a code survives; the next one ends it.
pub const MAX_TRIES: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CodeRecord {
    /// `None` for an address without an account: no code can match.
    user_id: Option<String>,
    code: String,
    tries: u32,
    purpose: Purpose,
    expires_at: u64,
}

fn key(flow_id: &str) -> String {
    format!("email-code:{flow_id}")
}

/// Issues the flow's code for `user_id` (or for nobody); returns it.
pub async fn issue(
    ports: &Ports<'_>,
    flow_id: &str,
    user_id: Option<&str>,
    purpose: Purpose,
) -> Result<String, Error> {
    let code = digits(ports.random, CODE_DIGITS)?;
    let now = ports.clock.now();
    let record = CodeRecord {
        user_id: user_id.map(str::to_string),
        code: code.clone(),
        tries: 0,
        purpose,
        expires_at: now.plus_seconds(CODE_TTL_SECONDS).0,
    };
    // Replaces the previous code, if any.
    ports.one_time.take(&key(flow_id), now).await?;
    put(ports, flow_id, &record).await?;
    Ok(code)
}

async fn put(ports: &Ports<'_>, flow_id: &str, record: &CodeRecord) -> Result<(), Error> {
    let value = serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))?;
    ports
        .one_time
        .put(&key(flow_id), &value, UnixMillis(record.expires_at))
        .await?;
    Ok(())
}

/// Checks `code` against the flow's code: the account it proves, and what for.
///
/// `code_invalid` for a wrong code that may be tried again, `code_expired` when there
/// is no live code (expired, used, replaced, or too many wrong tries).
pub async fn check(
    ports: &Ports<'_>,
    flow_id: &str,
    code: &str,
) -> Result<(String, Purpose), Error> {
    let value = ports
        .one_time
        .take(&key(flow_id), ports.clock.now())
        .await?
        .ok_or(Error::CodeExpired)?;
    let mut record: CodeRecord =
        serde_json::from_str(&value).map_err(|e| Error::Internal(format!("code record: {e}")))?;
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // Compare in constant time, and always, so an unknown address takes as long.
    let matches = constant_time_eq(&typed, &record.code);
    if matches {
        if let Some(user_id) = record.user_id {
            return Ok((user_id, record.purpose));
        }
    }
    record.tries += 1;
    if record.tries >= MAX_TRIES {
        return Err(Error::CodeExpired);
    }
    put(ports, flow_id, &record).await?;
    Err(Error::CodeInvalid)
}
