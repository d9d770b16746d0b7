//! Administrators signing in as people: the console client's tokens through the edge's
//! HTTP surface, natively. The attacks come first: a customer's own token, a token of
//! another client, a stale sign-in, a skipped second factor, a removed administrator.

use data_encoding::BASE32_NOPAD;
use serde_json::{json, Value};

use super::*;
use crate::api::oidc_tests::{call, claims, json, post_form, post_json, request, PASSWORD};
use crate::clients::{Client, MfaPolicy};
use crate::crypto::totp::TotpSecret;
use crate::http::{Method, Response};
use crate::ports::{Clock, Group, UserStore};
use crate::testing::{demo_client, TestPorts};
use crate::users::UserStatus;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn console(mfa: MfaPolicy) -> Client {
    Client {
        id: CONSOLE_CLIENT_ID.into(),
        name: "Admin console".into(),
        mfa,
        ..demo_client()
    }
}

fn start(t: &TestPorts, client_id: &str, scope: &str) -> String {
    let started = post_json(
        t,
        "/v1/flows",
        json!({"client_id": client_id, "code_challenge": CHALLENGE,
               "code_challenge_method": "S256", "scope": scope, "nonce": "n1"}),
    );
    assert_eq!(started.status, 201, "{}", json(&started));
    json(&started)["flow_id"].as_str().unwrap().to_string()
}

fn step(t: &TestPorts, flow: &str, path: &str, body: Value) -> Value {
    let response = post_json(t, &format!("/v1/flows/{flow}/{path}"), body);
    assert_eq!(response.status, 200, "{}", json(&response));
    json(&response)
}

fn redeem(t: &TestPorts, client_id: &str, outcome: &Value) -> Value {
    assert_eq!(outcome["status"], "authorization_code", "{outcome}");
    let response = post_form(
        t,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", outcome["authorization_code"].as_str().unwrap()),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
        &[("origin", "https://shop.example")],
    );
    assert_eq!(response.status, 200, "{}", json(&response));
    json(&response)
}

/// Refreshes `tokens` (RFC 6749 §6) as the public client `client_id`.
fn refresh_at(t: &TestPorts, client_id: &str, tokens: &Value) -> Response {
    post_form(
        t,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", client_id),
        ],
        &[],
    )
}

/// Signs `email` up through `client_id`; their id and tokens.
fn sign_up(t: &TestPorts, client_id: &str, email: &str) -> (String, Value) {
    let flow = start(t, client_id, "openid email offline_access");
    let outcome = step(
        t,
        &flow,
        "sign-up",
        json!({"email": email, "password": PASSWORD}),
    );
    let tokens = redeem(t, client_id, &outcome);
    let id = claims(tokens["access_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    (id, tokens)
}

/// Signs `email` in with their password through `client_id`; the access token.
fn sign_in(t: &TestPorts, client_id: &str, email: &str) -> String {
    let flow = start(t, client_id, "openid email offline_access");
    let outcome = step(
        t,
        &flow,
        "password",
        json!({"email": email, "password": PASSWORD}),
    );
    redeem(t, client_id, &outcome)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn put_in_group(t: &TestPorts, name: &str, members: &[&str]) {
    let now = t.clock.now();
    pollster::block_on(t.ports().groups.create(&Group {
        id: format!("g-{name}"),
        display_name: name.into(),
        external_id: None,
        members: members.iter().map(|m| m.to_string()).collect(),
        created_at: now,
        updated_at: now,
    }))
    .unwrap();
}

fn admin_call(t: &TestPorts, method: Method, target: &str, token: &str, body: &str) -> Response {
    let bearer = format!("Bearer {token}");
    let media = if target.starts_with("/scim") {
        "application/scim+json"
    } else {
        "application/json"
    };
    call(
        t,
        request(
            method,
            target,
            &[("authorization", &bearer), ("content-type", media)],
            body,
        ),
    )
}

/// Every admin route, one call each that would read or change something.
fn every_admin_route(victim: &str) -> Vec<(Method, String, String)> {
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "mallory@example.com"})
    .to_string();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "portcullis-admins"})
    .to_string();
    let client =
        json!({"id": "evil", "name": "Evil", "redirect_uris": ["https://evil.example/cb"]})
            .to_string();
    let hook = json!({"name": "h", "url": "https://evil.example/hook",
                      "events": ["user.session.start"]})
    .to_string();
    let mut calls = vec![
        (Method::Get, "/scim/v2/Users".into(), String::new()),
        (
            Method::Get,
            format!("/scim/v2/Users/{victim}"),
            String::new(),
        ),
        (Method::Post, "/scim/v2/Users".into(), user),
        (
            Method::Delete,
            format!("/scim/v2/Users/{victim}"),
            String::new(),
        ),
        (Method::Get, "/scim/v2/Groups".into(), String::new()),
        (Method::Post, "/scim/v2/Groups".into(), group),
        (Method::Get, "/api/v1/logs".into(), String::new()),
        (Method::Get, "/admin/v1/clients".into(), String::new()),
        (Method::Post, "/admin/v1/clients".into(), client),
        (Method::Get, "/admin/v1/clients/demo".into(), String::new()),
        (
            Method::Delete,
            "/admin/v1/clients/demo".into(),
            String::new(),
        ),
        (
            Method::Post,
            "/admin/v1/clients/demo/secret".into(),
            String::new(),
        ),
        (Method::Get, "/admin/v1/hooks".into(), String::new()),
        (Method::Post, "/admin/v1/hooks".into(), hook),
        (Method::Get, "/admin/v1/inline-hooks".into(), String::new()),
        (
            Method::Get,
            format!("/admin/v1/users/{victim}"),
            String::new(),
        ),
    ];
    for action in crate::lifecycle::Action::ALL {
        calls.push((
            Method::Post,
            format!("/admin/v1/users/{victim}/lifecycle/{}", action.as_str()),
            String::new(),
        ));
    }
    calls
}

