//! The traits the core needs from its runtime.
//!
//! Time, randomness, signing and storage are injected so the same core runs natively in
//! tests (see [`crate::testing`]) and in wasm on Workers (see `platform::cloudflare`).
//! The standard library's system clock panics on wasm32: time always comes from [`Clock`].

use async_trait::async_trait;

use crate::client_settings::{ClientResource, ClientSettings};
use crate::clients::Client;
use crate::crypto::es256::Es256Signer;
use crate::crypto::sealing::KeyEncryptionKey;
use crate::federation::connection::{Connection, FederatedIdentity};
use crate::federation::settings::{ConnectionResource, ConnectionSettings, SecretChange};
use crate::hooks::model::{
    Attempt, DeliveryMessage, DeliveryRecord, DeliveryStatus, EventHook, HookRecord, InlineHook,
    InlineHookKind, InlineHookRecord, PageCursor, WebhookRequest,
};
use crate::oauth::grant::{Grant, GrantCommand, GrantReply};
use crate::oauth::jwks::JwkSet;
use crate::oauth::key_ring::SoftwareCheck;
use crate::signals::{Place, Signals};
use crate::users::{Session, User};
use crate::webauthn::CredentialRecord;
use portcullis_shared::system_log::SystemLogEvent;

pub use crate::crypto::random::{RandomUnavailable, SecureRandom};
pub use crate::crypto::signer::{SignError, SignatureCheck, Signer};
pub use crate::time::UnixMillis;

/// The current time.
pub trait Clock {
    fn now(&self) -> UnixMillis;
}

/// Makes the [`Signer`] of an opened signing key, and the [`SignatureCheck`] of the
/// published keys: the platform's fastest way to sign and verify (WebCrypto on Workers,
/// `p256` natively). Called once per key ring an isolate loads, not per token.
#[async_trait(?Send)]
pub trait SignerFactory {
    async fn signer(&self, key: Es256Signer) -> Box<dyn Signer>;

    /// Checks with `p256` unless the platform has a faster way.
    async fn check(&self, published: &JwkSet) -> Box<dyn SignatureCheck> {
        Box::new(SoftwareCheck::new(published))
    }
}

/// Signs in software with `p256`: the signer is the key itself.
pub struct SoftwareSigners;

#[async_trait(?Send)]
impl SignerFactory for SoftwareSigners {
    async fn signer(&self, key: Es256Signer) -> Box<dyn Signer> {
        Box::new(key)
    }
}

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

    /// Returns `key`'s value if it is present and not expired at `now`, leaving it in
    /// place. Only for checks that decide nothing single-use (is this flow alive?).
    async fn peek(&self, key: &str, now: UnixMillis) -> Result<Option<String>, StoreError>;
}

/// Registered OAuth clients.
#[async_trait(?Send)]
pub trait ClientStore {
    async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
    /// The allowed origins of every enabled client, deduplicated.
    async fn allowed_origins(&self) -> Result<Vec<String>, StoreError>;

    // What the admin API (`/admin/v1/clients`) reads and writes; disabled clients too.

    /// Every registered client, by id.
    async fn list(&self) -> Result<Vec<ClientResource>, StoreError>;
    /// One registered client, enabled or not.
    async fn read(&self, client_id: &str) -> Result<Option<ClientResource>, StoreError>;
    /// Registers a client; [`StoreError::Conflict`] if its id is taken.
    async fn create(
        &self,
        settings: &ClientSettings,
        secret_hash: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Replaces a client's settings, keeping its secret (dropped if it becomes public),
    /// creation time and disabled state. `false`: no such client.
    async fn replace(&self, settings: &ClientSettings, now: UnixMillis)
        -> Result<bool, StoreError>;
    /// Deletes a client. `false`: no such client.
    async fn delete(&self, client_id: &str) -> Result<bool, StoreError>;
    /// Sets a confidential client's secret hash. `false`: no such confidential client.
    async fn set_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
}

/// People who sign in.
#[async_trait(?Send)]
pub trait UserStore {
    /// The user with this normalised email (see [`crate::users::normalize_email`]).
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Adds `user`; fails with [`StoreError::Conflict`] if the id or email is taken.
    async fn create(&self, user: &User) -> Result<(), StoreError>;
    /// Notes a successful sign-in, replacing the password hash when it was upgraded.
    async fn record_sign_in(
        &self,
        id: &str,
        at: UnixMillis,
        new_password_hash: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Marks the user's email address verified.
    async fn set_email_verified(&self, id: &str, at: UnixMillis) -> Result<(), StoreError>;
    /// Sets a new password hash; with `revoke_tokens`, every token and grant issued
    /// before `at` dies (`tokens_valid_after`).
    async fn set_password(
        &self,
        id: &str,
        password_hash: &str,
        at: UnixMillis,
        revoke_tokens: bool,
    ) -> Result<(), StoreError>;
    /// Removes the password and kills every token and grant issued before `at`
    /// (`tokens_valid_after`): what was set before the address was proven.
    async fn reset_credentials(&self, id: &str, at: UnixMillis) -> Result<(), StoreError>;
}

/// One page of a user search (SCIM `filter`, `startIndex`, `count`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserQuery {
    /// `None`: every user.
    pub filter: Option<crate::scim::filter::UserFilter>,
    /// How many matching users to skip, oldest first.
    pub offset: u64,
    /// How many to return at most.
    pub limit: u64,
}

/// A page of users, and how many matched in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub total: u64,
    pub users: Vec<User>,
}

