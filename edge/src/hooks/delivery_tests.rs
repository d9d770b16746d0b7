//! Fan-out and delivery against the in-memory hook store and a scripted receiver.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::standard_webhooks::WebhookSecret;
use super::*;
use crate::events::{record, types, EventSpec, RequestContext};
use crate::ports::Clock;
use crate::ports::HookStore;
use crate::testing::{MemoryHookStore, ScriptedTransport, TestPorts};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn hook(t: &TestPorts, id: &str, url: &str, types: &[&str], secret: &str) -> EventHook {
    let kek = t.settings.key_encryption_key.as_ref().unwrap();
    EventHook {
        id: id.into(),
        url: url.into(),
        event_types: types
            .iter()
            .map(|p| EventTypeFilter::parse(p).unwrap())
            .collect(),
        sealed_secret: kek
            .seal(secret.as_bytes(), &format!("hook:{id}"), &t.random)
            .unwrap(),
        previous_secret: None,
        enabled: true,
    }
}

/// Events of `kinds`, recorded a second apart and taken from the log.
pub(super) fn events(t: &TestPorts, kinds: &[&'static str]) -> Vec<crate::events::SystemLogEvent> {
    for kind in kinds {
        pollster::block_on(record(
            &t.ports(),
            &RequestContext::default(),
            EventSpec {
                event_type: kind,
                display_message: "test",
                success: true,
                reason: None,
                actor_id: Some("u1"),
                actor_email: Some("ada@example.com"),
                actor_name: None,
                client_id: Some("demo"),
            },
        ));
        t.clock.advance_seconds(1);
    }
    t.events.events.borrow_mut().drain(..).collect()
}

/// One hook for every event at https://hooks.example/in, and one event of `kind` fanned out to it.
fn one_hook_and_event(
    t: &TestPorts,
    kind: &'static str,
) -> (MemoryHookStore, Vec<DeliveryMessage>) {
    let store = MemoryHookStore::default();
    store
        .hooks
        .borrow_mut()
        .push(hook(t, "hk_1", "https://hooks.example/in", &["*"], SECRET));
    let planned = pollster::block_on(fan_out(&t.ports(), &store, events(t, &[kind]))).unwrap();
    (store, planned)
}

fn header<'a>(request: &'a WebhookRequest, name: &str) -> &'a str {
    &request.headers.iter().find(|(n, _)| n == name).unwrap().1
}

/// Checks a delivery's signature the way the spec tells receivers to.
fn verifies(request: &WebhookRequest, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let content = format!(
        "{}.{}.{}",
        header(request, "webhook-id"),
        header(request, "webhook-timestamp"),
        request.body
    );
    let expected = format!(
        "v1,{}",
        STANDARD.encode(crate::crypto::hmac_sha256(&key, content.as_bytes()))
    );
    header(request, "webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

#[test]
fn fan_out_stores_the_batch_and_plans_one_delivery_per_matching_hook() {
    let t = TestPorts::new();
    let store = MemoryHookStore::default();
    store.hooks.borrow_mut().extend([
        hook(&t, "hk_users", "https://a.example/h", &["user.*"], SECRET),
        hook(
            &t,
            "hk_tokens",
            "https://b.example/h",
            &[types::TOKEN_GRANT],
            SECRET,
        ),
        EventHook {
            enabled: false,
            ..hook(&t, "hk_off", "https://c.example/h", &["*"], SECRET)
        },
    ]);
    let mut batch = events(
        &t,
        &[types::REGISTRATION, types::TOKEN_GRANT, types::KEY_ROTATE],
    );
    batch.reverse(); // a queue does not promise order

    let planned = pollster::block_on(fan_out(&t.ports(), &store, batch)).unwrap();

    assert_eq!(t.events.events.borrow().len(), 3, "every event is stored");
    let targets: Vec<(&str, &str)> = planned
        .iter()
        .map(|d| (d.hook_id.as_str(), d.event.event_type.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("hk_users", types::REGISTRATION),
            ("hk_tokens", types::TOKEN_GRANT)
        ],
        "published order; disabled hooks and unwanted types get nothing"
    );
    assert_eq!(store.deliveries.borrow().len(), 2);
    // Running the same batch again (a queue retry, an event that came twice) records
    // nothing new and enqueues nothing twice.
    let events: Vec<_> = planned.iter().map(|d| d.event.clone()).collect();
    let again = pollster::block_on(fan_out(&t.ports(), &store, events.clone())).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(store.deliveries.borrow().len(), 2);
    // Deliveries that could not be enqueued are discarded, and planned again on retry.
    let ids: Vec<String> = planned.iter().map(|d| d.id.clone()).collect();
    pollster::block_on(store.discard_deliveries(&ids)).unwrap();
    let retried = pollster::block_on(fan_out(&t.ports(), &store, events)).unwrap();
    assert_eq!(
        retried.iter().map(|d| &d.id).collect::<Vec<_>>(),
        planned.iter().map(|d| &d.id).collect::<Vec<_>>()
    );
}

#[test]
fn delivery_failing_three_times_then_succeeding_is_retried_with_growing_backoff_and_one_id() {
    let t = TestPorts::new();
    let (store, planned) = one_hook_and_event(&t, types::REGISTRATION);
    let receiver = ScriptedTransport::answering(&[Some(500), None, Some(429)]);
    let policy = RetryPolicy {
        base_seconds: 10,
        max_seconds: 3_600,
        timeout_ms: 2_000,
    };

    let mut verdicts = Vec::new();
    for _ in 0..4 {
        verdicts.push(pollster::block_on(deliver(
            &t.ports(),
            &store,
            &receiver,
            &planned[0],
            &policy,
        )));
        t.clock.advance_seconds(60);
    }

    let delays: Vec<u32> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Retry { delay_seconds } => Some(*delay_seconds),
            Verdict::Ack => None,
        })
        .collect();
    assert_eq!(verdicts.last(), Some(&Verdict::Ack));
    assert_eq!(delays.len(), 3);
    for (n, delay) in delays.iter().enumerate() {
        let ceiling = 10 << n;
        assert!(
            (ceiling / 2..=ceiling).contains(delay),
            "attempt {n}: {delay}"
        );
    }
    let received = receiver.received.borrow();
    assert_eq!(received.len(), 4);
    let ids: Vec<&str> = received.iter().map(|r| header(r, "webhook-id")).collect();
    assert!(
        ids.iter().all(|id| *id == planned[0].id),
        "one id for every attempt"
    );
    assert!(received.iter().all(|r| verifies(r, SECRET)));
    assert_ne!(
        header(&received[0], "webhook-timestamp"),
        header(&received[3], "webhook-timestamp"),
        "each attempt is signed at its own time"
    );
    let body: serde_json::Value = serde_json::from_str(&received[3].body).unwrap();
    assert_eq!(body["type"], types::REGISTRATION);
    assert_eq!(body["data"]["uuid"], planned[0].event.uuid.as_str());
    let row = store.deliveries.borrow()[&planned[0].id].clone();
    assert_eq!(
        (row.status, row.attempts, row.last_status),
        (DeliveryStatus::Delivered, 4, Some(200))
    );
}

