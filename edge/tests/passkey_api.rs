//! Passkeys through the edge's HTTP API, natively (every port in memory), driven by a
//! WebAuthn client this project did not write: options go to 1Password's `passkey`
//! client as the JSON the edge sends, its credentials come back as the JSON a browser's
//! `PublicKeyCredential.toJSON()` would post.

#![allow(clippy::unwrap_used)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::http::{call, claims, form, json, post, redeem, start_flow, CHALLENGE, ISSUER, PAGE};
use common::{client, SoftClient};
use passkey::client::DefaultClientData;
use passkey::types::webauthn::{CredentialCreationOptions, CredentialRequestOptions};
use portcullis_edge::http::{Method, Response};
use portcullis_edge::oauth::claims::AccessTokenClaims;
use portcullis_edge::oauth::jws::{sign_compact, TYP_ACCESS_TOKEN};
use portcullis_edge::testing::TestPorts;
use serde_json::{json, Value};
use url::Url;

/// The RP ID the demo client's passkeys are for.
const RP_ID: &str = "shop.example";
/// The account API's resource indicator (RFC 8707), the `aud` of its tokens.
const ACCOUNT_API: &str = "https://id.shop.example/v1/me";

fn ports() -> TestPorts {
    let mut t = TestPorts::new();
    t.settings.rp_id = Some(RP_ID.into());
    t
}

fn origin() -> Url {
    Url::parse(PAGE).unwrap()
}

/// `navigator.credentials.create()` with the options the edge sent; the credential as
/// `toJSON()` would give it.
fn create(client: &mut SoftClient, options: &Value) -> Value {
    let options: CredentialCreationOptions = serde_json::from_value(options.clone()).unwrap();
    let created =
        pollster::block_on(client.register(&origin(), options, DefaultClientData)).unwrap();
    browser_json(serde_json::to_value(&created).unwrap())
}

/// The `passkey` crate serialises bytes as arrays of numbers; browsers' `toJSON()` (and
/// the edge) use base64url strings.
fn browser_json(value: Value) -> Value {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = items.iter().map(|b| b.as_u64().unwrap() as u8).collect();
            Value::String(URL_SAFE_NO_PAD.encode(bytes))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(browser_json).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, browser_json(v))).collect())
        }
        other => other,
    }
}

/// `navigator.credentials.get()` with the options the edge sent.
fn get(client: &mut SoftClient, options: &Value) -> Value {
    let options: CredentialRequestOptions = serde_json::from_value(options.clone()).unwrap();
    let got =
        pollster::block_on(client.authenticate(&origin(), options, DefaultClientData)).unwrap();
    browser_json(serde_json::to_value(&got).unwrap())
}

/// An embedded flow that asks for the account API's scope too, as the widget does.
fn start_account_flow(t: &TestPorts) -> String {
    let response = post(
        t,
        "/v1/flows",
        &json!({"client_id": "demo", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
                "scope": "openid email offline_access account"}),
    );
    assert_eq!(response.status, 201, "{}", json(&response));
    json(&response)["flow_id"].as_str().unwrap().to_string()
}

/// RFC 8707 §2.2: an access token for the account API from the grant of `tokens`, by
/// its refresh token, as the widget gets one beside the page's tokens. The response.
fn for_account_api(t: &TestPorts, tokens: &Value) -> Response {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "demo"),
            ("resource", ACCOUNT_API),
        ])
        .finish();
    form(t, "/token", &body)
}