/// What administrators do to users (SCIM): search, change, erase. Deleted
/// (deprovisioned) users are never found by [`Directory::search`].
#[async_trait(?Send)]
pub trait Directory {
    async fn search(&self, query: &UserQuery) -> Result<UserPage, StoreError>;
    /// Writes `user`'s address, profile, status and `tokens_valid_after` if the stored
    /// user was last changed at `expected` (optimistic concurrency: `If-Match`);
    /// `false` if it changed since. [`StoreError::Conflict`] if the address is taken.
    async fn update(&self, user: &User, expected: UnixMillis) -> Result<bool, StoreError>;
    /// Erases the user's personal data (address, names, password, passkeys)
    /// and marks them deprovisioned, keeping the pseudonymous id that the System Log
    /// names; strips the address from the events they acted in.
    async fn erase(&self, id: &str, at: UnixMillis) -> Result<(), StoreError>;
}

/// A group of people (SCIM Group): what clients read as roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    /// Unique, compared case-insensitively.
    pub display_name: String,
    pub external_id: Option<String>,
    /// User ids, in the order they were added.
    pub members: Vec<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// Groups and their members.
#[async_trait(?Send)]
pub trait GroupStore {
    /// Adds `group`; [`StoreError::Conflict`] if its name is taken.
    async fn create(&self, group: &Group) -> Result<(), StoreError>;
    async fn find(&self, id: &str) -> Result<Option<Group>, StoreError>;
    /// Groups oldest first, only the one named `display_name` (case-insensitively) when
    /// given; and how many there are in all.
    async fn list(
        &self,
        display_name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Group>), StoreError>;
    /// Writes `group` (name, external id, the whole member list) if it was last changed
    /// at `expected`; `false` if it changed since. [`StoreError::Conflict`] if the name
    /// is taken.
    async fn update(&self, group: &Group, expected: UnixMillis) -> Result<bool, StoreError>;
    /// `false` if there was no such group.
    async fn delete(&self, id: &str) -> Result<bool, StoreError>;
    /// The names of the groups `user_id` is in, by name.
    async fn names_for(&self, user_id: &str) -> Result<Vec<String>, StoreError>;
    /// Takes the user out of every group (when the user is erased).
    async fn remove_user(&self, user_id: &str) -> Result<(), StoreError>;
}

/// A passkey as stored: the WebAuthn credential record and what people see of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub user_id: String,
    pub record: CredentialRecord,
    /// `AuthenticatorTransport` values the browser reported at registration.
    pub transports: Vec<String>,
    pub name: String,
    pub created_at: UnixMillis,
    pub last_used_at: Option<UnixMillis>,
}

/// Passkeys (WebAuthn credential records), several per user. Credential ids are unique
/// across all users.
#[async_trait(?Send)]
pub trait CredentialStore {
    /// Adds a passkey to an existing user; [`StoreError::Conflict`] if the id is taken.
    async fn create(&self, credential: &StoredCredential) -> Result<(), StoreError>;
    /// Creates `user` and their first passkey together, or neither (passkey-only sign-up);
    /// [`StoreError::Conflict`] if the user's id or email or the credential id is taken.
    async fn create_with_user(
        &self,
        user: &User,
        credential: &StoredCredential,
    ) -> Result<(), StoreError>;
    async fn find(&self, credential_id: &[u8]) -> Result<Option<StoredCredential>, StoreError>;
    /// The user's passkeys, oldest first.
    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredCredential>, StoreError>;
    /// Stores the record as updated by a verified assertion (§7.2 step 24).
    async fn record_use(&self, record: &CredentialRecord, at: UnixMillis)
        -> Result<(), StoreError>;
    /// Renames the user's passkey; `false` if the user has no such passkey.
    async fn rename(
        &self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError>;
    /// Deletes the user's passkey; `false` if the user has no such passkey.
    async fn delete(&self, user_id: &str, credential_id: &[u8]) -> Result<bool, StoreError>;
}

/// An authenticator app (TOTP) enrolled as a second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTotp {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// The shared secret, sealed with the factor's id as the record (see
    /// [`crate::crypto::sealing`]).
    pub sealed_secret: String,
    pub created_at: UnixMillis,
    pub last_used_at: Option<UnixMillis>,
}

