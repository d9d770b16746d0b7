//! The WebAuthn ceremonies (§7.1, §7.2) against responses from a software authenticator
//! this project did not write: 1Password's `passkey` crate (client + CTAP2
//! authenticator), and mutations of those responses for every rule that must refuse.

#![allow(clippy::unwrap_used)]

mod common;

use common::{client, SoftClient};
use passkey::client::DefaultClientData;
use passkey::crypto::iana;
use passkey::types::webauthn::*;
use portcullis_edge::webauthn::authentication::{self, AssertionResponse, PendingAuthentication};
use portcullis_edge::webauthn::registration::{self, AttestationResponse, PendingRegistration};
use portcullis_edge::webauthn::{CeremonyError, CredentialRecord, RelyingParty};
use url::Url;

const ORIGIN: &str = "https://id.example.com";
const RP_ID: &str = "id.example.com";

fn rp() -> RelyingParty {
    RelyingParty {
        id: RP_ID.into(),
        origins: vec![ORIGIN.into()],
    }
}

struct Created {
    client_data_json: Vec<u8>,
    attestation_object: Vec<u8>,
}

fn create(client: &mut SoftClient, origin: &str, challenge: &[u8]) -> Created {
    create_with(
        client,
        origin,
        challenge,
        UserVerificationRequirement::Required,
    )
}

/// `navigator.credentials.create()` for a discoverable ES256 passkey.
fn create_with(
    client: &mut SoftClient,
    origin: &str,
    challenge: &[u8],
    user_verification: UserVerificationRequirement,
) -> Created {
    let request = CredentialCreationOptions {
        public_key: PublicKeyCredentialCreationOptions {
            rp: PublicKeyCredentialRpEntity {
                id: None,
                name: "Portcullis".into(),
            },
            user: PublicKeyCredentialUserEntity {
                id: vec![7u8; 16].into(),
                display_name: "Ada".into(),
                name: "ada@example.com".into(),
            },
            challenge: challenge.to_vec().into(),
            pub_key_cred_params: vec![PublicKeyCredentialParameters {
                ty: PublicKeyCredentialType::PublicKey,
                alg: iana::Algorithm::ES256,
            }],
            timeout: None,
            exclude_credentials: None,
            authenticator_selection: Some(AuthenticatorSelectionCriteria {
                authenticator_attachment: None,
                resident_key: Some(ResidentKeyRequirement::Required),
                require_resident_key: true,
                user_verification,
            }),
            hints: None,
            attestation: AttestationConveyancePreference::None,
            attestation_formats: None,
            extensions: None,
        },
    };
    let origin = Url::parse(origin).unwrap();
    let created = pollster::block_on(client.register(&origin, request, DefaultClientData)).unwrap();
    Created {
        client_data_json: created.response.client_data_json.to_vec(),
        attestation_object: created.response.attestation_object.to_vec(),
    }
}

struct Asserted {
    credential_id: Vec<u8>,
    client_data_json: Vec<u8>,
    authenticator_data: Vec<u8>,
    signature: Vec<u8>,
}

/// `navigator.credentials.get()` naming the credential (the authenticator's in-memory
/// store finds credentials by id only).
fn get(client: &mut SoftClient, credential_id: &[u8], challenge: &[u8]) -> Asserted {
    let request = CredentialRequestOptions {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: challenge.to_vec().into(),
            timeout: None,
            rp_id: Some(RP_ID.into()),
            allow_credentials: Some(vec![PublicKeyCredentialDescriptor {
                ty: PublicKeyCredentialType::PublicKey,
                id: credential_id.to_vec().into(),
                transports: None,
            }]),
            user_verification: UserVerificationRequirement::Required,
            hints: None,
            attestation: AttestationConveyancePreference::None,
            attestation_formats: None,
            extensions: None,
        },
    };
    let origin = Url::parse(ORIGIN).unwrap();
    let got = pollster::block_on(client.authenticate(&origin, request, DefaultClientData)).unwrap();
    Asserted {
        credential_id: got.raw_id.to_vec(),
        client_data_json: got.response.client_data_json.to_vec(),
        authenticator_data: got.response.authenticator_data.to_vec(),
        signature: got.response.signature.to_vec(),
    }
}

