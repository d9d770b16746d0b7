//! MFA and step-up through the HTTP surface: the account API's factors (RFC 9470
//! challenges), `acr_values` on embedded and hosted sign-in, and the `acr`/`amr` the
//! tokens then carry.

use data_encoding::BASE32_NOPAD;

use super::*;
use crate::clients::MfaPolicy;
use crate::crypto::totp::TotpSecret;
use crate::oauth::tokens::ACR_MULTI_FACTOR;
use crate::ports::Clock;

const ACCOUNT_API: &str = "http://localhost:8787/v1/me";
const EMAIL: &str = "ada@example.com";
const SCOPE: &str = "openid email offline_access account";

fn set_policy(t: &TestPorts, mfa: MfaPolicy) {
    t.clients.insert(crate::clients::Client {
        mfa,
        ..crate::testing::demo_client()
    });
}

/// An access token for the account API from the grant's refresh token.
fn account_token(t: &TestPorts, tokens: &Value) -> String {
    let refreshed = json(&token_request(
        t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "demo"),
            ("resource", ACCOUNT_API),
        ],
    ));
    refreshed["access_token"].as_str().unwrap().to_string()
}

fn me(t: &TestPorts, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str()), ("origin", PAGE)];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call(t, request(method, path, &headers, &body))
}