/// A device remembered for an account after a second factor (see
/// [`crate::mfa::remembered`]): the SHA-256 of its current token, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeviceToken {
    pub id: String,
    pub user_id: String,
    /// The client whose widget holds the token; it is good for no other.
    pub client_id: String,
    pub token_hash: String,
    /// What the person sees in their list: the browser and system it was remembered on.
    pub name: String,
    pub created_at: UnixMillis,
    /// Fixed when the second factor was proven: using the token never extends it.
    pub expires_at: UnixMillis,
    pub last_used_at: Option<UnixMillis>,
}

/// Second factors: authenticator apps and recovery codes. (Passkeys and security keys,
/// which also serve as second factors, are in the [`CredentialStore`].)
#[async_trait(?Send)]
pub trait FactorStore {
    /// Adds an authenticator app; [`StoreError::Conflict`] if the id is taken.
    async fn add_totp(&self, factor: &StoredTotp) -> Result<(), StoreError>;
    /// The user's authenticator apps, oldest first.
    async fn totp_for(&self, user_id: &str) -> Result<Vec<StoredTotp>, StoreError>;
    /// Deletes the user's authenticator app; `false` if the user has no such factor.
    async fn delete_totp(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Records that the code of time `step` was accepted for factor `id`, only if no
    /// code of this or a later step was accepted before, atomically: `false` means the
    /// code was used already (RFC 6238 §5.2), however many arrive at once.
    async fn use_totp_step(&self, id: &str, step: u64, at: UnixMillis) -> Result<bool, StoreError>;
    /// Replaces the user's recovery codes with these hashes.
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Deletes the user's recovery code with this hash, atomically: `true` for exactly
    /// one of any number of concurrent uses of one code.
    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError>;
    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user_id: &str) -> Result<u32, StoreError>;
    /// Remembers a device; [`StoreError::Conflict`] if the id or hash is taken.
    async fn add_device_token(&self, device: &StoredDeviceToken) -> Result<(), StoreError>;
    /// The live device of `token_hash`, if it belongs to `user_id` and `client_id`.
    async fn find_device_token(
        &self,
        token_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<Option<StoredDeviceToken>, StoreError>;
    /// Replaces the live token `old_hash` of `user_id` at `client_id` with `new_hash`,
    /// atomically: `true` for exactly one of any number of concurrent uses of one token.
    async fn rotate_device_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        user_id: &str,
        client_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// The user's live remembered devices, oldest first.
    async fn device_tokens_for(
        &self,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<Vec<StoredDeviceToken>, StoreError>;
    /// Forgets one of the user's devices; `false` if the user has no such device.
    async fn forget_device_token(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Forgets all the user's devices; how many there were.
    async fn forget_device_tokens(&self, user_id: &str) -> Result<usize, StoreError>;
}

/// SSO sessions of the hosted sign-in page, keyed by the SHA-256 of the cookie's handle.
#[async_trait(?Send)]
pub trait SessionStore {
    async fn create(&self, id_hash: &str, session: &Session) -> Result<(), StoreError>;
    /// The session if it exists and has not expired at `now`.
    async fn find(&self, id_hash: &str, now: UnixMillis) -> Result<Option<Session>, StoreError>;
    async fn delete(&self, id_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of the user.
    async fn delete_for_user(&self, user_id: &str) -> Result<(), StoreError>;
    /// The user's sessions that have not expired at `now`.
    async fn for_user(&self, user_id: &str, now: UnixMillis) -> Result<Vec<Session>, StoreError>;
}

/// One consent record as stored (see `edge/migrations/0017_consents.sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConsent {
    pub id: String,
    pub user_id: String,
    pub purpose: String,
    pub document_version: String,
    pub text_sha256: String,
    pub state: portcullis_shared::consent::ConsentState,
    pub recorded_at: UnixMillis,
    pub method: portcullis_shared::consent::ConsentMethod,
    pub locale: Option<String>,
    pub client_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub gpc: bool,
    pub event_id: String,
}

/// Consent records: append-only, read back only by the person they belong to.
#[async_trait(?Send)]
pub trait ConsentStore {
    async fn append(&self, record: &StoredConsent) -> Result<(), StoreError>;
    /// Every record of the user, newest first.
    async fn for_user(&self, user_id: &str) -> Result<Vec<StoredConsent>, StoreError>;
}

/// An account deletion waiting for its grace period to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledDeletion {
    pub user_id: String,
    pub requested_at: UnixMillis,
    pub due_at: UnixMillis,
    /// SHA-256 (hex) of the cancel link's token.
    pub cancel_token_hash: String,
    pub client_id: String,
}

/// Account deletions asked for by their owners.
#[async_trait(?Send)]
pub trait DeletionStore {
    /// Schedules the deletion, replacing one already scheduled for the user (and so
    /// the link that would have cancelled it).
    async fn schedule(&self, deletion: &ScheduledDeletion) -> Result<(), StoreError>;
    /// Removes and returns the deletion the link's token cancels, atomically: one of
    /// any number of concurrent uses gets it.
    async fn cancel(
        &self,
        cancel_token_hash: &str,
    ) -> Result<Option<ScheduledDeletion>, StoreError>;
    /// The user's scheduled deletion.
    async fn find(&self, user_id: &str) -> Result<Option<ScheduledDeletion>, StoreError>;
    /// At most `limit` deletions due at `now`, oldest first.
    async fn due(
        &self,
        now: UnixMillis,
        limit: usize,
    ) -> Result<Vec<ScheduledDeletion>, StoreError>;
    /// Removes the user's deletion if it is due at `now`, atomically: `true` for exactly
    /// one of concurrent claims, which then erases the account.
    async fn claim_due(&self, user_id: &str, now: UnixMillis) -> Result<bool, StoreError>;
}

/// An email to send: both a plain-text and an HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail transport failed; the detail is for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError(pub String);

/// Outbound email.
#[async_trait(?Send)]
pub trait Mailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// A message kept by the development mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMail {
    pub id: String,
    pub mail: Mail,
    pub created_at: UnixMillis,
}

/// The development mailbox: where mail goes instead of out when developing, readable by
/// people and tests. Never configured in a deployment.
#[async_trait(?Send)]
pub trait Mailbox {
    /// Messages to `to` (normalised), newest first, at most `limit`.
    async fn messages(&self, to: &str, limit: usize) -> Result<Vec<KeptMail>, StoreError>;
}

/// The System Log. Appending an event already recorded (same `uuid`) changes nothing, so
/// a queue may deliver a batch twice.
#[async_trait(?Send)]
pub trait EventLog {
    async fn append(&self, event: &SystemLogEvent) -> Result<(), StoreError>;
    /// The events `query` selects, in its order (see [`crate::logs::query::LogQuery::compile`]).
    async fn query(
        &self,
        query: &crate::logs::query::LogQuery,
    ) -> Result<Vec<SystemLogEvent>, StoreError>;

