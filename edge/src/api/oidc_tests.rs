//! The provider through its HTTP surface, natively: every port in memory, the same
//! routing, parsing and decisions as on Workers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_shared::api::FlowStarted;
use serde_json::Value;

use super::*;
use crate::oauth::scope::Scopes;
use crate::testing::TestPorts;

pub(crate) const ISSUER: &str = "http://localhost:8787";
const PAGE: &str = "https://shop.example";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const PASSWORD: &str = "correct horse battery staple 42";

pub(crate) fn request(
    method: Method,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Request {
        method,
        path: path.into(),
        query: query.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        self_origin: ISSUER.into(),
    }
}

pub(crate) fn call(t: &TestPorts, req: Request) -> Response {
    pollster::block_on(handle(&t.ports(), req)).response
}

pub(crate) fn json(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

pub(crate) fn post_json(t: &TestPorts, path: &str, body: Value) -> Response {
    call(
        t,
        request(
            Method::Post,
            path,
            &[("content-type", "application/json"), ("origin", PAGE)],
            &body.to_string(),
        ),
    )
}

pub(crate) fn post_form(
    t: &TestPorts,
    path: &str,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Response {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    call(t, request(Method::Post, path, &all, &body))
}

pub(crate) fn start_flow(t: &TestPorts, scope: &str) -> String {
    let response = post_json(
        t,
        "/v1/flows",
        serde_json::json!({"client_id": "demo", "code_challenge": CHALLENGE,
                           "code_challenge_method": "S256", "scope": scope, "nonce": "n1"}),
    );
    assert_eq!(response.status, 201, "{}", json(&response));
    serde_json::from_slice::<FlowStarted>(&response.body)
        .unwrap()
        .flow_id
}

fn sign_up(t: &TestPorts, email: &str) -> Response {
    let flow = start_flow(t, "openid email profile offline_access");
    post_json(
        t,
        &format!("/v1/flows/{flow}/sign-up"),
        serde_json::json!({"email": email, "password": PASSWORD, "name": "Ada"}),
    )
}

pub(crate) fn redeem(t: &TestPorts, code: &str) -> Response {
    post_form(
        t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("client_id", "demo"),
        ],
        &[("origin", PAGE)],
    )
}

pub(crate) fn refresh(t: &TestPorts, token: &str) -> Response {
    post_form(
        t,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "demo"),
        ],
        &[],
    )
}

pub(crate) fn userinfo(t: &TestPorts, access_token: &str) -> Response {
    call(
        t,
        request(
            Method::Get,
            "/userinfo",
            &[("authorization", &format!("Bearer {access_token}"))],
            "",
        ),
    )
}

/// Signs up `email` through an embedded flow and redeems the code.
pub(crate) fn tokens_for(t: &TestPorts, email: &str) -> Value {
    let outcome = json(&sign_up(t, email));
    assert_eq!(outcome["status"], "authorization_code", "{outcome}");
    let response = redeem(t, outcome["authorization_code"].as_str().unwrap());
    assert_eq!(response.status, 200, "{}", json(&response));
    json(&response)
}

pub(crate) fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn a_grant_keeps_the_country_and_user_agent_of_the_request_that_made_it() {
    let t = TestPorts::new();
    t.signals.set(crate::testing::auckland());
    let tokens = tokens_for(&t, "ada@example.com");
    let sub = claims(tokens["id_token"].as_str().unwrap())["sub"].clone();
    let ports = t.ports();
    let now = crate::ports::Clock::now(&t.clock);
    let references =
        pollster::block_on(ports.grant_index.for_person(sub.as_str().unwrap(), now)).unwrap();
    let reference = &references[0];
    let place = t.grants.stored(reference).and_then(|g| g.place).unwrap();
    assert_eq!(place.country.as_deref(), Some("NZ"));
}

#[test]
fn first_party_flow_sign_up_then_token_then_userinfo() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "Ada@Example.com");
    assert_eq!(tokens["token_type"], "Bearer");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["aud"], "demo");
    assert_eq!(id["nonce"], "n1");
    assert_eq!(id["email"], "ada@example.com");
    let info = userinfo(&t, tokens["access_token"].as_str().unwrap());
    assert_eq!(info.status, 200);
    assert_eq!(json(&info)["email"], "ada@example.com");
    assert_eq!(json(&info)["sub"], id["sub"]);
    let events = t.events.summary();
    assert!(events.contains(&("user.registration.create".into(), "SUCCESS".into())));
    assert!(events.contains(&("user.session.start".into(), "SUCCESS".into())));
}

/// `/token` with `pairs` from the page, as the widget calls it.
fn token_request(t: &TestPorts, pairs: &[(&str, &str)]) -> Response {
    post_form(t, "/token", pairs, &[("origin", PAGE)])
}

