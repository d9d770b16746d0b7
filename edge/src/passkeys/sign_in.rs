//! Passkey sign-in in a first-party flow: W3C WebAuthn Level 3 §7.2 "Verifying an
//! Authentication Assertion", around the checks in [`crate::webauthn::authentication`].
//!
//! Options without an email serve usernameless sign-in and passkey autofill (empty
//! `allowCredentials`; the account is found from the credential and its user handle).
//! Options for an email list that account's passkeys; an address without passkeys, or
//! without an account, gets decoy credential ids derived from the address with a
//! deployment secret: stable across requests and shaped like real ones, so the answer
//! does not tell whether the account exists.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs_proto::{
    AllowCredentials, AuthenticatorTransport, PublicKeyCredential,
    PublicKeyCredentialRequestOptions, RequestChallengeResponse, UserVerificationPolicy,
};

use super::{issue_challenge, take_challenge, Pending, CHALLENGE_TTL_SECONDS};
use crate::accounts::Attempt;
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::ports::{Ports, StoredCredential};
use crate::users::{normalize_email, User, UserStatus};
use crate::webauthn::authentication::{self, AssertionResponse, PendingAuthentication};
use crate::webauthn::{CeremonyError, RelyingParty};

/// Shapes real passkeys take in `allowCredentials`: the credential id's length and the
/// transports browsers report for it (`getTransports()`, sorted as the spec says).
/// Decoys take one of these, chosen by the address, so that they look like some real
/// account's: synced platform passkeys (16 and 20 bytes, hybrid and internal) and
/// device-bound platform keys (32 and 64 bytes). Security-key shapes (USB or NFC only)
/// are left out: for them a browser waits for a key to be inserted, so a person with no
/// passkeys would be left waiting instead of being told to use another way.
const DECOY_SHAPES: [(usize, &[AuthenticatorTransport]); 4] = [
    (16, SYNCED),
    (20, SYNCED),
    (32, &[AuthenticatorTransport::Internal]),
    (64, SYNCED),
];
/// What a synced passkey's browser reports: usable here or from a phone.
const SYNCED: &[AuthenticatorTransport] = &[
    AuthenticatorTransport::Hybrid,
    AuthenticatorTransport::Internal,
];

/// `navigator.credentials.get()` options for the flow `flow_id`.
pub async fn options(
    ports: &Ports<'_>,
    rp_id: &str,
    flow_id: &str,
    email: Option<&str>,
) -> Result<RequestChallengeResponse, Error> {
    let (allow_credentials, account) = match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => (Vec::new(), None),
        Some(email) => {
            let email = normalize_email(email).map_err(|_| Error::InvalidField("email"))?;
            let (allow, user_id) = allowed_for(ports, &email).await?;
            (allow, Some(user_id))
        }
    };
    let pending = Pending::SignIn {
        flow_id: flow_id.to_string(),
        account,
    };
    let challenge = issue_challenge(ports, &pending).await?;
    Ok(RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge,
            timeout: Some(timeout_millis()),
            rp_id: rp_id.to_string(),
            allow_credentials,
            user_verification: UserVerificationPolicy::Required,
            hints: None,
            extensions: None,
        },
        mediation: None,
    })
}

/// `navigator.credentials.get()` options for a second factor of `user_id` in the flow
/// `flow_id`: their passkeys and security keys, user verification preferred (the
/// password was the first factor; a key that also verifies the user says so).
pub async fn second_factor_options(
    ports: &Ports<'_>,
    rp_id: &str,
    flow_id: &str,
    user_id: &str,
) -> Result<RequestChallengeResponse, Error> {
    let credentials = ports.credentials.for_user(user_id).await?;
    let pending = Pending::SecondFactor {
        flow_id: flow_id.to_string(),
        user_id: user_id.to_string(),
    };
    let challenge = issue_challenge(ports, &pending).await?;
    Ok(RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge,
            timeout: Some(timeout_millis()),
            rp_id: rp_id.to_string(),
            allow_credentials: credentials.iter().map(allow_credential).collect(),
            user_verification: UserVerificationPolicy::Preferred,
            hints: None,
            extensions: None,
        },
        mediation: None,
    })
}

pub(crate) fn timeout_millis() -> u32 {
    u32::try_from(CHALLENGE_TTL_SECONDS * 1000).unwrap_or(u32::MAX)
}

