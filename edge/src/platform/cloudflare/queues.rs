//! Cloudflare Queues: the System Log leaves the response path, and event hooks deliver.
//!
//! Bindings (see `wrangler.toml`): `EVENTS`, the producer of the events queue, and
//! `HOOK_DELIVERIES`, of the deliveries queue; the worker is the consumer of both and
//! of the dead-letter queue named by `DEAD_LETTER_QUEUE` (default
//! `portcullis-dead-letters`). A request collects its events in an [`EventBuffer`];
//! after the response they are sent to `EVENTS` in `waitUntil` ([`publish`]), or
//! written to D1 directly if the queue refuses them, so an event is never lost and D1
//! never delays a response.

use std::cell::RefCell;
use std::collections::HashMap;

use async_trait::async_trait;
use worker::{
    console_error, event, Context, Env, Message, MessageBatch, MessageExt, QueueRetryOptionsBuilder,
};

use super::outbound::FetchTransport;
use super::{d1, var, Platform};
use crate::events::SystemLogEvent;
use crate::hooks::{self, DeliveryMessage, QueueMessage, RetryPolicy, Verdict};
use crate::logs::LogQuery;
use crate::ports::{Deferred, EventLog, HookStore, StoreError, UnixMillis};

/// Queues accept at most 100 messages per `sendBatch`.
const SEND_BATCH_LIMIT: usize = 100;
/// How long a batch of events waits before the queue retries it when storing failed.
const EVENTS_RETRY_SECONDS: u32 = 5;

/// The events of one request, held until the response has gone; queries (the System
/// Log API) read D1.
pub struct EventBuffer {
    pending: RefCell<Vec<SystemLogEvent>>,
    store: d1::D1Stores,
}

impl EventBuffer {
    pub fn new(store: d1::D1Stores) -> EventBuffer {
        EventBuffer {
            pending: RefCell::default(),
            store,
        }
    }

    pub fn take(&self) -> Vec<SystemLogEvent> {
        self.pending.take()
    }
}

#[async_trait(?Send)]
impl EventLog for EventBuffer {
    async fn append(&self, event: &SystemLogEvent) -> Result<(), StoreError> {
        self.pending.borrow_mut().push(event.clone());
        Ok(())
    }

    async fn query(&self, query: &LogQuery) -> Result<Vec<SystemLogEvent>, StoreError> {
        self.store.query(query).await
    }

    async fn delete_before(&self, before: UnixMillis, limit: u32) -> Result<u32, StoreError> {
        self.store.delete_before(before, limit).await
    }

    async fn about_user(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<SystemLogEvent>, StoreError> {
        self.store.about_user(user_id, limit).await
    }
}

/// Hands work to the consumer through the holders queue (`HOLDERS`, a few messages a
/// batch: each may call on a hundred grants).
pub struct QueuedWork {
    queue: Option<worker::Queue>,
}

impl QueuedWork {
    pub fn new(env: &Env) -> QueuedWork {
        QueuedWork {
            queue: env.queue("HOLDERS").ok(),
        }
    }
}

#[async_trait(?Send)]
impl Deferred for QueuedWork {
    async fn sync_people(&self, people: &[String]) -> Result<(), StoreError> {
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("no HOLDERS queue bound".into()))?;
        let bodies: Vec<String> = people
            .iter()
            .filter_map(|user_id| {
                to_json(&QueueMessage::Holder {
                    user_id: user_id.clone(),
                })
            })
            .collect();
        for chunk in bodies.chunks(SEND_BATCH_LIMIT) {
            queue
                .send_batch(chunk.to_vec())
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        Ok(())
    }
}

fn to_json(message: &QueueMessage) -> Option<String> {
    serde_json::to_string(message)
        .map_err(|e| console_error!("queues: cannot serialise a message: {e}"))
        .ok()
}

async fn send_all(env: &Env, binding: &str, bodies: Vec<String>) -> worker::Result<()> {
    let queue = env.queue(binding)?;
    for chunk in bodies.chunks(SEND_BATCH_LIMIT) {
        queue.send_batch(chunk.to_vec()).await?;
    }
    Ok(())
}

/// Sends `events` to the events queue; if it refuses, writes them to D1 directly; if
/// that fails too, puts each event in the Workers log, where operators still find it.
pub async fn publish(env: &Env, events: Vec<SystemLogEvent>) {
    if events.is_empty() {
        return;
    }
    let bodies = events
        .iter()
        .filter_map(|event| {
            to_json(&QueueMessage::Event {
                event: event.clone(),
            })
        })
        .collect();
    let Err(err) = send_all(env, "EVENTS", bodies).await else {
        return;
    };
    console_error!("system log: the events queue refused a batch ({err}); writing to D1");
    let stored = match env.d1("DB") {
        Ok(db) => d1::D1Stores::new(db).append_all(&events).await,
        Err(err) => Err(StoreError::Unavailable(err.to_string())),
    };
    if let Err(err) = stored {
        console_error!("system log: D1 refused a batch too: {err:?}");
        for event in &events {
            console_error!(
                "system log event: {}",
                serde_json::to_string(event).unwrap_or_default()
            );
        }
    }
}

fn seconds_var(env: &Env, name: &str) -> Option<u32> {
    var(env, name).and_then(|v| v.trim().parse().ok())
}

/// The delivery policy, from `HOOK_RETRY_BASE_SECONDS`, `HOOK_RETRY_MAX_SECONDS` and
/// `HOOK_TIMEOUT_MS` where set.
fn retry_policy(env: &Env) -> RetryPolicy {
    let default = RetryPolicy::default();
    RetryPolicy {
        base_seconds: seconds_var(env, "HOOK_RETRY_BASE_SECONDS").unwrap_or(default.base_seconds),
        max_seconds: seconds_var(env, "HOOK_RETRY_MAX_SECONDS").unwrap_or(default.max_seconds),
        timeout_ms: seconds_var(env, "HOOK_TIMEOUT_MS").map_or(default.timeout_ms, u64::from),
    }
}

fn apply(message: &Message<String>, verdict: Verdict) {
    match verdict {
        Verdict::Ack => message.ack(),
        Verdict::Retry { delay_seconds } => message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(delay_seconds)
                .build(),
        ),
    }
}