/// Signs up `email` in a flow asking for `scope`; the authorization code.
fn code_for(t: &TestPorts, email: &str, scope: &str) -> String {
    let flow = start_flow(t, scope);
    let outcome = json(&post_json(
        t,
        &format!("/v1/flows/{flow}/sign-up"),
        serde_json::json!({"email": email, "password": PASSWORD}),
    ));
    outcome["authorization_code"].as_str().unwrap().to_string()
}

#[test]
fn rfc8707_resource_selects_the_access_tokens_audience() {
    const ACCOUNT_API: &str = "http://localhost:8787/v1/me";
    let t = TestPorts::new();
    let scope = "openid email offline_access account";

    // No resource: the issuer's (userinfo, the client's APIs), without `account`.
    let code = code_for(&t, "ada@example.com", scope);
    let tokens = json(&redeem(&t, &code));
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], ISSUER);
    assert_eq!(access["scope"], "openid email offline_access");
    assert_eq!(tokens["scope"], "openid email offline_access");

    // The same grant's refresh token, for the account API: its audience, its scope.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let account = json(&token_request(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "demo"),
            ("resource", ACCOUNT_API),
        ],
    ));
    let access = claims(account["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], ACCOUNT_API);
    assert_eq!(access["scope"], "account");
    assert_eq!(account["scope"], "account");
    assert!(access["auth_time"].is_u64(), "RFC 9470 needs auth_time");
    assert!(
        account.get("id_token").is_none(),
        "no ID token for the account API"
    );

    // The code itself can be redeemed for the account API.
    let code = code_for(&t, "bob@example.com", scope);
    let direct = json(&token_request(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("client_id", "demo"),
            ("resource", ACCOUNT_API),
        ],
    ));
    assert_eq!(
        claims(direct["access_token"].as_str().unwrap())["aud"],
        ACCOUNT_API
    );

    // Unknown resources, two at once, and one the grant does not cover: invalid_target.
    let plain = code_for(&t, "cy@example.com", "openid email offline_access");
    let plain = json(&redeem(&t, &plain));
    let plain_refresh = plain["refresh_token"].as_str().unwrap();
    for resources in [
        vec!["https://api.elsewhere.example"],
        vec![ACCOUNT_API, ISSUER],
        vec![ACCOUNT_API],
    ] {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", plain_refresh),
            ("client_id", "demo"),
        ];
        pairs.extend(resources.iter().map(|r| ("resource", *r)));
        let refused = token_request(&t, &pairs);
        assert_eq!(refused.status, 400, "{resources:?}");
        assert_eq!(json(&refused)["error"], "invalid_target", "{resources:?}");
    }
    // Refused before rotating: the refresh token is still the current one.
    assert_eq!(refresh(&t, plain_refresh).status, 200);
}

#[test]
fn userinfo_refuses_tokens_for_another_audience() {
    let t = TestPorts::new();
    let code = code_for(&t, "ada@example.com", "openid email offline_access account");
    let tokens = json(&redeem(&t, &code));
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        200
    );
    let account = json(&token_request(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "demo"),
            ("resource", "http://localhost:8787/v1/me"),
        ],
    ));
    let refused = userinfo(&t, account["access_token"].as_str().unwrap());
    assert_eq!(refused.status, 401);
    assert_eq!(json(&refused)["error"], "invalid_token");
}

#[test]
fn no_account_enumeration_unknown_email_and_wrong_password_answer_alike() {
    let t = TestPorts::new();
    tokens_for(&t, "ada@example.com");
    let attempt = |email: &str| {
        let flow = start_flow(&t, "openid");
        post_json(
            &t,
            &format!("/v1/flows/{flow}/password"),
            serde_json::json!({"email": email, "password": "not the password at all"}),
        )
    };
    let wrong_password = attempt("ada@example.com");
    let unknown = attempt("nobody@example.com");
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password, unknown);
    assert_eq!(json(&unknown)["code"], "invalid_credentials");
    let failures = t
        .events
        .summary()
        .into_iter()
        .filter(|e| {
            *e == (
                "user.authentication.auth_via_password".into(),
                "FAILURE".into(),
            )
        })
        .count();
    assert_eq!(failures, 2);
}

#[test]
fn a_failed_password_keeps_the_flow_until_too_many_attempts() {
    let t = TestPorts::new();
    tokens_for(&t, "ada@example.com");
    let flow = start_flow(&t, "openid");
    let path = format!("/v1/flows/{flow}/password");
    let wrong = serde_json::json!({"email": "ada@example.com", "password": "wrong"});
    for _ in 1..crate::flows::MAX_FAILURES {
        assert_eq!(post_json(&t, &path, wrong.clone()).status, 401);
    }
    assert_eq!(
        json(&post_json(&t, &path, wrong))["code"],
        "too_many_attempts"
    );
    let right = serde_json::json!({"email": "ada@example.com", "password": PASSWORD});
    assert_eq!(json(&post_json(&t, &path, right))["code"], "flow_not_found");
}