/// The passkeys of `email`'s account, or decoys; and the account they belong to.
async fn allowed_for(
    ports: &Ports<'_>,
    email: &str,
) -> Result<(Vec<AllowCredentials>, Option<String>), Error> {
    let user = ports
        .users
        .find_by_email(email)
        .await?
        .filter(|u| u.status == UserStatus::Active);
    // Read the credentials table whether or not there is an account, so both answers
    // cost the same storage round trips.
    let user_id = user.as_ref().map_or("", |u| u.id.as_str());
    let credentials = ports.credentials.for_user(user_id).await?;
    if credentials.is_empty() {
        return Ok((decoys(ports, email)?, None));
    }
    let allow = credentials.iter().map(allow_credential).collect();
    Ok((allow, user.map(|u| u.id)))
}

fn allow_credential(credential: &StoredCredential) -> AllowCredentials {
    let descriptor = super::descriptor(credential);
    AllowCredentials {
        type_: descriptor.type_,
        id: descriptor.id,
        transports: descriptor.transports,
    }
}

/// Stable, plausible credentials for an address that has no passkeys: one or (as for
/// some real accounts) two, each of a real shape, derived from the address with a
/// deployment secret so that asking again gives the same answer.
fn decoys(ports: &Ports<'_>, email: &str) -> Result<Vec<AllowCredentials>, Error> {
    let key = ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| Error::Internal("KEY_ENCRYPTION_KEY is not configured".into()))?
        .derive("portcullis passkey decoys v2");
    let seed = crate::crypto::hmac_sha256(&key, email.as_bytes());
    let count = if seed[0].is_multiple_of(5) { 2 } else { 1 };
    Ok((0..count)
        .map(|i| {
            let (len, transports) = DECOY_SHAPES[usize::from(seed[1 + i]) % DECOY_SHAPES.len()];
            // Enough pseudo-random bytes for the longest shape: two HMAC blocks.
            let mut id = Vec::with_capacity(64);
            for block in 0..2u8 {
                id.extend_from_slice(&crate::crypto::hmac_sha256(
                    &key,
                    &[&seed[..], &[i as u8, block]].concat(),
                ));
            }
            id.truncate(len);
            AllowCredentials {
                type_: "public-key".into(),
                id,
                transports: Some(transports.to_vec()),
            }
        })
        .collect())
}

/// Verifies `credential` (the browser's `PublicKeyCredential.toJSON()`) for the flow
/// `flow_id`; returns the person it signs in.
pub async fn verify(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    rp: &RelyingParty,
    flow_id: &str,
    credential: &PublicKeyCredential,
) -> Result<User, Error> {
    verify_for(ports, attempt, rp, flow_id, credential, false).await
}

/// Verifies `credential` as the second factor of the flow `flow_id`, against the
/// options of [`second_factor_options`] only; returns whose key it is.
pub async fn verify_second_factor(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    rp: &RelyingParty,
    flow_id: &str,
    credential: &PublicKeyCredential,
) -> Result<User, Error> {
    verify_for(ports, attempt, rp, flow_id, credential, true).await
}

async fn verify_for(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    rp: &RelyingParty,
    flow_id: &str,
    credential: &PublicKeyCredential,
    second_factor: bool,
) -> Result<User, Error> {
    let result = check(ports, rp, flow_id, credential, second_factor).await;
    let (user, email, reason) = match &result {
        Ok((user, _)) => (Some(user.id.as_str()), Some(user.email.as_str()), None),
        Err((err, user)) => (
            user.as_ref().map(|u| u.id.as_str()),
            user.as_ref().map(|u| u.email.as_str()),
            Some(err.code().as_str()),
        ),
    };
    events::record(
        ports,
        attempt.context,
        EventSpec {
            event_type: types::AUTH_VIA_WEBAUTHN,
            display_message: "User authentication via passkey",
            success: result.is_ok(),
            reason,
            actor_id: user,
            actor_email: email,
            actor_name: None,
            client_id: Some(attempt.client_id),
        },
    )
    .await;
    let (user, counter_regressed) = result.map_err(|(err, _)| err)?;
    if counter_regressed {
        events::record(
            ports,
            attempt.context,
            EventSpec {
                event_type: types::WEBAUTHN_COUNTER_REGRESSED,
                display_message:
                    "Passkey signature counter did not increase: possible cloned authenticator",
                success: false,
                reason: Some("signCount not greater than the stored value"),
                actor_id: Some(&user.id),
                actor_email: Some(&user.email),
                actor_name: None,
                client_id: Some(attempt.client_id),
            },
        )
        .await;
    }
    Ok(user)
}

type Failed = (Error, Option<User>);