#[test]
fn delivery_dead_lettered_after_the_last_attempt_is_marked_dead() {
    let t = TestPorts::new();
    let (store, planned) = one_hook_and_event(&t, types::SESSION_START);
    let receiver = ScriptedTransport::answering(&[Some(503), Some(503)]);
    for _ in 0..2 {
        let verdict = pollster::block_on(deliver(
            &t.ports(),
            &store,
            &receiver,
            &planned[0],
            &RetryPolicy::default(),
        ));
        assert!(matches!(verdict, Verdict::Retry { .. }));
    }
    pollster::block_on(dead_lettered(&t.ports(), &store, &planned[0])).unwrap();
    let row = store.deliveries.borrow()[&planned[0].id].clone();
    assert_eq!(
        (row.status, row.attempts, row.last_status),
        (DeliveryStatus::Dead, 2, Some(503))
    );
}

#[test]
fn delivery_to_a_disabled_or_plain_http_hook_is_cancelled_without_a_request() {
    let t = TestPorts::new();
    let store = MemoryHookStore::default();
    store.hooks.borrow_mut().extend([
        hook(&t, "hk_http", "http://hooks.example/in", &["*"], SECRET),
        hook(&t, "hk_gone", "https://hooks.example/in", &["*"], SECRET),
    ]);
    let planned = pollster::block_on(fan_out(
        &t.ports(),
        &store,
        events(&t, &[types::SESSION_START]),
    ))
    .unwrap();
    store.hooks.borrow_mut()[1].enabled = false;
    let receiver = ScriptedTransport::default();
    for delivery in &planned {
        let verdict = pollster::block_on(deliver(
            &t.ports(),
            &store,
            &receiver,
            delivery,
            &RetryPolicy::default(),
        ));
        assert_eq!(verdict, Verdict::Ack);
        assert_eq!(
            store.deliveries.borrow()[&delivery.id].status,
            DeliveryStatus::Cancelled
        );
    }
    assert!(receiver.received.borrow().is_empty());
}

#[test]
fn delivery_to_loopback_http_is_allowed_for_development() {
    let t = TestPorts::new();
    let store = MemoryHookStore::default();
    store.hooks.borrow_mut().push(hook(
        &t,
        "hk_dev",
        "http://127.0.0.1:9000/in",
        &["*"],
        SECRET,
    ));
    let planned = pollster::block_on(fan_out(
        &t.ports(),
        &store,
        events(&t, &[types::SESSION_START]),
    ))
    .unwrap();
    let receiver = ScriptedTransport::default();
    let verdict = pollster::block_on(deliver(
        &t.ports(),
        &store,
        &receiver,
        &planned[0],
        &RetryPolicy::default(),
    ));
    assert_eq!(verdict, Verdict::Ack);
    assert_eq!(receiver.received.borrow().len(), 1);
}

