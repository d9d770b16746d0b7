//! What one isolate keeps between requests so that hot paths (JWKS, `/token`, userinfo,
//! introspection, revocation, a client's public configuration) do not go back to D1,
//! whose primary may be a continent away: the signing key ring (public keys and the
//! opened private key) and registered clients.
//!
//! Every entry lives at most the cache's time to live (`CACHE_TTL_SECONDS`, by default
//! [`DEFAULT_TTL_SECONDS`]), so a change made elsewhere — a key rotated by another
//! isolate's cron run, a client disabled with `scripts/clients` — takes effect everywhere
//! within it. A change made through this isolate (a key rotation) drops the entry at once.
//! A time to live of zero keeps nothing.
//!
//! Unknown client ids are not kept: an attacker choosing ids cannot fill the memory, and
//! a client registered a moment ago is found at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::clients::Client;
use crate::oauth::key_ring::KeyRing;
use crate::time::UnixMillis;

/// How long an isolate keeps keys and clients unless `CACHE_TTL_SECONDS` says otherwise.
pub const DEFAULT_TTL_SECONDS: u64 = 60;
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

/// One isolate's cache (see the module documentation).
pub struct IsolateCache {
    ttl_ms: u64,
    key_ring: RefCell<Option<Fresh<Rc<KeyRing>>>>,
    clients: RefCell<HashMap<String, Fresh<Client>>>,
    origins: RefCell<Option<Fresh<Rc<Vec<String>>>>>,
}

impl IsolateCache {
    pub fn new(ttl_seconds: u64) -> IsolateCache {
        IsolateCache {
            ttl_ms: ttl_seconds.saturating_mul(1000),
            key_ring: RefCell::new(None),
            clients: RefCell::new(HashMap::new()),
            origins: RefCell::new(None),
        }
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

    /// Drops the allowed origins: a client's changed.
    pub fn forget_allowed_origins(&self) {
        *self.origins.borrow_mut() = None;
    }

    /// Every enabled client's allowed origins, if read less than the time to live ago.
    pub fn allowed_origins(&self, now: UnixMillis) -> Option<Rc<Vec<String>>> {
        self.origins.borrow().as_ref().and_then(|f| f.at(now))
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
}