/// The consumer of the events, deliveries and dead-letter queues. It never fails as a
/// whole: each message is acknowledged or retried on its own.
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    let dead_letters = batch.queue()
        == var(&env, "DEAD_LETTER_QUEUE").unwrap_or_else(|| "portcullis-dead-letters".into());
    let issuer = var(&env, "ISSUER").unwrap_or_default();
    let (platform, messages) = match (
        Platform::new(&env, &issuer, crate::signals::Signals::default()),
        batch.messages(),
    ) {
        (Ok(platform), Ok(messages)) => (platform, messages),
        (Err(err), _) | (_, Err(err)) => {
            console_error!("queue {}: {err}", batch.queue());
            batch.retry_all();
            return Ok(());
        }
    };
    let stores = &platform.stores;
    let ports = platform.ports_over(stores);

    let mut events = Vec::new();
    let mut deliveries = Vec::new();
    let mut holders = Vec::new();
    for message in &messages {
        match serde_json::from_str::<QueueMessage>(message.body()) {
            Ok(QueueMessage::Event { event }) => events.push((message, event)),
            Ok(QueueMessage::Delivery(delivery)) => deliveries.push((message, delivery)),
            Ok(QueueMessage::Holder { user_id }) => holders.push((message, user_id)),
            Err(err) => {
                // Nothing will ever read it: retrying would only delay the rest.
                console_error!(
                    "queue {}: malformed message {}: {err}",
                    batch.queue(),
                    message.id()
                );
                message.ack();
            }
        }
    }

    // A person's grants hear of a change to them; a dead letter gets one more try, then
    // is logged (the change is in D1; the grants hear of the person's next change).
    for (message, user_id) in &holders {
        let synced = crate::holders::sync(&ports, user_id).await;
        if dead_letters {
            if let Err(err) = &synced {
                console_error!("holders: {user_id}'s grants did not hear of a change: {err:?}");
            }
            message.ack();
        } else {
            apply(message, verdict_of(synced));
        }
    }

    if dead_letters {
        for (message, event) in events {
            // The System Log gets a last chance; hooks are not called for it again.
            let stored = stores.append(&event).await;
            apply(message, verdict_of(stored));
        }
        for (message, delivery) in deliveries {
            let marked = hooks::dead_lettered(&ports, stores, &delivery).await;
            apply(message, verdict_of(marked));
        }
        return Ok(());
    }

    if !events.is_empty() {
        let fanned = hooks::fan_out(
            &ports,
            stores,
            events.iter().map(|(_, e)| e.clone()).collect(),
        )
        .await;
        let outcome = match fanned {
            Ok(planned) => {
                let ids: Vec<String> = planned.iter().map(|d| d.id.clone()).collect();
                let bodies = planned
                    .into_iter()
                    .filter_map(|d| to_json(&QueueMessage::Delivery(d)))
                    .collect();
                let sent = send_all(&env, "HOOK_DELIVERIES", bodies)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()));
                if sent.is_err() {
                    // Planned again when the batch is retried. A chunk that did go out
                    // is then sent twice: its receivers deduplicate on webhook-id.
                    if let Err(err) = stores.discard_deliveries(&ids).await {
                        console_error!(
                            "event hooks: {} deliveries wait unsent: {err:?}",
                            ids.len()
                        );
                    }
                }
                sent
            }
            Err(err) => Err(err),
        };
        if let Err(err) = &outcome {
            console_error!(
                "system log: a batch of {} events waits: {err:?}",
                events.len()
            );
        }
        for (message, _) in &events {
            apply(message, verdict_of(outcome.clone()));
        }
    }

    if !deliveries.is_empty() {
        let policy = retry_policy(&env);
        // One sequence per hook, in the order of the batch (published order where the
        // queue kept it); hooks are served side by side.
        let mut per_hook: HashMap<&str, Vec<(&Message<String>, &DeliveryMessage)>> = HashMap::new();
        for (message, delivery) in &deliveries {
            per_hook
                .entry(delivery.hook_id.as_str())
                .or_default()
                .push((*message, delivery));
        }
        let ports = &ports;
        let runs = per_hook.into_values().map(|sequence| async move {
            for (message, delivery) in sequence {
                let verdict =
                    hooks::deliver(ports, stores, &FetchTransport, delivery, &policy).await;
                apply(message, verdict);
            }
        });
        futures_util::future::join_all(runs).await;
    }
    Ok(())
}

fn verdict_of<T>(result: Result<T, StoreError>) -> Verdict {
    match result {
        Ok(_) => Verdict::Ack,
        Err(_) => Verdict::Retry {
            delay_seconds: EVENTS_RETRY_SECONDS,
        },
    }
}

impl Platform {
    /// Sends what the request recorded to the events queue once the response has gone.
    pub(super) fn publish_after_response(&self, env: &Env, ctx: &Context) {
        let events = self.events.take();
        if events.is_empty() {
            return;
        }
        let env = env.clone();
        ctx.wait_until(async move { publish(&env, events).await });
    }
}