#[test]
fn nist_800_63b_short_common_and_email_passwords_are_refused_with_the_reason() {
    let t = TestPorts::new();
    let flow = start_flow(&t, "openid");
    let path = format!("/v1/flows/{flow}/sign-up");
    for (password, problem) in [
        ("short", "too_short"),
        ("passwordpassword", "common"),
        ("ada.lovelace@example.com!!", "context_specific"),
    ] {
        let response = post_json(
            &t,
            &path,
            serde_json::json!({"email": "ada.lovelace@example.com", "password": password}),
        );
        assert_eq!(response.status, 400);
        assert_eq!(json(&response)["code"], "password_rejected");
        assert_eq!(json(&response)["problem"], problem, "{password}");
    }
}

#[test]
fn sign_up_of_a_taken_address_with_another_password_is_refused_generically() {
    let t = TestPorts::new();
    tokens_for(&t, "ada@example.com");
    let flow = start_flow(&t, "openid");
    let response = post_json(
        &t,
        &format!("/v1/flows/{flow}/sign-up"),
        serde_json::json!({"email": "ADA@example.com", "password": "a different long passphrase"}),
    );
    assert_eq!(json(&response)["code"], "invalid_credentials");
    // With the account's own password, sign-up signs in.
    assert_eq!(
        json(&sign_up(&t, "ada@example.com"))["status"],
        "authorization_code"
    );
}

#[test]
fn rfc6749_4_1_2_a_reused_code_is_refused_and_revokes_its_tokens() {
    let t = TestPorts::new();
    let outcome = json(&sign_up(&t, "ada@example.com"));
    let code = outcome["authorization_code"].as_str().unwrap();
    let first = json(&redeem(&t, code));
    assert_eq!(
        userinfo(&t, first["access_token"].as_str().unwrap()).status,
        200
    );
    let again = redeem(&t, code);
    assert_eq!(again.status, 400);
    assert_eq!(json(&again)["error"], "invalid_grant");
    assert_eq!(
        userinfo(&t, first["access_token"].as_str().unwrap()).status,
        401
    );
    assert_eq!(
        refresh(&t, first["refresh_token"].as_str().unwrap()).status,
        400
    );
}

#[test]
fn rfc7636_4_6_a_wrong_verifier_is_invalid_grant() {
    let t = TestPorts::new();
    let outcome = json(&sign_up(&t, "ada@example.com"));
    let response = post_form(
        &t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", outcome["authorization_code"].as_str().unwrap()),
            ("code_verifier", &"x".repeat(43)),
            ("client_id", "demo"),
        ],
        &[],
    );
    assert_eq!(json(&response)["error"], "invalid_grant");
}

#[test]
fn rfc9700_4_14_2_refresh_rotates_and_reuse_revokes_the_family() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let r0 = tokens["refresh_token"].as_str().unwrap().to_string();
    let second = json(&refresh(&t, &r0));
    let r1 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r0, r1);
    assert!(second["id_token"].is_string());
    assert!(
        claims(second["id_token"].as_str().unwrap())
            .get("nonce")
            .is_none(),
        "OIDC Core §12.2"
    );
    // A retry within the grace gets the same successor.
    assert_eq!(json(&refresh(&t, &r0))["refresh_token"], r1.as_str());
    t.clock.advance_seconds(60);
    let r2 = json(&refresh(&t, &r1))["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // r0 again, long after its rotation: reuse; the whole family dies.
    assert_eq!(json(&refresh(&t, &r0))["error"], "invalid_grant");
    assert_eq!(json(&refresh(&t, &r2))["error"], "invalid_grant");
    assert_eq!(
        userinfo(&t, second["access_token"].as_str().unwrap()).status,
        401
    );
}

#[test]
fn rfc6749_5_2_unknown_grant_type_and_garbage_never_500() {
    let t = TestPorts::new();
    let response = post_form(
        &t,
        "/token",
        &[("grant_type", "password"), ("client_id", "demo")],
        &[],
    );
    assert_eq!(response.status, 400);
    assert_eq!(json(&response)["error"], "unsupported_grant_type");
    let response = post_form(&t, "/token", &[("grant_type", "authorization_code")], &[]);
    assert_eq!(response.status, 401);
    assert_eq!(json(&response)["error"], "invalid_client");
    let response = call(
        &t,
        request(
            Method::Post,
            "/token",
            &[("content-type", "application/json")],
            "{}",
        ),
    );
    assert_eq!(json(&response)["error"], "invalid_request");
    for target in [
        "/userinfo",
        "/authorize",
        "/authorize?client_id=demo",
        "/logout?id_token_hint=x.y.z",
    ] {
        let response = call(
            &t,
            request(
                Method::Get,
                target,
                &[("authorization", "Bearer a.b.c")],
                "",
            ),
        );
        assert!(response.status < 500, "{target} -> {}", response.status);
    }
}

