//! Limits on guessing, built so they can't be raced or turned against an account's owner.
//!
//! **Counted first.** Every limit is a fixed-window counter in a strongly consistent
//! store (a Durable Object per key, see [`Counters`]). An attempt increments its counters
//! *before* any expensive or revealing work (the Argon2id verification, a mail send, a
//! code comparison), and the count the increment returns decides. Of N concurrent
//! guesses each sees its own count (1, 2, … N), so no more than the limit are ever
//! checked, however many arrive at once.
//!
//! **Password sign-in** counts each attempt in three windows of [`WINDOW_SECONDS`],
//! keyed by the address typed (whether or not it has an account, so nothing here tells
//! which addresses do) and the client's [`IpPrefix`]:
//!
//! 1. per IP prefix, across accounts: past [`MAX_FAILURES_PER_IP`], `too_many_attempts`;
//! 2. per (account, IP prefix): past [`MAX_FAILURES_PER_ACCOUNT_AND_IP`],
//!    `too_many_attempts`. This is the hard limit on guessing one account from one place;
//! 3. per account, across every IP: never a refusal. Past
//!    [`SECOND_PROOF_AFTER_FAILURES`] the account is *under attack*, and a correct
//!    password alone no longer signs in: the flow also asks for a code emailed to the
//!    account's address (sent on a quota of its own,
//!    [`throttle_proven`](crate::email::throttle_proven), so that asking for mail to the
//!    address can't use it up). A wrong password still gets `invalid_credentials`,
//!    exactly as for an address without an account.
//!
//! So an attacker spread over many IP addresses never locks the owner out: from any IP
//! prefix the attacker has not exhausted, the owner signs in with password and emailed
//! code, while each attacker's (account, IP prefix) pair stays limited. An attempt refused
//! at one step is not counted at the later ones (a flooded IP prefix does not push the
//! accounts it targets further).
//!
//! **A correct password takes its attempt back** ([`Admitted::refund`]): the counters
//! hold failures plus attempts still in flight. A person who signs in often never nears
//! a limit, and only someone who knows the password can take an attempt back, which buys
//! a guesser nothing. (A refund that lands just after its window ended takes one off the
//! next window: at most one per correct password.)
//!
//! The limits follow NIST SP 800-63B-4 §3.2.2 (no more than 100 consecutive failures
//! per account without other measures) with room to spare.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::crypto::sha256_hex;
use crate::error::Error;
use crate::ports::{Counters, Ports, UnixMillis};

pub const WINDOW_SECONDS: u64 = 15 * 60;
/// Failed sign-ins per IP prefix, whatever the account, per window.
pub const MAX_FAILURES_PER_IP: u32 = 100;
/// Failed sign-ins per account from one IP prefix per window.
pub const MAX_FAILURES_PER_ACCOUNT_AND_IP: u32 = 10;
/// Failed sign-ins per account from anywhere per window after which a correct password
/// also needs an emailed code.
pub const SECOND_PROOF_AFTER_FAILURES: u32 = 10;

// --- fixed windows ---------------------------------------------------------------------

/// A counter's running window: how many so far, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub ends: UnixMillis,
}

/// What one request does to a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Counts one, starting a window this long if none is running.
    Increment { window_seconds: u64 },
    /// Takes back one counted earlier, never below zero; nothing when no window runs.
    Decrement,
    /// Ends the running window: the count is 0 again (an administrator's unlock).
    Reset,
}

/// The counter's window after `change` at `now` (`None`: no window runs, the count is
/// 0). The one definition of the fixed windows: the Durable Object behind the deployed
/// counters and the in-memory counters of the tests both run it.
pub fn next_window(current: Option<Window>, change: Change, now: UnixMillis) -> Option<Window> {
    let running = current.filter(|window| now < window.ends);
    match (change, running) {
        (Change::Increment { .. }, Some(window)) => Some(Window {
            count: window.count.saturating_add(1),
            ..window
        }),
        (Change::Increment { window_seconds }, None) => Some(Window {
            count: 1,
            ends: now.plus_seconds(window_seconds),
        }),
        (Change::Decrement, Some(window)) => Some(Window {
            count: window.count.saturating_sub(1),
            ..window
        }),
        (Change::Decrement, None) | (Change::Reset, _) => None,
    }
}

// --- where an attempt comes from -------------------------------------------------------

