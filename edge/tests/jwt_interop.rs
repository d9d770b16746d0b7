//! Tokens signed by the edge verify with `jsonwebtoken`, a JOSE library relying parties
//! use, against the published JWK: RFC 7515 (JWS), RFC 7518 §3.4 (ES256), RFC 9068
//! (`typ: at+jwt`), OpenID Connect Core §2 (ID token claims).

// Test code throughout: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use portcullis_edge::crypto::es256::Es256Signer;
use portcullis_edge::oauth::claims::{at_hash, AccessTokenClaims, IdTokenClaims};
use portcullis_edge::oauth::jwks::es256_jwk;
use portcullis_edge::oauth::jws::{sign_compact, TYP_ACCESS_TOKEN, TYP_ID_TOKEN};
use portcullis_edge::testing::SeededRandom;
use serde_json::Value;

const ISS: &str = "https://id.example";
const NOW: u64 = 1_767_225_600;

fn signer() -> Es256Signer {
    let signer = Es256Signer::generate("unnamed", &SeededRandom::new(11)).unwrap();
    // The published kid is the key's RFC 7638 thumbprint.
    let kid = es256_jwk(&signer.verifying_key()).kid;
    signer.with_key_id(kid)
}

fn decoding_key(signer: &Es256Signer) -> DecodingKey {
    let jwk = es256_jwk(&signer.verifying_key());
    DecodingKey::from_ec_components(&jwk.x, &jwk.y).unwrap()
}

fn validation(aud: &str) -> Validation {
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[aud]);
    v.set_issuer(&[ISS]);
    // Fixed timestamps in the past: check signature and claims, not the wall clock.
    v.validate_exp = false;
    v
}

fn id_token_claims(access_token: &str) -> IdTokenClaims {
    IdTokenClaims {
        iss: ISS.into(),
        sub: "user-1".into(),
        aud: "demo".into(),
        exp: NOW + 300,
        iat: NOW,
        auth_time: NOW - 10,
        nonce: Some("n-0S6_WzA2Mj".into()),
        acr: None,
        amr: portcullis_edge::amr::Amr::password(),
        at_hash: Some(at_hash(access_token)),
        email: Some("ada@example.com".into()),
        email_verified: Some(true),
        profile: Default::default(),
        groups: None,
    }
}

#[test]
fn oidc_core_2_id_token_verifies_with_jsonwebtoken_against_the_jwk() {
    let signer = signer();
    let token =
        pollster::block_on(sign_compact(&signer, TYP_ID_TOKEN, &id_token_claims("at"))).unwrap();

    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(
        header.kid.as_deref(),
        Some(es256_jwk(&signer.verifying_key()).kid.as_str())
    );

    let data = decode::<Value>(&token, &decoding_key(&signer), &validation("demo")).unwrap();
    assert_eq!(data.claims["sub"], "user-1");
    assert_eq!(data.claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(data.claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(data.claims["at_hash"], at_hash("at"));
}

#[test]
fn rfc9068_access_token_has_at_jwt_type_and_verifies() {
    let signer = signer();
    let claims = AccessTokenClaims {
        iss: ISS.into(),
        sub: "user-1".into(),
        aud: "https://api.shop.example".into(),
        exp: NOW + 300,
        iat: NOW,
        jti: "j1".into(),
        client_id: "demo".into(),
        scope: "openid email".into(),
        auth_time: Some(NOW - 10),
        acr: Some("0".into()),
        grant: None,
        groups: None,
    };
    let token = pollster::block_on(sign_compact(&signer, TYP_ACCESS_TOKEN, &claims)).unwrap();
    assert_eq!(
        decode_header(&token).unwrap().typ.as_deref(),
        Some("at+jwt")
    );
    let data = decode::<Value>(
        &token,
        &decoding_key(&signer),
        &validation("https://api.shop.example"),
    )
    .unwrap();
    assert_eq!(data.claims["client_id"], "demo");
    assert_eq!(data.claims["scope"], "openid email");
}

#[test]
fn rfc7515_altered_tokens_and_other_keys_do_not_verify() {
    let signer = signer();
    let token =
        pollster::block_on(sign_compact(&signer, TYP_ID_TOKEN, &id_token_claims("at"))).unwrap();

    let other = Es256Signer::generate("other", &SeededRandom::new(99)).unwrap();
    assert!(decode::<Value>(&token, &decoding_key(&other), &validation("demo")).is_err());
    assert!(decode::<Value>(
        &token,
        &decoding_key(&signer),
        &validation("another-client")
    )
    .is_err());

    // Swap in claims for another subject, keeping the signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = id_token_claims("at");
    forged.sub = "admin".into();
    let forged_payload = base64_url(&serde_json::to_vec(&forged).unwrap());
    let forged_token = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(decode::<Value>(&forged_token, &decoding_key(&signer), &validation("demo")).is_err());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
