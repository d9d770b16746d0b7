//! Event hooks: System Log events delivered to the customer's HTTPS endpoints as signed
//! webhooks (Standard Webhooks), through the platform's queues.
//!
//! The path of an event: the request records it ([`crate::events::record`]); the
//! platform enqueues it after the response; the events consumer stores a batch in the
//! System Log and plans one delivery per (event, matching hook) ([`fan_out`]); the
//! deliveries consumer POSTs each ([`deliver`]), retrying with exponential backoff and
//! jitter until the queue's last attempt, after which the delivery goes to the
//! dead-letter queue and is marked `dead` ([`dead_lettered`]).

pub mod admin;
pub mod delivery;
pub mod inline;
pub mod model;
pub mod rules;
pub mod standard_webhooks;

pub use delivery::{dead_lettered, deliver, fan_out, QueueMessage, RetryPolicy, Verdict};
pub use model::*;

#[cfg(test)]
mod tests {
    use super::model::*;

    #[test]
    fn event_type_filters_match_exact_types_and_prefix_wildcards() {
        let exact = EventTypeFilter::parse("user.session.start").unwrap();
        assert!(exact.matches("user.session.start"));
        assert!(!exact.matches("user.session.start.more"));
        assert!(!exact.matches("user.session.end"));

        let prefix = EventTypeFilter::parse("user.authentication.*").unwrap();
        assert!(prefix.matches("user.authentication.auth_via_password"));
        assert!(
            !prefix.matches("user.authenticationx.y"),
            "a prefix ends at a dot"
        );
        assert!(!prefix.matches("app.oauth2.as.token.grant"));

        let all = EventTypeFilter::parse("*").unwrap();
        assert!(all.matches("system.signing_key.rotate"));
    }

    #[test]
    fn event_type_filters_refuse_other_patterns() {
        for bad in [
            "",
            "user.*.start",
            "user*",
            "User.session",
            "user..start",
            "user.*.*",
            ".*",
            "a b",
        ] {
            assert!(EventTypeFilter::parse(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod delivery_tests;
