//! What one isolate keeps between requests so that hot paths (JWKS, `/token`, userinfo,
//! introspection, revocation, a client's public configuration) do not go back to D1,
//! whose primary may be a continent away: the signing key ring (public keys and the
//! opened private key) and registered clients.
//!
//! Two bounds keep what an isolate holds close to the store:
//!
//! - **The version key.** Every change Portcullis makes to what isolates keep (a signing
//!   key rotated by the cron run, a first key) moves a version held in one Durable
//!   Object ([`CacheVersion`](crate::ports::CacheVersion)). Each isolate reads it at most
//!   once per check interval (`VERSION_CHECK_SECONDS`, by default
//!   [`DEFAULT_VERSION_CHECK_SECONDS`]) — one Durable Object round trip every few
//!   seconds, not one per request — and drops everything it keeps when it moved. A
//!   change made through this isolate drops its own entries at once. (How the version
//!   is read and moved: [`crate::cache_version`].)
//! - **The time to live.** Every entry lives at most `CACHE_TTL_SECONDS` (by default
//!   [`DEFAULT_TTL_SECONDS`]), so a change written to D1 behind Portcullis's back — a
//!   client disabled with `scripts/clients`, a key rotated by hand — takes effect
//!   everywhere within it, and so does a change whose bump failed.
//!
//! A time to live of zero keeps nothing (and reads no version).
//!
//! Unknown client ids are not kept: an attacker choosing ids cannot fill the memory, and
//! a client registered a moment ago is found at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::clients::Client;
use crate::federation::connection::Connection;
use crate::federation::metadata::{Provider, PROVIDER_TTL_SECONDS};
use crate::oauth::key_ring::KeyRing;
use crate::time::UnixMillis;

/// How long an isolate keeps keys and clients unless `CACHE_TTL_SECONDS` says otherwise.
pub const DEFAULT_TTL_SECONDS: u64 = 60;
/// How often an isolate reads the version key unless `VERSION_CHECK_SECONDS` says
/// otherwise: the bound on a change made through Portcullis.
pub const DEFAULT_VERSION_CHECK_SECONDS: u64 = 5;
/// At most this many clients are kept; past it, the expired ones go, then all.
pub const MAX_CLIENTS: usize = 512;

struct Fresh<T> {
    value: T,
    until: UnixMillis,
}

impl<T: Clone> Fresh<T> {
    fn at(&self, now: UnixMillis) -> Option<T> {
        (now < self.until).then(|| self.value.clone())
    }
}

/// The version key as this isolate last read it.
#[derive(Clone, Copy)]
struct Seen {
    /// `None` when the read failed.
    version: Option<u64>,
    at: UnixMillis,
}

/// One isolate's cache (see the module documentation).
pub struct IsolateCache {
    ttl_ms: u64,
    check_ms: u64,
    seen: RefCell<Option<Seen>>,
    key_ring: RefCell<Option<Fresh<Rc<KeyRing>>>>,
    clients: RefCell<HashMap<String, Fresh<Client>>>,
    origins: RefCell<Option<Fresh<Rc<Vec<String>>>>>,
    connections: RefCell<Option<Fresh<Rc<Vec<Connection>>>>>,
    /// Upstream providers' metadata and keys, by issuer: kept for
    /// [`PROVIDER_TTL_SECONDS`] whenever the cache keeps anything (they change rarely,
    /// and a rotated key is fetched when a token names it).
    providers: RefCell<HashMap<String, Fresh<Rc<Provider>>>>,
}

impl IsolateCache {
    pub fn new(ttl_seconds: u64) -> IsolateCache {
        IsolateCache {
            ttl_ms: ttl_seconds.saturating_mul(1000),
            check_ms: DEFAULT_VERSION_CHECK_SECONDS * 1000,
            seen: RefCell::new(None),
            key_ring: RefCell::new(None),
            clients: RefCell::new(HashMap::new()),
            origins: RefCell::new(None),
            connections: RefCell::new(None),
            providers: RefCell::new(HashMap::new()),
        }
    }

    /// Reads the version key every `seconds` instead of every
    /// [`DEFAULT_VERSION_CHECK_SECONDS`].
    pub fn with_version_check(self, seconds: u64) -> IsolateCache {
        IsolateCache {
            check_ms: seconds.saturating_mul(1000),
            ..self
        }
    }