/// What an attacker could have changed: users, groups, clients, hooks, the victim.
fn world(t: &TestPorts, victim: &str) -> String {
    let ports = t.ports();
    let users = crate::scim::tests::users_in_store(t);
    let groups = pollster::block_on(ports.groups.list(None, 0, 100)).unwrap();
    let clients = pollster::block_on(ports.clients.list()).unwrap();
    let hooks = pollster::block_on(ports.hooks.list(None, 100)).unwrap();
    let victim = pollster::block_on(ports.users.find_by_id(victim)).unwrap();
    format!("{users:?}{groups:?}{clients:?}{hooks:?}{victim:?}")
}

#[test]
fn console_admin_a_customers_console_token_is_refused_on_every_admin_route_with_nothing_changed() {
    let t = TestPorts::new();
    t.clients.insert(console(MfaPolicy::Optional));
    let (victim, victim_tokens) = sign_up(&t, "demo", "victim@example.com");
    // Mallory signs in to the console; she is in a group, just not an administrators one.
    let (mallory, tokens) = sign_up(&t, CONSOLE_CLIENT_ID, "mallory@example.com");
    put_in_group(&t, "portcullis-admins-fans", &[&mallory]);
    let token = tokens["access_token"].as_str().unwrap();
    let before = world(&t, &victim);
    for (method, target, body) in every_admin_route(&victim) {
        let refused = admin_call(&t, method, &target, token, &body);
        assert_eq!(refused.status, 403, "{method:?} {target}");
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|c| c.contains("insufficient_scope")),
            "{target}"
        );
    }
    assert_eq!(world(&t, &victim), before);
    let refresh = refresh_at(&t, "demo", &victim_tokens);
    assert_eq!(refresh.status, 200, "the victim's sessions are untouched");
    let denied = crate::scim::tests::denied_actors(&t);
    assert_eq!(denied.len(), every_admin_route(&victim).len());
    assert!(denied
        .iter()
        .all(|(id, kind)| id == &mallory && kind == "User"));
}

#[test]
fn console_admin_a_token_for_another_client_is_never_an_admin_token() {
    let t = TestPorts::new();
    t.clients.insert(console(MfaPolicy::Optional));
    let (admin, _) = sign_up(&t, CONSOLE_CLIENT_ID, "root@example.com");
    put_in_group(&t, "portcullis-admins", &[&admin]);
    let flow = start(&t, "demo", "openid email");
    let outcome = step(
        &t,
        &flow,
        "password",
        json!({"email": "root@example.com", "password": PASSWORD}),
    );
    let token = redeem(&t, "demo", &outcome)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = admin_call(&t, Method::Get, "/scim/v2/Users", &token, "");
    assert_eq!(refused.status, 403);
    let console_token = sign_in(&t, CONSOLE_CLIENT_ID, "root@example.com");
    assert_eq!(
        admin_call(&t, Method::Get, "/scim/v2/Users", &console_token, "").status,
        200
    );
}

