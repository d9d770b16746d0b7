//! The claims of the tokens this provider issues: ID tokens (OpenID Connect Core §2,
//! §3.1.3.6) and JWT access tokens (RFC 9068 §2.2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::amr::Amr;
use crate::oauth::grant::GrantRef;

/// ID token claims (OIDC Core §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The client's id; a single audience (OIDC Core §2 allows an array; one is simpler
    /// for relying parties to check).
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    /// When the person last actively signed in (required when `max_age` was asked).
    pub auth_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// RFC 8176 authentication method references, e.g. `pwd`, `hwk`, `mfa`.
    #[serde(default, skip_serializing_if = "Amr::is_empty")]
    pub amr: Amr,
    /// OIDC Core §3.1.3.6, present when an access token is issued with the ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The profile's standard claims that the granted scopes release (see
    /// [`crate::profile::claims`]).
    #[serde(flatten)]
    pub profile: std::collections::BTreeMap<String, serde_json::Value>,
    /// The person's groups the client maps (see [`crate::oauth::groups_claim`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// JWT access token claims (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The person, or the client itself for `client_credentials` (RFC 9068 §2.2).
    pub sub: String,
    /// The one resource the token is for (RFC 8707, RFC 9068 §3): the issuer, or the
    /// account API. See [`crate::oauth::resource`].
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated (RFC 9068 §2.2.3).
    pub scope: String,
    /// When the person last actively signed in, seconds since 1970 (RFC 9068 §2.2.1);
    /// a resource that wants a recent sign-in checks it (RFC 9470). Absent when the
    /// token names a client, not a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// The authentication context class of that sign-in (RFC 9068 §2.2.1), so a
    /// resource can ask for a multi-factor one (RFC 9470). Absent for clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The grant this token was minted from, by reference (never its id, which is what
    /// a refresh token is built on); the token dies with the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<GrantRef>,
    /// The person's groups the client maps (see [`crate::oauth::groups_claim`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// OIDC Core §3.1.3.6: base64url of the left half of the SHA-256 hash of the access
/// token's ASCII octets (SHA-256 because both ES256 and RS256 use it).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        access_token: String,
        at_hash: String,
    }

    #[test]
    fn oidc_core_3_1_3_6_at_hash_matches_the_appendix_a_example() {
        let v: Vector = serde_json::from_str(include_str!(
            "../../tests/vectors/oidc-core-appendix-a-at-hash.json"
        ))
        .unwrap();
        assert_eq!(at_hash(&v.access_token), v.at_hash);
    }

    #[test]
    fn optional_id_token_claims_are_omitted_not_null() {
        let claims = IdTokenClaims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: "demo".into(),
            exp: 2,
            iat: 1,
            auth_time: 1,
            nonce: None,
            acr: None,
            amr: Amr::default(),
            at_hash: None,
            email: None,
            email_verified: None,
            profile: Default::default(),
            groups: None,
        };
        let json = serde_json::to_value(&claims).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // Sorted: serde_json may preserve insertion order when a dependency asks it to.
        keys.sort_unstable();
        assert_eq!(keys, ["aud", "auth_time", "exp", "iat", "iss", "sub"]);
    }
}