/// The part of a client's IP address that limits are keyed on: an IPv4 address, or an
/// IPv6 /64 (one subscriber's network: anyone holding one has all its 2^64 addresses, so
/// limiting single IPv6 addresses would limit nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPrefix {
    V4([u8; 4]),
    /// The first 64 bits.
    V6(u64),
    /// No address, or one that does not parse: one bucket shared by all such requests.
    Unknown,
}

impl IpPrefix {
    /// The prefix of the `cf-connecting-ip` value (Cloudflare sets it; it is never the
    /// client's to choose). IPv4-mapped IPv6 addresses count as their IPv4 address.
    pub fn of(header: Option<&str>) -> IpPrefix {
        let Some(value) = header.map(str::trim) else {
            return IpPrefix::Unknown;
        };
        let bare = value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(value);
        match bare.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(IpAddr::V4(v4)) => IpPrefix::V4(v4.octets()),
            Ok(IpAddr::V6(v6)) => IpPrefix::V6((u128::from(v6) >> 64) as u64),
            Err(_) => IpPrefix::Unknown,
        }
    }

    /// How the prefix appears in counter keys: hashed, so store names carry no address.
    pub fn key(&self) -> String {
        sha256_hex(&self.to_string())
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpPrefix::V4([a, b, c, d]) => write!(f, "{a}.{b}.{c}.{d}"),
            IpPrefix::V6(high) => write!(f, "{}/64", Ipv6Addr::from(u128::from(*high) << 64)),
            IpPrefix::Unknown => f.write_str("unknown"),
        }
    }
}

// --- password sign-in ------------------------------------------------------------------

/// Failed password attempts counted before this one in the running windows (with any
/// still in flight): what adaptive sign-on reads as a burst (see [`crate::risk`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// On the account, from anywhere.
    pub account: u32,
    /// From the IP prefix, on any account.
    pub ip: u32,
}

/// A password attempt that may go on to be checked.
#[derive(Debug)]
#[must_use = "a correct password takes its attempt back with `refund`"]
pub struct Admitted {
    /// The account is under attack: a correct password also needs an emailed code.
    pub needs_second_proof: bool,
    pub failures: Failures,
    counted: Vec<String>,
}

impl Admitted {
    /// Takes back the attempt of a correct password. Best effort: a store that fails
    /// here leaves one failure too many counted, which must not fail the sign-in.
    pub async fn refund(self, ports: &Ports<'_>) {
        let now = ports.clock.now();
        for key in &self.counted {
            if let Err(err) = ports.counters.decrement(key, now).await {
                ports
                    .diagnostics
                    .log(&format!("sign-in limit refund failed: {err:?}"));
            }
        }
    }
}

/// Counts a password attempt for `account` (the address typed, normalised) from `ip`,
/// before anything is checked; refuses it past the hard limits.
pub async fn admit(ports: &Ports<'_>, account: &str, ip: IpPrefix) -> Result<Admitted, Error> {
    let per_account = account_counter(account);
    let account = sha256_hex(account);
    let ip = ip.key();
    let per_ip = format!("signin:ip:{ip}");
    let per_pair = format!(
        "signin:account-ip:{}",
        sha256_hex(&format!("{account}/{ip}"))
    );
    let counters = ports.counters;
    let now = ports.clock.now();
    let from_ip = count(counters, &per_ip, now).await?;
    if from_ip > MAX_FAILURES_PER_IP
        || count(counters, &per_pair, now).await? > MAX_FAILURES_PER_ACCOUNT_AND_IP
    {
        return Err(Error::Throttled);
    }
    let on_account = count(counters, &per_account, now).await?;
    Ok(Admitted {
        needs_second_proof: on_account > SECOND_PROOF_AFTER_FAILURES,
        failures: Failures {
            account: on_account.saturating_sub(1),
            ip: from_ip.saturating_sub(1),
        },
        counted: vec![per_ip, per_pair, per_account],
    })
}

/// The counter of failed sign-ins on `account` (the normalised address) from anywhere:
/// past [`SECOND_PROOF_AFTER_FAILURES`] the account is under attack.
pub fn account_counter(account: &str) -> String {
    format!("signin:account:{}", sha256_hex(account))
}