/// The account API token of `tokens`' grant.
fn account_token(t: &TestPorts, tokens: &Value) -> String {
    let response = for_account_api(t, tokens);
    assert_eq!(response.status, 200, "{}", json(&response));
    json(&response)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Passkey-only sign-up of `email`; returns the client holding the passkey and the
/// token response.
fn sign_up(t: &TestPorts, email: &str) -> (SoftClient, Value) {
    sign_up_in(t, &start_account_flow(t), email)
}

/// Passkey-only sign-up of `email` in `flow`.
fn sign_up_in(t: &TestPorts, flow: &str, email: &str) -> (SoftClient, Value) {
    let mut client = client(true);
    let options = post(
        t,
        &format!("/v1/flows/{flow}/passkey/sign-up/options"),
        &json!({"email": email, "name": "Ada"}),
    );
    assert_eq!(options.status, 200, "{}", json(&options));
    let credential = create(&mut client, &json(&options));
    let done = post(t, &format!("/v1/flows/{flow}/passkey/sign-up"), &credential);
    assert_eq!(done.status, 200, "{}", json(&done));
    (client, redeem(t, &done, "demo"))
}

/// Sign-in options for `email` (or usernameless without), in a new flow.
fn sign_in_options(t: &TestPorts, email: Option<&str>) -> (String, Value) {
    let flow = start_account_flow(t);
    let body = email.map_or(json!({}), |e| json!({"email": e}));
    let options = post(t, &format!("/v1/flows/{flow}/passkey/options"), &body);
    assert_eq!(options.status, 200, "{}", json(&options));
    (flow, json(&options))
}

fn me(t: &TestPorts, method: Method, path: &str, token: &str, body: &str) -> Response {
    let bearer = format!("Bearer {token}");
    call(
        t,
        method,
        path,
        &[
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
            ("origin", PAGE),
        ],
        body,
    )
}

fn allowed_ids(options: &Value) -> Vec<String> {
    options["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn passkey_sign_up_then_sign_in_end_in_tokens_with_swk_and_mfa_amr_rfc8176() {
    let t = ports();
    let (mut client, tokens) = sign_up(&t, "ada@shop.example");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "ada@shop.example");
    assert!(id_token["amr"].as_array().unwrap().contains(&json!("swk")));
    assert!(
        !id_token["amr"].as_array().unwrap().contains(&json!("hwk")),
        "no attestation proved hardware"
    );
    assert!(id_token["amr"].as_array().unwrap().contains(&json!("mfa")));
    assert_eq!(
        id_token["acr"],
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
    );

    let (flow, options) = sign_in_options(&t, Some("Ada@Shop.example"));
    assert_eq!(options["publicKey"]["rpId"], RP_ID);
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(allowed_ids(&options).len(), 1);
    let assertion = get(&mut client, &options);
    let done = post(&t, &format!("/v1/flows/{flow}/passkey"), &assertion);
    assert_eq!(done.status, 200, "{}", json(&done));
    let tokens = redeem(&t, &done, "demo");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id_token["sub"],
        claims(tokens["access_token"].as_str().unwrap())["sub"]
    );
    assert!(id_token["amr"].as_array().unwrap().contains(&json!("swk")));

    let events = t.events.summary();
    for expected in [
        "user.registration.create",
        "user.mfa.factor.activate",
        "user.authentication.auth_via_webauthn",
    ] {
        assert!(
            events
                .iter()
                .any(|(kind, outcome)| kind == expected && outcome == "SUCCESS"),
            "{expected} missing from {events:?}"
        );
    }
}

#[test]
fn webauthn_7_2_step_12_a_challenge_answers_once_and_only_in_its_own_flow() {
    let t = ports();
    let (mut client, _) = sign_up(&t, "ada@shop.example");
    let (flow_a, options) = sign_in_options(&t, Some("ada@shop.example"));
    let assertion = get(&mut client, &options);

    // Posted to another flow: refused, and the challenge is spent.
    let flow_b = start_flow(&t);
    let wrong = post(&t, &format!("/v1/flows/{flow_b}/passkey"), &assertion);
    assert_eq!(json(&wrong)["code"], "webauthn_challenge_mismatch");
    let replay = post(&t, &format!("/v1/flows/{flow_a}/passkey"), &assertion);
    assert_eq!(replay.status, 400);
    assert_eq!(json(&replay)["code"], "webauthn_challenge_mismatch");
}

