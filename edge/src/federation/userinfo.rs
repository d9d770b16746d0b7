//! Claims from the provider's userinfo endpoint (OIDC Core §5.3), for a connection that
//! asks for them (`userinfo: true`), with the access token of the same code exchange,
//! after the ID token validated.
//!
//! The answer is held to the ID token: its `sub` must be the token's (§5.3.2), and what
//! the ID token asserted stands (userinfo only adds claims the token did not carry). An
//! address from userinfo counts as verified only if userinfo itself says so, so an
//! unverified address from userinfo never links an account.

use serde_json::{Map, Value};

use super::id_token::{says_true, Verified};
use super::Connection;
use crate::error::Error;
use crate::ports::Ports;

/// Why a userinfo answer was refused (for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserinfoError {
    /// §5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match
    /// the sub Claim in the ID Token; if they do not match, the UserInfo Response values
    /// MUST NOT be used."
    SubjectMismatch,
}

/// Adds the userinfo `answer` to what the ID token said (see the module documentation).
pub fn merge(verified: &mut Verified, answer: Map<String, Value>) -> Result<(), UserinfoError> {
    if answer.get("sub").and_then(Value::as_str) != Some(verified.subject.as_str()) {
        return Err(UserinfoError::SubjectMismatch);
    }
    if verified.email.is_none() {
        if let Some(email) = answer.get("email").and_then(Value::as_str) {
            verified.email = Some(email.to_string());
            verified.email_verified = says_true(answer.get("email_verified"));
        }
    }
    for (claim, value) in answer {
        verified.claims.entry(claim).or_insert(value);
    }
    Ok(())
}

/// `GET` the provider's userinfo endpoint with `access_token` (OIDC Core §5.3.1,
/// RFC 6750 §2.1), answered with a JSON object.
pub async fn fetch(
    ports: &Ports<'_>,
    connection: &Connection,
    endpoint: &str,
    access_token: &str,
) -> Result<Map<String, Value>, Error> {
    let headers = [
        ("accept".to_string(), "application/json".to_string()),
        (
            "authorization".to_string(),
            format!("Bearer {access_token}"),
        ),
    ];
    super::provider::get_json_with(ports, connection, endpoint, &headers).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn from_id_token(claims: Value) -> Verified {
        let claims = claims.as_object().unwrap().clone();
        Verified {
            subject: "s1".into(),
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_string),
            email_verified: says_true(claims.get("email_verified")),
            claims,
        }
    }

    fn answer(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn oidc_core_5_3_2_a_userinfo_sub_other_than_the_id_tokens_is_refused() {
        for other in [json!({"sub": "s2", "name": "Eve"}), json!({"name": "Eve"})] {
            let mut verified = from_id_token(json!({"sub": "s1"}));
            assert_eq!(
                merge(&mut verified, answer(other)),
                Err(UserinfoError::SubjectMismatch)
            );
            assert!(!verified.claims.contains_key("name"), "none of it is used");
        }
    }

    #[test]
    fn userinfo_adds_claims_and_never_overrides_the_id_token() {
        let mut verified = from_id_token(
            json!({"sub": "s1", "email": "ada@example.com", "email_verified": true, "name": "Ada"}),
        );
        merge(
            &mut verified,
            answer(
                json!({"sub": "s1", "email": "eve@example.com", "email_verified": true,
                          "name": "Eve", "locale": "fr-FR"}),
            ),
        )
        .unwrap();
        assert_eq!(verified.email.as_deref(), Some("ada@example.com"));
        assert_eq!(verified.claims["name"], "Ada");
        assert_eq!(verified.claims["locale"], "fr-FR");
    }

    #[test]
    fn an_unverified_email_from_userinfo_never_counts_as_verified() {
        for flag in [json!(false), json!("false"), json!(null), json!(1)] {
            let mut verified = from_id_token(json!({"sub": "s1"}));
            merge(
                &mut verified,
                answer(json!({"sub": "s1", "email": "ada@example.com", "email_verified": flag})),
            )
            .unwrap();
            assert_eq!(verified.email.as_deref(), Some("ada@example.com"));
            assert!(!verified.email_verified, "{flag}");
        }
        let mut verified = from_id_token(json!({"sub": "s1"}));
        merge(
            &mut verified,
            answer(json!({"sub": "s1", "email": "ada@example.com", "email_verified": "true"})),
        )
        .unwrap();
        assert!(verified.email_verified);
    }
}
