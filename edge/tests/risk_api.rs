//! Adaptive sign-on and attack protection through the edge's HTTP API, natively: signals
//! set through the test port (Cloudflare's `request.cf` in a deployment), Turnstile and
//! Pwned Passwords answered by stand-ins speaking their APIs' formats, every mail read
//! back from the in-memory mailer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::http::{call, claims, code_in, json, redeem, start_flow_for, text, PAGE};
use portcullis_edge::clients::AdaptiveMfa;
use portcullis_edge::http::{Method, Response};
use portcullis_edge::signals::Signals;
use portcullis_edge::testing::{auckland, demo_client, paris, TestPorts};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple 42";
const EMAIL: &str = "ada@example.com";

fn ports() -> TestPorts {
    let t = TestPorts::new();
    let mut adaptive = demo_client();
    adaptive.id = "adaptive".into();
    adaptive.protection.adaptive_mfa = AdaptiveMfa::HighRisk;
    t.clients.insert(adaptive);
    let mut always = demo_client();
    always.id = "always".into();
    always.protection.adaptive_mfa = AdaptiveMfa::Always;
    t.clients.insert(always);
    let mut guarded = demo_client();
    guarded.id = "guarded".into();
    guarded.protection.human_check = true;
    guarded.protection.breached_password_check = true;
    t.clients.insert(guarded);
    t
}

/// A JSON POST from the client's page, with the browser's cookies.
fn post_with(t: &TestPorts, path: &str, body: &Value, cookie: Option<&str>) -> Response {
    let mut headers = vec![("content-type", "application/json"), ("origin", PAGE)];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    call(t, Method::Post, path, &headers, &body.to_string())
}

fn step(t: &TestPorts, client: &str, kind: &str, body: Value, cookie: Option<&str>) -> Response {
    let flow = start_flow_for(t, client);
    post_with(t, &format!("/v1/flows/{flow}/{kind}"), &body, cookie)
}

fn sign_up(t: &TestPorts, client: &str) -> Response {
    let body = json!({"email": EMAIL, "password": PASSWORD});
    step(t, client, "sign-up", body, None)
}

fn sign_in(t: &TestPorts, client: &str, password: &str, cookie: Option<&str>) -> Response {
    let body = json!({"email": EMAIL, "password": password});
    step(t, client, "password", body, cookie)
}

/// The `name=value` of the remembered-device cookie the response sets.
fn device_cookie(response: &Response) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .find(|(_, v)| v.starts_with("__Host-portcullis_device="))
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
}

/// The `outcome.reason` of every System Log event of `event_type`.
fn logged(t: &TestPorts, event_type: &str) -> Vec<String> {
    t.events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| e.outcome.reason.clone().unwrap_or_default())
        .collect()
}

/// Signs up in Paris at `client` and returns the browser's device cookie.
fn settled_in_paris(t: &TestPorts, client: &str) -> String {
    t.signals.set(paris());
    let done = sign_up(t, client);
    assert_eq!(done.status, 200, "{}", text(&done));
    device_cookie(&done).expect("the browser is remembered")
}

#[test]
fn adaptive_a_new_country_asks_an_optional_client_for_an_emailed_code_and_the_log_says_why() {
    let t = ports();
    settled_in_paris(&t, "adaptive");
    t.clock.advance_seconds(48 * 3600);
    // Someone with the password, in Auckland, in another browser.
    t.signals.set(auckland());
    let flow = start_flow_for(&t, "adaptive");
    let body = json!({"email": EMAIL, "password": PASSWORD});
    let challenged = post_with(&t, &format!("/v1/flows/{flow}/password"), &body, None);
    assert_eq!(challenged.status, 200, "{}", text(&challenged));
    assert_eq!(json(&challenged)["status"], "verify_email");
    assert!(json(&challenged).get("authorization_code").is_none());
    assert_eq!(
        device_cookie(&challenged),
        None,
        "nothing remembered before the code"
    );
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk high: new_country(FR->NZ), new_device; challenge"
    );
    assert_eq!(
        logged(&t, "security.threat.detected"),
        vec!["risk high: new_country(FR->NZ), new_device; challenge"]
    );
    // The owner, who reads the mail, finishes with the code: pwd + otp.
    let code = code_in(&t.mailer.last_to(EMAIL).unwrap().text);
    let done = post_with(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
        None,
    );
    assert!(device_cookie(&done).is_some());
    let tokens = redeem(&t, &done, "adaptive");
    let amr = claims(tokens["id_token"].as_str().unwrap())["amr"].clone();
    assert_eq!(amr, json!(["pwd", "otp"]));
    // Only one assessment: the code answered the challenge, it was not a new sign-in.
    assert_eq!(logged(&t, "policy.evaluate_sign_on").len(), 2);
}