#[test]
fn options_for_an_address_without_passkeys_look_like_options_for_one_with() {
    let t = ports();
    sign_up(&t, "ada@shop.example");
    let (_, known) = sign_in_options(&t, Some("ada@shop.example"));
    let (_, unknown) = sign_in_options(&t, Some("nobody@shop.example"));
    let (_, again) = sign_in_options(&t, Some("nobody@shop.example"));
    let (_, other) = sign_in_options(&t, Some("someone@shop.example"));

    let shape = |options: &Value| {
        let mut keys: Vec<String> = options["publicKey"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        let ids = allowed_ids(options);
        let lengths: Vec<usize> = ids
            .iter()
            .map(|id| URL_SAFE_NO_PAD.decode(id).unwrap().len())
            .collect();
        (
            keys,
            lengths.len(),
            options["publicKey"]["allowCredentials"][0]["transports"].clone(),
        )
    };
    assert_eq!(shape(&known).0, shape(&unknown).0);
    assert_eq!(shape(&known).1, shape(&unknown).1);
    assert_eq!(
        allowed_ids(&unknown),
        allowed_ids(&again),
        "decoys are stable"
    );
    assert_ne!(
        allowed_ids(&unknown),
        allowed_ids(&other),
        "decoys differ per address"
    );
    assert_ne!(allowed_ids(&unknown), allowed_ids(&known));
}

#[test]
fn a_decoy_credential_or_a_stranger_passkey_does_not_sign_in_as_the_named_account() {
    let t = ports();
    let (mut ada, _) = sign_up(&t, "ada@shop.example");
    sign_up(&t, "bob@shop.example");
    // Options name Bob's account; Ada's passkey answers (a client ignoring allowCredentials).
    let (flow, bob_options) = sign_in_options(&t, Some("bob@shop.example"));
    let (_, ada_options) = sign_in_options(&t, Some("ada@shop.example"));
    let mut options = ada_options.clone();
    options["publicKey"]["challenge"] = bob_options["publicKey"]["challenge"].clone();
    let assertion = get(&mut ada, &options);
    let refused = post(&t, &format!("/v1/flows/{flow}/passkey"), &assertion);
    assert_eq!(json(&refused)["code"], "webauthn_unknown_credential");
}

#[test]
fn passkey_sign_up_of_a_registered_address_is_refused_and_stores_nothing() {
    let t = ports();
    sign_up(&t, "ada@shop.example");
    let mut client = client(true);
    let flow = start_flow(&t);
    let options = post(
        &t,
        &format!("/v1/flows/{flow}/passkey/sign-up/options"),
        &json!({"email": "ADA@shop.example"}),
    );
    let credential = create(&mut client, &json(&options));
    let refused = post(
        &t,
        &format!("/v1/flows/{flow}/passkey/sign-up"),
        &credential,
    );
    assert_eq!(refused.status, 401);
    assert_eq!(json(&refused)["code"], "invalid_credentials");
    let id = URL_SAFE_NO_PAD
        .decode(credential["rawId"].as_str().unwrap())
        .unwrap();
    use portcullis_edge::ports::CredentialStore;
    assert_eq!(pollster::block_on(t.users.find(&id)).unwrap(), None);
}

#[test]
fn the_account_api_lists_adds_renames_and_deletes_passkeys() {
    let t = ports();
    let (mut first, tokens) = sign_up(&t, "ada@shop.example");
    let token = &account_token(&t, &tokens);

    let listed = me(&t, Method::Get, "/v1/me/passkeys", token, "");
    assert_eq!(listed.status, 200, "{}", json(&listed));
    let list = json(&listed);
    assert_eq!(list["rp_id"], RP_ID);
    assert_eq!(list["name"], "ada@shop.example");
    assert_eq!(list["display_name"], "Ada");
    assert_eq!(list["passkeys"].as_array().unwrap().len(), 1);
    let first_id = list["passkeys"][0]["id"].as_str().unwrap().to_string();

    // The only way into a passwordless account cannot be deleted.
    let last = me(
        &t,
        Method::Delete,
        &format!("/v1/me/passkeys/{first_id}"),
        token,
        "",
    );
    assert_eq!(last.status, 409);
    assert_eq!(json(&last)["code"], "last_sign_in_method");

    // A second passkey, from another authenticator; the first is excluded.
    let options = me(&t, Method::Post, "/v1/me/passkeys/options", token, "");
    assert_eq!(options.status, 200, "{}", json(&options));
    let options = json(&options);
    assert_eq!(
        options["publicKey"]["excludeCredentials"][0]["id"],
        first_id.as_str()
    );
    let mut second = client(true);
    let credential = create(&mut second, &options);
    let added = me(
        &t,
        Method::Post,
        "/v1/me/passkeys",
        token,
        &credential.to_string(),
    );
    assert_eq!(added.status, 201, "{}", json(&added));
    assert_eq!(json(&added)["name"], "Passkey 2");

    let renamed = me(
        &t,
        Method::Patch,
        &format!("/v1/me/passkeys/{first_id}"),
        token,
        r#"{"name": "  Work laptop  "}"#,
    );
    assert_eq!(renamed.status, 200, "{}", json(&renamed));
    assert_eq!(json(&renamed)["name"], "Work laptop");
    let blank = me(
        &t,
        Method::Patch,
        &format!("/v1/me/passkeys/{first_id}"),
        token,
        r#"{"name": " "}"#,
    );
    assert_eq!(json(&blank)["code"], "invalid_request");

    let deleted = me(
        &t,
        Method::Delete,
        &format!("/v1/me/passkeys/{first_id}"),
        token,
        "",
    );
    assert_eq!(deleted.status, 204);
    let again = me(
        &t,
        Method::Delete,
        &format!("/v1/me/passkeys/{first_id}"),
        token,
        "",
    );
    assert_eq!(json(&again)["code"], "passkey_not_found");

    // The deleted passkey no longer signs in; the second one does.
    let (flow, options) = sign_in_options(&t, None);
    let mut named = options.clone();
    named["publicKey"]["allowCredentials"] = json!([{"type": "public-key", "id": first_id}]);
    let assertion = get(&mut first, &named);
    let refused = post(&t, &format!("/v1/flows/{flow}/passkey"), &assertion);
    assert_eq!(refused.status, 400);
    assert_eq!(json(&refused)["code"], "webauthn_unknown_credential");

    let events = t.events.summary();
    for expected in ["user.mfa.factor.update", "user.mfa.factor.deactivate"] {
        assert!(
            events.iter().any(|(kind, _)| kind == expected),
            "{expected} missing"
        );
    }
}

#[test]
fn the_account_api_needs_a_live_token_from_an_allowed_page() {
    let t = ports();
    let (_, tokens) = sign_up(&t, "ada@shop.example");
    let token = &account_token(&t, &tokens);
    let none = call(&t, Method::Get, "/v1/me/passkeys", &[("origin", PAGE)], "");
    assert_eq!(none.status, 401);
    assert_eq!(json(&none)["code"], "unauthorized");
    let forged = me(&t, Method::Get, "/v1/me/passkeys", "e30.e30.c2ln", "");
    assert_eq!(json(&forged)["code"], "unauthorized");
    let bearer = format!("Bearer {token}");
    let elsewhere = call(
        &t,
        Method::Get,
        "/v1/me/passkeys",
        &[
            ("authorization", bearer.as_str()),
            ("origin", "https://evil.example"),
        ],
        "",
    );
    assert_eq!(elsewhere.status, 403);
    assert_eq!(json(&elsewhere)["code"], "origin_not_allowed");
    let put = me(&t, Method::Put, "/v1/me/passkeys", token, "");
    assert_eq!(put.status, 405);
}

#[test]
fn malformed_passkey_bodies_are_clear_400s_never_500s() {
    let t = ports();
    let flow = start_flow(&t);
    let garbage_client_data = URL_SAFE_NO_PAD.encode(b"not json");
    let bodies = [
        json!({}),
        json!({"id": "x", "rawId": "x", "type": "public-key", "response": {}}),
        json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
               "response": {"clientDataJSON": garbage_client_data, "authenticatorData": "AAAA",
                            "signature": "AAAA"}}),
        json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
               "response": {"clientDataJSON": URL_SAFE_NO_PAD.encode(
                   br#"{"type":"webauthn.get","challenge":"bm9wZQ","origin":"https://shop.example"}"#),
                            "authenticatorData": "AAAA", "signature": "AAAA"}}),
    ];
    for body in bodies {
        let response = post(&t, &format!("/v1/flows/{flow}/passkey"), &body);
        assert_eq!(response.status, 400, "{body} -> {}", json(&response));
        let code = json(&response)["code"].as_str().unwrap().to_string();
        assert!(
            code == "invalid_request" || code.starts_with("webauthn_"),
            "{code}"
        );
    }
    let unknown_flow = post(&t, "/v1/flows/nope/passkey/options", &json!({}));
    assert_eq!(json(&unknown_flow)["code"], "flow_not_found");
    let bad_email = post(
        &t,
        &format!("/v1/flows/{flow}/passkey/options"),
        &json!({"email": "not an email"}),
    );
    assert_eq!(json(&bad_email)["code"], "invalid_request");
}

