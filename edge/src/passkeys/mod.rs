//! Passkeys: the WebAuthn ceremonies (see [`crate::webauthn`]) wired to accounts, sign-in
//! flows and storage.
//!
//! - [`sign_in`]: assertion options for a flow (usernameless, autofill, or for an email)
//!   and the assertion that completes it.
//! - [`sign_up`]: an account whose only sign-in method is a passkey.
//! - [`account`]: the signed-in person's passkeys: list, add, rename, delete.
//!
//! Every challenge is 32 random bytes, stored in the one-time store under its own value
//! with what it was issued for ([`Pending`]): a response is accepted only for the
//! ceremony, flow and account its challenge was bound to, and only once.

pub mod account;
pub mod sign_in;
pub mod sign_up;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_shared::api::PasskeySummary;
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{AuthenticatorTransport, PubKeyCredParams, PublicKeyCredentialDescriptor};

use crate::error::Error;
use crate::one_time::OneTime;
use crate::ports::{Ports, StoredCredential, UnixMillis};
use crate::webauthn::client_data::ClientData;
use crate::webauthn::cose::SUPPORTED_ALGORITHMS;
use crate::webauthn::{CeremonyError, RelyingParty};

/// How long a challenge may be answered; also the `timeout` given to the browser.
pub const CHALLENGE_TTL_SECONDS: u64 = 300;
/// Passkey names, in characters after trimming.
pub const MAX_NAME_CHARS: usize = 64;
const CHALLENGE_BYTES: usize = 32;

