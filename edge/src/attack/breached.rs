//! Breached-password check with Have I Been Pwned's Pwned Passwords range API
//! (k-anonymity): only the first five hex digits of the password's SHA-1 leave the edge,
//! and the answer lists every known suffix under that prefix (`SUFFIX:COUNT` lines). The
//! request asks for padding (`Add-Padding: true`), so the answer's size does not tell an
//! observer which prefix was asked; padding lines have a count of 0 and are ignored.
//!
//! The check fails open: when the API cannot be reached or answers nonsense, the password
//! is accepted (the shipped blocklist still applied) and the System Log records a
//! `system.breached_password_check.unavailable` warning.

use sha1::{Digest, Sha1};

use portcullis_shared::api::{PasswordProblem, PasswordRejected};

use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::passwords::policy;
use crate::ports::Ports;

/// Who chose the password, for the System Log.
pub struct Chooser<'a> {
    pub user_id: Option<&'a str>,
    pub email: &'a str,
    pub client_id: &'a str,
}

/// The 40 upper-case hex digits of SHA-1 of `password` (as Pwned Passwords writes them).
fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// What the range says about `suffix`: `Some(true)` listed, `Some(false)` not listed,
/// `None` if the body is not a range answer.
fn listed(body: &str, suffix: &str) -> Option<bool> {
    let mut found = false;
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (hash, count) = line.split_once(':')?;
        let count: u64 = count.trim().parse().ok()?;
        if hash.len() != 35 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if count > 0 && hash.eq_ignore_ascii_case(suffix) {
            found = true;
        }
    }
    Some(found)
}

/// Refuses `normalized` (a new password, NFKC) if Pwned Passwords lists it.
pub async fn check(
    ports: &Ports<'_>,
    context: &RequestContext,
    chooser: &Chooser<'_>,
    normalized: &str,
) -> Result<(), Error> {
    let hash = sha1_hex(normalized);
    let (prefix, suffix) = hash.split_at(5);
    let verdict = match ports.breaches.range(prefix).await {
        Ok(body) => listed(&body, suffix).ok_or_else(|| "range answer malformed".to_string()),
        Err(err) => Err(err.0),
    };
    let event = |event_type, display_message, reason| EventSpec {
        event_type,
        display_message,
        success: false,
        reason,
        actor_id: chooser.user_id,
        actor_email: Some(chooser.email),
        actor_name: None,
        client_id: Some(chooser.client_id),
    };
    match verdict {
        Ok(false) => Ok(()),
        Ok(true) => {
            let spec = event(
                types::BREACHED_PASSWORD,
                "New password found in a data breach",
                Some("pwned passwords"),
            );
            events::record(ports, context, spec).await;
            Err(Error::PasswordRejected(PasswordRejected {
                problem: PasswordProblem::Common,
                min_length: policy::MIN_LEN_SINGLE_FACTOR,
            }))
        }
        Err(reason) => {
            ports
                .diagnostics
                .log(&format!("pwned passwords unavailable: {reason}"));
            let spec = event(
                types::BREACH_CHECK_UNAVAILABLE,
                "Breached-password check unavailable; password accepted unchecked",
                Some("pwned passwords unreachable"),
            );
            events::record(ports, context, spec).await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    const CHOOSER: Chooser<'static> = Chooser {
        user_id: None,
        email: "ada@example.com",
        client_id: "demo",
    };

    fn check_now(t: &TestPorts, password: &str) -> Result<(), Error> {
        pollster::block_on(check(
            &t.ports(),
            &RequestContext::default(),
            &CHOOSER,
            password,
        ))
    }

    #[test]
    fn sha1_is_upper_case_hex_as_pwned_passwords_writes_it() {
        // "password" is the best-known entry: 5BAA6 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
        assert_eq!(
            sha1_hex("password"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
    }

    #[test]
    fn a_listed_password_is_refused_and_only_the_prefix_is_sent() {
        let t = TestPorts::new();
        t.breaches.add("tram ferry cloudberry 1987");
        assert!(matches!(
            check_now(&t, "tram ferry cloudberry 1987"),
            Err(Error::PasswordRejected(PasswordRejected {
                problem: PasswordProblem::Common,
                ..
            }))
        ));
        let asked = t.breaches.asked();
        assert_eq!(
            asked,
            vec![sha1_hex("tram ferry cloudberry 1987")[..5].to_string()]
        );
        assert_eq!(
            t.events.summary().last(),
            Some(&(
                "security.breached_credential.detected".into(),
                "FAILURE".into()
            ))
        );
    }

    #[test]
    fn an_unlisted_password_passes_and_padding_lines_never_match() {
        let t = TestPorts::new();
        assert_eq!(check_now(&t, "harbor quartz 76c8b403 meadow orbit"), Ok(()));
        // A padding line (count 0) with the very suffix is not a listing.
        let hash = sha1_hex("x");
        let body = format!(
            "{}:0\r\n0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n",
            &hash[5..]
        );
        assert_eq!(listed(&body, &hash[5..]), Some(false));
        assert_eq!(
            listed(&format!("{}:12\r\n", &hash[5..]), &hash[5..]),
            Some(true)
        );
        assert_eq!(listed("<html>rate limited</html>", &hash[5..]), None);
    }

    #[test]
    fn unreachable_pwned_passwords_fails_open_with_a_warning_in_the_system_log() {
        let t = TestPorts::new();
        t.breaches.add("tram ferry cloudberry 1987");
        t.breaches.go_down();
        assert_eq!(check_now(&t, "tram ferry cloudberry 1987"), Ok(()));
        assert_eq!(
            t.events.summary().last(),
            Some(&(
                "system.breached_password_check.unavailable".into(),
                "FAILURE".into()
            ))
        );
    }
}