#[test]
fn options_need_a_live_flow_and_an_allowed_page() {
    let t = ports();
    let flow = start_flow(&t);
    let refused = call(
        &t,
        Method::Post,
        &format!("/v1/flows/{flow}/passkey/options"),
        &[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
        ],
        "{}",
    );
    assert_eq!(refused.status, 403);
    assert_eq!(
        call(&t, Method::Delete, &format!("/v1/flows/{flow}"), &[], "").status,
        204
    );
    let dead = post(&t, &format!("/v1/flows/{flow}/passkey/options"), &json!({}));
    assert_eq!(json(&dead)["code"], "flow_not_found");
}

#[test]
fn well_known_webauthn_lists_the_related_origins() {
    let t = ports();
    let response = call(&t, Method::Get, "/.well-known/webauthn", &[], "");
    assert_eq!(response.status, 200);
    assert_eq!(json(&response), json!({"origins": [ISSUER, PAGE]}));
}

#[test]
fn with_verification_required_a_taken_address_gets_the_new_account_answer_for_passkeys_too() {
    let t = ports();
    let mut strict = portcullis_edge::testing::demo_client();
    strict.id = "strict".into();
    strict.name = "Strict Shop".into();
    strict.requires_verified_email = true;
    t.clients.insert(strict);
    sign_up(&t, "ada@shop.example");

    let answer = |email: &str| {
        let mut client = client(true);
        let flow = common::http::start_flow_for(&t, "strict");
        let options = post(
            &t,
            &format!("/v1/flows/{flow}/passkey/sign-up/options"),
            &json!({ "email": email }),
        );
        let credential = create(&mut client, &json(&options));
        let done = post(
            &t,
            &format!("/v1/flows/{flow}/passkey/sign-up"),
            &credential,
        );
        (done.status, json(&done))
    };
    let taken = answer("ada@shop.example");
    let fresh = answer("new@shop.example");
    assert_eq!(taken, fresh);
    assert_eq!(taken.1["status"], "verify_email");
    let mail = t.mailer.last_to("ada@shop.example").unwrap();
    assert_eq!(mail.subject, "You already have an account with Strict Shop");
}

