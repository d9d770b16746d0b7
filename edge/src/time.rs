//! Time as the core keeps it: milliseconds since the Unix epoch, from the
//! [`Clock`](crate::ports::Clock) port (the standard library's clock panics on wasm32).

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// This instant plus `seconds`, saturating instead of overflowing.
    pub fn plus_seconds(self, seconds: u64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(seconds.saturating_mul(1000)))
    }
}