async fn check(
    ports: &Ports<'_>,
    rp: &RelyingParty,
    flow_id: &str,
    credential: &PublicKeyCredential,
    second_factor: bool,
) -> Result<(User, bool), Failed> {
    let response = &credential.response;
    // §7.2 step 12 (challenge), and that it was issued for this flow's sign-in.
    let (challenge, pending) = take_challenge(ports, &response.client_data_json)
        .await
        .map_err(|e| (e, None))?;
    // A sign-in needs user verification (a passkey is both factors); a second factor
    // after a password only prefers it.
    let (account, user_verification_required) = match pending {
        Pending::SignIn {
            flow_id: issued_for,
            account,
        } if issued_for == flow_id && !second_factor => (account, true),
        Pending::SecondFactor {
            flow_id: issued_for,
            user_id,
        } if issued_for == flow_id && second_factor => (Some(Some(user_id)), false),
        _ => return Err((CeremonyError::MismatchedChallenge.into(), None)),
    };
    // Steps 5–7: identify the credential and its owner.
    let raw_id = credential.raw_id.as_slice();
    if super::decode_credential_id(&credential.id).as_deref() != Some(raw_id) {
        return Err((CeremonyError::UnknownCredential.into(), None));
    }
    let stored = ports
        .credentials
        .find(raw_id)
        .await
        .map_err(|e| (e.into(), None))?
        .ok_or((CeremonyError::UnknownCredential.into(), None))?;
    // Step 5: with allowCredentials, only the named account's passkeys.
    if let Some(expected) = &account {
        if expected.as_deref() != Some(stored.user_id.as_str()) {
            return Err((CeremonyError::UnknownCredential.into(), None));
        }
    }
    // Step 6: the user handle, when given, names the credential's owner; a usernameless
    // ceremony (no account named) must carry it.
    let handle = super::user_handle(&stored.user_id);
    match response.user_handle.as_deref() {
        Some(given) if given != handle.as_slice() => {
            return Err((CeremonyError::UnknownCredential.into(), None))
        }
        None if account.is_none() => return Err((CeremonyError::UnknownCredential.into(), None)),
        _ => {}
    }
    let user = ports
        .users
        .find_by_id(&stored.user_id)
        .await
        .map_err(|e| (e.into(), None))?
        .ok_or((CeremonyError::UnknownCredential.into(), None))?;
    if user.status != UserStatus::Active {
        return Err((Error::InvalidCredentials, Some(user)));
    }
    // Steps 9–24.
    let verified = authentication::verify(
        rp,
        &PendingAuthentication {
            challenge,
            user_verification_required,
        },
        &stored.record,
        &AssertionResponse {
            credential_id: raw_id,
            client_data_json: &response.client_data_json,
            authenticator_data: &response.authenticator_data,
            signature: &response.signature,
        },
    );
    let verified = match verified {
        Ok(verified) => verified,
        Err(err) => return Err((err.into(), Some(user))),
    };
    let now = ports.clock.now();
    let stored_use = async {
        ports.credentials.record_use(&verified.updated, now).await?;
        ports.users.record_sign_in(&user.id, now, None).await
    };
    if let Err(err) = stored_use.await {
        return Err((err.into(), Some(user)));
    }
    Ok((user, verified.counter_regressed))
}

/// The base64url form of a credential id, as logs and the account API show it.
pub fn encoded_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    #[test]
    fn passkey_option_decoys_look_like_real_accounts_and_stay_the_same() {
        let t = TestPorts::new();
        let ports = t.ports();
        let mut counts = std::collections::BTreeSet::new();
        let mut lengths = std::collections::BTreeSet::new();
        for n in 0..200 {
            let email = format!("nobody{n}@example.com");
            let decoys = decoys(&ports, &email).unwrap();
            let again = super::decoys(&ports, &email).unwrap();
            let ids = |d: &[AllowCredentials]| d.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&decoys), ids(&again), "stable");
            counts.insert(decoys.len());
            for decoy in &decoys {
                lengths.insert(decoy.id.len());
                let shape = DECOY_SHAPES.iter().find(|(len, _)| *len == decoy.id.len());
                let transports = decoy.transports.clone().unwrap_or_default();
                assert_eq!(shape.map(|(_, t)| t.to_vec()), Some(transports.clone()));
                // Browsers report transports sorted (WebAuthn §5.2.1 getTransports()).
                let names: Vec<String> = transports
                    .iter()
                    .map(|t| serde_json::to_string(t).unwrap())
                    .collect();
                let mut sorted = names.clone();
                sorted.sort();
                assert_eq!(names, sorted);
            }
        }
        assert_eq!(counts, [1, 2].into());
        assert_eq!(
            lengths.len(),
            DECOY_SHAPES.len(),
            "every real shape is used"
        );
    }
}