// Changing how an account signs in: its own audience and scope, a recent sign-in, and
// an email to the owner.

fn challenge(response: &Response) -> String {
    response
        .headers
        .iter()
        .find(|(name, _)| name == "www-authenticate")
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

#[test]
fn account_api_refuses_tokens_for_another_audience() {
    let t = ports();
    let (_, tokens) = sign_up(&t, "ada@shop.example");
    // The page's token: for userinfo and the site's own APIs, where it may travel.
    let page_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(page_token)["aud"], ISSUER);
    for (method, path) in [
        (Method::Get, "/v1/me/passkeys"),
        (Method::Post, "/v1/me/passkeys/options"),
        (Method::Delete, "/v1/me/passkeys/AAAA"),
    ] {
        let refused = me(&t, method, path, page_token, "");
        assert_eq!(refused.status, 401, "{path}: {}", json(&refused));
        assert_eq!(json(&refused)["code"], "unauthorized");
    }
    // The same grant's token for the account API is the one that works.
    let token = account_token(&t, &tokens);
    assert_eq!(claims(&token)["aud"], ACCOUNT_API);
    assert_eq!(claims(&token)["scope"], "account");
    let listed = me(&t, Method::Get, "/v1/me/passkeys", &token, "");
    assert_eq!(listed.status, 200, "{}", json(&listed));
}

#[test]
fn account_api_refuses_tokens_without_the_account_scope() {
    let t = ports();
    // A grant without `account` yields no token for the account API...
    let (_, tokens) = sign_up_in(&t, &start_flow(&t), "ada@shop.example");
    let refused = for_account_api(&t, &tokens);
    assert_eq!(refused.status, 400);
    assert_eq!(json(&refused)["error"], "invalid_target");
    // ...before its refresh token rotates: it still works.
    assert_eq!(
        json(&common::http::form(
            &t,
            "/token",
            &format!(
                "grant_type=refresh_token&client_id=demo&refresh_token={}",
                tokens["refresh_token"].as_str().unwrap()
            )
        ))["token_type"],
        "Bearer"
    );
    // Its own token manages nothing.
    let page_token = tokens["access_token"].as_str().unwrap();
    let listed = me(&t, Method::Get, "/v1/me/passkeys", page_token, "");
    assert_eq!(json(&listed)["code"], "unauthorized");

    // A token for the account API's audience without the scope, should one ever be
    // signed, is refused as RFC 6750 §3.1 says.
    let ring = pollster::block_on(portcullis_edge::oauth::keys::load(&t.ports())).unwrap();
    let mut scopeless: AccessTokenClaims = serde_json::from_value(claims(page_token)).unwrap();
    scopeless.aud = ACCOUNT_API.into();
    let forged = pollster::block_on(sign_compact(
        ring.signer.as_ref(),
        TYP_ACCESS_TOKEN,
        &scopeless,
    ))
    .unwrap();
    let refused = me(&t, Method::Get, "/v1/me/passkeys", &forged, "");
    assert_eq!(refused.status, 403, "{}", json(&refused));
    assert_eq!(json(&refused)["code"], "insufficient_scope");
    assert!(challenge(&refused).contains("error=\"insufficient_scope\""));
    assert!(challenge(&refused).ends_with("scope=\"account\""));
}

