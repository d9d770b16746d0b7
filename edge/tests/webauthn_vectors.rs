//! The WebAuthn ceremonies against a registration and an assertion captured from
//! Chromium's virtual CTAP2 authenticator (`vectors/webauthn-chromium-virtual-ctap2.json`,
//! made by `scripts/capture-webauthn-vectors.mjs`).

#![allow(clippy::unwrap_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_edge::webauthn::authentication::{self, AssertionResponse, PendingAuthentication};
use portcullis_edge::webauthn::registration::{self, AttestationResponse, PendingRegistration};
use portcullis_edge::webauthn::{CeremonyError, RelyingParty};
use serde_json::Value;

fn vector() -> Value {
    serde_json::from_str(include_str!("vectors/webauthn-chromium-virtual-ctap2.json")).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

fn rp(v: &Value) -> RelyingParty {
    RelyingParty {
        id: v["rp_id"].as_str().unwrap().into(),
        origins: vec![v["origin"].as_str().unwrap().into()],
    }
}

#[test]
fn webauthn_7_1_and_7_2_a_chromium_passkey_registers_and_its_assertion_verifies() {
    let v = vector();
    let reg = &v["registration"];
    let record = registration::verify(
        &rp(&v),
        &PendingRegistration {
            challenge: bytes(&reg["challenge"]),
            user_verification_required: true,
        },
        &AttestationResponse {
            client_data_json: &bytes(&reg["client_data_json"]),
            attestation_object: &bytes(&reg["attestation_object"]),
        },
        |_| false,
    )
    .unwrap();
    assert_eq!(record.id, bytes(&v["credential_id"]));
    assert!(record.uv_initialized);

    let auth = &v["authentication"];
    let assertion = |challenge: &[u8], rp: &RelyingParty| {
        authentication::verify(
            rp,
            &PendingAuthentication {
                challenge: challenge.to_vec(),
                user_verification_required: true,
            },
            &record,
            &AssertionResponse {
                credential_id: &bytes(&v["credential_id"]),
                client_data_json: &bytes(&auth["client_data_json"]),
                authenticator_data: &bytes(&auth["authenticator_data"]),
                signature: &bytes(&auth["signature"]),
            },
        )
    };
    let verified = assertion(&bytes(&auth["challenge"]), &rp(&v)).unwrap();
    assert!(!verified.counter_regressed);
    assert_eq!(bytes(&auth["user_handle"]), b"user-1");

    assert_eq!(
        assertion(b"another challenge", &rp(&v)).err(),
        Some(CeremonyError::MismatchedChallenge)
    );
    let other_origin = RelyingParty {
        origins: vec!["http://localhost:1".into()],
        ..rp(&v)
    };
    assert_eq!(
        assertion(&bytes(&auth["challenge"]), &other_origin).err(),
        Some(CeremonyError::InvalidOrigin)
    );
}
