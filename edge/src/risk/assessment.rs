//! How risky one sign-in looks, from its signals and the account's history. Pure: the
//! inputs are gathered by [`super::evaluate`].
//!
//! | reason | when | level |
//! |---|---|---|
//! | `anonymous_network` | Tor (Cloudflare's `T1`) or an anonymiser | high |
//! | `impossible_travel` | over [`TRAVEL_FLOOR_KM`] from the last sign-in, faster than [`MAX_TRAVEL_KMH`] | high |
//! | `new_country` | another country than the last sign-in's | high; medium from a remembered device |
//! | `failure_burst` | [`BURST_ACCOUNT_FAILURES`] recent failures on the account, or [`BURST_IP_FAILURES`] from the IP prefix | high; medium from a remembered device |
//! | `new_device` | an account that signed in before, from a browser it was not remembered on | medium |
//!
//! The level is the highest of its reasons' levels; low without any. An account's first
//! sign-in has no history to differ from: only the anonymous network and failures count.

use std::fmt;

use crate::signals::{Country, Place, Signals};
pub use crate::throttle::Failures;
use crate::time::UnixMillis;

/// Faster than a commercial flight between consecutive sign-ins is impossible travel.
pub const MAX_TRAVEL_KMH: f64 = 1000.0;
/// Closer than this is never impossible travel: IP geolocation is city-level at best.
pub const TRAVEL_FLOOR_KM: f64 = 500.0;
/// Failed passwords on the account in the running window (from anywhere) that make a
/// burst: half the count at which a correct password also needs an emailed code.
pub const BURST_ACCOUNT_FAILURES: u32 = crate::throttle::SECOND_PROOF_AFTER_FAILURES / 2;
/// Failed passwords from the IP prefix, across accounts, that make a burst.
pub const BURST_IP_FAILURES: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// Why a sign-in looks risky. Its [`Display`](fmt::Display) is what the System Log says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    AnonymousNetwork,
    ImpossibleTravel { km: f64, hours: f64 },
    NewCountry { from: Country, to: Country },
    FailureBurst { account: u32, ip: u32 },
    NewDevice,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::AnonymousNetwork => f.write_str("anonymous_network"),
            Reason::ImpossibleTravel { km, hours } => {
                write!(f, "impossible_travel({km:.0} km in {hours:.1} h)")
            }
            Reason::NewCountry { from, to } => {
                write!(f, "new_country({}->{})", from.as_str(), to.as_str())
            }
            Reason::FailureBurst { account, ip } => {
                write!(f, "failure_burst(account {account}, ip {ip})")
            }
            Reason::NewDevice => f.write_str("new_device"),
        }
    }
}

/// What is known about the sign-in being assessed.
#[derive(Debug, Clone)]
pub struct SignOn {
    pub signals: Signals,
    pub now: UnixMillis,
    /// Where the account last signed in; `None` on its first sign-in.
    pub last: Option<Place>,
    /// The browser is remembered for this account.
    pub known_device: bool,
    pub failures: Failures,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub level: Level,
    pub reasons: Vec<Reason>,
}

impl Assessment {
    /// `high: new_country(FR->NZ), new_device` or `low`: for the System Log.
    pub fn summary(&self) -> String {
        let reasons: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        if reasons.is_empty() {
            self.level.as_str().to_string()
        } else {
            format!("{}: {}", self.level.as_str(), reasons.join(", "))
        }
    }
}