    /// At most `limit` events whose actor or one of whose targets is the user, newest
    /// first.
    async fn about_user(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<SystemLogEvent>, StoreError>;

    /// Deletes at most `limit` of the events published before `before`, oldest first;
    /// how many it deleted (see [`crate::logs::retention`]).
    async fn delete_before(&self, before: UnixMillis, limit: u32) -> Result<u32, StoreError>;

    /// Appends every event, all or none where the store allows.
    async fn append_all(&self, events: &[SystemLogEvent]) -> Result<(), StoreError> {
        for event in events {
            self.append(event).await?;
        }
        Ok(())
    }
}

/// Event hooks and the state of their deliveries.
#[async_trait(?Send)]
pub trait HookStore {
    /// Every enabled hook.
    async fn enabled(&self) -> Result<Vec<EventHook>, StoreError>;
    async fn find(&self, id: &str) -> Result<Option<EventHook>, StoreError>;
    /// Records planned deliveries as pending and returns the ids it recorded; one already
    /// recorded (same id) is left as it is and not returned.
    async fn create_deliveries(
        &self,
        deliveries: &[DeliveryMessage],
        at: UnixMillis,
    ) -> Result<Vec<String>, StoreError>;
    /// Forgets pending deliveries that could not be enqueued, so that planning them again
    /// records (and enqueues) them again.
    async fn discard_deliveries(&self, ids: &[String]) -> Result<(), StoreError>;
    /// Where a delivery stands; `None` if it is not recorded.
    async fn delivery_status(
        &self,
        delivery_id: &str,
    ) -> Result<Option<DeliveryStatus>, StoreError>;
    /// Records an attempt (a success marks the delivery delivered); returns the number of
    /// attempts made so far, this one included.
    async fn record_attempt(&self, delivery_id: &str, attempt: &Attempt)
        -> Result<u32, StoreError>;
    /// Ends a delivery without success: dead-lettered or cancelled.
    async fn finish(
        &self,
        delivery_id: &str,
        status: DeliveryStatus,
        at: UnixMillis,
    ) -> Result<(), StoreError>;

