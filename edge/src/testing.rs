//! In-memory ports for native tests and benchmarks: a clock that only moves when told,
//! a seeded random source, and stores that live in a `HashMap`.
//!
//! Nothing here is used by the deployed worker.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use async_trait::async_trait;

use crate::cache::IsolateCache;
use crate::client_settings::{ClientResource, ClientSettings};
use crate::clients::{Client, ClientType};
use crate::crypto::sealing::KeyEncryptionKey;
use crate::events::SystemLogEvent;
use crate::federation::settings::{ConnectionResource, ConnectionSettings, SecretChange};
use crate::federation::{Connection, ConnectionKind, FederatedIdentity};
use crate::hooks::inline::{InlineHook, InlineHookKind};
use crate::hooks::{
    Attempt, DeliveryMessage, DeliveryRecord, DeliveryStatus, EventHook, EventTypeFilter,
    HookRecord, InlineHookRecord, PageCursor, Paged, WebhookRequest,
};
use crate::oauth::grant::{Grant, GrantCommand, GrantReply};
use crate::ports::{
    BreachedPasswords, CacheVersion, ClientStore, Clock, Counters, CredentialStore, Diagnostics,
    EventLog, FactorStore, GrantIndex, GrantStore, HookStore, HttpAnswer, HumanCheck, KeptMail,
    KeyStore, Mail, MailError, Mailbox, Mailer, OneTimeStore, OutboundError, Ports,
    RandomUnavailable, RiskStore, SecureRandom, SessionStore, Settings, SignalSource, StoreError,
    StoredCredential, StoredDeviceToken, StoredKey, StoredTotp, TransportError, UnixMillis,
    UserStore, WebhookTransport,
};
use crate::ports::{ConnectionStore, InlineHookStore, KeptTokens, UpstreamTokenStore};
use crate::ports::{ConsentStore, DeletionStore, ScheduledDeletion, StoredConsent};
use crate::ports::{Deferred, Directory, Group, GroupStore, UserPage, UserQuery};
use crate::signals::{Place, Signals};
use crate::throttle::{next_window, Change, Window};
use crate::users::{Session, User, UserStatus};
use crate::webauthn::CredentialRecord;

/// Calls that reached the in-memory stores on this thread, by where the deployed store
/// lives: D1 (clients, users, passkeys, sessions, keys, the development mailbox), a
/// Durable Object (one-time values, grants, counters), or the System Log. Each call is
/// one round trip in a deployment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundTrips {
    pub d1: u32,
    pub durable_object: u32,
    pub event_log: u32,
}

thread_local! {
    static ROUND_TRIPS: Cell<RoundTrips> = const { Cell::new(RoundTrips { d1: 0, durable_object: 0, event_log: 0 }) };
}

fn round_trip(count: impl FnOnce(&mut RoundTrips)) {
    ROUND_TRIPS.with(|cell| {
        let mut trips = cell.get();
        count(&mut trips);
        cell.set(trips);
    });
}

/// The round trips counted on this thread since [`reset_round_trips`] (each test runs on
/// its own thread).
pub fn round_trips() -> RoundTrips {
    ROUND_TRIPS.with(Cell::get)
}

pub fn reset_round_trips() {
    ROUND_TRIPS.with(|cell| cell.set(RoundTrips::default()));
}

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

    /// The storage names in use, expired or not.
    pub fn keys(&self) -> Vec<String> {
        self.items.borrow().keys().cloned().collect()
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
        round_trip(|t| t.durable_object += 1);
        self.check()?;
        let mut items = self.items.borrow_mut();
        if items.contains_key(key) {
            return Err(StoreError::Conflict);
        }
        items.insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }

    async fn take(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.check()?;
        self.takes.set(self.takes.get() + 1);
        let taken = self.items.borrow_mut().remove(key);
        Ok(taken.and_then(|(value, expires_at)| (now < expires_at).then_some(value)))
    }

    async fn peek(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.check()?;
        let items = self.items.borrow();
        Ok(items
            .get(key)
            .and_then(|(value, expires_at)| (now < *expires_at).then(|| value.clone())))
    }
}

/// When a client was created, last updated and disabled (Unix milliseconds), as D1
/// keeps them beside it.
type ClientTimes = (u64, u64, Option<u64>);

/// Clients in a `HashMap`, with their [`ClientTimes`].
#[derive(Default)]
pub struct MemoryClientStore {
    clients: RefCell<HashMap<String, Client>>,
    times: RefCell<HashMap<String, ClientTimes>>,
}

impl MemoryClientStore {
    pub fn insert(&self, client: Client) {
        self.times
            .borrow_mut()
            .insert(client.id.clone(), (0, 0, None));
        self.clients.borrow_mut().insert(client.id.clone(), client);
    }

    /// Disabling a client: it is no longer found, and shows as disabled.
    pub fn disable(&self, client_id: &str) {
        if let Some(times) = self.times.borrow_mut().get_mut(client_id) {
            times.2 = Some(0);
        }
    }

    fn resource(&self, client: &Client) -> ClientResource {
        let (created_at, updated_at, disabled_at) = self
            .times
            .borrow()
            .get(&client.id)
            .copied()
            .unwrap_or_default();
        ClientResource {
            settings: ClientSettings::of_client(client),
            has_secret: client.secret_hash.is_some(),
            created_at,
            updated_at,
            disabled_at,
        }
    }

    fn enabled(&self, client_id: &str) -> bool {
        self.times
            .borrow()
            .get(client_id)
            .is_none_or(|t| t.2.is_none())
    }
}

#[async_trait(?Send)]
impl ClientStore for MemoryClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        round_trip(|t| t.d1 += 1);
        if !self.enabled(client_id) {
            return Ok(None);
        }
        Ok(self.clients.borrow().get(client_id).cloned())
    }

    async fn allowed_origins(&self) -> Result<Vec<String>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut origins: Vec<String> = self
            .clients
            .borrow()
            .values()
            .filter(|c| self.enabled(&c.id))
            .flat_map(|c| c.allowed_origins.clone())
            .collect();
        origins.sort();
        origins.dedup();
        Ok(origins)
    }

    async fn list(&self) -> Result<Vec<ClientResource>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let clients = self.clients.borrow();
        let mut ids: Vec<&String> = clients.keys().collect();
        ids.sort();
        Ok(ids
            .into_iter()
            .map(|id| self.resource(&clients[id]))
            .collect())
    }

    async fn read(&self, client_id: &str) -> Result<Option<ClientResource>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .clients
            .borrow()
            .get(client_id)
            .map(|c| self.resource(c)))
    }

    async fn create(
        &self,
        settings: &ClientSettings,
        secret_hash: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if self.clients.borrow().contains_key(&settings.id) {
            return Err(StoreError::Conflict);
        }
        let client = settings.to_client(secret_hash.map(str::to_string));
        self.clients
            .borrow_mut()
            .insert(settings.id.clone(), client);
        self.times
            .borrow_mut()
            .insert(settings.id.clone(), (now.0, now.0, None));
        Ok(())
    }

    async fn replace(
        &self,
        settings: &ClientSettings,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut clients = self.clients.borrow_mut();
        let Some(old) = clients.get(&settings.id) else {
            return Ok(false);
        };
        let secret = match settings.client_type {
            ClientType::Confidential => old.secret_hash.clone(),
            ClientType::Public => None,
        };
        clients.insert(settings.id.clone(), settings.to_client(secret));
        if let Some(times) = self.times.borrow_mut().get_mut(&settings.id) {
            times.1 = now.0;
        }
        Ok(true)
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        self.times.borrow_mut().remove(client_id);
        Ok(self.clients.borrow_mut().remove(client_id).is_some())
    }

    async fn set_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut clients = self.clients.borrow_mut();
        match clients.get_mut(client_id) {
            Some(client) if client.client_type == ClientType::Confidential => {
                client.secret_hash = Some(secret_hash.to_string());
                if let Some(times) = self.times.borrow_mut().get_mut(client_id) {
                    times.1 = now.0;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// One set of in-memory ports, with the demo client registered for
/// `https://shop.example`.
/// Users and their passkeys, kept together so a passkey-only sign-up creates both or
/// neither, as the D1 store does.
#[derive(Default)]
pub struct MemoryUserStore {
    users: RefCell<HashMap<String, User>>,
    /// In registration order.
    credentials: RefCell<Vec<StoredCredential>>,
    /// Federation connections, in registration order.
    pub connections: RefCell<Vec<StoredConnection>>,
    /// Linked identities, oldest first.
    identities: RefCell<Vec<FederatedIdentity>>,
    /// Upstream tokens kept, by `(connection, subject)`; erased with their identity as
    /// D1's trigger erases them.
    pub upstream_tokens: RefCell<HashMap<(String, String), KeptTokens>>,
}

impl MemoryUserStore {
    /// Changes the stored status only, as a direct write to D1 would: the person's grants
    /// do not hear of it until [`crate::holders::sync`] runs.
    pub fn set_status(&self, id: &str, status: UserStatus) {
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            user.status = status;
        }
    }
}

#[async_trait(?Send)]
impl UserStore for MemoryUserStore {
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .users
            .borrow()
            .values()
            .find(|u| u.email == email)
            .cloned())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self.users.borrow().get(id).cloned())
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut users = self.users.borrow_mut();
        if users.contains_key(&user.id) || users.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict);
        }
        users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn record_sign_in(
        &self,
        id: &str,
        at: UnixMillis,
        new_password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            user.last_login_at = Some(at);
            if let Some(hash) = new_password_hash {
                user.password_hash = Some(hash.to_string());
            }
        }
        Ok(())
    }

    async fn set_email_verified(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            user.email_verified = true;
            user.updated_at = at;
        }
        Ok(())
    }

    async fn set_password(
        &self,
        id: &str,
        password_hash: &str,
        at: UnixMillis,
        revoke_tokens: bool,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            user.password_hash = Some(password_hash.to_string());
            user.updated_at = at;
            if revoke_tokens {
                user.tokens_valid_after = Some(at);
            }
        }
        Ok(())
    }

    async fn reset_credentials(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            user.password_hash = None;
            user.updated_at = at;
            user.tokens_valid_after = Some(at);
        }
        Ok(())
    }
}