#[test]
fn rfc6749_4_1_2_1_bad_redirect_uri_is_shown_not_followed_and_plain_pkce_is_redirected() {
    let t = TestPorts::new();
    let base = "/authorize?response_type=code&client_id=demo&scope=openid&state=s1";
    let response = call(
        &t,
        request(Method::Get, &format!("{base}&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback%2F&code_challenge={CHALLENGE}&code_challenge_method=S256"), &[], ""),
    );
    assert_eq!(response.status, 400);
    assert!(response.header("location").is_none());
    let response = call(
        &t,
        request(Method::Get, &format!("{base}&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&code_challenge={VERIFIER}&code_challenge_method=plain"), &[], ""),
    );
    assert_eq!(response.status, 302);
    let location = response.header("location").unwrap();
    assert!(
        location.starts_with("https://shop.example/callback?error=invalid_request"),
        "{location}"
    );
    assert!(
        location.contains("state=s1") && location.contains("iss=http%3A%2F%2Flocalhost%3A8787")
    );
}

#[test]
fn oidc_core_3_1_2_hosted_sign_in_sets_sso_and_the_next_authorize_skips_the_prompt() {
    let t = TestPorts::new();
    tokens_for(&t, "ada@example.com");
    let authorize = |extra: &str, cookie: Option<&str>| {
        let target = format!(
            "/authorize?response_type=code&client_id=demo&scope=openid%20email&state=s1&nonce=n2\
             &redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&code_challenge={CHALLENGE}\
             &code_challenge_method=S256{extra}"
        );
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        call(&t, request(Method::Get, &target, &headers, ""))
    };
    let none = authorize("&prompt=none", None);
    assert!(none
        .header("location")
        .unwrap()
        .contains("error=login_required"));

    let first = authorize("", None);
    let location = first.header("location").unwrap().to_string();
    assert!(location.starts_with("/signin?flow="), "{location}");
    // OIDC ui_locales reach the sign-in page as tags only; anything else is dropped.
    let french = authorize("&ui_locales=fr-CA%20fr%20en", None);
    assert!(french
        .header("location")
        .unwrap()
        .ends_with("&ui_locales=fr-CA+fr+en"));
    let odd = authorize("&ui_locales=%3Cscript%3E", None);
    assert!(!odd.header("location").unwrap().contains("ui_locales"));
    let flow = location
        .split("flow=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let done = call(
        &t,
        request(
            Method::Post,
            &format!("/v1/flows/{flow}/password"),
            &[("content-type", "application/json"), ("origin", ISSUER)],
            &serde_json::json!({"email": "ada@example.com", "password": PASSWORD}).to_string(),
        ),
    );
    assert_eq!(done.status, 200, "{}", json(&done));
    let redirect_to = json(&done)["redirect_to"].as_str().unwrap().to_string();
    assert!(redirect_to.starts_with("https://shop.example/callback?code="));
    let set_cookie = done.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly"));
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let code = redirect_to
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let tokens = post_form(
        &t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("client_id", "demo"),
            ("redirect_uri", "https://shop.example/callback"),
        ],
        &[],
    );
    assert_eq!(tokens.status, 200, "{}", json(&tokens));

    let sso = authorize("", Some(&cookie));
    assert!(sso
        .header("location")
        .unwrap()
        .starts_with("https://shop.example/callback?code="));
    let login = authorize("&prompt=login", Some(&cookie));
    assert!(login.header("location").unwrap().starts_with("/signin?"));
    t.clock.advance_seconds(120);
    let stale = authorize("&max_age=60", Some(&cookie));
    assert!(stale.header("location").unwrap().starts_with("/signin?"));

    // RP-initiated logout with the ID token ends the session.
    let id_token = json(&tokens)["id_token"].as_str().unwrap().to_string();
    let logout = call(
        &t,
        request(
            Method::Get,
            &format!("/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2F&state=bye"),
            &[("cookie", &cookie)],
            "",
        ),
    );
    assert_eq!(
        logout.header("location"),
        Some("https://shop.example/?state=bye")
    );
    assert!(authorize("", Some(&cookie))
        .header("location")
        .unwrap()
        .starts_with("/signin?"));
}

#[test]
fn oidc_discovery_and_jwks_describe_the_signing_key() {
    let t = TestPorts::new();
    let metadata = json(&call(
        &t,
        request(Method::Get, "/.well-known/openid-configuration", &[], ""),
    ));
    assert_eq!(metadata["issuer"], ISSUER);
    let jwks = json(&call(
        &t,
        request(Method::Get, "/.well-known/jwks.json", &[], ""),
    ));
    let tokens = tokens_for(&t, "ada@example.com");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                tokens["id_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
}

#[test]
fn rfc6749_4_4_client_credentials_and_rfc7662_introspection_for_confidential_clients() {
    let t = TestPorts::new();
    t.clients.insert(crate::clients::Client {
        id: "api".into(),
        client_type: crate::clients::ClientType::Confidential,
        secret_hash: Some(format!("sha256:{}", crate::crypto::sha256_hex("s3cret"))),
        grant_types: vec!["client_credentials".into()],
        allowed_scopes: Scopes::parse("orders:read"),
        ..crate::testing::demo_client()
    });
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api:s3cret")
    );
    let response = post_form(
        &t,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &basic)],
    );
    assert_eq!(response.status, 200, "{}", json(&response));
    let token = json(&response)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(claims(&token)["sub"], "api");
    assert_eq!(claims(&token)["scope"], "orders:read");

    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api:nope")
    );
    let refused = post_form(
        &t,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &wrong)],
    );
    assert_eq!(
        (refused.status, json(&refused)["error"].clone()),
        (401, "invalid_client".into())
    );

    let active = post_form(
        &t,
        "/introspect",
        &[("token", &token)],
        &[("authorization", &basic)],
    );
    assert_eq!(json(&active)["active"], true);
    let inactive = post_form(
        &t,
        "/introspect",
        &[("token", "nonsense")],
        &[("authorization", &basic)],
    );
    assert_eq!(json(&inactive), serde_json::json!({"active": false}));
    let public = post_form(
        &t,
        "/introspect",
        &[("token", &token), ("client_id", "demo")],
        &[],
    );
    assert_eq!(json(&public)["error"], "invalid_client");
}

