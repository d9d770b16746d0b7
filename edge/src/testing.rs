//! In-memory ports for native tests and benchmarks: a clock that only moves when told,
//! a seeded random source, and stores that live in a `HashMap`.
//!
//! Nothing here is used by the deployed worker.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use async_trait::async_trait;

use crate::clients::{Client, ClientType};
use crate::ports::{
    ClientStore, Clock, OneTimeStore, Ports, RandomUnavailable, SecureRandom, StoreError,
    UnixMillis,
};

/// A clock that starts at a fixed instant and moves only when told.
pub struct FixedClock(Cell<u64>);

impl FixedClock {
    /// 2026-01-01T00:00:00Z.
    pub const START: UnixMillis = UnixMillis(1_767_225_600_000);

    pub fn new() -> FixedClock {
        FixedClock(Cell::new(Self::START.0))
    }

    pub fn advance_seconds(&self, seconds: u64) {
        self.0.set(self.0.get() + seconds * 1000);
    }
}

impl Default for FixedClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.get())
    }
}

/// A deterministic generator (SplitMix64). Predictable by design: tests only.
pub struct SeededRandom(Cell<u64>);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(Cell::new(seed))
    }

    fn next_u64(&self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl SecureRandom for SeededRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomUnavailable> {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// A one-time store in a `HashMap`; atomic because tests are single-threaded.
#[derive(Default)]
pub struct MemoryOneTimeStore {
    items: RefCell<HashMap<String, (String, UnixMillis)>>,
    takes: Cell<usize>,
    failure: RefCell<Option<String>>,
}

impl MemoryOneTimeStore {
    /// Makes every later call fail as an unreachable backend would.
    pub fn fail_with(&self, reason: &str) {
        *self.failure.borrow_mut() = Some(reason.to_string());
    }

    /// How many `take` calls reached the store.
    pub fn takes(&self) -> usize {
        self.takes.get()
    }

    /// How many values are stored, expired or not.
    pub fn len(&self) -> usize {
        self.items.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self) -> Result<(), StoreError> {
        match self.failure.borrow().as_ref() {
            Some(reason) => Err(StoreError::Unavailable(reason.clone())),
            None => Ok(()),
        }
    }
}

#[async_trait(?Send)]
impl OneTimeStore for MemoryOneTimeStore {
    async fn put(&self, key: &str, value: &str, expires_at: UnixMillis) -> Result<(), StoreError> {
        self.check()?;
        let mut items = self.items.borrow_mut();
        if items.contains_key(key) {
            return Err(StoreError::Conflict);
        }
        items.insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }

    async fn take(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError> {
        self.check()?;
        self.takes.set(self.takes.get() + 1);
        let taken = self.items.borrow_mut().remove(key);
        Ok(taken.and_then(|(value, expires_at)| (now < expires_at).then_some(value)))
    }
}

/// Clients in a `HashMap`.
#[derive(Default)]
pub struct MemoryClientStore {
    clients: RefCell<HashMap<String, Client>>,
}

impl MemoryClientStore {
    pub fn insert(&self, client: Client) {
        self.clients.borrow_mut().insert(client.id.clone(), client);
    }
}

#[async_trait(?Send)]
impl ClientStore for MemoryClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self.clients.borrow().get(client_id).cloned())
    }
}

/// One set of in-memory ports, with the demo client registered for
/// `https://shop.example`.
pub struct TestPorts {
    pub clock: FixedClock,
    pub random: SeededRandom,
    pub one_time: MemoryOneTimeStore,
    pub clients: MemoryClientStore,
}

impl TestPorts {
    pub fn new() -> TestPorts {
        let clients = MemoryClientStore::default();
        clients.insert(Client {
            id: "demo".into(),
            name: "Portcullis Demo".into(),
            client_type: ClientType::Public,
            redirect_uris: vec!["https://shop.example/callback".into()],
            allowed_origins: vec!["https://shop.example".into()],
            allowed_scopes: ["openid", "profile", "email", "offline_access"]
                .map(String::from)
                .to_vec(),
        });
        TestPorts {
            clock: FixedClock::new(),
            random: SeededRandom::new(42),
            one_time: MemoryOneTimeStore::default(),
            clients,
        }
    }

    pub fn ports(&self) -> Ports<'_> {
        Ports {
            clock: &self.clock,
            random: &self.random,
            one_time: &self.one_time,
            clients: &self.clients,
        }
    }
}

impl Default for TestPorts {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_take_is_single_use_and_respects_expiry() {
        let store = MemoryOneTimeStore::default();
        let t0 = FixedClock::START;
        pollster::block_on(store.put("k", "v", t0.plus_seconds(10))).unwrap();
        assert_eq!(
            pollster::block_on(store.put("k", "w", t0.plus_seconds(10))),
            Err(StoreError::Conflict)
        );
        assert_eq!(
            pollster::block_on(store.take("k", t0)).unwrap(),
            Some("v".into())
        );
        assert_eq!(pollster::block_on(store.take("k", t0)).unwrap(), None);

        pollster::block_on(store.put("e", "v", t0.plus_seconds(10))).unwrap();
        assert_eq!(
            pollster::block_on(store.take("e", t0.plus_seconds(10))).unwrap(),
            None
        );
        assert!(store.is_empty(), "an expired value is removed when taken");
    }
}
