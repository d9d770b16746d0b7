//! Fan-out and delivery: the work of the two queue consumers, independent of the queue.

use serde::{Deserialize, Serialize};

use super::model::{Attempt, DeliveryMessage, DeliveryStatus, EventHook, WebhookRequest};
use super::standard_webhooks::{self, WebhookSecret};
use crate::events::SystemLogEvent;
use crate::ports::{HookStore, Ports, StoreError, UnixMillis, WebhookTransport};

/// What travels through the queues, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueMessage {
    /// A System Log event recorded by a request, to store and fan out.
    Event { event: SystemLogEvent },
    /// One event for one hook.
    Delivery(DeliveryMessage),
    /// Pass the person as stored now to their grants ([`crate::holders::sync`]).
    Holder { user_id: String },
}

/// What the consumer does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    /// Retry after this many seconds; after the queue's last attempt the message goes to
    /// the dead-letter queue.
    Retry {
        delay_seconds: u32,
    },
}

/// The longest delay a queue accepts for a retry (12 hours).
const MAX_QUEUE_DELAY_SECONDS: u32 = 43_200;

/// Backoff and timeout of deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay before the second attempt; it doubles with every failure.
    pub base_seconds: u32,
    /// No delay is longer than this.
    pub max_seconds: u32,
    /// How long one POST may take.
    pub timeout_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_seconds: 30,
            max_seconds: 3_600,
            timeout_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// The delay after `failed_attempts` failures: `base · 2^(n-1)` capped at the maximum,
    /// with "equal jitter" (a random point in its upper half), so receivers that failed
    /// together are not retried together.
    pub fn delay(&self, failed_attempts: u32, random: &dyn crate::ports::SecureRandom) -> u32 {
        let doublings = failed_attempts.saturating_sub(1).min(20);
        let ceiling = self
            .base_seconds
            .saturating_mul(1 << doublings)
            .min(self.max_seconds)
            .min(MAX_QUEUE_DELAY_SECONDS);
        let floor = ceiling / 2;
        let mut bytes = [0u8; 4];
        // Without randomness the delay is the ceiling: still a backoff, only without jitter.
        if random.fill(&mut bytes).is_err() {
            return ceiling;
        }
        floor + u32::from_le_bytes(bytes) % (ceiling - floor + 1)
    }
}

/// The deliveries a batch of events calls for: one per event and hook that wants its
/// type, events in `published` order.
pub fn plan(hooks: &[EventHook], events: &[SystemLogEvent]) -> Vec<DeliveryMessage> {
    events
        .iter()
        .flat_map(|event| {
            hooks
                .iter()
                .filter(|hook| hook.wants(&event.event_type))
                .map(move |hook| DeliveryMessage::new(hook, event))
        })
        .collect()
}

/// The events consumer: stores `events` in the System Log, records the deliveries they
/// call for as pending and returns those it recorded, to be enqueued. Any failure fails
/// the whole batch, which the queue retries: both writes are idempotent, and a delivery
/// recorded by an earlier run (a retried batch, an event that came twice) is not
/// returned again, so it is enqueued once. Whoever cannot enqueue what this returned
/// discards it ([`HookStore::discard_deliveries`]) before the batch is retried.
pub async fn fan_out(
    ports: &Ports<'_>,
    hooks: &dyn HookStore,
    mut events: Vec<SystemLogEvent>,
) -> Result<Vec<DeliveryMessage>, StoreError> {
    // RFC 3339 UTC timestamps of one width sort as text.
    events.sort_by(|a, b| a.published.cmp(&b.published));
    ports.events.append_all(&events).await?;
    let planned = plan(&hooks.enabled().await?, &events);
    if planned.is_empty() {
        return Ok(planned);
    }
    let recorded = hooks.create_deliveries(&planned, ports.clock.now()).await?;
    Ok(planned
        .into_iter()
        .filter(|d| recorded.contains(&d.id))
        .collect())
}

/// The body of a delivery: the Standard Webhooks payload shape (`type`, `timestamp`,
/// `data`), with the System Log event as `data`.
pub fn payload(event: &SystemLogEvent) -> String {
    #[derive(Serialize)]
    struct Payload<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        timestamp: &'a str,
        data: &'a SystemLogEvent,
    }
    serde_json::to_string(&Payload {
        kind: &event.event_type,
        timestamp: &event.published,
        data: event,
    })
    // Serialising plain strings and enums cannot fail.
    .unwrap_or_default()
}

