//! A software passkey this project did not write: 1Password's `passkey` crate (a WebAuthn
//! client over a CTAP2 authenticator with an in-memory credential store).

#![allow(dead_code)]

pub mod http;

use passkey::authenticator::{Authenticator, MemoryStore, UiHint, UserCheck, UserValidationMethod};
use passkey::client::Client;
use passkey::crypto::rust_crypto::RustCryptoBackend;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::Passkey;

/// A person who is always present and can verify.
pub struct Person {
    pub verifies: bool,
}

#[async_trait::async_trait]
impl UserValidationMethod for Person {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Self::PasskeyItem>,
        _presence: bool,
        _verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence: true,
            verification: self.verifies,
        })
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(self.verifies)
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }
}

pub type SoftClient =
    Client<MemoryStore, Person, RustCryptoBackend, public_suffix::PublicSuffixList, ()>;

pub fn client(verifies: bool) -> SoftClient {
    let authenticator = Authenticator::new(
        Aaguid::new_empty(),
        MemoryStore::new(),
        Person { verifies },
        RustCryptoBackend,
    );
    Client::new(authenticator)
}