#[test]
fn rfc7009_revoking_a_refresh_token_ends_the_grant() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let response = post_form(
        &t,
        "/revoke",
        &[("token", refresh_token), ("client_id", "demo")],
        &[],
    );
    assert_eq!(response.status, 200);
    assert_eq!(json(&refresh(&t, refresh_token))["error"], "invalid_grant");
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401
    );
    // §2.2: unknown tokens are not an error.
    let unknown = post_form(
        &t,
        "/revoke",
        &[("token", "whatever"), ("client_id", "demo")],
        &[],
    );
    assert_eq!(unknown.status, 200);
}

#[test]
fn nist_800_63b_3_2_2_failed_sign_ins_are_throttled_per_account_and_ip_alike_for_unknown_emails() {
    let t = TestPorts::new();
    tokens_for(&t, "ada@example.com");
    let attempt = |email: &str, password: &str| {
        let flow = start_flow(&t, "openid");
        post_json(
            &t,
            &format!("/v1/flows/{flow}/password"),
            serde_json::json!({"email": email, "password": password}),
        )
    };
    for email in ["ada@example.com", "nobody@example.com"] {
        for _ in 0..crate::throttle::MAX_FAILURES_PER_ACCOUNT_AND_IP {
            assert_eq!(attempt(email, "wrong").status, 401);
        }
        let throttled = attempt(email, PASSWORD);
        assert_eq!(
            (throttled.status, json(&throttled)["code"].clone()),
            (429, "too_many_attempts".into()),
            "{email}"
        );
    }
    // Another account is not affected; the window passes.
    assert_eq!(
        json(&sign_up(&t, "grace@example.com"))["status"],
        "authorization_code"
    );
    t.clock.advance_seconds(crate::throttle::WINDOW_SECONDS);
    assert_eq!(attempt("ada@example.com", PASSWORD).status, 200);
}

#[test]
fn rfc7636_4_4_1_an_embedded_flow_without_an_s256_challenge_is_refused() {
    let t = TestPorts::new();
    for body in [
        serde_json::json!({"client_id": "demo"}),
        serde_json::json!({"client_id": "demo", "code_challenge": CHALLENGE, "code_challenge_method": "plain"}),
        serde_json::json!({"client_id": "demo", "code_challenge": "short", "code_challenge_method": "S256"}),
    ] {
        let response = post_json(&t, "/v1/flows", body);
        assert_eq!(response.status, 400);
        assert_eq!(json(&response)["code"], "invalid_request");
    }
}

#[test]
fn rfc6749_4_1_2_an_expired_code_is_invalid_grant() {
    let t = TestPorts::new();
    let outcome = json(&sign_up(&t, "ada@example.com"));
    let code = outcome["authorization_code"].as_str().unwrap();
    t.clock
        .advance_seconds(crate::oauth::code::CODE_TTL_SECONDS);
    let response = redeem(&t, code);
    assert_eq!(
        (response.status, json(&response)["error"].clone()),
        (400, "invalid_grant".into())
    );
}

#[test]
fn rfc6749_4_1_3_a_code_issued_to_another_client_is_invalid_grant() {
    let t = TestPorts::new();
    t.clients.insert(crate::clients::Client {
        id: "other".into(),
        ..crate::testing::demo_client()
    });
    let outcome = json(&sign_up(&t, "ada@example.com"));
    let response = post_form(
        &t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", outcome["authorization_code"].as_str().unwrap()),
            ("code_verifier", VERIFIER),
            ("client_id", "other"),
        ],
        &[],
    );
    assert_eq!(json(&response)["error"], "invalid_grant");
}

// --- account-takeover paths: revocation, logout, cookies, introspection, silent SSO ---

