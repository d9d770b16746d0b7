//! The random source the core draws every secret from, injected by the platform
//! (`crypto.getRandomValues` on Workers, a seeded generator in native tests).

/// A cryptographically secure random source.
pub trait SecureRandom {
    /// Fills `dest` with random bytes, or fails if the platform has no entropy to give.
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// The platform's random source failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomUnavailable;