#[test]
fn standard_webhooks_rotation_signs_with_both_secrets_until_the_overlap_ends() {
    let t = TestPorts::new();
    let store = MemoryHookStore::default();
    let new_secret = format!("whsec_{}", STANDARD.encode([9u8; 32]));
    let mut rotated = hook(&t, "hk_1", "https://hooks.example/in", &["*"], &new_secret);
    let old = hook(&t, "hk_1", "https://hooks.example/in", &["*"], SECRET);
    rotated.previous_secret = Some((old.sealed_secret, t.clock.now().plus_seconds(3_600)));
    store.hooks.borrow_mut().push(rotated);
    let planned = pollster::block_on(fan_out(
        &t.ports(),
        &store,
        events(&t, &[types::SESSION_START, types::SESSION_END]),
    ))
    .unwrap();
    let receiver = ScriptedTransport::default();
    let policy = RetryPolicy::default();
    pollster::block_on(deliver(&t.ports(), &store, &receiver, &planned[0], &policy));
    t.clock.advance_seconds(3_600);
    pollster::block_on(deliver(&t.ports(), &store, &receiver, &planned[1], &policy));

    let received = receiver.received.borrow();
    assert!(verifies(&received[0], &new_secret) && verifies(&received[0], SECRET));
    assert!(verifies(&received[1], &new_secret));
    assert!(
        !verifies(&received[1], SECRET),
        "the old secret stops at the end of the overlap"
    );
    assert!(WebhookSecret::parse(&new_secret).is_ok());
}

#[test]
fn delivery_with_a_secret_sealed_for_another_hook_fails_and_is_retried() {
    let t = TestPorts::new();
    let store = MemoryHookStore::default();
    let mut moved = hook(&t, "hk_a", "https://hooks.example/in", &["*"], SECRET);
    moved.sealed_secret =
        hook(&t, "hk_b", "https://hooks.example/in", &["*"], SECRET).sealed_secret;
    store.hooks.borrow_mut().push(moved);
    let planned = pollster::block_on(fan_out(
        &t.ports(),
        &store,
        events(&t, &[types::SESSION_START]),
    ))
    .unwrap();
    let receiver = ScriptedTransport::default();
    let verdict = pollster::block_on(deliver(
        &t.ports(),
        &store,
        &receiver,
        &planned[0],
        &RetryPolicy::default(),
    ));
    assert!(matches!(verdict, Verdict::Retry { .. }));
    assert!(
        receiver.received.borrow().is_empty(),
        "nothing unsigned leaves"
    );
}

#[test]
fn retry_delays_double_up_to_the_maximum_with_jitter_in_the_upper_half() {
    let random = crate::testing::SeededRandom::new(5);
    let policy = RetryPolicy {
        base_seconds: 30,
        max_seconds: 600,
        timeout_ms: 1,
    };
    for (failed, ceiling) in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (40, 600)] {
        for _ in 0..20 {
            let delay = policy.delay(failed, &random);
            assert!(
                (ceiling / 2..=ceiling).contains(&delay),
                "{failed}: {delay}"
            );
        }
    }
}

#[test]
fn queue_messages_are_tagged_json() {
    let t = TestPorts::new();
    let event = events(&t, &[types::SESSION_START]).remove(0);
    let json = serde_json::to_value(QueueMessage::Event {
        event: event.clone(),
    })
    .unwrap();
    assert_eq!(json["kind"], "event");
    assert_eq!(json["event"]["eventType"], types::SESSION_START);
    let delivery = QueueMessage::Delivery(DeliveryMessage {
        id: "hk_1_abc".into(),
        hook_id: "hk_1".into(),
        event,
    });
    let text = serde_json::to_string(&delivery).unwrap();
    assert_eq!(
        serde_json::from_str::<QueueMessage>(&text).unwrap(),
        delivery
    );
    assert!(text.starts_with(r#"{"kind":"delivery","id":"hk_1_abc""#));
}

#[test]
fn at_least_once_a_delivery_that_succeeded_is_not_sent_again_when_its_message_comes_back() {
    let t = TestPorts::new();
    let (store, planned) = one_hook_and_event(&t, types::REGISTRATION);
    // Two copies of one delivery (a retried batch of events plans it again).
    let copies = [planned[0].clone(), planned[0].clone()];
    let receiver = ScriptedTransport::answering(&[Some(500), Some(500), Some(500)]);
    let policy = RetryPolicy::default();
    let mut verdicts = Vec::new();
    for round in 0..3 {
        for copy in &copies {
            verdicts.push(pollster::block_on(deliver(
                &t.ports(),
                &store,
                &receiver,
                copy,
                &policy,
            )));
        }
        t.clock.advance_seconds(60 * (round + 1));
    }
    // 500, 500, 500, then 200 for one copy; the other copy is acknowledged unsent.
    let statuses: Vec<_> = store
        .deliveries
        .borrow()
        .values()
        .map(|d| (d.status, d.attempts))
        .collect();
    assert_eq!(statuses, [(DeliveryStatus::Delivered, 4)]);
    assert_eq!(
        receiver.received.borrow().len(),
        4,
        "one POST after the success: none"
    );
    assert_eq!(verdicts[3..], [Verdict::Ack, Verdict::Ack, Verdict::Ack]);
}
