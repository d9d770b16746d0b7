//! The signing port: what signs tokens with the deployment's current key (`p256` natively,
//! WebCrypto on Workers; see [`crate::ports::SignerFactory`]).

use async_trait::async_trait;

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

/// Checks signatures made with the deployment's published keys (`p256` natively,
/// WebCrypto on Workers; see [`crate::ports::SignerFactory::check`]).
#[async_trait(?Send)]
pub trait SignatureCheck {
    /// Whether `kid` names a published key.
    fn knows(&self, kid: &str) -> bool;
    /// Whether `signature` (the JOSE encoding; for ES256 the 64-byte `r ‖ s`) over
    /// `message` was made with the published key `kid`. `false` for an unknown `kid`.
    async fn verifies(&self, kid: &str, message: &[u8], signature: &[u8]) -> bool;
}

/// Signing failed; the detail is for logs only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);
