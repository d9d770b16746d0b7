//! The Apple preset: Sign in with Apple is OpenID Connect (discovery at
//! `https://appleid.apple.com`, RS256 ID tokens) with three differences.
//!
//! - **The client secret is a JWT** the client makes: ES256, signed with the Sign in
//!   with Apple private key (`AuthKey_<key id>.p8`, stored sealed as the connection's
//!   secret), `kid` the key id, `iss` the team id, `sub` the client id (the Services
//!   ID), `aud` `https://appleid.apple.com`, valid at most six months. The edge makes a
//!   fresh one for each code exchange, valid five minutes ([`client_secret`]).
//! - **The answer is a form POST** (`response_mode=form_post`): `code`, `state` and,
//!   on the person's first consent only, `user`, a JSON object with their name as they
//!   typed it. `user` is signed by nobody: it only ever names an account the answer
//!   creates ([`first_consent_claims`]; see [`super::linking`]).
//! - **Private relay addresses.** A person may hide their address behind one at
//!   `privaterelay.appleid.com` (`is_private_email`), which forwards to them and is
//!   unique to them and this team: Apple delivers to it, so it is this identity's
//!   verified address ([`private_relay`]). It links to an existing account only as any
//!   address does (a domain the connection is trusted for).

use serde::Serialize;
use serde_json::{Map, Value};

use super::id_token::{says_true, Verified};
use super::Connection;
use crate::crypto::es256::Es256Signer;
use crate::error::Error;
use crate::time::UnixMillis;

/// The client secret's audience, whatever the issuer (Apple's documentation).
pub const CLIENT_SECRET_AUDIENCE: &str = "https://appleid.apple.com";
/// How long a client secret made for one exchange stays valid (Apple allows six months).
pub const CLIENT_SECRET_SECONDS: u64 = 300;
/// Apple's private relay: addresses here forward to the person's own.
pub const PRIVATE_RELAY_DOMAIN: &str = "privaterelay.appleid.com";

#[derive(Serialize)]
struct ClientSecretClaims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    aud: &'a str,
    sub: &'a str,
}

/// The ES256 client secret for one exchange at Apple's token endpoint, signed with
/// `key_pem` (the connection's opened secret).
pub async fn client_secret(
    connection: &Connection,
    key_pem: &str,
    now: UnixMillis,
) -> Result<String, Error> {
    let failed = |what: &str| Error::Internal(format!("connection {}: {what}", connection.id));
    let apple = connection
        .options
        .apple
        .as_ref()
        .ok_or_else(|| failed("no team and key id"))?;
    let key = Es256Signer::from_pkcs8_pem(&apple.key_id, key_pem)
        .map_err(|_| failed("the secret is not a P-256 PKCS #8 key"))?;
    let iat = now.as_seconds();
    let claims = ClientSecretClaims {
        iss: &apple.team_id,
        iat,
        exp: iat + CLIENT_SECRET_SECONDS,
        aud: CLIENT_SECRET_AUDIENCE,
        sub: &connection.client_id,
    };
    crate::oauth::jws::sign_compact(&key, "JWT", &claims)
        .await
        .map_err(|e| failed(&e.0))
}