#[test]
fn console_admin_rights_come_from_the_groups_and_end_at_once_when_removed() {
    let t = TestPorts::new();
    t.clients.insert(console(MfaPolicy::Optional));
    let (customer, _) = sign_up(&t, "demo", "customer@example.com");
    let (admin, tokens) = sign_up(&t, CONSOLE_CLIENT_ID, "root@example.com");
    let (auditor, auditor_tokens) = sign_up(&t, CONSOLE_CLIENT_ID, "audit@example.com");
    put_in_group(&t, "Portcullis-Admins", &[&admin]);
    put_in_group(&t, "portcullis-auditors", &[&auditor]);
    let token = tokens["access_token"].as_str().unwrap();
    let reader = auditor_tokens["access_token"].as_str().unwrap();

    // An auditor reads, and changes nothing.
    assert_eq!(
        admin_call(&t, Method::Get, "/api/v1/logs", reader, "").status,
        200
    );
    let suspend = format!("/admin/v1/users/{customer}/lifecycle/suspend");
    let refused = admin_call(&t, Method::Post, &suspend, reader, "");
    assert_eq!(
        (refused.status, json(&refused)["code"].clone()),
        (403, json!("insufficient_scope"))
    );
    assert_eq!(
        admin_call(&t, Method::Get, "/admin/v1/clients", reader, "").status,
        403
    );

    // An administrator acts, and the System Log names them, through the console.
    let done = admin_call(&t, Method::Post, &suspend, token, "");
    assert_eq!(done.status, 200, "{}", json(&done));
    let stored = pollster::block_on(t.users.find_by_id(&customer))
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, UserStatus::Suspended);
    let event = t
        .events
        .events
        .borrow()
        .iter()
        .rfind(|e| e.event_type == "user.lifecycle.suspend")
        .cloned()
        .unwrap();
    assert_eq!(event.actor.kind, "User");
    assert_eq!(event.actor.id, admin);
    assert_eq!(
        event.actor.alternate_id.as_deref(),
        Some("root@example.com")
    );
    assert_eq!(event.client.id.as_deref(), Some(CONSOLE_CLIENT_ID));
    assert_eq!(event.target[0].id, customer);

    // Out of the group: the very next call is refused.
    let ports = t.ports();
    let mut group = pollster::block_on(ports.groups.find("g-Portcullis-Admins"))
        .unwrap()
        .unwrap();
    let expected = group.updated_at;
    group.members.clear();
    assert!(pollster::block_on(ports.groups.update(&group, expected)).unwrap());
    let unsuspend = format!("/admin/v1/users/{customer}/lifecycle/unsuspend");
    assert_eq!(
        admin_call(&t, Method::Post, &unsuspend, token, "").status,
        403
    );
    let stored = pollster::block_on(t.users.find_by_id(&customer))
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, UserStatus::Suspended);
}

#[test]
fn rfc9470_console_admin_a_sign_in_older_than_15_minutes_is_refused_even_after_a_refresh() {
    let t = TestPorts::new();
    t.clients.insert(Client {
        access_token_ttl: 3600,
        ..console(MfaPolicy::Optional)
    });
    let (admin, tokens) = sign_up(&t, CONSOLE_CLIENT_ID, "root@example.com");
    put_in_group(&t, "portcullis-admins", &[&admin]);
    let token = tokens["access_token"].as_str().unwrap();
    t.clock.advance_seconds(MAX_AUTH_AGE_SECONDS);
    assert_eq!(
        admin_call(&t, Method::Get, "/scim/v2/Users", token, "").status,
        200
    );
    t.clock.advance_seconds(1);
    let stale = admin_call(&t, Method::Get, "/admin/v1/clients", token, "");
    assert_eq!(
        (stale.status, json(&stale)["code"].clone()),
        (401, json!("insufficient_user_authentication"))
    );
    assert_eq!(
        stale.header("www-authenticate"),
        Some(
            "Bearer realm=\"portcullis\", error=\"insufficient_user_authentication\", \
             error_description=\"Sign in again to administer.\", max_age=\"900\""
        )
    );
    // A refreshed token keeps the sign-in's auth_time: still stale.
    let refreshed = refresh_at(&t, CONSOLE_CLIENT_ID, &tokens);
    assert_eq!(refreshed.status, 200);
    let again = json(&refreshed)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        admin_call(&t, Method::Get, "/scim/v2/Users", &again, "").status,
        401
    );
    // Signing in again does.
    let fresh = sign_in(&t, CONSOLE_CLIENT_ID, "root@example.com");
    assert_eq!(
        admin_call(&t, Method::Get, "/scim/v2/Users", &fresh, "").status,
        200
    );
}