async fn count(counters: &dyn Counters, key: &str, now: UnixMillis) -> Result<u32, Error> {
    Ok(counters.increment(key, WINDOW_SECONDS, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMillis = UnixMillis(1_767_225_600_000);
    const INCREMENT: Change = Change::Increment { window_seconds: 60 };

    #[test]
    fn a_reset_ends_the_running_window_whatever_its_count() {
        let full = Some(Window {
            count: 50,
            ends: T0.plus_seconds(60),
        });
        assert_eq!(next_window(full, Change::Reset, T0), None);
        assert_eq!(next_window(None, Change::Reset, T0), None);
        let again = next_window(None, INCREMENT, T0);
        assert_eq!(again.map(|w| w.count), Some(1), "counting starts over");
    }

    #[test]
    fn a_window_starts_at_the_first_increment_and_counts_until_it_ends() {
        let first = next_window(None, INCREMENT, T0);
        assert_eq!(
            first,
            Some(Window {
                count: 1,
                ends: T0.plus_seconds(60)
            })
        );
        let second = next_window(first, INCREMENT, T0.plus_seconds(59));
        assert_eq!(
            second,
            Some(Window {
                count: 2,
                ends: T0.plus_seconds(60)
            }),
            "counting does not move the window's end"
        );
        let next = next_window(second, INCREMENT, T0.plus_seconds(60));
        assert_eq!(
            next,
            Some(Window {
                count: 1,
                ends: T0.plus_seconds(120)
            }),
            "at its end the window is over and a new one starts"
        );
    }

    #[test]
    fn a_decrement_takes_one_back_from_a_running_window_only_and_never_below_zero() {
        let running = Some(Window {
            count: 2,
            ends: T0.plus_seconds(60),
        });
        assert_eq!(
            next_window(running, Change::Decrement, T0).map(|w| w.count),
            Some(1)
        );
        let empty = Some(Window {
            count: 0,
            ends: T0.plus_seconds(60),
        });
        assert_eq!(
            next_window(empty, Change::Decrement, T0).map(|w| w.count),
            Some(0)
        );
        assert_eq!(next_window(None, Change::Decrement, T0), None);
        assert_eq!(
            next_window(running, Change::Decrement, T0.plus_seconds(60)),
            None,
            "an ended window is not revived"
        );
    }

    #[test]
    fn changes_travel_to_the_counter_object_as_tagged_json() {
        let cases = [
            (INCREMENT, r#"{"op":"increment","window_seconds":60}"#),
            (Change::Decrement, r#"{"op":"decrement"}"#),
        ];
        for (change, wire) in cases {
            assert_eq!(serde_json::to_string(&change).unwrap(), wire);
            assert_eq!(serde_json::from_str::<Change>(wire).unwrap(), change);
        }
    }

    #[test]
    fn a_count_saturates_instead_of_wrapping() {
        let full = Some(Window {
            count: u32::MAX,
            ends: T0.plus_seconds(60),
        });
        assert_eq!(
            next_window(full, INCREMENT, T0).map(|w| w.count),
            Some(u32::MAX)
        );
    }

    #[test]
    fn an_ipv6_prefix_is_the_first_64_bits_of_the_address() {
        let a = IpPrefix::of(Some("2001:db8:1:2:aaaa::1"));
        let b = IpPrefix::of(Some("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = IpPrefix::of(Some("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), other.key());
    }

    #[test]
    fn ipv4_addresses_are_their_own_prefix_also_when_mapped_into_ipv6() {
        let v4 = IpPrefix::of(Some("203.0.113.7"));
        assert_eq!(v4.to_string(), "203.0.113.7");
        assert_eq!(IpPrefix::of(Some(" ::ffff:203.0.113.7 ")), v4);
        assert_ne!(IpPrefix::of(Some("203.0.113.8")), v4);
        assert_eq!(
            IpPrefix::of(Some("[2001:db8::1]")),
            IpPrefix::of(Some("2001:db8::2"))
        );
    }

    #[test]
    fn a_missing_or_unparseable_address_has_its_own_bucket() {
        for header in [
            None,
            Some(""),
            Some("not an address"),
            Some("203.0.113.7, 198.51.100.1"),
            Some("2001:db8::1%eth0"),
            Some("203.0.113.256"),
        ] {
            assert_eq!(IpPrefix::of(header), IpPrefix::Unknown, "{header:?}");
        }
        assert_ne!(IpPrefix::Unknown.key(), IpPrefix::of(Some("0.0.0.0")).key());
    }
}
