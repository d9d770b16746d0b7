//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub end_session_endpoint: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    pub prompt_values_supported: Vec<&'static str>,
    /// The `acr` values tokens carry and `acr_values` may ask for (OIDC Discovery §3).
    pub acr_values_supported: Vec<&'static str>,
    /// The languages of the sign-in page and emails.
    pub ui_locales_supported: &'static [&'static str],
    pub authorization_response_iss_parameter_supported: bool,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
}

pub fn metadata(issuer: &str) -> Metadata {
    let at = |path: &str| format!("{issuer}{path}");
    let auth_methods = vec!["client_secret_basic", "client_secret_post", "none"];
    Metadata {
        issuer: issuer.to_string(),
        authorization_endpoint: at("/authorize"),
        token_endpoint: at("/token"),
        userinfo_endpoint: at("/userinfo"),
        jwks_uri: at("/.well-known/jwks.json"),
        revocation_endpoint: at("/revoke"),
        introspection_endpoint: at("/introspect"),
        end_session_endpoint: at("/logout"),
        scopes_supported: super::authorization_request::SUPPORTED_SCOPES.to_vec(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: vec!["authorization_code", "refresh_token", "client_credentials"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: vec!["ES256"],
        token_endpoint_auth_methods_supported: auth_methods.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods,
        introspection_endpoint_auth_methods_supported: vec![
            "client_secret_basic",
            "client_secret_post",
        ],
        code_challenge_methods_supported: vec!["S256"],
        claims_supported: vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "at_hash",
            "email",
            "email_verified",
            "name",
            "given_name",
            "family_name",
            "birthdate",
            "locale",
            "zoneinfo",
            "phone_number",
            "phone_number_verified",
            "address",
        ],
        prompt_values_supported: vec!["none", "login"],
        acr_values_supported: vec![
            super::tokens::ACR_SINGLE_FACTOR,
            super::tokens::ACR_MULTI_FACTOR,
        ],
        ui_locales_supported: portcullis_shared::messages::LANGUAGES,
        authorization_response_iss_parameter_supported: true,
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_discovery_3_endpoints_hang_off_the_issuer_only_s256_and_both_acr_values_are_offered() {
        let m = serde_json::to_value(metadata("https://id.example")).unwrap();
        assert_eq!(m["issuer"], "https://id.example");
        assert_eq!(m["jwks_uri"], "https://id.example/.well-known/jwks.json");
        assert_eq!(
            m["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(
            m["acr_values_supported"],
            serde_json::json!([
                "0",
                "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
            ])
        );
    }
}