    /// Up to `limit` hooks, verified or not, in order of creation, after `after`.
    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<HookRecord>, StoreError>;
    /// One hook, verified or not.
    async fn record(&self, id: &str) -> Result<Option<HookRecord>, StoreError>;
    /// Stores a new hook with its sealed secret; [`StoreError::Conflict`] if the id exists.
    async fn insert(&self, hook: &HookRecord, sealed_secret: &str) -> Result<(), StoreError>;
    /// Writes everything of `hook` but its secrets and creation time, in one statement, so
    /// a URL is never stored with another URL's verification; `false` if it is gone.
    async fn update(&self, hook: &HookRecord) -> Result<bool, StoreError>;
    /// Makes `sealed_secret` the current secret and the current one the previous, signing
    /// beside it until `previous_until`, in one statement; `false` if the hook is gone.
    async fn rotate_secret(
        &self,
        id: &str,
        sealed_secret: &str,
        previous_until: UnixMillis,
        at: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Deletes a hook and its deliveries; `false` if there was none. Deliveries still
    /// queued for it are then cancelled by the consumer.
    async fn remove(&self, id: &str) -> Result<bool, StoreError>;
    /// Up to `limit` deliveries of a hook (of one status, if given), newest first, made
    /// before `before`.
    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<DeliveryStatus>,
        before: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError>;
}

/// Inline hooks, at most one of a kind for a client (or for every client).
#[async_trait(?Send)]
pub trait InlineHookStore {
    /// The enabled hook of `kind` for `client_id`, or the one for every client.
    async fn find(
        &self,
        kind: InlineHookKind,
        client_id: &str,
    ) -> Result<Option<InlineHook>, StoreError>;
    /// Up to `limit` hooks in order of creation, after `after`.
    async fn list(
        &self,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<InlineHookRecord>, StoreError>;
    async fn record(&self, id: &str) -> Result<Option<InlineHookRecord>, StoreError>;
    /// Stores a new hook with its sealed secret; [`StoreError::Conflict`] if its kind
    /// already has a hook for the same client (or for every client).
    async fn insert(&self, hook: &InlineHookRecord, sealed_secret: &str) -> Result<(), StoreError>;
    /// Deletes a hook; `false` if there was none.
    async fn remove(&self, id: &str) -> Result<bool, StoreError>;
}

/// The endpoint could not be reached, or did not answer in time; the detail is for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

/// What an endpoint answered: the status, header names in lower case, and at most
/// [`MAX_ANSWER_BYTES`] of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The most of an answer's body that is read.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// Outbound HTTP to the customer's endpoints (event and inline hooks) and to upstream
/// sign-in providers (discovery, keys, token endpoint). Redirects are not followed.
#[async_trait(?Send)]
pub trait WebhookTransport {
    /// POSTs `request` and returns the answer, giving up after `timeout_ms`.
    async fn post(
        &self,
        request: &WebhookRequest,
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError>;

    /// GETs `url` with `headers` and returns the answer, giving up after `timeout_ms`.
    async fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
        timeout_ms: u64,
    ) -> Result<HttpAnswer, TransportError>;
}

/// A key could not be used (malformed, or refused by the platform); the detail is for
/// logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyUnavailable(pub String);

/// Verifies JWS signatures with a provider's public key (a JWK, as published): for the
/// ID tokens of sign-in providers. WebCrypto on Workers (native code, no RSA in the
/// wasm), a JOSE library natively.
#[async_trait(?Send)]
pub trait JwsVerifier {
    /// Whether `signature` is `algorithm`'s signature of `signing_input` by `jwk`.
    async fn verify(
        &self,
        algorithm: crate::federation::id_token::Algorithm,
        jwk: &serde_json::Value,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifyUnavailable>;
}

/// Federation connections and the identities people hold at them (see
/// [`crate::federation`]).
#[async_trait(?Send)]
pub trait ConnectionStore {
    /// Every enabled connection, in the order clients show them.
    async fn enabled(&self) -> Result<Vec<Connection>, StoreError>;
    /// The identity `subject` at `connection_id`, whoever it is linked to.
    async fn identity(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<FederatedIdentity>, StoreError>;
    /// The user's identities, oldest first.
    async fn identities_for(&self, user_id: &str) -> Result<Vec<FederatedIdentity>, StoreError>;
    /// Links `identity` to its user; [`StoreError::Conflict`] if `(connection, subject)`
    /// is linked already (to anyone).
    async fn link(&self, identity: &FederatedIdentity) -> Result<(), StoreError>;
    /// Creates `user` and links `identity` to it together, or neither (first sign-in
    /// through a provider); [`StoreError::Conflict`] if the address or the identity is
    /// taken.
    async fn create_user_with_identity(
        &self,
        user: &User,
        identity: &FederatedIdentity,
    ) -> Result<(), StoreError>;
    /// Unlinks the user's identity `id`; `false` if the user has no such identity.
    async fn unlink(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Notes a sign-in through the identity.
    async fn record_use(&self, id: &str, at: UnixMillis) -> Result<(), StoreError>;
    /// Every connection, enabled or not, in the order clients show them (admin API).
    async fn all_connections(&self) -> Result<Vec<ConnectionResource>, StoreError>;
    /// The connection `id`, enabled or not.
    async fn connection(&self, id: &str) -> Result<Option<ConnectionResource>, StoreError>;
    /// Registers a connection; [`StoreError::Conflict`] if its id is taken.
    async fn create_connection(
        &self,
        settings: &ConnectionSettings,
        sealed_client_secret: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Replaces the settings of connection `settings.id` (and its secret as `secret`
    /// says); `false` if there is no such connection.
    async fn replace_connection(
        &self,
        settings: &ConnectionSettings,
        secret: SecretChange<'_>,
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Deletes connection `id` and every identity linked through it, together; `false`
    /// if there is no such connection.
    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError>;
}

/// What a sign-in provider handed over for one linked identity, as kept: the tokens
/// sealed (see [`crate::federation::upstream_tokens`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptTokens {
    pub connection_id: String,
    pub subject: String,
    /// The access and refresh tokens, sealed together.
    pub sealed_tokens: String,
    /// When the access token expires; `None`: the provider did not say.
    pub expires_at: Option<UnixMillis>,
    pub scopes: Vec<String>,
    pub updated_at: UnixMillis,
}

/// Upstream tokens kept for linked identities (connections with `store_tokens`). The
/// store erases them with their identity (unlink, account deletion, connection removal).
#[async_trait(?Send)]
pub trait UpstreamTokenStore {
    /// Keeps `tokens`, replacing what was kept for the same identity.
    async fn keep(&self, tokens: &KeptTokens) -> Result<(), StoreError>;
    /// What is kept for `(connection_id, subject)`.
    async fn kept(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<KeptTokens>, StoreError>;
    /// Erases what is kept for `(connection_id, subject)`; `false` if nothing was.
    async fn erase(&self, connection_id: &str, subject: &str) -> Result<bool, StoreError>;
}

/// A token signing key as stored: the private half sealed (see [`crate::crypto::sealing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    /// The public JWK, as JSON.
    pub public_jwk: String,
    pub sealed_private_key: String,
    pub created_at: UnixMillis,
    pub retired_at: Option<UnixMillis>,
}

/// Token signing keys.
#[async_trait(?Send)]
pub trait KeyStore {
    /// Every key, current and retired.
    async fn all(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Adds `key` as the current key of its algorithm unless one is current already, in
    /// which case nothing changes (two isolates generating a first key race harmlessly).
    async fn insert_if_none_current(&self, key: &StoredKey) -> Result<(), StoreError>;
    /// Retires `old_kid` at `at` and makes `new` current, in one transaction.
    async fn rotate(
        &self,
        old_kid: &str,
        at: UnixMillis,
        new: &StoredKey,
    ) -> Result<(), StoreError>;
}

/// Grants: what one authorization-code redemption produced (the refresh-token family and
/// the access tokens minted from it).
///
/// Implementations run [`Grant::apply`] for one grant at a time (a Durable Object per
/// grant), so rotation and revocation are strongly consistent.
#[async_trait(?Send)]
pub trait GrantStore {
    async fn create(&self, grant_id: &str, grant: &Grant) -> Result<(), StoreError>;
    async fn apply(
        &self,
        grant_id: &str,
        command: &GrantCommand,
        now: UnixMillis,
    ) -> Result<GrantReply, StoreError>;
}

/// Which grants each person holds, so that a change to the person reaches every one of
/// them (see [`crate::holders`]). Written when a grant is made and read when a person
/// changes, both away from the hot paths. Names grants by reference, never by id.
#[async_trait(?Send)]
pub trait GrantIndex {
    /// Notes that `user_id` holds the grant at `grant_ref` until `expires_at`.
    async fn add(
        &self,
        user_id: &str,
        grant_ref: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// The references of the person's grants not expired at `now`, oldest first; the
    /// expired ones are forgotten.
    async fn for_person(&self, user_id: &str, now: UnixMillis) -> Result<Vec<String>, StoreError>;
    /// Forgets the person's grants at `grant_refs` (ended by Portcullis).
    async fn remove(&self, user_id: &str, grant_refs: &[String]) -> Result<(), StoreError>;
}

/// Work handed to the queue consumer, to be done after the response (Cloudflare Queues:
/// retried until it succeeds or is dead-lettered).
#[async_trait(?Send)]
pub trait Deferred {
    /// Passes each person as stored now to their grants ([`crate::holders::sync`]) soon,
    /// for changes that reach more people than one request should call on.
    async fn sync_people(&self, people: &[String]) -> Result<(), StoreError>;
}

/// The version of what isolates keep (signing keys, clients; see [`crate::cache`]):
/// moved by every change Portcullis makes to them, read by each isolate at most once per
/// check interval, so every isolate drops what it keeps soon after a change. Strongly
/// consistent (one Durable Object), so a read after a bump sees it.
#[async_trait(?Send)]
pub trait CacheVersion {
    async fn current(&self) -> Result<u64, StoreError>;
    /// Moves to a new version and returns it.
    async fn bump(&self) -> Result<u64, StoreError>;
}

/// Counters in fixed windows, for the limits on guessing and sending: strongly
/// consistent (a Durable Object per key), so concurrent changes are never lost. Every
/// implementation runs [`crate::throttle::next_window`].
///
/// There is deliberately no read: a limit is applied by incrementing first and deciding
/// from the count returned, so concurrent attempts can't all pass one check.
#[async_trait(?Send)]
pub trait Counters {
    /// Adds one to `key`, starting a window of `window_seconds` if none is running;
    /// returns the new count.
    async fn increment(
        &self,
        key: &str,
        window_seconds: u64,
        now: UnixMillis,
    ) -> Result<u32, StoreError>;
    /// Takes back one counted in `key`'s running window (never below zero); returns
    /// the new count, 0 when no window runs.
    async fn decrement(&self, key: &str, now: UnixMillis) -> Result<u32, StoreError>;
    /// Ends `key`'s running window: its count is 0 again.
    async fn reset(&self, key: &str, now: UnixMillis) -> Result<(), StoreError>;
}

/// What the platform knows about where the current request comes from (Cloudflare's
/// `request.cf`); see [`crate::signals`].
pub trait SignalSource {
    fn signals(&self) -> Signals;
}

/// What adaptive sign-on remembers per account: where it last signed in, and the
/// browsers it signed in from (remembered devices, named by the SHA-256 of their
/// cookie's handle).
#[async_trait(?Send)]
pub trait RiskStore {
    /// Where and when the account last signed in, if it has before.
    async fn last_place(&self, user_id: &str) -> Result<Option<Place>, StoreError>;
    /// Replaces the account's last place.
    async fn record_place(&self, user_id: &str, place: &Place) -> Result<(), StoreError>;
    /// Remembers the device for the account until `expires_at` (or extends it).
    async fn remember_device(
        &self,
        device_hash: &str,
        user_id: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Whether the device is remembered for the account at `now`.
    async fn knows_device(
        &self,
        device_hash: &str,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Forgets every remembered device of the account; returns how many there were.
    async fn forget_devices(&self, user_id: &str) -> Result<usize, StoreError>;
}

/// A call to a third-party service failed (unreachable, timed out, or not a 2xx); the
/// detail is for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundError(pub String);

/// Cloudflare Turnstile's server-side validation: `POST` to siteverify with the
/// deployment's secret key. Returns the response body (JSON) for
/// [`crate::attack::turnstile`] to read.
#[async_trait(?Send)]
pub trait HumanCheck {
    async fn siteverify(
        &self,
        token: &str,
        remote_ip: Option<&str>,
    ) -> Result<String, OutboundError>;
}

/// Have I Been Pwned's Pwned Passwords range API (k-anonymity): `GET
/// /range/{first 5 hex digits of the SHA-1}` with `Add-Padding: true`. Returns the body
/// (`SUFFIX:COUNT` lines) for [`crate::attack::breached`] to read.
#[async_trait(?Send)]
pub trait BreachedPasswords {
    async fn range(&self, prefix: &str) -> Result<String, OutboundError>;
}

/// The operators' log (Workers logs): failures the caller is not told about.
pub trait Diagnostics {
    fn log(&self, line: &str);
}

/// Deployment secrets and settings the core needs.
pub struct Settings {
    /// Seals signing keys at rest; without it nothing can be signed.
    pub key_encryption_key: Option<KeyEncryptionKey>,
    /// The WebAuthn RP ID when it is not the issuer's host (a parent domain, say).
    pub rp_id: Option<String>,
    /// The `From` of outgoing mail.
    pub mail_from: String,
    /// Whether a password reset ends the account's sessions and revokes its tokens.
    pub reset_revokes_tokens: bool,
    /// The Turnstile site key the widget renders for clients with the human check on.
    pub turnstile_site_key: Option<String>,
    /// Where the widget loads the Turnstile script from (see
    /// [`crate::attack::turnstile::SCRIPT_URL`]).
    pub turnstile_script_url: String,
    /// How long a deletion the person asked for waits for its cancel link
    /// (`ACCOUNT_DELETION_GRACE_SECONDS`, a week by default).
    pub account_deletion_grace_seconds: u64,
    /// How many days the System Log keeps events (`LOG_RETENTION_DAYS`; see
    /// [`crate::logs::retention`]).
    pub log_retention_days: u32,
    /// How many live grants a person may hold (`MAX_GRANTS_PER_PERSON`); a grant beyond
    /// it ends the person's oldest, so that a change to the person reaches every grant
    /// within one request (see [`crate::holders::register`]).
    pub max_grants_per_person: usize,
}

/// The ports one request is handled with.
pub struct Ports<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn SecureRandom,
    pub one_time: &'a dyn OneTimeStore,
    pub clients: &'a dyn ClientStore,
    pub users: &'a dyn UserStore,
    pub directory: &'a dyn Directory,
    pub groups: &'a dyn GroupStore,
    pub credentials: &'a dyn CredentialStore,
    pub factors: &'a dyn FactorStore,
    pub sessions: &'a dyn SessionStore,
    pub consents: &'a dyn ConsentStore,
    pub deletions: &'a dyn DeletionStore,
    pub events: &'a dyn EventLog,
    pub keys: &'a dyn KeyStore,
    pub grants: &'a dyn GrantStore,
    pub grant_index: &'a dyn GrantIndex,
    /// The version of what isolates keep; see [`crate::cache`].
    pub cache_version: &'a dyn CacheVersion,
    /// Work done by the queue consumer after the response.
    pub deferred: &'a dyn Deferred,
    pub counters: &'a dyn Counters,
    pub mailer: &'a dyn Mailer,
    /// Set only where mail is kept for development instead of sent.
    pub mailbox: Option<&'a dyn Mailbox>,
    pub hooks: &'a dyn HookStore,
    pub inline_hooks: &'a dyn InlineHookStore,
    pub connections: &'a dyn ConnectionStore,
    pub upstream_tokens: &'a dyn UpstreamTokenStore,
    /// Outbound HTTP to the customer's endpoints and to sign-in providers.
    pub http: &'a dyn WebhookTransport,
    pub settings: &'a Settings,
    pub diagnostics: &'a dyn Diagnostics,
    pub signals: &'a dyn SignalSource,
    pub risk: &'a dyn RiskStore,
    pub human_check: &'a dyn HumanCheck,
    pub breaches: &'a dyn BreachedPasswords,
    /// Makes the signer of the current signing key.
    pub signers: &'a dyn SignerFactory,
    /// Verifies sign-in providers' ID token signatures.
    pub jws: &'a dyn JwsVerifier,
    /// What this isolate keeps between requests (keys, clients); see [`crate::cache`].
    pub cache: &'a crate::cache::IsolateCache,
}