/// Only HTTPS leaves the machine; plain HTTP only to a loopback host (development).
fn allowed_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    url.strip_prefix("http://").is_some_and(|_| {
        let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        crate::http::is_loopback(&origin)
    })
}

/// The secrets that sign now: the current one, and the previous one during its overlap.
fn open_secrets(
    ports: &Ports<'_>,
    hook: &EventHook,
    now: UnixMillis,
) -> Result<Vec<WebhookSecret>, String> {
    let kek = ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or("KEY_ENCRYPTION_KEY is not configured")?;
    let record = hook.sealing_record();
    let open = |sealed: &str| {
        let bytes = kek
            .open(sealed, &record)
            .map_err(|_| format!("the secret of {} does not open", hook.id))?;
        let text = String::from_utf8(bytes).map_err(|_| "secret is not text".to_string())?;
        WebhookSecret::parse(&text).map_err(|_| format!("the secret of {} is malformed", hook.id))
    };
    let mut secrets = vec![open(&hook.sealed_secret)?];
    if let Some((previous, until)) = &hook.previous_secret {
        if now < *until {
            secrets.push(open(previous)?);
        }
    }
    Ok(secrets)
}

/// The deliveries consumer: one attempt of `message`.
pub async fn deliver(
    ports: &Ports<'_>,
    hooks: &dyn HookStore,
    transport: &dyn WebhookTransport,
    message: &DeliveryMessage,
    policy: &RetryPolicy,
) -> Verdict {
    let now = ports.clock.now();
    let retry = |failed: u32| Verdict::Retry {
        delay_seconds: policy.delay(failed, ports.random),
    };
    let hook = match hooks.find(&message.hook_id).await {
        Ok(Some(hook)) if hook.enabled && allowed_url(&hook.url) => hook,
        Ok(_) => {
            if let Err(err) = hooks
                .finish(&message.id, DeliveryStatus::Cancelled, now)
                .await
            {
                ports
                    .diagnostics
                    .log(&format!("event hooks: cancel {}: {err:?}", message.id));
            }
            return Verdict::Ack;
        }
        Err(err) => {
            ports
                .diagnostics
                .log(&format!("event hooks: find {}: {err:?}", message.hook_id));
            return retry(1);
        }
    };
    // A delivery that already ended (a copy of its message that arrived again: a retried
    // batch of events, a queue's redelivery) is not sent again. Unknown is sent: at least
    // once over at most once.
    match hooks.delivery_status(&message.id).await {
        Ok(Some(status)) if status != DeliveryStatus::Pending => return Verdict::Ack,
        Ok(_) => {}
        Err(err) => ports
            .diagnostics
            .log(&format!("event hooks: status of {}: {err:?}", message.id)),
    }
    let attempt = match open_secrets(ports, &hook, now) {
        Ok(secrets) => {
            let body = payload(&message.event);
            let mut headers =
                standard_webhooks::headers(&secrets, &message.id, now.as_seconds(), &body);
            headers.push(("content-type".into(), "application/json".into()));
            headers.push(("user-agent".into(), "Portcullis-Webhooks/1".into()));
            let request = WebhookRequest {
                url: hook.url.clone(),
                headers,
                body,
            };
            match transport.post(&request, policy.timeout_ms).await {
                Ok(answer) => Attempt {
                    status: Some(answer.status),
                    error: (!(200..300).contains(&answer.status))
                        .then(|| format!("HTTP {}", answer.status)),
                    at: now,
                },
                Err(err) => Attempt {
                    status: None,
                    error: Some(err.0),
                    at: now,
                },
            }
        }
        Err(detail) => {
            ports.diagnostics.log(&format!("event hooks: {detail}"));
            Attempt {
                status: None,
                error: Some("the hook's secret could not be opened".into()),
                at: now,
            }
        }
    };
    let attempts = match hooks.record_attempt(&message.id, &attempt).await {
        Ok(n) => n,
        Err(err) => {
            ports
                .diagnostics
                .log(&format!("event hooks: record {}: {err:?}", message.id));
            1
        }
    };
    if attempt.succeeded() {
        Verdict::Ack
    } else {
        retry(attempts)
    }
}

/// The dead-letter consumer, for a delivery whose last attempt failed.
pub async fn dead_lettered(
    ports: &Ports<'_>,
    hooks: &dyn HookStore,
    message: &DeliveryMessage,
) -> Result<(), StoreError> {
    hooks
        .finish(&message.id, DeliveryStatus::Dead, ports.clock.now())
        .await
}