/// Enrols an authenticator app through the account API; the app, as a phone holds it,
/// and the recovery codes shown.
fn enrol(t: &TestPorts, token: &str) -> (TotpSecret, Vec<String>) {
    let begun = me(t, Method::Post, "/v1/me/factors/totp", token, None);
    assert_eq!(begun.status, 200, "{}", json(&begun));
    let secret = json(&begun)["secret"].as_str().unwrap().to_string();
    let phone = TotpSecret::from_bytes(BASE32_NOPAD.decode(secret.as_bytes()).unwrap());
    let wrong = me(
        t,
        Method::Post,
        "/v1/me/factors/totp/confirm",
        token,
        Some(serde_json::json!({"code": "000000"})),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(json(&wrong)["code"], "factor_code_invalid");
    let code = phone.code_at(t.clock.now());
    let added = me(
        t,
        Method::Post,
        "/v1/me/factors/totp/confirm",
        token,
        Some(serde_json::json!({"code": code})),
    );
    assert_eq!(added.status, 201, "{}", json(&added));
    let codes: Vec<String> =
        serde_json::from_value(json(&added)["recovery_codes"].clone()).unwrap();
    (phone, codes)
}

/// Signs in with password and app code in an embedded flow asking for `acr_values`.
fn sign_in_with_code(t: &TestPorts, phone: &TotpSecret, acr_values: &str) -> Value {
    let started = post_json(
        t,
        "/v1/flows",
        serde_json::json!({"client_id": "demo", "code_challenge": CHALLENGE,
                           "code_challenge_method": "S256", "scope": SCOPE,
                           "acr_values": acr_values}),
    );
    let flow = json(&started)["flow_id"].as_str().unwrap().to_string();
    let first = json(&post_json(
        t,
        &format!("/v1/flows/{flow}/password"),
        serde_json::json!({"email": EMAIL, "password": PASSWORD}),
    ));
    assert_eq!(first["status"], "second_factor", "{first}");
    assert_eq!(
        first["methods"],
        serde_json::json!(["totp", "recovery_code"])
    );
    let code = phone.code_at(t.clock.now());
    let done = json(&post_json(
        t,
        &format!("/v1/flows/{flow}/mfa/totp"),
        serde_json::json!({"code": code}),
    ));
    assert_eq!(done["status"], "authorization_code", "{done}");
    json(&redeem(t, done["authorization_code"].as_str().unwrap()))
}

#[test]
fn rfc9470_changing_factors_needs_a_sign_in_that_proved_one_and_the_last_of_a_required_client_stays(
) {
    let t = TestPorts::new();
    let tokens = json(&redeem(&t, &code_for(&t, EMAIL, SCOPE)));
    let one_factor = account_token(&t, &tokens);
    let listed = json(&me(&t, Method::Get, "/v1/me/factors", &one_factor, None));
    assert_eq!(
        listed,
        serde_json::json!({"factors": [], "recovery_codes_left": 0, "remembered_devices": []})
    );

    // The first app needs only a recent sign-in; the owner is told.
    let (phone, codes) = enrol(&t, &one_factor);
    assert_eq!(codes.len(), 10);
    let mail = t.mailer.last_to(EMAIL).unwrap();
    assert!(mail.subject.contains("authenticator app was added"));
    let listed = json(&me(&t, Method::Get, "/v1/me/factors", &one_factor, None));
    assert_eq!(listed["recovery_codes_left"], 10);
    let id = listed["factors"][0]["id"].as_str().unwrap().to_string();

    // With a factor on the account, a password-only token changes nothing: RFC 9470.
    for (method, path) in [
        (Method::Delete, format!("/v1/me/factors/{id}")),
        (Method::Post, "/v1/me/recovery-codes".to_string()),
        (Method::Post, "/v1/me/factors/totp".to_string()),
    ] {
        let refused = me(&t, method, &path, &one_factor, None);
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(json(&refused)["code"], "mfa_required");
        let challenge = refused.header("www-authenticate").unwrap_or_default();
        assert!(challenge.contains("error=\"insufficient_user_authentication\""));
        assert!(challenge.contains(&format!("acr_values=\"{ACR_MULTI_FACTOR}\"")));
    }

    // Stepping up: a sign-in asking for the multi-factor acr.
    t.clock.advance_seconds(60);
    let stepped = sign_in_with_code(&t, &phone, ACR_MULTI_FACTOR);
    let id_token = claims(stepped["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], ACR_MULTI_FACTOR);
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    let two_factors = account_token(&t, &stepped);
    assert_eq!(claims(&two_factors)["acr"], ACR_MULTI_FACTOR);

    let renewed = me(
        &t,
        Method::Post,
        "/v1/me/recovery-codes",
        &two_factors,
        None,
    );
    assert_eq!(renewed.status, 200);
    assert_ne!(json(&renewed)["recovery_codes"][0], codes[0].as_str());
    assert!(t
        .mailer
        .last_to(EMAIL)
        .unwrap()
        .subject
        .contains("New recovery codes"));

    // Never the last factor of an account whose client requires MFA.
    set_policy(&t, MfaPolicy::Required);
    let refused = me(
        &t,
        Method::Delete,
        &format!("/v1/me/factors/{id}"),
        &two_factors,
        None,
    );
    assert_eq!(refused.status, 409);
    assert_eq!(json(&refused)["code"], "last_factor");
    set_policy(&t, MfaPolicy::Optional);
    let removed = me(
        &t,
        Method::Delete,
        &format!("/v1/me/factors/{id}"),
        &two_factors,
        None,
    );
    assert_eq!(removed.status, 204);
    assert!(t
        .mailer
        .last_to(EMAIL)
        .unwrap()
        .subject
        .contains("was removed"));
    let listed = json(&me(&t, Method::Get, "/v1/me/factors", &two_factors, None));
    assert_eq!(
        listed,
        serde_json::json!({"factors": [], "recovery_codes_left": 0, "remembered_devices": []})
    );
    let gone = me(
        &t,
        Method::Delete,
        &format!("/v1/me/factors/{id}"),
        &two_factors,
        None,
    );
    assert_eq!(json(&gone)["code"], "factor_not_found");
}

#[test]
fn oidc_core_3_1_2_1_acr_values_refuse_a_one_factor_sso_session_and_step_it_up() {
    let t = TestPorts::new();
    let tokens = json(&redeem(&t, &code_for(&t, EMAIL, SCOPE)));
    let (phone, _) = enrol(&t, &account_token(&t, &tokens));
    t.clock.advance_seconds(60);

    // MFA off for the client: a password alone makes the SSO session.
    let (cookie, plain) = hosted_session(&t, EMAIL);
    assert_eq!(claims(plain["id_token"].as_str().unwrap())["acr"], "0");
    assert!(signed_in(&t, &cookie));

    let acr =
        "&acr_values=http%3A%2F%2Fschemas.openid.net%2Fpape%2Fpolicies%2F2007%2F06%2Fmulti-factor";
    let silent = location(&authorize_for(
        &t,
        "demo",
        &format!("{acr}&prompt=none"),
        Some(&cookie),
    ));
    assert!(silent.contains("error=interaction_required"), "{silent}");

    // The client now requires MFA: the same one-factor session is not reused either.
    set_policy(&t, MfaPolicy::Required);
    assert!(!signed_in(&t, &cookie));
    set_policy(&t, MfaPolicy::Off);

    // Interactively: the hosted page signs in again, with the second factor.
    let start = location(&authorize_for(&t, "demo", acr, Some(&cookie)));
    let flow = start
        .split("flow=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_string();
    let step = |path: &str, body: Value| {
        call(
            &t,
            request(
                Method::Post,
                &format!("/v1/flows/{flow}/{path}"),
                &[("content-type", "application/json"), ("origin", ISSUER)],
                &body.to_string(),
            ),
        )
    };
    let first = json(&step(
        "password",
        serde_json::json!({"email": EMAIL, "password": PASSWORD}),
    ));
    assert_eq!(first["status"], "second_factor", "{first}");
    let done = step(
        "mfa/totp",
        serde_json::json!({"code": phone.code_at(t.clock.now())}),
    );
    assert_eq!(done.status, 200, "{}", json(&done));
    let stepped_cookie = done
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
        .and_then(|r| r.split('&').next())
        .unwrap();
    let tokens = json(&post_form(
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
    ));
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], ACR_MULTI_FACTOR);
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert!(id_token["auth_time"].as_u64().is_some());
    // The new session proved two factors: the step-up request is now answered silently.
    let silent = location(&authorize_for(
        &t,
        "demo",
        &format!("{acr}&prompt=none"),
        Some(&stepped_cookie),
    ));
    assert!(
        silent.starts_with("https://shop.example/callback?code="),
        "{silent}"
    );
}

#[test]
fn security_keys_are_factors_listed_with_names_and_dates_removed_with_a_second_factor_never_the_last_of_a_required_client(
) {
    let t = TestPorts::new();
    let tokens = json(&redeem(&t, &code_for(&t, EMAIL, SCOPE)));
    let (phone, _) = enrol(&t, &account_token(&t, &tokens));
    t.clock.advance_seconds(60);
    let one_factor = account_token(&t, &json(&redeem(&t, &code_for(&t, EMAIL, SCOPE))));
    let two_factors = account_token(&t, &sign_in_with_code(&t, &phone, ACR_MULTI_FACTOR));
    let ports = t.ports();
    let user_id = pollster::block_on(ports.users.find_by_email(EMAIL))
        .unwrap()
        .unwrap()
        .id;
    let key = crate::ports::StoredCredential {
        user_id,
        record: crate::webauthn::CredentialRecord {
            id: vec![7; 16],
            public_key: vec![],
            sign_count: 0,
            uv_initialized: true,
            backup_eligible: false,
            backup_state: false,
        },
        transports: vec!["usb".into()],
        name: "YubiKey".into(),
        created_at: t.clock.now(),
        last_used_at: None,
    };
    pollster::block_on(ports.credentials.create(&key)).unwrap();

    // Listed after the apps, by the name its owner gave it, with its dates.
    let listed = json(&me(&t, Method::Get, "/v1/me/factors", &one_factor, None));
    let factors = listed["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 2, "{listed}");
    let app_id = factors[0]["id"].as_str().unwrap().to_string();
    assert_eq!(factors[1]["kind"], "security_key");
    assert_eq!(factors[1]["name"], "YubiKey");
    assert_eq!(factors[1]["created_at"], t.clock.now().as_seconds());
    let key_id = factors[1]["id"].as_str().unwrap().to_string();
    let key_path = format!("/v1/me/factors/{key_id}");

    // A password-only sign-in removes no key: RFC 9470, as for apps.
    let refused = me(&t, Method::Delete, &key_path, &one_factor, None);
    assert_eq!(refused.status, 401);
    assert_eq!(json(&refused)["code"], "mfa_required");

    // A client that requires MFA keeps the last factor, whichever kind it is, by either
    // route.
    set_policy(&t, MfaPolicy::Required);
    let app_path = format!("/v1/me/factors/{app_id}");
    assert_eq!(
        me(&t, Method::Delete, &app_path, &two_factors, None).status,
        204
    );
    let last = me(&t, Method::Delete, &key_path, &two_factors, None);
    assert_eq!(last.status, 409);
    assert_eq!(json(&last)["code"], "last_factor");
    let passkey_path = format!("/v1/me/passkeys/{key_id}");
    let last = me(&t, Method::Delete, &passkey_path, &two_factors, None);
    assert_eq!(json(&last)["code"], "last_factor");

    // Elsewhere it goes, and the owner is told.
    set_policy(&t, MfaPolicy::Optional);
    assert_eq!(
        me(&t, Method::Delete, &key_path, &two_factors, None).status,
        204
    );
    let mail = t.mailer.last_to(EMAIL).unwrap();
    assert!(
        mail.subject.contains("passkey or security key was removed"),
        "{}",
        mail.subject
    );
    let listed = json(&me(&t, Method::Get, "/v1/me/factors", &two_factors, None));
    assert_eq!(listed["factors"], serde_json::json!([]));
    let gone = me(&t, Method::Delete, &key_path, &two_factors, None);
    assert_eq!(json(&gone)["code"], "factor_not_found");
}
