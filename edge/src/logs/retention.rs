//! How long the System Log keeps events: `LOG_RETENTION_DAYS` (90 days when unset), after
//! which the daily Cron deletes them, oldest first, in bounded batches so one run never
//! holds D1's write lock for long. What a run leaves (more than
//! [`MAX_BATCHES`] × [`BATCH`] expired events) goes on the next day.

use crate::ports::{Ports, StoreError};
use crate::time::UnixMillis;

/// The retention when `LOG_RETENTION_DAYS` is unset or not a number of days.
pub const DEFAULT_DAYS: u32 = 90;
/// The longest retention accepted: ten years.
pub const MAX_DAYS: u32 = 3650;
/// Events one statement deletes.
pub const BATCH: u32 = 1000;
/// Statements one run makes at most.
pub const MAX_BATCHES: u32 = 50;

const DAY_MS: u64 = 24 * 3600 * 1000;

/// One batch of the purge on `events`: `?1` the cut-off (Unix milliseconds), `?2` the
/// batch size; oldest first through `events_published`.
pub const PURGE_SQL: &str = "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events \
                             WHERE published < ?1 ORDER BY published LIMIT ?2)";

/// `LOG_RETENTION_DAYS` as configured: a whole number of days from 1 to [`MAX_DAYS`];
/// anything else keeps the default (a typo never deletes the log).
pub fn days(configured: Option<&str>) -> u32 {
    configured
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .unwrap_or(DEFAULT_DAYS)
}

/// Deletes the events published more than `days` before now, at most
/// [`MAX_BATCHES`] × [`BATCH`]; how many were deleted.
pub async fn purge(ports: &Ports<'_>, days: u32) -> Result<u64, StoreError> {
    let now = ports.clock.now();
    let before = UnixMillis(now.0.saturating_sub(u64::from(days) * DAY_MS));
    let mut deleted = 0u64;
    for _ in 0..MAX_BATCHES {
        let batch = ports.events.delete_before(before, BATCH).await?;
        deleted += u64::from(batch);
        if batch < BATCH {
            break;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Clock;
    use crate::testing::TestPorts;

    fn event_at(t: &TestPorts, at: UnixMillis, n: usize) -> crate::events::SystemLogEvent {
        let mut event = t.events.events.borrow()[0].clone();
        event.published = crate::time::rfc3339(at);
        event.uuid = format!("00000000-0000-4000-8000-{n:012}");
        event
    }

    #[test]
    fn retention_days_are_read_strictly_and_a_bad_value_keeps_the_default() {
        assert_eq!(days(None), DEFAULT_DAYS);
        assert_eq!(days(Some("30")), 30);
        assert_eq!(days(Some(" 7 ")), 7);
        for bad in ["0", "-1", "thirty", "3651", "1.5", ""] {
            assert_eq!(days(Some(bad)), DEFAULT_DAYS, "{bad}");
        }
    }

    #[test]
    fn the_daily_purge_deletes_only_expired_events_oldest_first_in_bounded_batches() {
        let t = TestPorts::new();
        crate::api::oidc_tests::tokens_for(&t, "ada@example.com");
        let now = t.clock.now();
        let day = |d: u64| UnixMillis(now.0 - d * DAY_MS);
        let template = event_at(&t, now, 0);
        let mut all = Vec::new();
        // More expired events than one run deletes, and some that stay.
        let expired = (MAX_BATCHES * BATCH) as usize + 5;
        for n in 0..expired {
            let mut e = template.clone();
            e.published = crate::time::rfc3339(UnixMillis(day(40).0 - n as u64));
            e.uuid = format!("00000000-0000-4000-8000-{n:012}");
            all.push(e);
        }
        let kept_before = t.events.events.borrow().len();
        all.push(event_at(&t, day(29), expired + 1));
        t.events.events.borrow_mut().extend(all);
        let ports = t.ports();
        let first = pollster::block_on(purge(&ports, 30)).unwrap();
        assert_eq!(first, u64::from(MAX_BATCHES * BATCH), "one run is bounded");
        let left = t.events.events.borrow().len();
        assert_eq!(left, kept_before + 1 + 5);
        // The oldest went first: what is left of the expired are the newest five.
        assert!(t
            .events
            .events
            .borrow()
            .iter()
            .filter(|e| e.uuid.starts_with("00000000-0000-4000-8000-"))
            .all(|e| e.uuid.as_str() < "00000000-0000-4000-8000-000000000005"
                || e.uuid.ends_with(&format!("{:012}", expired + 1))));
        assert_eq!(pollster::block_on(purge(&ports, 30)).unwrap(), 5);
        assert_eq!(pollster::block_on(purge(&ports, 30)).unwrap(), 0);
        assert_eq!(t.events.events.borrow().len(), kept_before + 1);
    }
}