/// The names in Apple's `user` form field (first consent only:
/// `{"name": {"firstName": …, "lastName": …}, "email": …}`) as OIDC claims
/// (`given_name`, `family_name`, `name`). Its `email` is ignored: only the ID token's
/// address counts. Anything malformed gives nothing.
pub fn first_consent_claims(user: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    let Ok(Value::Object(user)) = serde_json::from_str::<Value>(user) else {
        return claims;
    };
    let name = user.get("name").and_then(Value::as_object);
    let part = |key: &str| {
        name.and_then(|n| n.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (given, family) = (part("firstName"), part("lastName"));
    let full: Vec<&str> = [&given, &family]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !full.is_empty() {
        claims.insert("name".into(), full.join(" ").into());
    }
    if let Some(given) = given {
        claims.insert("given_name".into(), given.into());
    }
    if let Some(family) = family {
        claims.insert("family_name".into(), family.into());
    }
    claims
}

/// Adds the first consent's names to what the ID token said (which never carries them).
pub fn add_first_consent(verified: &mut Verified, user: &str) {
    for (claim, value) in first_consent_claims(user) {
        verified.claims.entry(claim).or_insert(value);
    }
}

/// A private relay address Apple asserts (`is_private_email`, as a boolean or the string
/// `"true"`) is verified: Apple delivers to it.
pub fn private_relay(verified: &mut Verified) {
    let relayed = says_true(verified.claims.get("is_private_email"))
        && verified.email.as_deref().is_some_and(|email| {
            email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(PRIVATE_RELAY_DOMAIN))
        });
    if relayed {
        verified.email_verified = true;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::federation::connection::AppleSettings;
    use crate::testing::{oidc_connection, APPLE_AUTH_KEY as AUTH_KEY};

    fn apple() -> Connection {
        let mut connection = oidc_connection("apple", CLIENT_SECRET_AUDIENCE);
        connection.kind = super::super::ConnectionKind::Apple;
        connection.client_id = "com.example.web".into();
        connection.options.apple = Some(AppleSettings {
            team_id: "TEAM123456".into(),
            key_id: "KEY1234567".into(),
        });
        connection
    }

    fn part(token: &str, n: usize) -> Value {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(n).unwrap())
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn apple_client_secret_is_es256_iss_team_sub_client_aud_apple_and_short_lived() {
        let now = crate::testing::FixedClock::START;
        let token = pollster::block_on(client_secret(&apple(), AUTH_KEY, now)).unwrap();
        assert_eq!(
            part(&token, 0),
            json!({"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"})
        );
        let claims = part(&token, 1);
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.web");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert!(lifetime <= 15_777_000, "Apple: at most six months");
        assert_eq!(lifetime, CLIENT_SECRET_SECONDS);
        // The signature verifies with the key's public half (RFC 7518 §3.4).
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use p256::ecdsa::signature::Verifier;
        let key = Es256Signer::from_pkcs8_pem("k", AUTH_KEY)
            .unwrap()
            .verifying_key();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature =
            p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap())
                .unwrap();
        assert!(key.verify(input.as_bytes(), &signature).is_ok());
    }

    #[test]
    fn apple_client_secret_needs_a_p256_key_and_the_ids() {
        let now = crate::testing::FixedClock::START;
        assert!(pollster::block_on(client_secret(&apple(), "not a key", now)).is_err());
        let mut no_ids = apple();
        no_ids.options.apple = None;
        assert!(pollster::block_on(client_secret(&no_ids, AUTH_KEY, now)).is_err());
    }

    #[test]
    fn apple_user_field_gives_the_names_only_and_never_the_address() {
        let claims = first_consent_claims(
            r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"other@example.com"}"#,
        );
        assert_eq!(
            Value::Object(claims),
            json!({"name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace"})
        );
        for junk in [
            "",
            "[]",
            "{\"name\": 3}",
            "not json",
            "{\"name\":{\"firstName\":\" \"}}",
        ] {
            assert!(first_consent_claims(junk).is_empty(), "{junk}");
        }
    }

    fn verified(email: &str, claims: Value) -> Verified {
        Verified {
            subject: "001234.abc".into(),
            email: Some(email.into()),
            email_verified: false,
            claims: claims.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn apple_private_relay_address_is_the_identitys_verified_address() {
        for flag in [json!(true), json!("true")] {
            let mut relay = verified(
                "x7@privaterelay.appleid.com",
                json!({"is_private_email": flag}),
            );
            private_relay(&mut relay);
            assert!(relay.email_verified);
        }
        // Not at the relay, or not said to be private: nothing changes.
        for (email, claims) in [
            ("ada@example.com", json!({"is_private_email": "true"})),
            (
                "x7@privaterelay.appleid.com",
                json!({"is_private_email": "false"}),
            ),
            (
                "x7@privaterelay.appleid.com.evil.test",
                json!({"is_private_email": true}),
            ),
        ] {
            let mut other = verified(email, claims);
            private_relay(&mut other);
            assert!(!other.email_verified, "{email}");
        }
    }
}
