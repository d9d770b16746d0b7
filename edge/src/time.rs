//! Time as the core keeps it: milliseconds since the Unix epoch, from the
//! [`Clock`](crate::ports::Clock) port (the standard library's clock panics on wasm32).

/// Milliseconds since the Unix epoch. Stored as its number; turned into the seconds of
/// JWT claims only at that boundary ([`UnixMillis::as_seconds`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// This instant plus `seconds`, saturating instead of overflowing.
    pub fn plus_seconds(self, seconds: u64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds since the epoch: JWT `iat`, `exp`, `auth_time` (RFC 7519 §2
    /// NumericDate).
    pub fn as_seconds(self) -> u64 {
        self.0 / 1000
    }
}