/// What a challenge was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ceremony", rename_all = "snake_case")]
pub(crate) enum Pending {
    /// Assertion options for a sign-in flow. `account` is set when the options named an
    /// account (allowCredentials): then only its passkeys are accepted. An email without
    /// passkeys gets decoy options and `account: Some(None)`, which no passkey answers.
    SignIn {
        flow_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<Option<String>>,
    },
    /// Creation options for a passkey-only sign-up in a flow.
    SignUp {
        flow_id: String,
        user_id: String,
        email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Creation options for another passkey on a signed-in account.
    AddPasskey { user_id: String },
    /// Assertion options for a second factor after a password: only `user_id`'s
    /// credentials, user verification preferred.
    SecondFactor { flow_id: String, user_id: String },
}

/// Outstanding challenges, named by their base64url bytes (the shape of a handle).
const CHALLENGES: OneTime<Pending> = OneTime::new("webauthn");

/// Issues a fresh challenge bound to `pending`; returns its bytes.
pub(crate) async fn issue_challenge(
    ports: &Ports<'_>,
    pending: &Pending,
) -> Result<Vec<u8>, Error> {
    let mut challenge = vec![0u8; CHALLENGE_BYTES];
    ports
        .random
        .fill(&mut challenge)
        .map_err(|_| Error::RandomUnavailable)?;
    let expires = ports.clock.now().plus_seconds(CHALLENGE_TTL_SECONDS);
    let handle = URL_SAFE_NO_PAD.encode(&challenge);
    CHALLENGES.put(ports, &handle, pending, expires).await?;
    Ok(challenge)
}

/// Takes the challenge `client_data_json` answers (§7.1 step 8, §7.2 step 12: "the
/// challenge equals the one we sent"): it must be one we issued, unused and unexpired.
/// The caller then checks it was issued for this ceremony and flow or account.
pub(crate) async fn take_challenge(
    ports: &Ports<'_>,
    client_data_json: &[u8],
) -> Result<(Vec<u8>, Pending), Error> {
    let client_data = ClientData::parse(client_data_json)?;
    // 32 bytes encode to exactly 43 base64url characters, the shape of our handles: the
    // slot answers nothing for anything else.
    let pending = CHALLENGES
        .take(ports, &client_data.challenge)
        .await?
        .ok_or(CeremonyError::MismatchedChallenge)?;
    let challenge = URL_SAFE_NO_PAD
        .decode(&client_data.challenge)
        .map_err(|_| CeremonyError::MismatchedChallenge)?;
    Ok((challenge, pending))
}

/// What the challenge `client_data_json` answers was issued for, without using it up
/// (for deciding how to answer before the ceremony's own checks run).
pub(crate) async fn peek_challenge(ports: &Ports<'_>, client_data_json: &[u8]) -> Option<Pending> {
    let client_data = ClientData::parse(client_data_json).ok()?;
    CHALLENGES
        .peek(ports, &client_data.challenge)
        .await
        .ok()
        .flatten()
}

/// The relying party for ceremonies of a client: the deployment's RP ID, and the
/// issuer's origin plus the origins the client allows.
pub fn relying_party(ports: &Ports<'_>, issuer: &str, client_origins: &[String]) -> RelyingParty {
    let mut origins = vec![issuer.to_string()];
    origins.extend(client_origins.iter().cloned());
    origins.dedup();
    RelyingParty {
        id: rp_id(ports, issuer),
        origins,
    }
}

/// The RP ID: the `RP_ID` setting, or the issuer's host.
pub fn rp_id(ports: &Ports<'_>, issuer: &str) -> String {
    if let Some(id) = &ports.settings.rp_id {
        return id.clone();
    }
    let authority = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
    let host = authority.split('/').next().unwrap_or_default();
    host.rsplit_once(':')
        .map_or(host, |(host, _port)| host)
        .to_string()
}

/// `pubKeyCredParams`: the algorithms the ceremonies verify (§5.4 step 19 of §7.1).
pub(crate) fn credential_parameters() -> Vec<PubKeyCredParams> {
    SUPPORTED_ALGORITHMS
        .iter()
        .map(|&alg| PubKeyCredParams {
            type_: "public-key".into(),
            alg,
        })
        .collect()
}

pub(crate) fn descriptor(credential: &StoredCredential) -> PublicKeyCredentialDescriptor {
    PublicKeyCredentialDescriptor {
        type_: "public-key".into(),
        id: credential.record.id.clone(),
        transports: transports(&credential.transports),
    }
}

fn transports(names: &[String]) -> Option<Vec<AuthenticatorTransport>> {
    let known: Vec<AuthenticatorTransport> =
        names.iter().filter_map(|name| name.parse().ok()).collect();
    (!known.is_empty()).then_some(known)
}

/// Transports as the browser reported them, kept for `allowCredentials` hints.
pub(crate) fn transport_names(reported: Option<&[AuthenticatorTransport]>) -> Vec<String> {
    reported
        .unwrap_or_default()
        .iter()
        .filter(|t| !matches!(t, AuthenticatorTransport::Unknown))
        .map(|t| t.as_ref().to_string())
        .collect()
}

/// The name a new passkey gets: "Passkey", then "Passkey 2", "Passkey 3", …
pub(crate) fn default_name(existing: &[StoredCredential]) -> String {
    let taken = |name: &str| existing.iter().any(|c| c.name == name);
    if !taken("Passkey") {
        return "Passkey".into();
    }
    (2..)
        .map(|n| format!("Passkey {n}"))
        .find(|name| !taken(name))
        .unwrap_or_else(|| "Passkey".into())
}

/// A person-chosen passkey name: trimmed, 1–[`MAX_NAME_CHARS`] characters, no control
/// characters.
pub(crate) fn clean_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::InvalidField("name"));
    }
    Ok(name.to_string())
}

pub(crate) fn summary(credential: &StoredCredential) -> PasskeySummary {
    PasskeySummary {
        id: URL_SAFE_NO_PAD.encode(&credential.record.id),
        name: credential.name.clone(),
        created_at: seconds(credential.created_at),
        last_used_at: credential.last_used_at.map(seconds),
        backed_up: credential.record.backup_state,
    }
}

fn seconds(at: UnixMillis) -> u64 {
    at.as_seconds()
}

/// The user handle of an account: its opaque id (never an email or name, §14.6.1).
pub(crate) fn user_handle(user_id: &str) -> Vec<u8> {
    user_id.as_bytes().to_vec()
}

/// A credential id from the wire (`PublicKeyCredential.id`, base64url).
pub(crate) fn decode_credential_id(id: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .ok()
        .filter(|bytes| !bytes.is_empty() && bytes.len() <= crate::webauthn::MAX_CREDENTIAL_ID_LEN)
}

#[cfg(test)]
mod tests;
