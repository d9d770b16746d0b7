//! How a client identifies itself at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3.1): `client_secret_basic`, `client_secret_post`, or `none` for public
//! clients (which prove possession through PKCE instead).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode_str;
use portcullis_shared::oauth::OAuthErrorCode;

use super::authorization_request::Params;
use super::token_request::TokenError;

/// A client secret as presented. Never printed; read through [`ClientSecret::secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> ClientSecret {
        ClientSecret(secret)
    }

    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// The credentials a request carried, before they are checked against the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    /// `Authorization: Basic` (RFC 6749 §2.3.1, RFC 7617).
    Basic {
        client_id: String,
        secret: ClientSecret,
    },
    /// `client_id` and `client_secret` in the form body.
    Post {
        client_id: String,
        secret: ClientSecret,
    },
    /// A public client: `client_id` only.
    None { client_id: String },
}

impl ClientCredentials {
    pub fn client_id(&self) -> &str {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::None { client_id } => client_id,
        }
    }
}

fn invalid_client() -> TokenError {
    TokenError::new(
        OAuthErrorCode::InvalidClient,
        "Client authentication failed.",
    )
}

/// Extracts the client's credentials from the `Authorization` header and form body.
pub fn credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<ClientCredentials, TokenError> {
    let body = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    match authorization {
        Some(header) => {
            let (client_id, secret) = parse_basic(header).ok_or_else(invalid_client)?;
            // RFC 6749 §2.3: "MUST NOT use more than one authentication method".
            if body("client_secret").is_some() {
                return Err(TokenError::new(
                    OAuthErrorCode::InvalidRequest,
                    "Use one client authentication method.",
                ));
            }
            if body("client_id").is_some_and(|id| id != client_id) {
                return Err(invalid_client());
            }
            Ok(ClientCredentials::Basic {
                client_id,
                secret: ClientSecret::new(secret),
            })
        }
        None => match (body("client_id"), body("client_secret")) {
            (Some(id), Some(secret)) if !id.is_empty() => Ok(ClientCredentials::Post {
                client_id: id.to_string(),
                secret: ClientSecret::new(secret.to_string()),
            }),
            (Some(id), None) if !id.is_empty() => Ok(ClientCredentials::None {
                client_id: id.to_string(),
            }),
            _ => Err(invalid_client()),
        },
    }
}

/// `Basic base64(urlencode(client_id) ":" urlencode(secret))`: RFC 6749 §2.3.1 has both
/// parts form-encoded before they are joined.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|c| c.into_owned())
    };
    let (id, secret) = (decode(id)?, decode(secret)?);
    (!id.is_empty()).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn rfc6749_2_3_1_client_secret_basic_with_form_encoded_parts() {
        let creds = credentials(Some(&basic("my%20app:s%3Acret+x")), &form(&[])).unwrap();
        assert_eq!(
            creds,
            ClientCredentials::Basic {
                client_id: "my app".into(),
                secret: ClientSecret::new("s:cret x".into()),
            }
        );
    }

    #[test]
    fn rfc6749_2_3_1_client_secret_post() {
        let creds =
            credentials(None, &form(&[("client_id", "api"), ("client_secret", "s")])).unwrap();
        assert_eq!(creds.client_id(), "api");
        assert!(matches!(creds, ClientCredentials::Post { .. }));
    }

    #[test]
    fn public_client_sends_only_its_id() {
        let creds = credentials(None, &form(&[("client_id", "demo")])).unwrap();
        assert_eq!(
            creds,
            ClientCredentials::None {
                client_id: "demo".into()
            }
        );
    }

    #[test]
    fn rfc6749_2_3_two_methods_at_once_are_invalid_request() {
        let result = credentials(Some(&basic("api:s")), &form(&[("client_secret", "s")]));
        assert_eq!(result.unwrap_err().code, OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn rfc6749_5_2_missing_or_malformed_credentials_are_invalid_client() {
        for header in [
            "Basic !!!",
            "Bearer abc",
            "Basic",
            &basic("no-colon"),
            &basic(":secret"),
        ] {
            let result = credentials(Some(header), &form(&[]));
            assert_eq!(
                result.unwrap_err().code,
                OAuthErrorCode::InvalidClient,
                "{header}"
            );
        }
        assert_eq!(
            credentials(None, &form(&[])).unwrap_err().code,
            OAuthErrorCode::InvalidClient
        );
        let mismatch = credentials(Some(&basic("api:s")), &form(&[("client_id", "other")]));
        assert_eq!(mismatch.unwrap_err().code, OAuthErrorCode::InvalidClient);
    }

    #[test]
    fn secrets_do_not_print() {
        let creds = credentials(
            None,
            &form(&[("client_id", "api"), ("client_secret", "hunter2")]),
        )
        .unwrap();
        let printed = format!("{creds:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }
}