#[test]
fn adaptive_a_remembered_browser_at_home_signs_in_with_the_password_alone() {
    let t = ports();
    let cookie = settled_in_paris(&t, "adaptive");
    t.clock.advance_seconds(3600);
    let done = sign_in(&t, "adaptive", PASSWORD, Some(&cookie));
    assert!(
        json(&done)["authorization_code"].is_string(),
        "{}",
        text(&done)
    );
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk low; allow"
    );
    // The same browser keeps its handle; its remembrance is extended.
    assert_eq!(device_cookie(&done), Some(cookie));
}

#[test]
fn adaptive_a_forged_or_foreign_device_cookie_is_an_unknown_device() {
    let t = ports();
    settled_in_paris(&t, "adaptive");
    let forged = format!("__Host-portcullis_device={}", "A".repeat(43));
    let done = sign_in(&t, "adaptive", PASSWORD, Some(&forged));
    assert!(json(&done)["authorization_code"].is_string());
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk medium: new_device; allow"
    );
}

#[test]
fn adaptive_tor_is_challenged_even_on_the_first_sign_in() {
    let t = ports();
    t.signals.set(Signals {
        anonymous: true,
        ..Signals::default()
    });
    let waiting = sign_up(&t, "adaptive");
    assert_eq!(json(&waiting)["status"], "verify_email");
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk high: anonymous_network; challenge"
    );
}

#[test]
fn adaptive_impossible_travel_is_challenged_even_from_a_remembered_browser() {
    let t = ports();
    let cookie = settled_in_paris(&t, "adaptive");
    t.clock.advance_seconds(2 * 3600);
    t.signals.set(auckland());
    let waiting = sign_in(&t, "adaptive", PASSWORD, Some(&cookie));
    assert_eq!(json(&waiting)["status"], "verify_email");
    let reason = logged(&t, "policy.evaluate_sign_on").pop().unwrap();
    assert!(
        reason.starts_with("risk high: impossible_travel("),
        "{reason}"
    );
}

#[test]
fn adaptive_a_client_that_never_challenges_still_logs_the_risk() {
    let t = ports();
    settled_in_paris(&t, "demo");
    t.clock.advance_seconds(48 * 3600);
    t.signals.set(auckland());
    let done = sign_in(&t, "demo", PASSWORD, None);
    assert!(json(&done)["authorization_code"].is_string());
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk high: new_country(FR->NZ), new_device; allow"
    );
    assert_eq!(logged(&t, "security.threat.detected").len(), 1);
}

#[test]
fn adaptive_always_challenges_every_password_sign_in() {
    let t = ports();
    t.signals.set(paris());
    let waiting = sign_up(&t, "always");
    assert_eq!(json(&waiting)["status"], "verify_email");
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk low; challenge"
    );
}

#[test]
fn adaptive_a_wrong_password_from_a_new_country_is_only_invalid_credentials() {
    // Someone who knows only the address learns nothing from the risk of the sign-in:
    // the same answer as for an address without an account, and nothing assessed.
    let t = ports();
    settled_in_paris(&t, "adaptive");
    t.signals.set(auckland());
    let wrong = sign_in(&t, "adaptive", "not the password at all!", None);
    let unknown = step(
        &t,
        "adaptive",
        "password",
        json!({"email": "nobody@example.com", "password": "not the password at all!"}),
        None,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(json(&wrong), json(&unknown));
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").len(),
        1,
        "only the sign-up"
    );
}