    /// Whether the version key is to be read at `now`: something may be kept, and it was
    /// last read at least the check interval ago (or never).
    pub fn version_due(&self, now: UnixMillis) -> bool {
        self.ttl_ms > 0
            && self
                .seen
                .borrow()
                .is_none_or(|seen| now.0 >= seen.at.0.saturating_add(self.check_ms))
    }

    /// Records the version read at `now`. Anything kept under another version, or before
    /// any version was known, is dropped.
    pub fn observe_version(&self, version: u64, now: UnixMillis) {
        let before = self.seen.replace(Some(Seen {
            version: Some(version),
            at: now,
        }));
        if before.and_then(|seen| seen.version) != Some(version) {
            self.clear();
        }
    }

    /// Records that the version could not be read at `now`: it is read again after the
    /// check interval, and until then entries live out their time to live.
    pub fn version_unreadable(&self, now: UnixMillis) {
        let mut seen = self.seen.borrow_mut();
        let version = seen.and_then(|s| s.version);
        *seen = Some(Seen { version, at: now });
    }

    /// Drops everything kept.
    pub fn clear(&self) {
        self.forget_key_ring();
        self.clients.borrow_mut().clear();
        *self.origins.borrow_mut() = None;
    }

    /// A cache that keeps nothing: every read goes to the store.
    pub fn disabled() -> IsolateCache {
        IsolateCache::new(0)
    }

    fn until(&self, now: UnixMillis) -> Option<UnixMillis> {
        (self.ttl_ms > 0).then(|| UnixMillis(now.0.saturating_add(self.ttl_ms)))
    }

    /// The key ring, if one was kept less than the time to live ago.
    pub fn key_ring(&self, now: UnixMillis) -> Option<Rc<KeyRing>> {
        self.key_ring.borrow().as_ref().and_then(|f| f.at(now))
    }

    pub fn keep_key_ring(&self, ring: Rc<KeyRing>, now: UnixMillis) {
        if let Some(until) = self.until(now) {
            *self.key_ring.borrow_mut() = Some(Fresh { value: ring, until });
        }
    }

    /// Drops the key ring: the keys changed.
    pub fn forget_key_ring(&self) {
        *self.key_ring.borrow_mut() = None;
    }

    /// The enabled client with this id, if it was found less than the time to live ago.
    pub fn client(&self, client_id: &str, now: UnixMillis) -> Option<Client> {
        self.clients.borrow().get(client_id).and_then(|f| f.at(now))
    }

    pub fn keep_client(&self, client: &Client, now: UnixMillis) {
        let Some(until) = self.until(now) else {
            return;
        };
        let mut clients = self.clients.borrow_mut();
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client.id) {
            clients.retain(|_, f| now < f.until);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        clients.insert(
            client.id.clone(),
            Fresh {
                value: client.clone(),
                until,
            },
        );
    }

    /// Drops a client: it is gone or disabled.
    pub fn forget_client(&self, client_id: &str) {
        self.clients.borrow_mut().remove(client_id);
    }

    /// Every enabled client's allowed origins, if read less than the time to live ago.
    pub fn allowed_origins(&self, now: UnixMillis) -> Option<Rc<Vec<String>>> {
        self.origins.borrow().as_ref().and_then(|f| f.at(now))
    }

    /// Every enabled federation connection, if read less than the time to live ago.
    pub fn connections(&self, now: UnixMillis) -> Option<Rc<Vec<Connection>>> {
        self.connections.borrow().as_ref().and_then(|f| f.at(now))
    }

    pub fn keep_connections(&self, connections: Rc<Vec<Connection>>, now: UnixMillis) {
        if let Some(until) = self.until(now) {
            *self.connections.borrow_mut() = Some(Fresh {
                value: connections,
                until,
            });
        }
    }

    /// The provider with this issuer, if fetched less than [`PROVIDER_TTL_SECONDS`] ago.
    pub fn provider(&self, issuer: &str, now: UnixMillis) -> Option<Rc<Provider>> {
        self.providers.borrow().get(issuer).and_then(|f| f.at(now))
    }