/// `GET /authorize` for `client_id` with the usual parameters plus `extra`.
fn authorize_for(t: &TestPorts, client_id: &str, extra: &str, cookie: Option<&str>) -> Response {
    let target = format!(
        "/authorize?response_type=code&client_id={client_id}&scope=openid%20email&state=s1\
         &redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&code_challenge={CHALLENGE}\
         &code_challenge_method=S256{extra}"
    );
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    call(t, request(Method::Get, &target, &headers, ""))
}

fn location(response: &Response) -> String {
    response.header("location").unwrap_or_default().to_string()
}

/// Whether `cookie` is a live SSO session for the demo client (`prompt=none` gets a code).
fn signed_in(t: &TestPorts, cookie: &str) -> bool {
    location(&authorize_for(t, "demo", "&prompt=none", Some(cookie)))
        .starts_with("https://shop.example/callback?code=")
}

/// Signs `email` (an existing account) in on the hosted page, as a browser does; returns
/// the session cookie (`name=value`) and the tokens the code redeems for.
fn hosted_session(t: &TestPorts, email: &str) -> (String, Value) {
    let start = location(&authorize_for(t, "demo", "&nonce=n2", None));
    let flow = start
        .split("flow=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_string();
    let done = call(
        t,
        request(
            Method::Post,
            &format!("/v1/flows/{flow}/password"),
            &[("content-type", "application/json"), ("origin", ISSUER)],
            &serde_json::json!({"email": email, "password": PASSWORD}).to_string(),
        ),
    );
    assert_eq!(done.status, 200, "{}", json(&done));
    let cookie = done
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let redirect_to = json(&done)["redirect_to"].as_str().unwrap().to_string();
    let code = redirect_to
        .split("code=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap();
    let tokens = post_form(
        t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("client_id", "demo"),
            ("redirect_uri", "https://shop.example/callback"),
        ],
        &[],
    );
    assert_eq!(tokens.status, 200, "{}", json(&tokens));
    (cookie, json(&tokens))
}

/// A confidential client for introspection (RFC 7662 §2.1); returns its Basic header.
fn resource_server(t: &TestPorts) -> String {
    t.clients.insert(crate::clients::Client {
        id: "api".into(),
        client_type: crate::clients::ClientType::Confidential,
        secret_hash: Some(format!("sha256:{}", crate::crypto::sha256_hex("s3cret"))),
        grant_types: vec!["client_credentials".into()],
        ..crate::testing::demo_client()
    });
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api:s3cret")
    )
}

fn introspect(t: &TestPorts, basic: &str, token: &str) -> Value {
    json(&post_form(
        t,
        "/introspect",
        &[("token", token)],
        &[("authorization", basic)],
    ))
}

fn revoke(t: &TestPorts, token: &str) -> Response {
    post_form(
        t,
        "/revoke",
        &[("token", token), ("client_id", "demo")],
        &[],
    )
}

/// A handle-shaped secret nobody issued.
fn forged_secret() -> String {
    format!("{:A<43}", "forged")
}

#[test]
fn rfc7009_a_forged_secret_for_a_real_grant_revokes_nothing() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    let (grant_id, _) = refresh_token.split_once('.').unwrap();
    // §2.2: answered like any other revocation, and nothing happens.
    let forged = revoke(&t, &format!("{grant_id}.{}", forged_secret()));
    assert_eq!(forged.status, 200);
    assert_eq!(userinfo(&t, access_token).status, 200);
    let refreshed = refresh(&t, refresh_token);
    assert_eq!(refreshed.status, 200, "{}", json(&refreshed));
    // The real token still revokes the grant.
    let current = json(&refreshed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(revoke(&t, &current).status, 200);
    assert_eq!(json(&refresh(&t, &current))["error"], "invalid_grant");
}

#[test]
fn rfc9700_4_14_2_a_refresh_with_a_forged_secret_for_a_real_grant_is_not_reuse() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let r0 = tokens["refresh_token"].as_str().unwrap();
    let (grant_id, _) = r0.split_once('.').unwrap();
    let forged = refresh(&t, &format!("{grant_id}.{}", forged_secret()));
    assert_eq!(json(&forged)["error"], "invalid_grant");
    assert!(!t
        .events
        .summary()
        .iter()
        .any(|(event, _)| event == crate::events::types::REFRESH_REUSE));
    assert_eq!(refresh(&t, r0).status, 200, "the family is intact");
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        200
    );
}

#[test]
fn access_tokens_do_not_reveal_the_grant_id() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (grant_id, _) = refresh_token.split_once('.').unwrap();
    let refreshed = json(&refresh(&t, refresh_token));
    for access_token in [&tokens["access_token"], &refreshed["access_token"]] {
        let access_token = access_token.as_str().unwrap();
        let payload = claims(access_token).to_string();
        assert!(!payload.contains(grant_id), "{payload}");
        assert!(!access_token.contains(grant_id));
        // Whatever the token names its grant by is no grant id: a "refresh token" built
        // from it finds nothing to revoke.
        let reference = claims(access_token)["grant"].as_str().unwrap().to_string();
        assert_eq!(
            revoke(&t, &format!("{reference}.{}", forged_secret())).status,
            200
        );
    }
    let current = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&t, current).status, 200, "nothing was revoked");
    // The reference still ties the token to its grant: revoking the access token ends it.
    let access_token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&t, access_token).status, 200);
    assert_eq!(revoke(&t, access_token).status, 200);
    assert_eq!(userinfo(&t, access_token).status, 401);
    assert_eq!(json(&refresh(&t, current))["error"], "invalid_grant");
}