#[test]
fn adaptive_a_password_reset_forgets_every_remembered_browser() {
    let t = ports();
    let cookie = settled_in_paris(&t, "adaptive");
    let asked = post_with(
        &t,
        "/v1/recovery/password",
        &json!({"client_id": "adaptive", "email": EMAIL}),
        None,
    );
    assert_eq!(asked.status, 202, "{}", text(&asked));
    let mail = t.mailer.last_to(EMAIL).unwrap().text;
    let link = mail
        .lines()
        .find(|l| l.contains("token="))
        .and_then(|l| l.split_whitespace().find(|w| w.contains("token=")))
        .unwrap();
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let reset = post_with(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": token, "password": "a brand new passphrase for 2027"}),
        None,
    );
    assert_eq!(reset.status, 204, "{}", text(&reset));
    assert_eq!(logged(&t, "user.account.forget_devices").len(), 1);
    let done = sign_in(
        &t,
        "adaptive",
        "a brand new passphrase for 2027",
        Some(&cookie),
    );
    assert!(json(&done)["authorization_code"].is_string());
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk medium: new_device; allow"
    );
}

// --- Turnstile -------------------------------------------------------------------------

fn guarded_sign_up(t: &TestPorts, email: &str, password: &str, token: Option<&str>) -> Response {
    let mut body = json!({"email": email, "password": password});
    if let Some(token) = token {
        body["turnstile_token"] = json!(token);
    }
    step(t, "guarded", "sign-up", body, None)
}

#[test]
fn turnstile_the_client_config_names_the_site_key_only_where_the_check_is_on() {
    let t = ports();
    let config = |id: &str| {
        json(&call(
            &t,
            Method::Get,
            &format!("/v1/clients/{id}"),
            &[],
            "",
        ))
    };
    assert_eq!(
        config("guarded")["turnstile_site_key"],
        "1x00000000000000000000AA"
    );
    assert!(config("demo").get("turnstile_site_key").is_none());
    // The widget loads Turnstile's script only for a client that names a site key.
    assert_eq!(
        config("guarded")["turnstile_script_url"],
        "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
    );
    assert!(config("demo").get("turnstile_script_url").is_none());
}

#[test]
fn turnstile_sign_up_without_a_token_is_refused_and_a_token_works_once() {
    let t = ports();
    let missing = guarded_sign_up(&t, EMAIL, PASSWORD, None);
    assert_eq!(missing.status, 403);
    assert_eq!(json(&missing)["code"], "human_check_required");
    let token = t.human_check.issue(&t.clock);
    let done = guarded_sign_up(&t, EMAIL, PASSWORD, Some(&token));
    assert_eq!(done.status, 200, "{}", text(&done));
    let replay = guarded_sign_up(&t, "bob@example.com", PASSWORD, Some(&token));
    assert_eq!(replay.status, 403);
    assert_eq!(json(&replay)["code"], "human_check_failed");
    let forged = guarded_sign_up(&t, "bob@example.com", PASSWORD, Some("XXXX.DUMMY.TOKEN"));
    assert_eq!(json(&forged)["code"], "human_check_failed");
    assert_eq!(logged(&t, "security.request.blocked").len(), 3);
}

#[test]
fn turnstile_an_account_under_attack_asks_every_caller_for_the_human_check_alike() {
    let t = ports();
    let token = t.human_check.issue(&t.clock);
    assert_eq!(
        guarded_sign_up(&t, EMAIL, PASSWORD, Some(&token)).status,
        200
    );
    // A guesser spread over many IP addresses pushes the account past the second-proof
    // line; an address without an account is pushed the same way.
    for email in [EMAIL, "nobody@example.com"] {
        for i in 0..11 {
            let ip = format!("203.0.113.{i}");
            let flow = start_flow_for(&t, "guarded");
            let body = json!({"email": email, "password": "a wrong guess, surely"}).to_string();
            let headers = [
                ("content-type", "application/json"),
                ("origin", PAGE),
                ("cf-connecting-ip", ip.as_str()),
            ];
            let path = format!("/v1/flows/{flow}/password");
            call(&t, Method::Post, &path, &headers, &body);
        }
    }
    let owner = sign_in(&t, "guarded", PASSWORD, None);
    assert_eq!(json(&owner)["code"], "human_check_required");
    let body = json!({"email": "nobody@example.com", "password": PASSWORD});
    let nobody = step(&t, "guarded", "password", body, None);
    assert_eq!(nobody.status, owner.status);
    assert_eq!(json(&nobody), json(&owner));
    // With a human check the owner goes on to the emailed code, as under attack before.
    let token = t.human_check.issue(&t.clock);
    let body = json!({"email": EMAIL, "password": PASSWORD, "turnstile_token": token});
    let waiting = step(&t, "guarded", "password", body, None);
    assert_eq!(
        json(&waiting)["status"],
        "verify_email",
        "{}",
        text(&waiting)
    );
}