    pub fn keep_provider(&self, issuer: &str, provider: Rc<Provider>, now: UnixMillis) {
        if self.ttl_ms == 0 {
            return;
        }
        let mut providers = self.providers.borrow_mut();
        // Issuers come from configured connections only, but stay bounded all the same.
        if providers.len() >= MAX_CLIENTS && !providers.contains_key(issuer) {
            providers.clear();
        }
        providers.insert(
            issuer.to_string(),
            Fresh {
                value: provider,
                until: now.plus_seconds(PROVIDER_TTL_SECONDS),
            },
        );
    }

    pub fn keep_allowed_origins(&self, origins: Rc<Vec<String>>, now: UnixMillis) {
        if let Some(until) = self.until(now) {
            *self.origins.borrow_mut() = Some(Fresh {
                value: origins,
                until,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{demo_client, FixedClock};

    #[test]
    fn an_entry_lives_exactly_the_time_to_live() {
        let cache = IsolateCache::new(30);
        let t0 = FixedClock::START;
        cache.keep_client(&demo_client(), t0);
        assert_eq!(
            cache.client("demo", t0.plus_seconds(29)),
            Some(demo_client())
        );
        assert_eq!(cache.client("demo", t0.plus_seconds(30)), None);
        assert_eq!(cache.client("other", t0), None);
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing() {
        let cache = IsolateCache::disabled();
        let t0 = FixedClock::START;
        cache.keep_client(&demo_client(), t0);
        cache.keep_allowed_origins(Rc::new(vec!["https://a.example".into()]), t0);
        assert_eq!(cache.client("demo", t0), None);
        assert_eq!(cache.allowed_origins(t0), None);
    }

    #[test]
    fn the_client_map_is_bounded() {
        let cache = IsolateCache::new(60);
        let t0 = FixedClock::START;
        for n in 0..(MAX_CLIENTS * 3) {
            let client = Client {
                id: format!("c{n}"),
                ..demo_client()
            };
            cache.keep_client(&client, t0);
            assert!(cache.clients.borrow().len() <= MAX_CLIENTS);
        }
        let last = format!("c{}", MAX_CLIENTS * 3 - 1);
        assert!(cache.client(&last, t0).is_some(), "the newest is kept");
    }

    #[test]
    fn a_moved_version_drops_every_entry_and_the_version_is_read_once_per_interval() {
        let cache = IsolateCache::new(60).with_version_check(5);
        let t0 = FixedClock::START;
        assert!(cache.version_due(t0), "never read");
        cache.observe_version(7, t0);
        cache.keep_client(&demo_client(), t0);
        cache.keep_allowed_origins(Rc::new(vec!["https://a.example".into()]), t0);
        assert!(!cache.version_due(t0.plus_seconds(4)));
        assert!(cache.version_due(t0.plus_seconds(5)));
        cache.observe_version(7, t0.plus_seconds(5));
        assert!(
            cache.client("demo", t0.plus_seconds(5)).is_some(),
            "same version"
        );
        cache.observe_version(8, t0.plus_seconds(10));
        assert_eq!(cache.client("demo", t0.plus_seconds(10)), None);
        assert_eq!(cache.allowed_origins(t0.plus_seconds(10)), None);
    }

    #[test]
    fn an_unreadable_version_is_retried_after_the_interval_and_entries_live_out_their_ttl() {
        let cache = IsolateCache::new(60).with_version_check(5);
        let t0 = FixedClock::START;
        cache.observe_version(1, t0);
        cache.keep_client(&demo_client(), t0);
        cache.version_unreadable(t0.plus_seconds(5));
        assert!(!cache.version_due(t0.plus_seconds(9)));
        assert!(cache.client("demo", t0.plus_seconds(59)).is_some());
        assert_eq!(cache.client("demo", t0.plus_seconds(60)), None);
        // Read again later, unchanged: nothing more is dropped.
        cache.keep_client(&demo_client(), t0.plus_seconds(60));
        cache.observe_version(1, t0.plus_seconds(61));
        assert!(cache.client("demo", t0.plus_seconds(61)).is_some());
    }

    #[test]
    fn a_cache_that_keeps_nothing_reads_no_version() {
        assert!(!IsolateCache::disabled().version_due(FixedClock::START));
    }
}