#[test]
fn rfc9470_console_admin_with_an_authenticator_app_must_have_proved_it_whatever_the_client_says() {
    let t = TestPorts::new();
    t.clients.insert(console(MfaPolicy::Required));
    // Signing up on a console that requires a second factor enrols an app.
    let flow = start(&t, CONSOLE_CLIENT_ID, "openid email");
    let outcome = step(
        &t,
        &flow,
        "sign-up",
        json!({"email": "root@example.com", "password": PASSWORD}),
    );
    assert_eq!(outcome["status"], "enrol_second_factor", "{outcome}");
    let shown = step(&t, &flow, "mfa/totp/enrolment", json!({}));
    let phone = TotpSecret::from_bytes(
        BASE32_NOPAD
            .decode(shown["secret"].as_str().unwrap().as_bytes())
            .unwrap(),
    );
    let code = phone.code_at(t.clock.now());
    let outcome = step(
        &t,
        &flow,
        "mfa/totp/enrolment/confirm",
        json!({"code": code}),
    );
    let tokens = redeem(&t, CONSOLE_CLIENT_ID, &outcome);
    let token = tokens["access_token"].as_str().unwrap();
    let admin = claims(token)["sub"].as_str().unwrap().to_string();
    put_in_group(&t, "portcullis-admins", &[&admin]);
    assert_eq!(
        admin_call(&t, Method::Get, "/scim/v2/Users", token, "").status,
        200
    );

    // The operator turns the console's MFA off: a password alone still administers
    // nothing for someone who has an app.
    t.clients.insert(console(MfaPolicy::Off));
    let password_only = sign_in(&t, CONSOLE_CLIENT_ID, "root@example.com");
    assert_eq!(claims(&password_only)["acr"], "0");
    let refused = admin_call(&t, Method::Get, "/scim/v2/Users", &password_only, "");
    assert_eq!(refused.status, 401);
    assert!(refused
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"insufficient_user_authentication\""));
}

#[test]
fn console_admin_sign_in_freshness_and_second_factor_rules() {
    let now = 1_000_000;
    let at = |ago: u64, multi_factor| SignIn {
        auth_time: Some(now - ago),
        multi_factor,
    };
    assert!(at(0, false).is_enough(now, false));
    assert!(at(MAX_AUTH_AGE_SECONDS, false).is_enough(now, false));
    assert!(!at(MAX_AUTH_AGE_SECONDS + 1, true).is_enough(now, false));
    assert!(!at(0, false).is_enough(now, true));
    assert!(at(0, true).is_enough(now, true));
    let unknown = SignIn {
        auth_time: None,
        multi_factor: true,
    };
    assert!(!unknown.is_enough(now, false));
    let future = SignIn {
        auth_time: Some(now + 60),
        multi_factor: true,
    };
    assert!(!future.is_enough(now, false));
}

#[test]
fn console_admin_groups_give_their_rights_and_other_groups_none() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let all = rights_of_groups(&names(&["PORTCULLIS-ADMINS"]));
    assert!(AdminScope::ALL.iter().all(|s| s.held_by(&all)));
    let audit = rights_of_groups(&names(&["portcullis-auditors", "shop-admins"]));
    assert!(AdminScope::UsersRead.held_by(&audit) && AdminScope::LogsRead.held_by(&audit));
    assert!(!AdminScope::UsersManage.held_by(&audit));
    assert!(!AdminScope::ClientsManage.held_by(&audit));
    assert!(rights_of_groups(&names(&["portcullis-admins-fans", "admins"])).is_empty());
}