// --- Pwned Passwords -------------------------------------------------------------------

#[test]
fn pwned_passwords_a_breached_password_is_refused_at_sign_up() {
    let t = ports();
    t.breaches.add(PASSWORD);
    let token = t.human_check.issue(&t.clock);
    let refused = guarded_sign_up(&t, EMAIL, PASSWORD, Some(&token));
    assert_eq!(refused.status, 400);
    assert_eq!(json(&refused)["code"], "password_rejected");
    assert_eq!(json(&refused)["problem"], "common");
    // Only five hex digits of the SHA-1 were sent.
    assert!(t.breaches.asked().iter().all(|p| p.len() == 5));
    // The client without the check does not ask.
    let before = t.breaches.asked().len();
    assert_eq!(sign_up(&t, "demo").status, 200);
    assert_eq!(t.breaches.asked().len(), before);
}

#[test]
fn pwned_passwords_unreachable_sign_up_still_works_and_the_log_says_so() {
    let t = ports();
    t.breaches.add(PASSWORD);
    t.breaches.go_down();
    let token = t.human_check.issue(&t.clock);
    let done = guarded_sign_up(&t, EMAIL, PASSWORD, Some(&token));
    assert_eq!(done.status, 200, "{}", text(&done));
    assert_eq!(
        logged(&t, "system.breached_password_check.unavailable"),
        vec!["pwned passwords unreachable"]
    );
}

// --- forgetting remembered browsers ----------------------------------------------------

#[test]
fn adaptive_the_owner_forgets_every_remembered_browser_through_the_account_api() {
    use common::http::{form, CHALLENGE};
    let t = ports();
    t.signals.set(paris());
    let started = post_with(
        &t,
        "/v1/flows",
        &json!({"client_id": "adaptive", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
                "scope": "openid email offline_access account"}),
        None,
    );
    let flow = json(&started)["flow_id"].as_str().unwrap().to_string();
    let body = json!({"email": EMAIL, "password": PASSWORD});
    let done = post_with(&t, &format!("/v1/flows/{flow}/sign-up"), &body, None);
    let cookie = device_cookie(&done).unwrap();
    let tokens = redeem(&t, &done, "adaptive");
    let refresh = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "adaptive"),
            ("resource", "https://id.shop.example/v1/me"),
        ])
        .finish();
    let account = json(&form(&t, "/token", &refresh))["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Without a token nothing is forgotten.
    let anonymous = call(
        &t,
        Method::Delete,
        "/v1/me/devices",
        &[("origin", PAGE)],
        "",
    );
    assert_eq!(anonymous.status, 401);
    let bearer = format!("Bearer {account}");
    let headers = [("origin", PAGE), ("authorization", bearer.as_str())];
    let forgotten = call(&t, Method::Delete, "/v1/me/devices", &headers, "");
    assert_eq!(forgotten.status, 200, "{}", text(&forgotten));
    assert_eq!(json(&forgotten), json!({"forgotten": 1}));
    assert_eq!(logged(&t, "user.account.forget_devices").len(), 1);
    let next = sign_in(&t, "adaptive", PASSWORD, Some(&cookie));
    assert!(json(&next)["authorization_code"].is_string());
    assert_eq!(
        logged(&t, "policy.evaluate_sign_on").last().unwrap(),
        "risk medium: new_device; allow"
    );
}