/// A connection as the `connections` table holds it.
#[derive(Debug, Clone)]
pub struct StoredConnection {
    pub settings: ConnectionSettings,
    pub sealed_client_secret: Option<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl StoredConnection {
    fn resource(&self) -> ConnectionResource {
        ConnectionResource {
            settings: self.settings.clone(),
            has_secret: self.sealed_client_secret.is_some(),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        }
    }
}

impl MemoryUserStore {
    /// Registers `connection`, enabled, at position 0, as a direct write to D1 would.
    pub fn add_connection(&self, connection: Connection) {
        let settings = ConnectionSettings {
            id: connection.id,
            kind: connection.kind,
            display_name: connection.display_name,
            issuer: connection.issuer,
            client_id: connection.client_id,
            scopes: connection.scopes,
            trusted_email_domains: connection.trusted_email_domains,
            enabled_clients: connection.enabled_clients,
            home_realm_domains: connection.home_realm_domains,
            options: connection.options,
            position: 0,
            enabled: true,
        };
        self.connections.borrow_mut().push(StoredConnection {
            settings,
            sealed_client_secret: connection.sealed_client_secret,
            created_at: FixedClock::START,
            updated_at: FixedClock::START,
        });
    }

    /// In the order clients show them: by position, then id.
    fn ordered_connections(&self) -> Vec<StoredConnection> {
        let mut all = self.connections.borrow().clone();
        all.sort_by(|a, b| {
            (a.settings.position, &a.settings.id).cmp(&(b.settings.position, &b.settings.id))
        });
        all
    }
}

impl MemoryUserStore {
    /// Kept tokens go with their identity (D1: a trigger on `federated_identities`).
    fn erase_orphan_tokens(&self) {
        let identities = self.identities.borrow();
        self.upstream_tokens
            .borrow_mut()
            .retain(|(connection, subject), _| {
                identities
                    .iter()
                    .any(|i| &i.connection_id == connection && &i.subject == subject)
            });
    }
}

#[async_trait(?Send)]
impl UpstreamTokenStore for MemoryUserStore {
    async fn keep(&self, tokens: &KeptTokens) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.upstream_tokens.borrow_mut().insert(
            (tokens.connection_id.clone(), tokens.subject.clone()),
            tokens.clone(),
        );
        Ok(())
    }

    async fn kept(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<KeptTokens>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .upstream_tokens
            .borrow()
            .get(&(connection_id.to_string(), subject.to_string()))
            .cloned())
    }

    async fn erase(&self, connection_id: &str, subject: &str) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .upstream_tokens
            .borrow_mut()
            .remove(&(connection_id.to_string(), subject.to_string()))
            .is_some())
    }
}

#[async_trait(?Send)]
impl ConnectionStore for MemoryUserStore {
    async fn enabled(&self) -> Result<Vec<Connection>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .ordered_connections()
            .into_iter()
            .filter(|c| c.settings.enabled)
            .map(|c| c.settings.connection(c.sealed_client_secret))
            .collect())
    }

    async fn all_connections(&self) -> Result<Vec<ConnectionResource>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .ordered_connections()
            .iter()
            .map(StoredConnection::resource)
            .collect())
    }

    async fn connection(&self, id: &str) -> Result<Option<ConnectionResource>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .connections
            .borrow()
            .iter()
            .find(|c| c.settings.id == id)
            .map(StoredConnection::resource))
    }

    async fn create_connection(
        &self,
        settings: &ConnectionSettings,
        sealed_client_secret: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut connections = self.connections.borrow_mut();
        if connections.iter().any(|c| c.settings.id == settings.id) {
            return Err(StoreError::Conflict);
        }
        connections.push(StoredConnection {
            settings: settings.clone(),
            sealed_client_secret: sealed_client_secret.map(str::to_string),
            created_at: now,
            updated_at: now,
        });
        Ok(())
    }

    async fn replace_connection(
        &self,
        settings: &ConnectionSettings,
        secret: SecretChange<'_>,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut connections = self.connections.borrow_mut();
        let Some(stored) = connections
            .iter_mut()
            .find(|c| c.settings.id == settings.id)
        else {
            return Ok(false);
        };
        stored.settings = settings.clone();
        match secret {
            SecretChange::Keep => {}
            SecretChange::Set(sealed) => stored.sealed_client_secret = Some(sealed.to_string()),
            SecretChange::Remove => stored.sealed_client_secret = None,
        }
        stored.updated_at = now;
        Ok(true)
    }

    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut connections = self.connections.borrow_mut();
        let before = connections.len();
        connections.retain(|c| c.settings.id != id);
        if connections.len() == before {
            return Ok(false);
        }
        self.identities
            .borrow_mut()
            .retain(|i| i.connection_id != id);
        self.erase_orphan_tokens();
        Ok(true)
    }

    async fn identity(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<FederatedIdentity>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .identities
            .borrow()
            .iter()
            .find(|i| i.connection_id == connection_id && i.subject == subject)
            .cloned())
    }

    async fn identities_for(&self, user_id: &str) -> Result<Vec<FederatedIdentity>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .identities
            .borrow()
            .iter()
            .filter(|i| i.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn link(&self, identity: &FederatedIdentity) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut identities = self.identities.borrow_mut();
        if identities.iter().any(|i| {
            i.id == identity.id
                || (i.connection_id == identity.connection_id && i.subject == identity.subject)
        }) {
            return Err(StoreError::Conflict);
        }
        identities.push(identity.clone());
        Ok(())
    }

    async fn create_user_with_identity(
        &self,
        user: &User,
        identity: &FederatedIdentity,
    ) -> Result<(), StoreError> {
        {
            let users = self.users.borrow();
            let identities = self.identities.borrow();
            if users.contains_key(&user.id)
                || users.values().any(|u| u.email == user.email)
                || identities.iter().any(|i| {
                    i.connection_id == identity.connection_id && i.subject == identity.subject
                })
            {
                return Err(StoreError::Conflict);
            }
        }
        round_trip(|t| t.d1 += 1);
        self.users
            .borrow_mut()
            .insert(user.id.clone(), user.clone());
        self.identities.borrow_mut().push(identity.clone());
        Ok(())
    }

    async fn unlink(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut identities = self.identities.borrow_mut();
        let before = identities.len();
        identities.retain(|i| !(i.user_id == user_id && i.id == id));
        drop(identities);
        self.erase_orphan_tokens();
        Ok(self.identities.borrow().len() < before)
    }

    async fn record_use(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(identity) = self.identities.borrow_mut().iter_mut().find(|i| i.id == id) {
            identity.last_used_at = Some(at);
        }
        Ok(())
    }
}

/// A request from a browser in Paris's documentation range, with nothing else known.
pub fn request_context() -> crate::events::RequestContext {
    crate::events::RequestContext {
        ip_address: Some("198.51.100.7".into()),
        user_agent: None,
        accept_language: None,
        device: None,
        device_token: None,
        url: None,
    }
}

/// The demo client's page (`https://shop.example`) calling the edge at
/// `https://id.example`.
pub fn shop_caller(context: &crate::events::RequestContext) -> crate::flows::Caller<'_> {
    crate::flows::Caller {
        origin: Some("https://shop.example"),
        self_origin: "https://id.example",
        context,
        federation_ticket: None,
    }
}

/// A P-256 key in PKCS #8 PEM, as Apple's `AuthKey_<key id>.p8` files are (made for
/// the tests with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
pub const APPLE_AUTH_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnobEr+fLiTmuVq5l
sZf3oNX6ahDL++jVBDX3N0arFRWhRANCAATchWtTxQaONOTa2tBnldUtsHaKEesf
6yKBeGjEaOdAJVDQEFDpdryoUTi1tBqUk4FyQJ+2YelloU5ifKZFy1De
-----END PRIVATE KEY-----";