#[test]
fn rp_initiated_logout_2_asks_unless_the_hint_names_the_session_user() {
    let t = TestPorts::new();
    tokens_for(&t, "victim@example.com");
    let attackers = tokens_for(&t, "mallory@example.com");
    let (cookie, tokens) = hosted_session(&t, "victim@example.com");
    let logout = |hint: &str| {
        call(
            &t,
            request(
                Method::Get,
                &format!(
                    "/logout?id_token_hint={hint}\
                     &post_logout_redirect_uri=https%3A%2F%2Fshop.example%2F&state=bye"
                ),
                &[("cookie", &cookie)],
                "",
            ),
        )
    };
    // Someone else's valid ID token: a confirmation page, and the session lives on.
    let asked = logout(attackers["id_token"].as_str().unwrap());
    assert_eq!(asked.status, 200);
    assert!(asked.header("location").is_none());
    assert!(asked.header("set-cookie").is_none());
    let page = String::from_utf8(asked.body.clone()).unwrap();
    assert!(page.contains("method=post") && page.contains("name=confirmation"));
    assert!(
        page.contains("https://shop.example/"),
        "the form keeps where to return"
    );
    assert!(signed_in(&t, &cookie));
    // No hint: asked too.
    let no_hint = call(
        &t,
        request(Method::Get, "/logout", &[("cookie", &cookie)], ""),
    );
    assert_eq!(no_hint.status, 200);
    assert!(signed_in(&t, &cookie));
    // The person's own ID token: signed out at once, back to the client.
    let done = logout(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        done.header("location"),
        Some("https://shop.example/?state=bye")
    );
    assert!(done
        .header("set-cookie")
        .unwrap()
        .starts_with("__Host-portcullis_session=;"));
    assert!(!signed_in(&t, &cookie));
}

#[test]
fn a_logout_post_without_the_csrf_token_signs_nobody_out() {
    let t = TestPorts::new();
    tokens_for(&t, "victim@example.com");
    tokens_for(&t, "mallory@example.com");
    let (cookie, _) = hosted_session(&t, "victim@example.com");
    let (attackers_cookie, _) = hosted_session(&t, "mallory@example.com");
    let token_on_page = |cookie: &str| {
        let page = call(
            &t,
            request(Method::Get, "/logout", &[("cookie", cookie)], ""),
        );
        let body = String::from_utf8(page.body).unwrap();
        body.split("name=confirmation value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string()
    };
    let attackers_token = token_on_page(&attackers_cookie);
    let post = |pairs: &[(&str, &str)]| post_form(&t, "/logout", pairs, &[("cookie", &cookie)]);
    for (label, pairs) in [
        ("no token", vec![("client_id", "demo")]),
        ("empty token", vec![("confirmation", "")]),
        ("a made-up token", vec![("confirmation", "AAAA")]),
        (
            "another session's token",
            vec![("confirmation", attackers_token.as_str())],
        ),
    ] {
        let response = post(&pairs);
        assert!(response.header("set-cookie").is_none(), "{label}");
        assert!(response.header("location").is_none(), "{label}");
        assert!(signed_in(&t, &cookie), "{label}: the session survives");
    }
    // The form's own token, from this session's page, signs out.
    let token = token_on_page(&cookie);
    let done = post(&[
        ("confirmation", token.as_str()),
        ("client_id", "demo"),
        ("post_logout_redirect_uri", "https://shop.example/"),
    ]);
    assert_eq!(done.header("location"), Some("https://shop.example/"));
    assert!(!signed_in(&t, &cookie));
    assert!(signed_in(&t, &attackers_cookie), "only that session ended");
}

#[test]
fn session_cookie_uses_the_host_prefix_and_duplicates_are_no_session_at_authorize() {
    let t = TestPorts::new();
    tokens_for(&t, "victim@example.com");
    tokens_for(&t, "mallory@example.com");
    // http://localhost is a secure context: the cookie is Secure and `__Host-`.
    let (cookie, _) = hosted_session(&t, "victim@example.com");
    assert!(cookie.starts_with("__Host-portcullis_session="), "{cookie}");
    let (attackers, _) = hosted_session(&t, "mallory@example.com");
    assert!(signed_in(&t, &cookie));
    let tossed = format!("{attackers}; {cookie}");
    assert!(location(&authorize_for(&t, "demo", "", Some(&tossed))).starts_with("/signin?"));
    let unprefixed = cookie.replacen("__Host-", "", 1);
    assert!(!signed_in(&t, &unprefixed));
}

#[test]
fn rfc7662_introspection_reports_suspended_users_inactive() {
    let t = TestPorts::new();
    let basic = resource_server(&t);
    let tokens = tokens_for(&t, "ada@example.com");
    let sub = claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let access_token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&t, &basic, access_token)["active"], true);
    assert_eq!(introspect(&t, &basic, refresh_token)["active"], true);
    // As an administrator's change does: the store, then the person's grants.
    let set_status = |status| {
        t.users.set_status(&sub, status);
        pollster::block_on(crate::holders::sync(&t.ports(), &sub)).unwrap();
    };
    set_status(crate::users::UserStatus::Suspended);
    let inactive = serde_json::json!({"active": false});
    assert_eq!(introspect(&t, &basic, access_token), inactive);
    assert_eq!(introspect(&t, &basic, refresh_token), inactive);
    set_status(crate::users::UserStatus::Active);
    assert_eq!(introspect(&t, &basic, refresh_token)["active"], true);
}

