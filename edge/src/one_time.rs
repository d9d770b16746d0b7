//! Typed single-use slots over the [`OneTimeStore`] port: flow handles, authorization
//! codes and their spent markers, WebAuthn challenges, emailed codes and reset tokens.
//!
//! One [`OneTime`] per kind of value holds its key prefix and its serde; every slot is
//! named by the SHA-256 of its handle, so a bearer secret is never a storage name (a
//! reader of the store learns nothing it could present). Handles are the 43-character
//! base64url strings of [`crate::crypto::token`]; anything else names no slot and is
//! answered "not there" without a storage round trip.
//!
//! [`OneTimeStore`]: crate::ports::OneTimeStore

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::crypto::sha256_hex;
use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::ports::Ports;
use crate::time::UnixMillis;

/// The single-use slots of one kind of value `T`.
pub struct OneTime<T> {
    prefix: &'static str,
    value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> OneTime<T> {
    /// Slots whose storage names start with `prefix`.
    pub const fn new(prefix: &'static str) -> Self {
        OneTime {
            prefix,
            value: PhantomData,
        }
    }

    fn key(&self, handle: &str) -> String {
        format!("{}:{}", self.prefix, sha256_hex(handle))
    }

    /// Stores `value` under a fresh random handle until `expires_at`; returns the handle.
    pub async fn issue(
        &self,
        ports: &Ports<'_>,
        value: &T,
        expires_at: UnixMillis,
    ) -> Result<String, Error> {
        let handle = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
        self.put(ports, &handle, value, expires_at).await?;
        Ok(handle)
    }

    /// Stores `value` under `handle` until `expires_at` (a conflict if the slot is full).
    pub async fn put(
        &self,
        ports: &Ports<'_>,
        handle: &str,
        value: &T,
        expires_at: UnixMillis,
    ) -> Result<(), Error> {
        let value = serde_json::to_string(value)
            .map_err(|e| Error::Internal(format!("{}: {e}", self.prefix)))?;
        ports
            .one_time
            .put(&self.key(handle), &value, expires_at)
            .await?;
        Ok(())
    }

    /// Empties the slot and returns its value: `None` if it was empty, expired or
    /// `handle` is not a handle. Atomic: of concurrent takes, one gets the value.
    pub async fn take(&self, ports: &Ports<'_>, handle: &str) -> Result<Option<T>, Error> {
        if !is_handle(handle) {
            return Ok(None);
        }
        let taken = ports
            .one_time
            .take(&self.key(handle), ports.clock.now())
            .await?;
        taken.map(|v| self.parse(&v)).transpose()
    }

    /// The slot's value, left in place: only for checks that decide nothing single-use.
    pub async fn peek(&self, ports: &Ports<'_>, handle: &str) -> Result<Option<T>, Error> {
        if !is_handle(handle) {
            return Ok(None);
        }
        let seen = ports
            .one_time
            .peek(&self.key(handle), ports.clock.now())
            .await?;
        seen.map(|v| self.parse(&v)).transpose()
    }

    fn parse(&self, value: &str) -> Result<T, Error> {
        serde_json::from_str(value).map_err(|e| Error::Internal(format!("{}: {e}", self.prefix)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    const NOTES: OneTime<String> = OneTime::new("note");

    #[test]
    fn a_slot_is_taken_once_and_its_handle_is_never_a_storage_name() {
        let t = TestPorts::new();
        let ports = t.ports();
        let expires = ports.clock.now().plus_seconds(60);
        let handle = pollster::block_on(NOTES.issue(&ports, &"hello".into(), expires)).unwrap();
        assert!(!t.one_time.keys().iter().any(|k| k.contains(&handle)));
        assert_eq!(
            pollster::block_on(NOTES.peek(&ports, &handle)).unwrap(),
            Some("hello".into())
        );
        assert_eq!(
            pollster::block_on(NOTES.take(&ports, &handle)).unwrap(),
            Some("hello".into())
        );
        assert_eq!(
            pollster::block_on(NOTES.take(&ports, &handle)).unwrap(),
            None
        );
    }

    #[test]
    fn what_is_not_a_handle_names_no_slot_and_reaches_no_store() {
        let t = TestPorts::new();
        let ports = t.ports();
        for junk in ["", "short", "flow:../../x", &"A".repeat(44)] {
            assert_eq!(pollster::block_on(NOTES.take(&ports, junk)).unwrap(), None);
        }
        assert_eq!(t.one_time.takes(), 0);
    }

    #[test]
    fn a_slot_expires() {
        let t = TestPorts::new();
        let ports = t.ports();
        let expires = ports.clock.now().plus_seconds(60);
        let handle = pollster::block_on(NOTES.issue(&ports, &"x".into(), expires)).unwrap();
        t.clock.advance_seconds(61);
        assert_eq!(
            pollster::block_on(NOTES.take(&ports, &handle)).unwrap(),
            None
        );
    }
}