/// An OpenID Connect connection to `issuer` for every client, trusted for no domain,
/// with Portcullis's client id `portcullis` there and no secret.
pub fn oidc_connection(id: &str, issuer: &str) -> Connection {
    Connection {
        id: id.to_string(),
        kind: ConnectionKind::Oidc,
        display_name: "Corp SSO".into(),
        issuer: issuer.to_string(),
        client_id: "portcullis".into(),
        sealed_client_secret: None,
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
        trusted_email_domains: Vec::new(),
        enabled_clients: None,
        home_realm_domains: Vec::new(),
        options: Default::default(),
    }
}

/// Listing without a filter, oldest first. Filters are compiled to SQL and run by D1
/// (`scim::filter`): their SQL is checked natively, their results end to end against
/// D1; this store refuses them rather than guess at what the SQL would return.
#[async_trait(?Send)]
impl Directory for MemoryUserStore {
    async fn search(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        if query.filter.is_some() {
            return Err(StoreError::Unavailable(
                "the in-memory directory does not run SCIM filters".into(),
            ));
        }
        let mut users: Vec<User> = self
            .users
            .borrow()
            .values()
            .filter(|u| u.status != UserStatus::Deprovisioned)
            .cloned()
            .collect();
        users.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let total = users.len() as u64;
        let users = users
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .collect();
        Ok(UserPage { total, users })
    }

    async fn update(&self, user: &User, expected: UnixMillis) -> Result<bool, StoreError> {
        let mut users = self.users.borrow_mut();
        if users
            .values()
            .any(|u| u.id != user.id && u.email == user.email)
        {
            return Err(StoreError::Conflict);
        }
        match users.get_mut(&user.id) {
            Some(stored)
                if stored.updated_at == expected && stored.status != UserStatus::Deprovisioned =>
            {
                *stored = User {
                    password_hash: stored.password_hash.clone(),
                    last_login_at: stored.last_login_at,
                    created_at: stored.created_at,
                    ..user.clone()
                };
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn erase(&self, id: &str, at: UnixMillis) -> Result<(), StoreError> {
        self.credentials.borrow_mut().retain(|c| c.user_id != id);
        self.identities.borrow_mut().retain(|i| i.user_id != id);
        self.erase_orphan_tokens();
        if let Some(user) = self.users.borrow_mut().get_mut(id) {
            *user = User {
                email: format!("deleted-{id}@deprovisioned.invalid"),
                email_verified: false,
                name: None,
                given_name: None,
                family_name: None,
                external_id: None,
                password_hash: None,
                status: UserStatus::Deprovisioned,
                updated_at: at,
                last_login_at: None,
                tokens_valid_after: Some(at),
                profile: Default::default(),
                ..user.clone()
            };
        }
        Ok(())
    }
}

/// Groups in a map.
#[derive(Default)]
pub struct MemoryGroupStore {
    groups: RefCell<HashMap<String, Group>>,
    /// How many times a person's group names were read.
    pub reads: Cell<u32>,
}

impl MemoryGroupStore {
    fn name_taken(&self, group: &Group) -> bool {
        self.groups.borrow().values().any(|g| {
            g.id != group.id && g.display_name.to_lowercase() == group.display_name.to_lowercase()
        })
    }
}

#[async_trait(?Send)]
impl GroupStore for MemoryGroupStore {
    async fn create(&self, group: &Group) -> Result<(), StoreError> {
        if self.name_taken(group) || self.groups.borrow().contains_key(&group.id) {
            return Err(StoreError::Conflict);
        }
        self.groups
            .borrow_mut()
            .insert(group.id.clone(), group.clone());
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<Option<Group>, StoreError> {
        Ok(self.groups.borrow().get(id).cloned())
    }

    async fn list(
        &self,
        display_name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Group>), StoreError> {
        let mut groups: Vec<Group> = self
            .groups
            .borrow()
            .values()
            .filter(|g| {
                display_name.is_none_or(|n| g.display_name.to_lowercase() == n.to_lowercase())
            })
            .cloned()
            .collect();
        groups.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let total = groups.len() as u64;
        let page = groups
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok((total, page))
    }

    async fn update(&self, group: &Group, expected: UnixMillis) -> Result<bool, StoreError> {
        if self.name_taken(group) {
            return Err(StoreError::Conflict);
        }
        let mut groups = self.groups.borrow_mut();
        match groups.get_mut(&group.id) {
            Some(stored) if stored.updated_at == expected => {
                *stored = group.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.groups.borrow_mut().remove(id).is_some())
    }

    async fn names_for(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        round_trip(|t| t.d1 += 1);
        self.reads.set(self.reads.get() + 1);
        let mut names: Vec<String> = self
            .groups
            .borrow()
            .values()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| g.display_name.clone())
            .collect();
        names.sort();
        Ok(names)
    }

    async fn remove_user(&self, user_id: &str) -> Result<(), StoreError> {
        for group in self.groups.borrow_mut().values_mut() {
            if group.members.iter().any(|m| m == user_id) {
                group.members.retain(|m| m != user_id);
                group.updated_at = UnixMillis(group.updated_at.0 + 1);
            }
        }
        Ok(())
    }
}

#[async_trait(?Send)]
impl CredentialStore for MemoryUserStore {
    async fn create(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut credentials = self.credentials.borrow_mut();
        if credentials
            .iter()
            .any(|c| c.record.id == credential.record.id)
        {
            return Err(StoreError::Conflict);
        }
        credentials.push(credential.clone());
        Ok(())
    }

    async fn create_with_user(
        &self,
        user: &User,
        credential: &StoredCredential,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let taken = self
            .credentials
            .borrow()
            .iter()
            .any(|c| c.record.id == credential.record.id);
        if taken {
            return Err(StoreError::Conflict);
        }
        UserStore::create(self, user).await?;
        self.credentials.borrow_mut().push(credential.clone());
        Ok(())
    }

    async fn find(&self, credential_id: &[u8]) -> Result<Option<StoredCredential>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .credentials
            .borrow()
            .iter()
            .find(|c| c.record.id == credential_id)
            .cloned())
    }

    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredCredential>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .credentials
            .borrow()
            .iter()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn record_use(
        &self,
        record: &CredentialRecord,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        if let Some(stored) = self
            .credentials
            .borrow_mut()
            .iter_mut()
            .find(|c| c.record.id == record.id)
        {
            stored.record = record.clone();
            stored.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn rename(
        &self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut credentials = self.credentials.borrow_mut();
        match credentials
            .iter_mut()
            .find(|c| c.user_id == user_id && c.record.id == credential_id)
        {
            Some(stored) => {
                stored.name = name.to_string();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete(&self, user_id: &str, credential_id: &[u8]) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut credentials = self.credentials.borrow_mut();
        let before = credentials.len();
        credentials.retain(|c| !(c.user_id == user_id && c.record.id == credential_id));
        Ok(credentials.len() != before)
    }
}

/// Consent records in memory: appended, never changed.
#[derive(Default)]
pub struct MemoryConsentStore {
    records: RefCell<Vec<StoredConsent>>,
}

#[async_trait(?Send)]
impl ConsentStore for MemoryConsentStore {
    async fn append(&self, record: &StoredConsent) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut records = self.records.borrow_mut();
        if records.iter().any(|r| r.id == record.id) {
            return Err(StoreError::Conflict);
        }
        records.push(record.clone());
        Ok(())
    }

    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredConsent>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut found: Vec<StoredConsent> = self
            .records
            .borrow()
            .iter()
            .filter(|r| r.user_id == user_id)
            .cloned()
            .collect();
        // Newest first; records of one instant keep their order of appending, reversed.
        found.reverse();
        found.sort_by_key(|r| std::cmp::Reverse(r.recorded_at));
        Ok(found)
    }
}

/// Scheduled account deletions in memory, keyed by user.
#[derive(Default)]
pub struct MemoryDeletionStore {
    deletions: RefCell<HashMap<String, ScheduledDeletion>>,
}

#[async_trait(?Send)]
impl DeletionStore for MemoryDeletionStore {
    async fn schedule(&self, deletion: &ScheduledDeletion) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.deletions
            .borrow_mut()
            .insert(deletion.user_id.clone(), deletion.clone());
        Ok(())
    }

    async fn cancel(
        &self,
        cancel_token_hash: &str,
    ) -> Result<Option<ScheduledDeletion>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut deletions = self.deletions.borrow_mut();
        let user_id = deletions
            .values()
            .find(|d| d.cancel_token_hash == cancel_token_hash)
            .map(|d| d.user_id.clone());
        Ok(user_id.and_then(|id| deletions.remove(&id)))
    }

    async fn find(&self, user_id: &str) -> Result<Option<ScheduledDeletion>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self.deletions.borrow().get(user_id).cloned())
    }