#[test]
fn rfc7662_introspection_reports_reset_killed_refresh_tokens_inactive() {
    let t = TestPorts::new();
    let basic = resource_server(&t);
    let tokens = tokens_for(&t, "ada@example.com");
    let sub = claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let access_token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&t, &basic, refresh_token)["active"], true);
    t.clock.advance_seconds(5);
    let ports = t.ports();
    let reset_at = crate::ports::Clock::now(&t.clock);
    pollster::block_on(crate::ports::UserStore::set_password(
        ports.users,
        &sub,
        "$argon2id$new",
        reset_at,
        true,
    ))
    .unwrap();
    // What the reset flow does next (email::recovery): tell the person's grants.
    pollster::block_on(crate::holders::sync(&ports, &sub)).unwrap();
    let inactive = serde_json::json!({"active": false});
    assert_eq!(introspect(&t, &basic, refresh_token), inactive);
    assert_eq!(introspect(&t, &basic, access_token), inactive);
    // What introspection says is what refresh does.
    assert_eq!(json(&refresh(&t, refresh_token))["error"], "invalid_grant");
}

#[test]
fn silent_sso_applies_the_clients_verified_email_policy() {
    let t = TestPorts::new();
    t.clients.insert(crate::clients::Client {
        id: "strict".into(),
        requires_verified_email: true,
        ..crate::testing::demo_client()
    });
    tokens_for(&t, "ada@example.com");
    // Signed in on the hosted page for a client that does not require verification.
    let (cookie, _) = hosted_session(&t, "ada@example.com");
    assert!(signed_in(&t, &cookie));
    // The client that requires a verified address does not get the session's person.
    let interactive = location(&authorize_for(&t, "strict", "", Some(&cookie)));
    assert!(interactive.starts_with("/signin?"), "{interactive}");
    let silent = location(&authorize_for(&t, "strict", "&prompt=none", Some(&cookie)));
    assert!(
        silent.starts_with("https://shop.example/callback?error=interaction_required"),
        "{silent}"
    );
    assert!(!silent.contains("code="));
}

#[test]
fn one_policy_every_path_refresh_stops_when_the_client_no_longer_admits_the_person() {
    let t = TestPorts::new();
    let tokens = tokens_for(&t, "ada@example.com");
    let r0 = tokens["refresh_token"].as_str().unwrap();
    let r1 = json(&refresh(&t, r0))["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    t.clients.insert(crate::clients::Client {
        requires_verified_email: true,
        ..crate::testing::demo_client()
    });
    assert_eq!(json(&refresh(&t, &r1))["error"], "invalid_grant");
}

#[cfg(test)]
mod mfa;

#[test]
fn a_sign_in_beyond_the_grant_limit_ends_the_oldest_and_the_system_log_says_so() {
    let mut t = TestPorts::new();
    t.settings.max_grants_per_person = 2;
    let first = tokens_for(&t, "ada@example.com");
    let mut later = Vec::new();
    for _ in 0..2 {
        let flow = start_flow(&t, "openid email offline_access");
        let outcome = json(&post_json(
            &t,
            &format!("/v1/flows/{flow}/password"),
            serde_json::json!({"email": "ada@example.com", "password": PASSWORD}),
        ));
        let response = redeem(&t, outcome["authorization_code"].as_str().unwrap());
        assert_eq!(response.status, 200, "{}", json(&response));
        later.push(json(&response));
    }
    let first_refresh = refresh(&t, first["refresh_token"].as_str().unwrap());
    assert_eq!(first_refresh.status, 400);
    assert_eq!(json(&first_refresh)["error"], "invalid_grant");
    for tokens in &later {
        let response = refresh(&t, tokens["refresh_token"].as_str().unwrap());
        assert_eq!(response.status, 200, "{}", json(&response));
    }
    let events = t.events.events.borrow();
    let ended: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == crate::events::types::TOKEN_REVOKE)
        .collect();
    assert_eq!(ended.len(), 1, "one grant ended, one event");
    assert!(ended[0].display_message.contains("oldest grant"));
}
