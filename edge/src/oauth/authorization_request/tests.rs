use super::*;
use crate::testing::TestPorts;

const REDIRECT: &str = "https://shop.example/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn client() -> Client {
    let t = TestPorts::new();
    pollster::block_on(crate::ports::ClientStore::find(&t.clients, "demo"))
        .unwrap()
        .unwrap()
}

/// A valid request, with `changes` applied: `(name, Some(value))` sets, `(name, None)` removes.
fn params(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut base: Vec<(&str, &str)> = vec![
        ("client_id", "demo"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "xyz"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        base.retain(|(n, _)| n != name);
        if let Some(value) = value {
            base.push((name, value));
        }
    }
    base.into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn redirected_error(
    result: Result<AuthorizationRequest, Rejection>,
) -> (OAuthErrorCode, Option<String>) {
    match result {
        Err(Rejection::Redirect {
            error,
            state,
            redirect_uri,
            ..
        }) => {
            assert_eq!(redirect_uri, REDIRECT);
            (error, state)
        }
        other => panic!("expected a redirected error, got {other:?}"),
    }
}

#[test]
fn oidc_core_3_1_2_1_valid_request_is_accepted() {
    let request = validate(&params(&[]), &client()).unwrap();
    assert_eq!(request.client_id, "demo");
    assert_eq!(request.redirect_uri, REDIRECT);
    assert_eq!(&*request.scopes, ["openid", "email"]);
    assert_eq!(request.state.as_deref(), Some("xyz"));
    assert_eq!(request.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(request.code_challenge.as_str(), CHALLENGE);
    assert!(request.is_openid());
    assert_eq!(request.prompt, None);
}

#[test]
fn rfc6749_4_1_2_1_missing_or_repeated_client_id_is_shown_not_redirected() {
    assert!(matches!(
        client_id(&params(&[("client_id", None)])),
        Err(Rejection::ShowError { .. })
    ));
    let mut repeated = params(&[]);
    repeated.push(("client_id".into(), "other".into()));
    assert!(matches!(
        client_id(&repeated),
        Err(Rejection::ShowError { .. })
    ));
    assert_eq!(client_id(&params(&[])).unwrap(), "demo");
}

#[test]
fn rfc9700_2_1_redirect_uri_must_match_exactly_or_the_error_is_shown() {
    for mismatch in [
        "https://shop.example/callback/",
        "https://SHOP.example/callback",
        "https://shop.example/Callback",
        "https://shop.example/callback?x=1",
        "https://shop.example/callback#frag",
        "http://shop.example/callback",
        "https://shop.example:443/callback",
        "https://evil.example/callback",
    ] {
        let result = validate(&params(&[("redirect_uri", Some(mismatch))]), &client());
        assert!(
            matches!(result, Err(Rejection::ShowError { .. })),
            "{mismatch}: {result:?}"
        );
    }
    assert!(matches!(
        validate(&params(&[("redirect_uri", None)]), &client()),
        Err(Rejection::ShowError { .. })
    ));
}

#[test]
fn rfc7636_4_4_1_missing_or_plain_pkce_is_invalid_request_with_state() {
    let cases = [
        params(&[("code_challenge", None), ("code_challenge_method", None)]),
        params(&[("code_challenge_method", Some("plain"))]),
        params(&[("code_challenge_method", None)]),
        params(&[("code_challenge", Some("not-a-digest"))]),
    ];
    for case in cases {
        let (error, state) = redirected_error(validate(&case, &client()));
        assert_eq!(error, OAuthErrorCode::InvalidRequest);
        assert_eq!(state.as_deref(), Some("xyz"));
    }
}

#[test]
fn rfc6749_4_1_2_1_only_the_code_response_type_is_supported() {
    for other in ["token", "id_token", "code id_token", "code token"] {
        let (error, _) = redirected_error(validate(
            &params(&[("response_type", Some(other))]),
            &client(),
        ));
        assert_eq!(error, OAuthErrorCode::UnsupportedResponseType, "{other}");
    }
    let (error, _) = redirected_error(validate(&params(&[("response_type", None)]), &client()));
    assert_eq!(error, OAuthErrorCode::InvalidRequest);
}

#[test]
fn rfc6749_3_3_unknown_or_missing_scope_is_invalid_scope() {
    let (error, _) = redirected_error(validate(
        &params(&[("scope", Some("openid admin"))]),
        &client(),
    ));
    assert_eq!(error, OAuthErrorCode::InvalidScope);
    let (error, _) = redirected_error(validate(&params(&[("scope", None)]), &client()));
    assert_eq!(error, OAuthErrorCode::InvalidScope);
}

#[test]
fn rfc6749_3_1_repeated_parameters_are_invalid_request() {
    let mut repeated = params(&[]);
    repeated.push(("scope".into(), "openid".into()));
    let (error, _) = redirected_error(validate(&repeated, &client()));
    assert_eq!(error, OAuthErrorCode::InvalidRequest);
}

#[test]
fn rfc6749_3_1_unknown_parameters_are_ignored() {
    assert!(validate(&params(&[("foo", Some("bar"))]), &client()).is_ok());
}

#[test]
fn oidc_core_3_1_2_1_prompt_values() {
    let prompt = |v: &str| validate(&params(&[("prompt", Some(v))]), &client()).map(|r| r.prompt);
    assert_eq!(prompt("none"), Ok(Some(Prompt::None)));
    assert_eq!(prompt("login"), Ok(Some(Prompt::Login)));
    assert_eq!(prompt("select_account"), Ok(Some(Prompt::Login)));
    assert_eq!(prompt("consent"), Ok(None));
    assert_eq!(prompt("login consent"), Ok(Some(Prompt::Login)));
    for bad in ["none login", "sometimes", ""] {
        let result = validate(&params(&[("prompt", Some(bad))]), &client());
        if bad.is_empty() {
            // An empty parameter counts as absent (RFC 6749 §3.1).
            assert_eq!(result.map(|r| r.prompt), Ok(None));
        } else {
            assert_eq!(
                redirected_error(result).0,
                OAuthErrorCode::InvalidRequest,
                "{bad}"
            );
        }
    }
}

#[test]
fn oidc_core_3_1_2_1_max_age_is_a_non_negative_integer() {
    assert_eq!(
        validate(&params(&[("max_age", Some("0"))]), &client())
            .unwrap()
            .max_age,
        Some(0)
    );
    for bad in ["-1", "1.5", "soon"] {
        let (error, _) = redirected_error(validate(&params(&[("max_age", Some(bad))]), &client()));
        assert_eq!(error, OAuthErrorCode::InvalidRequest, "{bad}");
    }
}

#[test]
fn only_query_response_mode_is_supported() {
    assert!(validate(&params(&[("response_mode", Some("query"))]), &client()).is_ok());
    let (error, _) = redirected_error(validate(
        &params(&[("response_mode", Some("fragment"))]),
        &client(),
    ));
    assert_eq!(error, OAuthErrorCode::InvalidRequest);
}

#[test]
fn oversized_state_nonce_and_login_hint_are_refused() {
    let long = "a".repeat(4096);
    for name in ["state", "nonce", "login_hint"] {
        let result = validate(&params(&[(name, Some(&long))]), &client());
        assert!(
            matches!(
                result,
                Err(Rejection::Redirect {
                    error: OAuthErrorCode::InvalidRequest,
                    ..
                })
            ),
            "{name}: {result:?}"
        );
    }
}
