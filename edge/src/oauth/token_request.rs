//! Token endpoint requests (RFC 6749 §3.2), parsed into one variant per grant so a
//! handler can only reach the fields its grant has (parse, don't validate).

use portcullis_shared::oauth::OAuthErrorCode;

use crate::oauth::scope::Scopes;

use super::authorization_request::{param, Params};

/// A refused token request: RFC 6749 §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenError {
    pub code: OAuthErrorCode,
    /// Generic and safe to show; the specific reason goes to the log.
    pub description: &'static str,
}

impl TokenError {
    pub fn new(code: OAuthErrorCode, description: &'static str) -> TokenError {
        TokenError { code, description }
    }

    /// RFC 6749 §5.2: 400, except `invalid_client`, which is 401 (the endpoint then
    /// sends `WWW-Authenticate` when the client tried HTTP Basic).
    pub fn status(&self) -> u16 {
        match self.code {
            OAuthErrorCode::InvalidClient => 401,
            OAuthErrorCode::ServerError => 500,
            OAuthErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// A token request, by `grant_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.5.
    AuthorizationCode {
        code: String,
        /// Required when the authorization request carried one (RFC 6749 §4.1.3); the
        /// embedded first-party flow has none.
        redirect_uri: Option<String>,
        code_verifier: String,
        /// RFC 8707 §2.2: where the access token will be used.
        resource: Vec<String>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        refresh_token: String,
        /// A subset of the original scopes, if narrowed.
        scope: Option<Scopes>,
        /// RFC 8707 §2.2: a token for another resource of the same grant.
        resource: Vec<String>,
    },
    /// RFC 6749 §4.4: confidential clients acting on their own behalf.
    ClientCredentials {
        scope: Option<Scopes>,
        resource: Vec<String>,
    },
}

fn invalid(description: &'static str) -> TokenError {
    TokenError::new(OAuthErrorCode::InvalidRequest, description)
}

/// Parses the form body of a token request (client authentication is separate).
pub fn parse(params: &Params) -> Result<TokenRequest, TokenError> {
    // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
    // RFC 8707 §2 makes `resource` the exception: one per resource.
    let mut names: Vec<&str> = params
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "resource")
        .collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("A parameter is repeated."));
    }
    let get = |name: &str| param(params, name);
    let required = |name: &str, missing: &'static str| {
        get(name)
            .map(str::to_string)
            .ok_or_else(|| invalid(missing))
    };
    let scope = || get("scope").map(crate::oauth::scope::Scopes::parse);

    let resource: Vec<String> = params
        .iter()
        .filter(|(n, v)| n == "resource" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();

    match get("grant_type") {
        None => Err(invalid("The request has no grant_type.")),
        Some("authorization_code") => Ok(TokenRequest::AuthorizationCode {
            code: required("code", "The request has no code.")?,
            redirect_uri: get("redirect_uri").map(str::to_string),
            // PKCE is mandatory here (RFC 7636 §4.5, RFC 9700 §2.1.1).
            code_verifier: required("code_verifier", "The request has no code_verifier.")?,
            resource,
        }),
        Some("refresh_token") => Ok(TokenRequest::RefreshToken {
            refresh_token: required("refresh_token", "The request has no refresh_token.")?,
            scope: scope(),
            resource,
        }),
        Some("client_credentials") => Ok(TokenRequest::ClientCredentials {
            scope: scope(),
            resource,
        }),
        // The password and implicit grants are deliberately absent (RFC 9700 §2.1.2, §2.4).
        Some(_) => Err(TokenError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "The grant_type is not supported.",
        )),
    }
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

    fn code_of(result: Result<TokenRequest, TokenError>) -> OAuthErrorCode {
        result.unwrap_err().code
    }

    #[test]
    fn rfc6749_4_1_3_authorization_code_grant() {
        let request = parse(&form(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", "https://shop.example/callback"),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ]))
        .unwrap();
        assert_eq!(
            request,
            TokenRequest::AuthorizationCode {
                code: "c".into(),
                redirect_uri: Some("https://shop.example/callback".into()),
                code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
                resource: vec![],
            }
        );
    }

    #[test]
    fn rfc7636_4_5_missing_code_verifier_is_invalid_request() {
        let result = parse(&form(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", "https://shop.example/callback"),
        ]));
        assert_eq!(code_of(result), OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn rfc6749_6_refresh_grant_with_optional_narrower_scope() {
        let request = parse(&form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "r"),
            ("scope", "openid  email"),
        ]))
        .unwrap();
        assert_eq!(
            request,
            TokenRequest::RefreshToken {
                refresh_token: "r".into(),
                scope: Some(Scopes::parse("openid email")),
                resource: vec![],
            }
        );
        assert_eq!(
            code_of(parse(&form(&[("grant_type", "refresh_token")]))),
            OAuthErrorCode::InvalidRequest
        );
    }

    #[test]
    fn rfc6749_4_4_client_credentials_grant() {
        assert_eq!(
            parse(&form(&[("grant_type", "client_credentials")])).unwrap(),
            TokenRequest::ClientCredentials {
                scope: None,
                resource: vec![]
            }
        );
    }

    #[test]
    fn rfc8707_2_resource_may_be_repeated_unlike_every_other_parameter() {
        let request = parse(&form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "r"),
            ("resource", "https://id.example/v1/me"),
            ("resource", "https://id.example"),
        ]))
        .unwrap();
        let TokenRequest::RefreshToken { resource, .. } = request else {
            panic!("{request:?}");
        };
        assert_eq!(resource, ["https://id.example/v1/me", "https://id.example"]);
    }

    #[test]
    fn rfc6749_5_2_unknown_password_and_implicit_grants_are_unsupported_grant_type() {
        for grant in [
            "password",
            "implicit",
            "urn:ietf:params:oauth:grant-type:device_code",
            "AUTHORIZATION_CODE",
        ] {
            assert_eq!(
                code_of(parse(&form(&[("grant_type", grant)]))),
                OAuthErrorCode::UnsupportedGrantType,
                "{grant}"
            );
        }
    }

    #[test]
    fn rfc6749_5_2_missing_grant_type_and_repeated_parameters_are_invalid_request() {
        assert_eq!(code_of(parse(&form(&[]))), OAuthErrorCode::InvalidRequest);
        assert_eq!(
            code_of(parse(&form(&[("grant_type", "")]))),
            OAuthErrorCode::InvalidRequest
        );
        let repeated = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "a"),
            ("refresh_token", "b"),
        ]);
        assert_eq!(code_of(parse(&repeated)), OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn rfc6749_5_2_statuses() {
        assert_eq!(
            TokenError::new(OAuthErrorCode::InvalidClient, "").status(),
            401
        );
        assert_eq!(
            TokenError::new(OAuthErrorCode::InvalidGrant, "").status(),
            400
        );
        assert_eq!(
            TokenError::new(OAuthErrorCode::UnsupportedGrantType, "").status(),
            400
        );
    }
}