#[test]
fn account_api_needs_authentication_within_five_minutes_rfc9470() {
    let t = ports();
    let (mut device, tokens) = sign_up(&t, "ada@shop.example");
    let token = account_token(&t, &tokens);
    let id = me(&t, Method::Get, "/v1/me/passkeys", &token, "");
    let id = json(&id)["passkeys"][0]["id"].as_str().unwrap().to_string();

    // Five minutes after signing in, changes are still allowed.
    t.clock.advance_seconds(300);
    let options = me(&t, Method::Post, "/v1/me/passkeys/options", &token, "");
    assert_eq!(options.status, 200, "{}", json(&options));

    // A second later the token still lives (10 minutes), but its sign-in is too old.
    t.clock.advance_seconds(1);
    let add = create(&mut client(true), &json(&options)).to_string();
    for (method, path, body) in [
        (
            Method::Post,
            "/v1/me/passkeys/options".to_string(),
            String::new(),
        ),
        (Method::Post, "/v1/me/passkeys".into(), add),
        (
            Method::Patch,
            format!("/v1/me/passkeys/{id}"),
            r#"{"name": "Mine"}"#.into(),
        ),
        (
            Method::Delete,
            format!("/v1/me/passkeys/{id}"),
            String::new(),
        ),
    ] {
        let refused = me(&t, method, &path, &token, &body);
        assert_eq!(refused.status, 401, "{path}: {}", json(&refused));
        assert_eq!(json(&refused)["code"], "reauthentication_required");
        let challenge = challenge(&refused);
        assert!(
            challenge.starts_with("Bearer error=\"insufficient_user_authentication\""),
            "{challenge}"
        );
        assert!(challenge.ends_with(", max_age=\"300\""), "{challenge}");
    }
    // Reading the list changes nothing: the token is enough.
    let listed = me(&t, Method::Get, "/v1/me/passkeys", &token, "");
    assert_eq!(listed.status, 200);
    assert_eq!(json(&listed)["passkeys"].as_array().unwrap().len(), 1);

    // A fresh sign-in (the passkey again) makes changes possible again.
    let (flow, options) = sign_in_options(&t, Some("ada@shop.example"));
    let assertion = get(&mut device, &options);
    let done = post(&t, &format!("/v1/flows/{flow}/passkey"), &assertion);
    let fresh = account_token(&t, &redeem(&t, &done, "demo"));
    let renamed = me(
        &t,
        Method::Patch,
        &format!("/v1/me/passkeys/{id}"),
        &fresh,
        r#"{"name": "Mine"}"#,
    );
    assert_eq!(renamed.status, 200, "{}", json(&renamed));
}

#[test]
fn adding_a_passkey_emails_the_owner() {
    let t = ports();
    let (_, tokens) = sign_up(&t, "ada@shop.example");
    let token = account_token(&t, &tokens);
    let before = t.mailer.sent.borrow().len();
    let options = me(&t, Method::Post, "/v1/me/passkeys/options", &token, "");
    let credential = create(&mut client(true), &json(&options));
    let bearer = format!("Bearer {token}");
    let added = call(
        &t,
        Method::Post,
        "/v1/me/passkeys",
        &[
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
            ("origin", PAGE),
            ("accept-language", "de-DE,de;q=0.9"),
        ],
        &credential.to_string(),
    );
    assert_eq!(added.status, 201, "{}", json(&added));
    let sent = t.mailer.sent.borrow();
    assert_eq!(sent.len(), before + 1, "one email, to the owner");
    let mail = t.mailer.last_to("ada@shop.example").unwrap();
    // In the language the widget showed.
    assert_eq!(
        mail.subject,
        "Ihrem Konto bei Portcullis Demo wurde ein Passkey hinzugefügt"
    );
    assert!(mail.text.contains("Wenn nicht"), "{}", mail.text);
    assert!(!mail.text.contains(&token), "no token in the email");

    // Renaming or deleting adds no way in: no email.
    let id = json(&added)["id"].as_str().unwrap().to_string();
    drop(sent);
    me(
        &t,
        Method::Patch,
        &format!("/v1/me/passkeys/{id}"),
        &token,
        r#"{"name": "Desk"}"#,
    );
    assert_eq!(t.mailer.sent.borrow().len(), before + 1);
}