    async fn due(
        &self,
        now: UnixMillis,
        limit: usize,
    ) -> Result<Vec<ScheduledDeletion>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut due: Vec<ScheduledDeletion> = self
            .deletions
            .borrow()
            .values()
            .filter(|d| d.due_at <= now)
            .cloned()
            .collect();
        due.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.user_id.cmp(&b.user_id)));
        due.truncate(limit);
        Ok(due)
    }

    async fn claim_due(&self, user_id: &str, now: UnixMillis) -> Result<bool, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut deletions = self.deletions.borrow_mut();
        if deletions.get(user_id).is_some_and(|d| d.due_at <= now) {
            deletions.remove(user_id);
            return Ok(true);
        }
        Ok(false)
    }
}

#[derive(Default)]
pub struct MemorySessionStore {
    sessions: RefCell<HashMap<String, Session>>,
}

#[async_trait(?Send)]
impl SessionStore for MemorySessionStore {
    async fn create(&self, id_hash: &str, session: &Session) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.sessions
            .borrow_mut()
            .insert(id_hash.to_string(), session.clone());
        Ok(())
    }

    async fn find(&self, id_hash: &str, now: UnixMillis) -> Result<Option<Session>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .sessions
            .borrow()
            .get(id_hash)
            .filter(|s| now < s.expires_at)
            .cloned())
    }

    async fn delete(&self, id_hash: &str) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.sessions.borrow_mut().remove(id_hash);
        Ok(())
    }

    async fn delete_for_user(&self, user_id: &str) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.sessions
            .borrow_mut()
            .retain(|_, s| s.user_id != user_id);
        Ok(())
    }

    async fn for_user(&self, user_id: &str, now: UnixMillis) -> Result<Vec<Session>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut found: Vec<Session> = self
            .sessions
            .borrow()
            .values()
            .filter(|s| s.user_id == user_id && now < s.expires_at)
            .cloned()
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(s.auth_time));
        Ok(found)
    }
}

/// Mail kept in memory: the mailer of native tests, and their mailbox.
#[derive(Default)]
pub struct MemoryMailer {
    pub sent: RefCell<Vec<Mail>>,
    failure: RefCell<Option<String>>,
}

impl MemoryMailer {
    /// Makes every later send fail as an unreachable provider would.
    pub fn fail_with(&self, reason: &str) {
        *self.failure.borrow_mut() = Some(reason.to_string());
    }

    /// The newest message to `to`.
    pub fn last_to(&self, to: &str) -> Option<Mail> {
        self.sent
            .borrow()
            .iter()
            .rev()
            .find(|m| m.to == to)
            .cloned()
    }
}

#[async_trait(?Send)]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if let Some(reason) = self.failure.borrow().as_ref() {
            return Err(MailError(reason.clone()));
        }
        self.sent.borrow_mut().push(mail.clone());
        Ok(())
    }
}