fn pending_registration(challenge: &[u8]) -> PendingRegistration {
    PendingRegistration {
        challenge: challenge.to_vec(),
        user_verification_required: true,
    }
}

fn register(created: &Created, challenge: &[u8]) -> Result<CredentialRecord, CeremonyError> {
    registration::verify(
        &rp(),
        &pending_registration(challenge),
        &AttestationResponse {
            client_data_json: &created.client_data_json,
            attestation_object: &created.attestation_object,
        },
        |_| false,
    )
}

fn assert_with(
    record: &CredentialRecord,
    asserted: &Asserted,
    challenge: &[u8],
    rp: &RelyingParty,
) -> Result<authentication::Verified, CeremonyError> {
    authentication::verify(
        rp,
        &PendingAuthentication {
            challenge: challenge.to_vec(),
            user_verification_required: true,
        },
        record,
        &AssertionResponse {
            credential_id: &asserted.credential_id,
            client_data_json: &asserted.client_data_json,
            authenticator_data: &asserted.authenticator_data,
            signature: &asserted.signature,
        },
    )
}

/// A registered passkey and the client holding it.
fn registered() -> (SoftClient, CredentialRecord) {
    let mut client = client(true);
    let created = create(&mut client, ORIGIN, b"registration-challenge-32-bytes!");
    let record = register(&created, b"registration-challenge-32-bytes!").unwrap();
    (client, record)
}

#[test]
fn webauthn_7_1_and_7_2_a_software_passkey_registers_and_signs_in() {
    let (mut client, record) = registered();
    assert!(record.uv_initialized);
    assert!(!record.id.is_empty());
    let asserted = get(&mut client, &record.id, b"authentication-challenge-32bytes");
    let verified = assert_with(
        &record,
        &asserted,
        b"authentication-challenge-32bytes",
        &rp(),
    )
    .unwrap();
    assert_eq!(verified.updated.id, record.id);
}

#[test]
fn webauthn_7_1_step_8_wrong_challenge() {
    let mut client = client(true);
    let created = create(&mut client, ORIGIN, b"the challenge the client signed!");
    assert_eq!(
        register(&created, b"a different challenge we issued!"),
        Err(CeremonyError::MismatchedChallenge)
    );
}

#[test]
fn webauthn_7_1_step_9_wrong_origin() {
    let mut client = client(true);
    let created = create(
        &mut client,
        "https://evil.example.com",
        b"registration-challenge-32-bytes!",
    );
    assert_eq!(
        register(&created, b"registration-challenge-32-bytes!"),
        Err(CeremonyError::InvalidOrigin)
    );
}

#[test]
fn webauthn_7_2_step_15_wrong_rp_id() {
    let (mut client, record) = registered();
    let asserted = get(&mut client, &record.id, b"authentication-challenge-32bytes");
    let other = RelyingParty {
        id: "other.example.com".into(),
        origins: vec![ORIGIN.into()],
    };
    assert_eq!(
        assert_with(
            &record,
            &asserted,
            b"authentication-challenge-32bytes",
            &other
        )
        .err(),
        Some(CeremonyError::InvalidRpIdHash)
    );
}

#[test]
fn webauthn_7_1_step_15_uv_required_but_not_performed() {
    let mut client = client(false);
    let created = create_with(
        &mut client,
        ORIGIN,
        b"registration-challenge-32-bytes!",
        UserVerificationRequirement::Discouraged,
    );
    assert_eq!(
        register(&created, b"registration-challenge-32-bytes!"),
        Err(CeremonyError::UserNotVerified)
    );
}