pub fn assess(sign_on: &SignOn) -> Assessment {
    let mut found: Vec<(Reason, Level)> = Vec::new();
    // A remembered browser lowers what a known person's travel or a guesser's noise means.
    let unless_known = if sign_on.known_device {
        Level::Medium
    } else {
        Level::High
    };
    let signals = &sign_on.signals;
    if signals.anonymous {
        found.push((Reason::AnonymousNetwork, Level::High));
    }
    if let Some(last) = &sign_on.last {
        if let (Some(from), Some(to)) = (last.coordinates, signals.coordinates) {
            let km = from.distance_km(&to);
            let hours = sign_on.now.0.saturating_sub(last.at.0) as f64 / 3_600_000.0;
            if km > TRAVEL_FLOOR_KM && km > MAX_TRAVEL_KMH * hours {
                found.push((Reason::ImpossibleTravel { km, hours }, Level::High));
            }
        }
        if let (Some(from), Some(to)) = (last.country, signals.country) {
            if from != to {
                found.push((Reason::NewCountry { from, to }, unless_known));
            }
        }
        if !sign_on.known_device {
            found.push((Reason::NewDevice, Level::Medium));
        }
    }
    let failures = sign_on.failures;
    if failures.account >= BURST_ACCOUNT_FAILURES || failures.ip >= BURST_IP_FAILURES {
        found.push((
            Reason::FailureBurst {
                account: failures.account,
                ip: failures.ip,
            },
            unless_known,
        ));
    }
    Assessment {
        level: found
            .iter()
            .map(|(_, level)| *level)
            .max()
            .unwrap_or(Level::Low),
        reasons: found.into_iter().map(|(reason, _)| reason).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Coordinates;
    use crate::testing::{auckland, paris};

    const HOUR: u64 = 3_600_000;
    const T0: UnixMillis = UnixMillis(1_767_225_600_000);

    fn brussels() -> Signals {
        Signals {
            country: Country::parse("BE"),
            asn: Some(5432),
            coordinates: Coordinates::new(50.8503, 4.3517),
            anonymous: false,
        }
    }

    fn last_seen(signals: &Signals, at: UnixMillis) -> Option<Place> {
        Some(Place {
            country: signals.country,
            coordinates: signals.coordinates,
            at,
        })
    }

    fn sign_on(signals: Signals, hours_later: u64, known_device: bool) -> SignOn {
        SignOn {
            signals,
            now: UnixMillis(T0.0 + hours_later * HOUR),
            last: last_seen(&paris(), T0),
            known_device,
            failures: Failures::default(),
        }
    }

    #[test]
    fn same_place_same_browser_is_low_risk() {
        let a = assess(&sign_on(paris(), 24, true));
        assert_eq!(
            a,
            Assessment {
                level: Level::Low,
                reasons: vec![]
            }
        );
        assert_eq!(a.summary(), "low");
    }

    #[test]
    fn the_first_sign_in_has_nothing_to_differ_from() {
        let first = SignOn {
            last: None,
            ..sign_on(auckland(), 0, false)
        };
        assert_eq!(assess(&first).level, Level::Low);
    }

    #[test]
    fn a_new_browser_alone_is_medium() {
        let a = assess(&sign_on(paris(), 24, false));
        assert_eq!(a.level, Level::Medium);
        assert_eq!(a.reasons, vec![Reason::NewDevice]);
    }

    #[test]
    fn a_new_country_from_a_new_browser_is_high_and_says_which() {
        let a = assess(&sign_on(brussels(), 24, false));
        assert_eq!(a.level, Level::High);
        assert_eq!(a.summary(), "high: new_country(FR->BE), new_device");
    }

    #[test]
    fn a_new_country_from_a_remembered_browser_is_medium() {
        let a = assess(&sign_on(brussels(), 24, true));
        assert_eq!(a.level, Level::Medium);
    }

    #[test]
    fn paris_to_auckland_in_two_hours_is_impossible_travel_even_from_a_known_browser() {
        let a = assess(&sign_on(auckland(), 2, true));
        assert_eq!(a.level, Level::High);
        assert!(
            matches!(a.reasons[0], Reason::ImpossibleTravel { km, .. } if km > 18_000.0),
            "{a:?}"
        );
        // A day later the same trip is possible (a long flight), so it is only a new country.
        let a = assess(&sign_on(auckland(), 30, true));
        assert_eq!(a.level, Level::Medium);
        assert!(!a
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::ImpossibleTravel { .. })));
    }

    #[test]
    fn nearby_cities_are_never_impossible_travel() {
        // Paris to Brussels (about 260 km) ten minutes apart: geolocation noise, not travel.
        let mut quick = sign_on(brussels(), 0, true);
        quick.now = UnixMillis(T0.0 + HOUR / 6);
        let a = assess(&quick);
        assert!(!a
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::ImpossibleTravel { .. })));
    }

    #[test]
    fn tor_is_high_risk_on_any_sign_in() {
        let tor = Signals {
            anonymous: true,
            ..Signals::default()
        };
        let first = SignOn {
            last: None,
            ..sign_on(tor, 0, true)
        };
        let a = assess(&first);
        assert_eq!(a.level, Level::High);
        assert_eq!(a.reasons, vec![Reason::AnonymousNetwork]);
    }

    #[test]
    fn a_burst_of_failures_on_the_account_or_from_the_ip_is_high() {
        for (account, ip, level) in [
            (
                BURST_ACCOUNT_FAILURES - 1,
                BURST_IP_FAILURES - 1,
                Level::Medium,
            ),
            (BURST_ACCOUNT_FAILURES, 0, Level::High),
            (0, BURST_IP_FAILURES, Level::High),
        ] {
            let mut s = sign_on(paris(), 24, false);
            s.failures = Failures { account, ip };
            assert_eq!(assess(&s).level, level, "{account} {ip}");
        }
        // From a remembered browser a burst is worth noting, not challenging.
        let mut s = sign_on(paris(), 24, true);
        s.failures = Failures { account: 6, ip: 1 };
        assert_eq!(
            assess(&s).summary(),
            "medium: failure_burst(account 6, ip 1)"
        );
    }

    #[test]
    fn missing_signals_add_no_reasons() {
        let a = assess(&sign_on(Signals::default(), 1, true));
        assert_eq!(a.level, Level::Low);
    }
}