#[async_trait(?Send)]
impl Mailbox for MemoryMailer {
    async fn messages(&self, to: &str, limit: usize) -> Result<Vec<KeptMail>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self
            .sent
            .borrow()
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, m)| m.to == to)
            .take(limit)
            .map(|(i, m)| KeptMail {
                id: i.to_string(),
                mail: m.clone(),
                created_at: FixedClock::START,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct MemoryEventLog {
    pub events: RefCell<Vec<SystemLogEvent>>,
}

impl MemoryEventLog {
    /// `(eventType, outcome.result)` of every event so far.
    pub fn summary(&self) -> Vec<(String, String)> {
        self.events
            .borrow()
            .iter()
            .map(|e| {
                let outcome = serde_json::to_value(e.outcome.result).unwrap_or_default();
                (
                    e.event_type.clone(),
                    outcome.as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

#[async_trait(?Send)]
impl EventLog for MemoryEventLog {
    async fn append(&self, event: &SystemLogEvent) -> Result<(), StoreError> {
        round_trip(|t| t.event_log += 1);
        self.events.borrow_mut().push(event.clone());
        Ok(())
    }

    async fn delete_before(&self, before: UnixMillis, limit: u32) -> Result<u32, StoreError> {
        let at = |e: &SystemLogEvent| crate::time::parse_rfc3339(&e.published);
        let mut expired: Vec<(UnixMillis, String)> = self
            .events
            .borrow()
            .iter()
            .filter_map(|e| Some((at(e)?, e.uuid.clone())))
            .filter(|(published, _)| *published < before)
            .collect();
        expired.sort();
        expired.truncate(limit as usize);
        let gone: std::collections::HashSet<String> =
            expired.into_iter().map(|(_, uuid)| uuid).collect();
        self.events.borrow_mut().retain(|e| !gone.contains(&e.uuid));
        Ok(gone.len() as u32)
    }

    /// The window, order, cursor and limit; `filter` and `q` are compiled to SQL and run
    /// by D1 (checked end to end), so this store refuses them.
    async fn query(
        &self,
        query: &crate::logs::LogQuery,
    ) -> Result<Vec<SystemLogEvent>, StoreError> {
        if query.filter.is_some() || !query.terms.is_empty() {
            return Err(StoreError::Unavailable(
                "the in-memory System Log does not run filters".into(),
            ));
        }
        let key = |e: &SystemLogEvent| (e.published.clone(), e.uuid.clone());
        let descending = query.order == crate::logs::SortOrder::Descending;
        let mut found: Vec<SystemLogEvent> = self
            .events
            .borrow()
            .iter()
            .filter(|e| e.published >= query.since)
            .filter(|e| {
                query
                    .until
                    .as_ref()
                    .is_none_or(|until| &e.published < until)
            })
            .filter(|e| {
                query.after.as_ref().is_none_or(|after| {
                    let cursor = (after.published.clone(), after.uuid.clone());
                    if descending {
                        key(e) < cursor
                    } else {
                        key(e) > cursor
                    }
                })
            })
            .cloned()
            .collect();
        found.sort_by_key(key);
        if descending {
            found.reverse();
        }
        found.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn about_user(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<SystemLogEvent>, StoreError> {
        round_trip(|t| t.event_log += 1);
        let mut found: Vec<SystemLogEvent> = self
            .events
            .borrow()
            .iter()
            .filter(|e| e.actor.id == user_id || e.target.iter().any(|p| p.id == user_id))
            .cloned()
            .collect();
        found.reverse();
        found.sort_by_key(|e| std::cmp::Reverse(e.published.clone()));
        found.truncate(limit);
        Ok(found)
    }
}

/// Event hooks and deliveries in memory: `hooks` as deliveries read them, `records` as
/// administrators see them (a hook registered through the admin API is in both).
#[derive(Default)]
pub struct MemoryHookStore {
    pub hooks: RefCell<Vec<EventHook>>,
    pub records: RefCell<Vec<HookRecord>>,
    pub deliveries: RefCell<HashMap<String, DeliveryRecord>>,
}

/// Up to `limit` of `rows` in cursor order, after `after` (or, `descending`, before it).
fn page_of<R: Paged + Clone>(
    rows: impl Iterator<Item = R>,
    after: Option<&PageCursor>,
    descending: bool,
    limit: u32,
) -> Vec<R> {
    let mut found: Vec<R> = rows
        .filter(|r| {
            after.is_none_or(|a| {
                if descending {
                    r.cursor() < *a
                } else {
                    r.cursor() > *a
                }
            })
        })
        .collect();
    found.sort_by_key(Paged::cursor);
    if descending {
        found.reverse();
    }
    found.truncate(limit as usize);
    found
}

#[async_trait(?Send)]
impl HookStore for MemoryHookStore {
    async fn enabled(&self) -> Result<Vec<EventHook>, StoreError> {
        Ok(self
            .hooks
            .borrow()
            .iter()
            .filter(|h| h.enabled)
            .cloned()
            .collect())
    }

    async fn find(&self, id: &str) -> Result<Option<EventHook>, StoreError> {
        Ok(self.hooks.borrow().iter().find(|h| h.id == id).cloned())
    }

    async fn create_deliveries(
        &self,
        deliveries: &[DeliveryMessage],
        at: UnixMillis,
    ) -> Result<Vec<String>, StoreError> {
        let mut rows = self.deliveries.borrow_mut();
        let mut recorded = Vec::new();
        for d in deliveries {
            if rows.contains_key(&d.id) {
                continue;
            }
            recorded.push(d.id.clone());
            rows.entry(d.id.clone()).or_insert_with(|| DeliveryRecord {
                id: d.id.clone(),
                hook_id: d.hook_id.clone(),
                event_uuid: d.event.uuid.clone(),
                event_type: d.event.event_type.clone(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                last_status: None,
                last_error: None,
                created_at: at,
                last_attempt_at: None,
                delivered_at: None,
            });
        }
        Ok(recorded)
    }

    async fn discard_deliveries(&self, ids: &[String]) -> Result<(), StoreError> {
        self.deliveries
            .borrow_mut()
            .retain(|id, d| !(ids.contains(id) && d.status == DeliveryStatus::Pending));
        Ok(())
    }

    async fn delivery_status(
        &self,
        delivery_id: &str,
    ) -> Result<Option<DeliveryStatus>, StoreError> {
        Ok(self.deliveries.borrow().get(delivery_id).map(|d| d.status))
    }

    async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
    ) -> Result<u32, StoreError> {
        let mut rows = self.deliveries.borrow_mut();
        let row = rows
            .get_mut(delivery_id)
            .ok_or_else(|| StoreError::Unavailable(format!("no delivery {delivery_id}")))?;
        row.attempts += 1;
        row.last_status = attempt.status;
        row.last_error = attempt.error.clone();
        row.last_attempt_at = Some(attempt.at);
        if attempt.succeeded() {
            row.status = DeliveryStatus::Delivered;
            row.delivered_at = Some(attempt.at);
        }
        Ok(row.attempts)
    }

    async fn finish(
        &self,
        delivery_id: &str,
        status: DeliveryStatus,
        _at: UnixMillis,
    ) -> Result<(), StoreError> {
        if let Some(row) = self.deliveries.borrow_mut().get_mut(delivery_id) {
            if row.status == DeliveryStatus::Pending {
                row.status = status;
            }
        }
        Ok(())
    }

    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<HookRecord>, StoreError> {
        Ok(page_of(
            self.records.borrow().iter().cloned(),
            after,
            false,
            limit,
        ))
    }

    async fn record(&self, id: &str) -> Result<Option<HookRecord>, StoreError> {
        Ok(self.records.borrow().iter().find(|h| h.id == id).cloned())
    }

    async fn insert(&self, hook: &HookRecord, sealed_secret: &str) -> Result<(), StoreError> {
        if self.records.borrow().iter().any(|h| h.id == hook.id) {
            return Err(StoreError::Conflict);
        }
        let event_types = hook
            .event_types
            .iter()
            .map(|p| EventTypeFilter::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| StoreError::Unavailable("malformed event types".into()))?;
        self.hooks.borrow_mut().push(EventHook {
            id: hook.id.clone(),
            url: hook.url.clone(),
            event_types,
            sealed_secret: sealed_secret.to_string(),
            previous_secret: None,
            enabled: hook.enabled,
        });
        self.records.borrow_mut().push(hook.clone());
        Ok(())
    }

    async fn update(&self, hook: &HookRecord) -> Result<bool, StoreError> {
        let mut records = self.records.borrow_mut();
        let Some(record) = records.iter_mut().find(|h| h.id == hook.id) else {
            return Ok(false);
        };
        *record = HookRecord {
            created_at: record.created_at,
            previous_secret_expires_at: record.previous_secret_expires_at,
            ..hook.clone()
        };
        if let Some(stored) = self.hooks.borrow_mut().iter_mut().find(|h| h.id == hook.id) {
            stored.url = hook.url.clone();
            stored.enabled = hook.enabled && hook.verified_at.is_some();
            stored.event_types = hook
                .event_types
                .iter()
                .filter_map(|p| EventTypeFilter::parse(p).ok())
                .collect();
        }
        Ok(true)
    }

    async fn rotate_secret(
        &self,
        id: &str,
        sealed_secret: &str,
        previous_until: UnixMillis,
        at: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut records = self.records.borrow_mut();
        let Some(record) = records.iter_mut().find(|h| h.id == id) else {
            return Ok(false);
        };
        record.previous_secret_expires_at = Some(previous_until);
        record.updated_at = at;
        if let Some(stored) = self.hooks.borrow_mut().iter_mut().find(|h| h.id == id) {
            let previous = std::mem::replace(&mut stored.sealed_secret, sealed_secret.into());
            stored.previous_secret = Some((previous, previous_until));
        }
        Ok(true)
    }

    async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let before = self.records.borrow().len();
        self.records.borrow_mut().retain(|h| h.id != id);
        self.hooks.borrow_mut().retain(|h| h.id != id);
        self.deliveries.borrow_mut().retain(|_, d| d.hook_id != id);
        Ok(self.records.borrow().len() < before)
    }

    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<DeliveryStatus>,
        before: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let deliveries = self.deliveries.borrow();
        let of_hook = deliveries
            .values()
            .filter(|d| d.hook_id == hook_id && status.is_none_or(|s| d.status == s))
            .cloned();
        Ok(page_of(of_hook, before, true, limit))
    }
}

/// A webhook receiver that answers the statuses it was given, in turn (200 once they
/// run out; `None` is a timeout), and keeps every request.
#[derive(Default)]
pub struct ScriptedTransport {
    pub answers: RefCell<std::collections::VecDeque<Option<u16>>>,
    pub received: RefCell<Vec<WebhookRequest>>,
}

impl ScriptedTransport {
    pub fn answering(answers: &[Option<u16>]) -> ScriptedTransport {
        ScriptedTransport {
            answers: RefCell::new(answers.iter().copied().collect()),
            received: RefCell::default(),
        }
    }
}

#[async_trait(?Send)]
impl WebhookTransport for ScriptedTransport {
    async fn post(
        &self,
        request: &WebhookRequest,
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        self.received.borrow_mut().push(request.clone());
        let status = match self.answers.borrow_mut().pop_front() {
            Some(Some(status)) => status,
            Some(None) => return Err(TransportError(format!("timed out after {timeout_ms} ms"))),
            None => 200,
        };
        Ok(HttpAnswer {
            status,
            headers: Vec::new(),
            body: String::new(),
        })
    }

    async fn get(
        &self,
        url: &str,
        _headers: &[(String, String)],
        _timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        Err(TransportError(format!("GET {url}: a webhook receiver")))
    }
}

/// Inline hooks in memory: `(client_id or None for every client, hook)`, and as
/// administrators see them (a hook registered through the admin API is in both).
#[derive(Default)]
pub struct MemoryInlineHookStore {
    pub hooks: RefCell<Vec<(Option<String>, InlineHook)>>,
    pub records: RefCell<Vec<InlineHookRecord>>,
}

#[async_trait(?Send)]
impl InlineHookStore for MemoryInlineHookStore {
    async fn find(
        &self,
        kind: InlineHookKind,
        client_id: &str,
    ) -> Result<Option<InlineHook>, StoreError> {
        let hooks = self.hooks.borrow();
        let of_kind = |for_client: bool| {
            hooks
                .iter()
                .find(|(client, hook)| {
                    hook.kind == kind
                        && if for_client {
                            client.as_deref() == Some(client_id)
                        } else {
                            client.is_none()
                        }
                })
                .map(|(_, hook)| hook.clone())
        };
        Ok(of_kind(true).or_else(|| of_kind(false)))
    }

    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<InlineHookRecord>, StoreError> {
        Ok(page_of(
            self.records.borrow().iter().cloned(),
            after,
            false,
            limit,
        ))
    }

    async fn record(&self, id: &str) -> Result<Option<InlineHookRecord>, StoreError> {
        Ok(self.records.borrow().iter().find(|h| h.id == id).cloned())
    }

    async fn insert(&self, hook: &InlineHookRecord, sealed_secret: &str) -> Result<(), StoreError> {
        let taken = self
            .records
            .borrow()
            .iter()
            .any(|h| h.id == hook.id || (h.kind == hook.kind && h.client_id == hook.client_id));
        if taken {
            return Err(StoreError::Conflict);
        }
        self.hooks.borrow_mut().push((
            hook.client_id.clone(),
            InlineHook {
                id: hook.id.clone(),
                kind: hook.kind,
                url: hook.url.clone(),
                sealed_secret: sealed_secret.to_string(),
                timeout_ms: hook.timeout_ms,
                failure_mode: hook.failure_mode,
            },
        ));
        self.records.borrow_mut().push(hook.clone());
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let before = self.records.borrow().len();
        self.records.borrow_mut().retain(|h| h.id != id);
        self.hooks.borrow_mut().retain(|(_, h)| h.id != id);
        Ok(self.records.borrow().len() < before)
    }
}

/// An endpoint played by a function of the request (and the timeout it was given). A
/// `GET` reaches it as a request with the method in `headers` as `:method` and no body.
pub struct FnTransport(
    #[allow(clippy::type_complexity)]
    pub  Box<dyn Fn(&WebhookRequest, u64) -> Result<HttpAnswer, TransportError>>,
);

impl Default for FnTransport {
    /// Nobody answers.
    fn default() -> Self {
        FnTransport(Box::new(|_, _| {
            Err(TransportError("no endpoint in this test".into()))
        }))
    }
}

#[async_trait(?Send)]
impl WebhookTransport for FnTransport {
    async fn post(
        &self,
        request: &WebhookRequest,
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        (self.0)(request, timeout_ms)
    }

    async fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError> {
        let mut with_method = vec![(":method".to_string(), "GET".to_string())];
        with_method.extend_from_slice(headers);
        let request = WebhookRequest {
            url: url.to_string(),
            headers: with_method,
            body: String::new(),
        };
        (self.0)(&request, timeout_ms)
    }
}

#[derive(Default)]
pub struct MemoryKeyStore {
    keys: RefCell<Vec<StoredKey>>,
}

#[async_trait(?Send)]
impl KeyStore for MemoryKeyStore {
    async fn all(&self) -> Result<Vec<StoredKey>, StoreError> {
        round_trip(|t| t.d1 += 1);
        Ok(self.keys.borrow().clone())
    }

    async fn insert_if_none_current(&self, key: &StoredKey) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut keys = self.keys.borrow_mut();
        if !keys
            .iter()
            .any(|k| k.alg == key.alg && k.retired_at.is_none())
        {
            keys.push(key.clone());
        }
        Ok(())
    }

    async fn rotate(
        &self,
        old_kid: &str,
        at: UnixMillis,
        new: &StoredKey,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut keys = self.keys.borrow_mut();
        for key in keys.iter_mut().filter(|k| k.kid == old_kid) {
            key.retired_at = Some(at);
        }
        keys.push(new.clone());
        Ok(())
    }
}

/// Grants in a map, each command applied whole: the same serialisation a Durable Object
/// per grant gives.
#[derive(Default)]
pub struct MemoryGrantStore {
    grants: RefCell<HashMap<String, Grant>>,
    /// Set: every call fails, as an unreachable Durable Object would.
    failure: RefCell<Option<String>>,
}

impl MemoryGrantStore {
    /// Makes every later call fail (`None`: work again).
    pub fn fail_with(&self, reason: Option<&str>) {
        *self.failure.borrow_mut() = reason.map(str::to_string);
    }

    fn check(&self) -> Result<(), StoreError> {
        match self.failure.borrow().as_ref() {
            Some(reason) => Err(StoreError::Unavailable(reason.clone())),
            None => Ok(()),
        }
    }

    /// Changes every stored grant with `edit`, as a stored older version would differ.
    pub fn edit_all(&self, edit: impl Fn(&mut Grant)) {
        self.grants.borrow_mut().values_mut().for_each(edit);
    }

    /// The grant stored at `reference`, live or not, as its Durable Object holds it.
    pub fn stored(&self, reference: &str) -> Option<Grant> {
        self.grants.borrow().get(reference).cloned()
    }
}

#[async_trait(?Send)]
impl GrantStore for MemoryGrantStore {
    async fn create(&self, grant_id: &str, grant: &Grant) -> Result<(), StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.check()?;
        let mut grants = self.grants.borrow_mut();
        if grants.contains_key(grant_id) {
            return Err(StoreError::Conflict);
        }
        grants.insert(grant_id.to_string(), grant.clone());
        Ok(())
    }

    async fn apply(
        &self,
        grant_id: &str,
        command: &GrantCommand,
        now: UnixMillis,
    ) -> Result<GrantReply, StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.check()?;
        let mut grants = self.grants.borrow_mut();
        let (state, reply) = Grant::apply(grants.get(grant_id).cloned(), command, now);
        if let Some(state) = state {
            grants.insert(grant_id.to_string(), state);
        }
        Ok(reply)
    }
}

/// The person-to-grants index in a list, as the D1 table keeps it.
#[derive(Default)]
pub struct MemoryGrantIndex {
    /// `(user_id, grant_ref, expires_at)` in the order added.
    rows: RefCell<Vec<(String, String, UnixMillis)>>,
}

#[async_trait(?Send)]
impl GrantIndex for MemoryGrantIndex {
    async fn add(
        &self,
        user_id: &str,
        grant_ref: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut rows = self.rows.borrow_mut();
        if !rows.iter().any(|(_, r, _)| r == grant_ref) {
            rows.push((user_id.into(), grant_ref.into(), expires_at));
        }
        Ok(())
    }

    async fn for_person(&self, user_id: &str, now: UnixMillis) -> Result<Vec<String>, StoreError> {
        round_trip(|t| t.d1 += 1);
        let mut rows = self.rows.borrow_mut();
        rows.retain(|(_, _, expires_at)| now < *expires_at);
        Ok(rows
            .iter()
            .filter(|(user, _, _)| user == user_id)
            .map(|(_, r, _)| r.clone())
            .collect())
    }

    async fn remove(&self, user_id: &str, grant_refs: &[String]) -> Result<(), StoreError> {
        round_trip(|t| t.d1 += 1);
        self.rows
            .borrow_mut()
            .retain(|(user, r, _)| user != user_id || !grant_refs.contains(r));
        Ok(())
    }
}

/// The queue consumer's work, kept until a test runs it ([`MemoryDeferred::run`]), as the
/// consumer does after the response.
#[derive(Default)]
pub struct MemoryDeferred {
    people: RefCell<Vec<String>>,
    /// Set to make the queue refuse.
    pub refuse: Cell<bool>,
}

impl MemoryDeferred {
    /// The people waiting to be passed on, in the order they were queued.
    pub fn waiting(&self) -> Vec<String> {
        self.people.borrow().clone()
    }

    /// Does what the consumer does with every waiting message.
    pub async fn run(&self, ports: &Ports<'_>) -> Result<(), StoreError> {
        let people = self.people.take();
        for person in &people {
            crate::holders::sync(ports, person).await?;
        }
        Ok(())
    }
}

#[async_trait(?Send)]
impl Deferred for MemoryDeferred {
    async fn sync_people(&self, people: &[String]) -> Result<(), StoreError> {
        if self.refuse.get() {
            return Err(StoreError::Unavailable("the queue refused".into()));
        }
        self.people.borrow_mut().extend_from_slice(people);
        Ok(())
    }
}

/// The version key in a cell, one Durable Object call per read or bump.
#[derive(Default)]
pub struct MemoryCacheVersion(Cell<u64>);

#[async_trait(?Send)]
impl CacheVersion for MemoryCacheVersion {
    async fn current(&self) -> Result<u64, StoreError> {
        round_trip(|t| t.durable_object += 1);
        Ok(self.0.get())
    }

    async fn bump(&self) -> Result<u64, StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.0.set(self.0.get() + 1);
        Ok(self.0.get())
    }
}

/// Windowed counters in a map, each change applied whole (as the Durable Object per key
/// does) through the same [`next_window`] the deployed counters run.
#[derive(Default)]
pub struct MemoryCounters {
    windows: RefCell<HashMap<String, Window>>,
}

impl MemoryCounters {
    fn apply(&self, key: &str, change: Change, now: UnixMillis) -> u32 {
        let mut windows = self.windows.borrow_mut();
        match next_window(windows.get(key).copied(), change, now) {
            Some(window) => {
                windows.insert(key.to_string(), window);
                window.count
            }
            None => {
                windows.remove(key);
                0
            }
        }
    }
}

#[async_trait(?Send)]
impl Counters for MemoryCounters {
    async fn increment(
        &self,
        key: &str,
        window_seconds: u64,
        now: UnixMillis,
    ) -> Result<u32, StoreError> {
        round_trip(|t| t.durable_object += 1);
        Ok(self.apply(key, Change::Increment { window_seconds }, now))
    }

    async fn decrement(&self, key: &str, now: UnixMillis) -> Result<u32, StoreError> {
        round_trip(|t| t.durable_object += 1);
        Ok(self.apply(key, Change::Decrement, now))
    }

    async fn reset(&self, key: &str, now: UnixMillis) -> Result<(), StoreError> {
        round_trip(|t| t.durable_object += 1);
        self.apply(key, Change::Reset, now);
        Ok(())
    }
}

/// Collects diagnostics so tests can look at them.
/// Authenticator apps and recovery codes, as the D1 tables keep them.
#[derive(Default)]
pub struct MemoryFactorStore {
    /// With the highest time step accepted, in enrolment order.
    totp: RefCell<Vec<(StoredTotp, u64)>>,
    /// `(user_id, hash)`.
    recovery: RefCell<Vec<(String, String)>>,
    devices: RefCell<Vec<StoredDeviceToken>>,
}

impl MemoryFactorStore {
    /// Every remembered device, live or not, as the table holds them.
    pub fn device_tokens(&self) -> Vec<StoredDeviceToken> {
        self.devices.borrow().clone()
    }
}

#[async_trait(?Send)]
impl FactorStore for MemoryFactorStore {
    async fn add_totp(&self, factor: &StoredTotp) -> Result<(), StoreError> {
        let mut totp = self.totp.borrow_mut();
        if totp.iter().any(|(f, _)| f.id == factor.id) {
            return Err(StoreError::Conflict);
        }
        totp.push((factor.clone(), 0));
        Ok(())
    }

    async fn totp_for(&self, user_id: &str) -> Result<Vec<StoredTotp>, StoreError> {
        Ok(self
            .totp
            .borrow()
            .iter()
            .filter(|(f, _)| f.user_id == user_id)
            .map(|(f, _)| f.clone())
            .collect())
    }

    async fn delete_totp(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut totp = self.totp.borrow_mut();
        let before = totp.len();
        totp.retain(|(f, _)| !(f.user_id == user_id && f.id == id));
        Ok(totp.len() < before)
    }

    async fn use_totp_step(&self, id: &str, step: u64, at: UnixMillis) -> Result<bool, StoreError> {
        let mut totp = self.totp.borrow_mut();
        match totp.iter_mut().find(|(f, last)| f.id == id && *last < step) {
            Some((factor, last)) => {
                *last = step;
                factor.last_used_at = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        _at: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut codes = self.recovery.borrow_mut();
        codes.retain(|(user, _)| user != user_id);
        codes.extend(hashes.iter().map(|h| (user_id.to_string(), h.clone())));
        Ok(())
    }

    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        let mut codes = self.recovery.borrow_mut();
        let before = codes.len();
        codes.retain(|(user, h)| !(user == user_id && h == hash));
        Ok(codes.len() < before)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<u32, StoreError> {
        let left = self
            .recovery
            .borrow()
            .iter()
            .filter(|(u, _)| u == user_id)
            .count();
        Ok(u32::try_from(left).unwrap_or(u32::MAX))
    }

    async fn add_device_token(&self, device: &StoredDeviceToken) -> Result<(), StoreError> {
        let mut devices = self.devices.borrow_mut();
        if devices
            .iter()
            .any(|d| d.id == device.id || d.token_hash == device.token_hash)
        {
            return Err(StoreError::Conflict);
        }
        devices.push(device.clone());
        Ok(())
    }

    async fn find_device_token(
        &self,
        token_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<Option<StoredDeviceToken>, StoreError> {
        Ok(self
            .devices
            .borrow()
            .iter()
            .find(|d| {
                d.token_hash == token_hash
                    && d.user_id == user_id
                    && d.client_id == client_id
                    && d.expires_at > now
            })
            .cloned())
    }

    async fn rotate_device_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut devices = self.devices.borrow_mut();
        let found = devices.iter_mut().find(|d| {
            d.token_hash == old_hash
                && d.user_id == user_id
                && d.client_id == client_id
                && d.expires_at > now
        });
        match found {
            Some(device) => {
                device.token_hash = new_hash.to_string();
                device.last_used_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn device_tokens_for(
        &self,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<Vec<StoredDeviceToken>, StoreError> {
        Ok(self
            .devices
            .borrow()
            .iter()
            .filter(|d| d.user_id == user_id && d.expires_at > now)
            .cloned()
            .collect())
    }

    async fn forget_device_token(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut devices = self.devices.borrow_mut();
        let before = devices.len();
        devices.retain(|d| !(d.user_id == user_id && d.id == id));
        Ok(devices.len() < before)
    }

    async fn forget_device_tokens(&self, user_id: &str) -> Result<usize, StoreError> {
        let mut devices = self.devices.borrow_mut();
        let before = devices.len();
        devices.retain(|d| d.user_id != user_id);
        Ok(before - devices.len())
    }
}

#[derive(Default)]
pub struct CollectedDiagnostics(pub RefCell<Vec<String>>);

impl Diagnostics for CollectedDiagnostics {
    fn log(&self, line: &str) {
        self.0.borrow_mut().push(line.to_string());
    }
}

/// A key-encryption key made of one repeated byte.
/// A request from `ip_address` with `user_agent`, in `accept_language` when given.
pub fn request_from(
    ip_address: &str,
    user_agent: &str,
    accept_language: Option<&str>,
) -> crate::events::RequestContext {
    crate::events::RequestContext {
        ip_address: Some(ip_address.into()),
        user_agent: Some(user_agent.into()),
        accept_language: accept_language.map(str::to_string),
        device: None,
        device_token: None,
        url: None,
    }
}

pub fn key_encryption_key(byte: u8) -> KeyEncryptionKey {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([byte; 32]);
    // 32 bytes of base64url always parse.
    KeyEncryptionKey::parse(&encoded).unwrap_or_else(|_| unreachable!())
}

/// An active user with no password.
pub fn user(id: &str, email: &str) -> User {
    User {
        profile: Default::default(),
        id: id.into(),
        email: email.into(),
        email_verified: false,
        name: Some("Ada".into()),
        given_name: None,
        family_name: None,
        external_id: None,
        password_hash: None,
        status: UserStatus::Active,
        created_at: FixedClock::START,
        updated_at: FixedClock::START,
        last_login_at: None,
        tokens_valid_after: None,
    }
}

/// A confidential client for APIs: `api`, secret `s3cret` (Basic `YXBpOnMzY3JldA==`),
/// `client_credentials` only, scope `orders:read`.
pub fn api_client() -> Client {
    Client {
        id: "api".into(),
        client_type: ClientType::Confidential,
        secret_hash: Some(format!("sha256:{}", crate::crypto::sha256_hex("s3cret"))),
        grant_types: vec!["client_credentials".into()],
        allowed_scopes: crate::oauth::scope::Scopes::parse("orders:read"),
        ..demo_client()
    }
}

/// Stores a day-long grant of `demo` to `user_id` (`openid email offline_access`, signed
/// in with a password now) with a refresh-token family, keeping the person as stored and
/// listed in their grant index; returns its first refresh token.
pub fn refresh_family(t: &TestPorts, user_id: &str) -> String {
    grant_of(t, user_id, "demo", &"g".repeat(43))
}

/// [`refresh_family`] for `client_id`, with the grant id `grant_id` (a handle).
pub fn grant_of(t: &TestPorts, user_id: &str, client_id: &str, grant_id: &str) -> String {
    use crate::oauth::grant::{GrantRef, RefreshState};
    let now = t.clock.now();
    let holder = t.users.users.borrow().get(user_id).map(User::holder);
    let (refresh, secret) = RefreshState::start("k".repeat(43), &"r".repeat(43), now);
    let grant = Grant {
        user_id: user_id.into(),
        client_id: client_id.into(),
        scopes: crate::oauth::scope::Scopes::parse("openid email offline_access"),
        auth_time: now,
        amr: crate::amr::Amr::password(),
        created_at: now,
        expires_at: now.plus_seconds(86_400),
        revoked: false,
        refresh: Some(refresh),
        holder,
        place: None,
    };
    let reference = GrantRef::of(grant_id).as_str().to_string();
    t.grant_index
        .rows
        .borrow_mut()
        .push((user_id.into(), reference.clone(), grant.expires_at));
    t.grants.grants.borrow_mut().insert(reference, grant);
    format!("{grant_id}.{secret}")
}

/// A person `id` (`{id}@example.com`) stored now, as the account API sees them after a
/// sign-in this instant through the demo client.
pub fn signed_in_account(t: &TestPorts, id: &str) -> crate::passkeys::account::Account {
    let someone = user(id, &format!("{id}@example.com"));
    t.users
        .users
        .borrow_mut()
        .insert(someone.id.clone(), someone.clone());
    crate::passkeys::account::Account {
        user: someone,
        client: demo_client(),
        auth_time: Some(t.clock.now().as_seconds()),
        multi_factor: false,
        grant: None,
    }
}

/// The demo client of the tests: public, for `https://shop.example`.
pub fn demo_client() -> Client {
    Client {
        id: "demo".into(),
        name: "Portcullis Demo".into(),
        client_type: ClientType::Public,
        redirect_uris: vec!["https://shop.example/callback".into()],
        allowed_origins: vec!["https://shop.example".into()],
        allowed_scopes: crate::oauth::scope::Scopes::parse(
            "openid profile email offline_access account",
        ),
        secret_hash: None,
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        post_logout_redirect_uris: vec!["https://shop.example/".into()],
        requires_verified_email: false,
        mfa: crate::clients::MfaPolicy::Off,
        email_second_factor: false,
        theme: None,
        access_token_ttl: 600,
        id_token_ttl: 600,
        refresh_token_ttl: 86_400,
        protection: Default::default(),
        groups_claim: None,
        claims: Default::default(),
        profile: Default::default(),
    }
}

/// What `request.cf` says of a request from Paris (FR, AS3215).
pub fn paris() -> Signals {
    Signals {
        country: crate::signals::Country::parse("FR"),
        asn: Some(3215),
        coordinates: crate::signals::Coordinates::new(48.8566, 2.3522),
        anonymous: false,
    }
}

/// What `request.cf` says of a request from Auckland (NZ, AS9500): 18,500 km from Paris.
pub fn auckland() -> Signals {
    Signals {
        country: crate::signals::Country::parse("NZ"),
        asn: Some(9500),
        coordinates: crate::signals::Coordinates::new(-36.8485, 174.7633),
        anonymous: false,
    }
}

/// The request's signals, set by the test (Cloudflare's `request.cf` in a deployment).
#[derive(Default)]
pub struct SetSignals(pub RefCell<Signals>);

impl SetSignals {
    pub fn set(&self, signals: Signals) {
        *self.0.borrow_mut() = signals;
    }
}

impl SignalSource for SetSignals {
    fn signals(&self) -> Signals {
        self.0.borrow().clone()
    }
}

#[derive(Default)]
pub struct MemoryRiskStore {
    places: RefCell<HashMap<String, Place>>,
    /// (device hash, user id) → expiry.
    devices: RefCell<HashMap<(String, String), UnixMillis>>,
}

impl MemoryRiskStore {
    /// Every stored device hash.
    pub fn device_hashes(&self) -> Vec<String> {
        self.devices
            .borrow()
            .keys()
            .map(|(h, _)| h.clone())
            .collect()
    }
}

#[async_trait(?Send)]
impl RiskStore for MemoryRiskStore {
    async fn last_place(&self, user_id: &str) -> Result<Option<Place>, StoreError> {
        Ok(self.places.borrow().get(user_id).cloned())
    }

    async fn record_place(&self, user_id: &str, place: &Place) -> Result<(), StoreError> {
        self.places
            .borrow_mut()
            .insert(user_id.to_string(), place.clone());
        Ok(())
    }

    async fn remember_device(
        &self,
        device_hash: &str,
        user_id: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.devices
            .borrow_mut()
            .insert((device_hash.to_string(), user_id.to_string()), expires_at);
        Ok(())
    }

    async fn knows_device(
        &self,
        device_hash: &str,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let key = (device_hash.to_string(), user_id.to_string());
        Ok(self.devices.borrow().get(&key).is_some_and(|e| now < *e))
    }

    async fn forget_devices(&self, user_id: &str) -> Result<usize, StoreError> {
        let mut devices = self.devices.borrow_mut();
        let before = devices.len();
        devices.retain(|(_, user), _| user != user_id);
        Ok(before - devices.len())
    }
}

/// A stand-in for Cloudflare's siteverify, answering in its JSON format: a token it
/// issued is a success once, then `timeout-or-duplicate`; any other token is
/// `invalid-input-response`.
#[derive(Default)]
pub struct StandInTurnstile {
    issued: RefCell<HashMap<String, (UnixMillis, bool)>>,
    calls: Cell<usize>,
    down: Cell<bool>,
}

impl StandInTurnstile {
    /// A token for a challenge solved now.
    pub fn issue(&self, clock: &FixedClock) -> String {
        let token = format!("0.stand-in-token-{}", self.issued.borrow().len());
        self.issued
            .borrow_mut()
            .insert(token.clone(), (clock.now(), false));
        token
    }

    /// How many times siteverify was asked.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    /// From now on siteverify cannot be reached.
    pub fn go_down(&self) {
        self.down.set(true);
    }
}

#[async_trait(?Send)]
impl HumanCheck for StandInTurnstile {
    async fn siteverify(
        &self,
        token: &str,
        _remote_ip: Option<&str>,
    ) -> Result<String, OutboundError> {
        self.calls.set(self.calls.get() + 1);
        if self.down.get() {
            return Err(OutboundError("connection refused".into()));
        }
        let mut issued = self.issued.borrow_mut();
        let answer = match issued.get_mut(token) {
            None => {
                serde_json::json!({"success": false, "error-codes": ["invalid-input-response"]})
            }
            Some((_, true)) => {
                serde_json::json!({"success": false, "error-codes": ["timeout-or-duplicate"]})
            }
            Some((at, used)) => {
                *used = true;
                serde_json::json!({
                    "success": true,
                    "challenge_ts": crate::events::rfc3339(*at),
                    "hostname": "localhost",
                    "error-codes": [],
                    "action": "",
                    "cdata": "",
                })
            }
        };
        Ok(answer.to_string())
    }
}

/// A stand-in for Pwned Passwords' range API, answering `SUFFIX:COUNT` lines padded
/// with count-0 lines, as the real API does with `Add-Padding: true`.
#[derive(Default)]
pub struct StandInPwnedPasswords {
    breached: RefCell<Vec<String>>,
    asked: RefCell<Vec<String>>,
    down: Cell<bool>,
}

impl StandInPwnedPasswords {
    /// Lists `password` as breached.
    pub fn add(&self, password: &str) {
        use sha1::{Digest, Sha1};
        let hash: String = Sha1::digest(password.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        self.breached.borrow_mut().push(hash);
    }

    /// The prefixes asked for so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }

    pub fn go_down(&self) {
        self.down.set(true);
    }
}

#[async_trait(?Send)]
impl BreachedPasswords for StandInPwnedPasswords {
    async fn range(&self, prefix: &str) -> Result<String, OutboundError> {
        self.asked.borrow_mut().push(prefix.to_string());
        if self.down.get() {
            return Err(OutboundError("connection refused".into()));
        }
        let mut lines: Vec<String> = self
            .breached
            .borrow()
            .iter()
            .filter_map(|h| h.strip_prefix(prefix))
            .map(|suffix| format!("{suffix}:42"))
            .collect();
        for i in 0..5 {
            lines.push(format!("{:035X}:0", 0xABCDEF + i));
        }
        Ok(lines.join("\r\n"))
    }
}

pub struct TestPorts {
    pub clock: FixedClock,
    pub random: SeededRandom,
    pub one_time: MemoryOneTimeStore,
    pub clients: MemoryClientStore,
    pub users: MemoryUserStore,
    pub groups: MemoryGroupStore,
    pub factors: MemoryFactorStore,
    pub sessions: MemorySessionStore,
    pub consents: MemoryConsentStore,
    pub deletions: MemoryDeletionStore,
    pub events: MemoryEventLog,
    pub keys: MemoryKeyStore,
    pub grants: MemoryGrantStore,
    pub grant_index: MemoryGrantIndex,
    pub cache_version: MemoryCacheVersion,
    pub deferred: MemoryDeferred,
    pub counters: MemoryCounters,
    pub mailer: MemoryMailer,
    pub hooks: MemoryHookStore,
    pub inline_hooks: MemoryInlineHookStore,
    pub http: FnTransport,
    pub settings: Settings,
    pub diagnostics: CollectedDiagnostics,
    pub signals: SetSignals,
    pub risk: MemoryRiskStore,
    pub human_check: StandInTurnstile,
    pub breaches: StandInPwnedPasswords,
    /// Keeps nothing unless a test sets a time to live ([`TestPorts::with_cache_ttl`]).
    pub cache: IsolateCache,
}

impl TestPorts {
    pub fn new() -> TestPorts {
        let clients = MemoryClientStore::default();
        clients.insert(demo_client());
        TestPorts {
            clock: FixedClock::new(),
            random: SeededRandom::new(42),
            one_time: MemoryOneTimeStore::default(),
            clients,
            users: MemoryUserStore::default(),
            groups: MemoryGroupStore::default(),
            factors: MemoryFactorStore::default(),
            sessions: MemorySessionStore::default(),
            consents: MemoryConsentStore::default(),
            deletions: MemoryDeletionStore::default(),
            events: MemoryEventLog::default(),
            keys: MemoryKeyStore::default(),
            grants: MemoryGrantStore::default(),
            grant_index: MemoryGrantIndex::default(),
            cache_version: MemoryCacheVersion::default(),
            deferred: MemoryDeferred::default(),
            counters: MemoryCounters::default(),
            mailer: MemoryMailer::default(),
            hooks: MemoryHookStore::default(),
            inline_hooks: MemoryInlineHookStore::default(),
            http: FnTransport::default(),
            settings: Settings {
                key_encryption_key: Some(key_encryption_key(1)),
                rp_id: None,
                mail_from: "Portcullis <no-reply@portcullis.test>".into(),
                reset_revokes_tokens: true,
                turnstile_site_key: Some("1x00000000000000000000AA".into()),
                turnstile_script_url: crate::attack::turnstile::SCRIPT_URL.into(),
                account_deletion_grace_seconds: crate::account_deletion::DEFAULT_GRACE_SECONDS,
                log_retention_days: crate::logs::retention::DEFAULT_DAYS,
                max_grants_per_person: crate::holders::DEFAULT_MAX_GRANTS_PER_PERSON,
            },
            diagnostics: CollectedDiagnostics::default(),
            signals: SetSignals::default(),
            risk: MemoryRiskStore::default(),
            human_check: StandInTurnstile::default(),
            breaches: StandInPwnedPasswords::default(),
            cache: IsolateCache::disabled(),
        }
    }

    /// In-memory ports whose isolate cache keeps keys and clients for `ttl_seconds`.
    pub fn with_cache_ttl(ttl_seconds: u64) -> TestPorts {
        TestPorts {
            cache: IsolateCache::new(ttl_seconds),
            ..TestPorts::new()
        }
    }

    pub fn ports(&self) -> Ports<'_> {
        Ports {
            clock: &self.clock,
            random: &self.random,
            one_time: &self.one_time,
            clients: &self.clients,
            users: &self.users,
            directory: &self.users,
            groups: &self.groups,
            credentials: &self.users,
            factors: &self.factors,
            sessions: &self.sessions,
            consents: &self.consents,
            deletions: &self.deletions,
            events: &self.events,
            keys: &self.keys,
            grants: &self.grants,
            grant_index: &self.grant_index,
            cache_version: &self.cache_version,
            deferred: &self.deferred,
            counters: &self.counters,
            mailer: &self.mailer,
            mailbox: Some(&self.mailer),
            hooks: &self.hooks,
            inline_hooks: &self.inline_hooks,
            connections: &self.users,
            upstream_tokens: &self.users,
            http: &self.http,
            settings: &self.settings,
            diagnostics: &self.diagnostics,
            signals: &self.signals,
            risk: &self.risk,
            human_check: &self.human_check,
            breaches: &self.breaches,
            signers: &crate::ports::SoftwareSigners,
            jws: &crate::crypto::jws_verify::SoftwareJws,
            cache: &self.cache,
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