#[test]
fn webauthn_7_2_steps_16_to_18_flags_altered_after_signing_break_the_signature_or_are_refused() {
    let (mut client, record) = registered();
    let challenge = b"authentication-challenge-32bytes";
    let asserted = get(&mut client, &record.id, challenge);
    // UP cleared.
    let mut no_up = Asserted { ..clone(&asserted) };
    no_up.authenticator_data[32] &= !0x01;
    assert_eq!(
        assert_with(&record, &no_up, challenge, &rp()).err(),
        Some(CeremonyError::UserNotPresent)
    );
    // UV cleared.
    let mut no_uv = clone(&asserted);
    no_uv.authenticator_data[32] &= !0x04;
    assert_eq!(
        assert_with(&record, &no_uv, challenge, &rp()).err(),
        Some(CeremonyError::UserNotVerified)
    );
    // BS set without BE.
    let mut bs = clone(&asserted);
    bs.authenticator_data[32] = (bs.authenticator_data[32] & !0x08) | 0x10;
    assert_eq!(
        assert_with(&record, &bs, challenge, &rp()).err(),
        Some(CeremonyError::InvalidBackupFlags)
    );
}

fn clone(a: &Asserted) -> Asserted {
    Asserted {
        credential_id: a.credential_id.clone(),
        client_data_json: a.client_data_json.clone(),
        authenticator_data: a.authenticator_data.clone(),
        signature: a.signature.clone(),
    }
}

#[test]
fn webauthn_7_2_step_21_signature_over_altered_data_fails() {
    let (mut client, record) = registered();
    let challenge = b"authentication-challenge-32bytes";
    let mut asserted = get(&mut client, &record.id, challenge);
    let last = asserted.authenticator_data.len() - 1;
    asserted.authenticator_data[last] ^= 0x01; // the signature counter's low byte
    assert_eq!(
        assert_with(&record, &asserted, challenge, &rp()).err(),
        Some(CeremonyError::BadSignature)
    );
}

#[test]
fn webauthn_7_2_step_12_a_reused_challenge_is_a_mismatch_for_the_next_ceremony() {
    let (mut client, record) = registered();
    let first = get(&mut client, &record.id, b"authentication-challenge-32bytes");
    assert!(assert_with(&record, &first, b"authentication-challenge-32bytes", &rp()).is_ok());
    // The next ceremony has a fresh challenge; replaying the old response fails.
    assert_eq!(
        assert_with(&record, &first, b"a-fresh-challenge-for-next-time!", &rp()).err(),
        Some(CeremonyError::MismatchedChallenge)
    );
}

#[test]
fn webauthn_7_2_step_22_a_counter_that_does_not_increase_is_reported() {
    let (mut client, record) = registered();
    let asserted = get(&mut client, &record.id, b"authentication-challenge-32bytes");
    let ahead = CredentialRecord {
        sign_count: u32::MAX,
        ..record
    };
    let verified = assert_with(
        &ahead,
        &asserted,
        b"authentication-challenge-32bytes",
        &rp(),
    )
    .unwrap();
    assert!(verified.counter_regressed);
}

#[test]
fn webauthn_7_1_step_26_a_credential_id_already_registered_is_refused() {
    let mut client = client(true);
    let created = create(&mut client, ORIGIN, b"registration-challenge-32-bytes!");
    let result = registration::verify(
        &rp(),
        &pending_registration(b"registration-challenge-32-bytes!"),
        &AttestationResponse {
            client_data_json: &created.client_data_json,
            attestation_object: &created.attestation_object,
        },
        |_| true,
    );
    assert_eq!(result, Err(CeremonyError::CredentialAlreadyRegistered));
}

#[test]
fn webauthn_7_2_an_assertion_for_another_credential_is_unknown() {
    let (mut client, record) = registered();
    let mut asserted = get(&mut client, &record.id, b"authentication-challenge-32bytes");
    asserted.credential_id = vec![1, 2, 3];
    assert_eq!(
        assert_with(
            &record,
            &asserted,
            b"authentication-challenge-32bytes",
            &rp()
        )
        .err(),
        Some(CeremonyError::UnknownCredential)
    );
}
