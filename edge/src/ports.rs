//! The traits the core needs from its runtime.
//!
//! Time, randomness, signing and storage are injected so the same core runs natively in
//! tests (see [`crate::testing`]) and in wasm on Workers (see `platform::cloudflare`).
//! `std::time::SystemTime::now()` panics on wasm32: time always comes from [`Clock`].

use async_trait::async_trait;

use crate::clients::Client;

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// This instant plus `seconds`, saturating instead of overflowing.
    pub fn plus_seconds(self, seconds: u64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(seconds.saturating_mul(1000)))
    }
}

/// The current time.
pub trait Clock {
    fn now(&self) -> UnixMillis;
}

/// A cryptographically secure random source.
pub trait SecureRandom {
    /// Fills `dest` with random bytes, or fails if the platform has no entropy to give.
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// The platform's random source failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomUnavailable;

/// Signs messages with the deployment's current signing key.
#[async_trait(?Send)]
pub trait Signer {
    /// The JOSE `kid` of the current key.
    fn key_id(&self) -> &str;
    /// The JOSE `alg` this signer produces, e.g. `ES256`.
    fn algorithm(&self) -> &'static str;
    /// The signature over `message`, in the JOSE encoding of [`Signer::algorithm`]
    /// (for ES256, the 64-byte `r ‖ s`).
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Signing failed; the detail is for logs only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

/// A storage backend failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `put` found the key already present.
    Conflict,
    /// The backend could not be reached or answered with an error; the detail is for logs.
    Unavailable(String),
}

/// Single-use values: sign-in flow handles, authorization codes, WebAuthn challenges,
/// reset and magic-link tokens.
///
/// Implementations must make [`OneTimeStore::take`] atomic and strongly consistent: of
/// any number of concurrent takes of one key, exactly one sees the value. Eventually
/// consistent stores (Workers KV) do not qualify.
#[async_trait(?Send)]
pub trait OneTimeStore {
    /// Stores `value` under `key` until `expires_at`. Fails with [`StoreError::Conflict`]
    /// if the key is already present, so a value is never silently replaced.
    async fn put(&self, key: &str, value: &str, expires_at: UnixMillis) -> Result<(), StoreError>;

    /// Removes `key` and returns its value if it was present and not expired at `now`.
    async fn take(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError>;
}

/// Registered OAuth clients.
#[async_trait(?Send)]
pub trait ClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
}

/// The ports one request is handled with.
pub struct Ports<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn SecureRandom,
    pub one_time: &'a dyn OneTimeStore,
    pub clients: &'a dyn ClientStore,
}
