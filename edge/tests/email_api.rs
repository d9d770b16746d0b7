//! Email through the edge's HTTP API, natively with a fixed clock: sign-in codes,
//! verification, the pre-hijacking defence, password reset, reminders and send limits. The mail the edge
//! "sends" is read back from the in-memory mailer, as a person reads their inbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::http::{
    call, claims, code_in, form, json, post, redeem, start_flow, start_flow_for, text,
};
use portcullis_edge::http::{Method, Response};
use portcullis_edge::testing::{demo_client, TestPorts};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple 42";
const NEW_PASSWORD: &str = "a brand new passphrase for 2027";

fn ports() -> TestPorts {
    let t = TestPorts::new();
    let mut strict = demo_client();
    strict.id = "strict".into();
    strict.name = "Strict Shop".into();
    strict.requires_verified_email = true;
    t.clients.insert(strict);
    t
}

fn sign_up(t: &TestPorts, client_id: &str, email: &str, password: &str) -> Response {
    let flow = start_flow_for(t, client_id);
    post(
        t,
        &format!("/v1/flows/{flow}/sign-up"),
        &json!({"email": email, "password": password}),
    )
}

fn sign_in(t: &TestPorts, email: &str, password: &str) -> Response {
    let flow = start_flow(t);
    post(
        t,
        &format!("/v1/flows/{flow}/password"),
        &json!({"email": email, "password": password}),
    )
}

/// The newest mail to `to`: (subject, text).
fn inbox(t: &TestPorts, to: &str) -> (String, String) {
    let mail = t.mailer.last_to(to).expect("a mail");
    assert!(mail.html.starts_with("<!doctype html>"));
    (mail.subject, mail.text)
}

/// The URL in a mail's text after `label: `.
fn link_in(text: &str, label: &str) -> String {
    let prefix = format!("{label}: ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .expect("a link")
        .to_string()
}

fn token_of(link: &str) -> String {
    let query = link.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

fn email_step(t: &TestPorts, flow: &str, email: &str) -> Response {
    post(
        t,
        &format!("/v1/flows/{flow}/email"),
        &json!({"email": email}),
    )
}

fn user_verified(t: &TestPorts, email: &str) -> bool {
    use portcullis_edge::ports::UserStore;
    pollster::block_on(t.users.find_by_email(email))
        .unwrap()
        .unwrap()
        .email_verified
}

/// Signs up at the client that requires verified addresses and types the emailed code in
/// the same flow: the address is proven by the password's holder.
fn verified_sign_up(t: &TestPorts, email: &str, password: &str) {
    let flow = start_flow_for(t, "strict");
    let waiting = post(
        t,
        &format!("/v1/flows/{flow}/sign-up"),
        &json!({"email": email, "password": password}),
    );
    assert_eq!(json(&waiting)["status"], "verify_email");
    let code = code_in(&inbox(t, email).1);
    let done = post(
        t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    );
    assert_eq!(done.status, 200, "{}", text(&done));
    assert!(user_verified(t, email));
}

fn email_sign_in(t: &TestPorts, email: &str) -> Response {
    let flow = start_flow(t);
    assert_eq!(email_step(t, &flow, email).status, 202);
    let code = code_in(&inbox(t, email).1);
    post(
        t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    )
}

#[test]
fn an_emailed_code_signs_in_and_proves_the_address() {
    let t = ports();
    verified_sign_up(&t, "ada@example.com", PASSWORD);

    let flow = start_flow(&t);
    let sent = email_step(&t, &flow, "Ada@Example.com");
    assert_eq!(sent.status, 202);
    assert_eq!(json(&sent), json!({"expires_in": 600, "code_length": 6}));
    let (subject, body) = inbox(&t, "ada@example.com");
    assert_eq!(subject, "Your sign-in code for Portcullis Demo");
    let code = code_in(&body);
    assert_eq!(code.len(), 6);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let typo = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": wrong}),
    );
    assert_eq!(json(&typo)["code"], "code_invalid");
    let done = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    );
    assert_eq!(json(&done).get("notice"), None, "nothing was removed");
    let tokens = redeem(&t, &done, "demo");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["otp"]));
    assert_eq!(id_token["email_verified"], true);
    let events = t.events.summary();
    assert!(events.contains(&(
        "user.authentication.auth_via_email".into(),
        "SUCCESS".into()
    )));
    assert!(events.contains(&("user.email.verify".into(), "SUCCESS".into())));
    // An address proven before keeps its password.
    assert_eq!(sign_in(&t, "ada@example.com", PASSWORD).status, 200);
}

#[test]
fn a_sign_in_email_carries_a_code_and_no_link_that_could_finish_the_flow_elsewhere() {
    let t = ports();
    verified_sign_up(&t, "ada@example.com", PASSWORD);
    // The attacker knows the address and scripts the flow, without an Origin header.
    let flow = start_flow(&t);
    email_step(&t, &flow, "ada@example.com");
    let mail = t.mailer.last_to("ada@example.com").unwrap();
    assert!(!mail.text.contains("http"), "{}", mail.text);
    assert!(!mail.html.contains("href=\"http"), "{}", mail.html);
    // No way for the flow's starter to learn of anything done in the owner's browser.
    let poll = post(&t, &format!("/v1/flows/{flow}/email/link"), &json!({}));
    assert_eq!(poll.status, 404);
    // A link from an older email uses nothing and says it has expired.
    for method in [Method::Get, Method::Post] {
        let page = call(
            &t,
            method,
            "/email-link?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            &[],
            "",
        );
        assert_eq!(page.status, 400);
        assert!(text(&page).contains("This link has expired"));
    }
}

#[test]
fn proof_of_an_address_wipes_what_came_before_it_pre_hijacked_accounts() {
    let t = ports();
    // The attacker signs up first with the owner's address and keeps a refresh token.
    let planted = sign_up(&t, "demo", "victim@example.com", PASSWORD);
    assert_eq!(planted.status, 200);
    let attacker = redeem(&t, &planted, "demo");
    assert!(!user_verified(&t, "victim@example.com"));
    t.clock.advance_seconds(60);

    // The owner proves the address with an emailed code (no credential needed).
    let done = email_sign_in(&t, "victim@example.com");
    assert_eq!(done.status, 200);
    assert_eq!(json(&done)["notice"], "credentials_removed");
    let owner = redeem(&t, &done, "demo");
    assert!(owner["access_token"].is_string());
    assert!(user_verified(&t, "victim@example.com"));

    // The planted password and everything issued before the proof are dead.
    let refused = sign_in(&t, "victim@example.com", PASSWORD);
    assert_eq!(json(&refused)["code"], "invalid_credentials");
    let planted_refresh = attacker["refresh_token"].as_str().unwrap();
    assert_eq!(
        json(&refresh(&t, planted_refresh))["error"],
        "invalid_grant"
    );
    assert!(t
        .events
        .summary()
        .contains(&("user.account.reset_credentials".into(), "SUCCESS".into())));

    // A second proof removes nothing more.
    let again = email_sign_in(&t, "victim@example.com");
    assert_eq!(json(&again).get("notice"), None);
}

#[test]
fn a_verification_code_typed_in_the_credentials_flow_keeps_the_credential() {
    let t = ports();
    verified_sign_up(&t, "grace@example.com", PASSWORD);
    assert_eq!(sign_in(&t, "grace@example.com", PASSWORD).status, 200);
    assert!(!t
        .events
        .summary()
        .contains(&("user.account.reset_credentials".into(), "SUCCESS".into())));
}

#[test]
fn an_address_without_an_account_gets_the_same_answer_and_no_code_works() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let known = email_step(&t, &start_flow(&t), "ada@example.com");
    let flow = start_flow(&t);
    let unknown = email_step(&t, &flow, "nobody@example.com");
    assert_eq!(
        (known.status, json(&known)),
        (unknown.status, json(&unknown))
    );
    let (subject, body) = inbox(&t, "nobody@example.com");
    assert_eq!(subject, "Signing in to Portcullis Demo");
    assert!(!body.contains("Your code"));

    for tries_left in (1..5).rev() {
        let wrong = post(
            &t,
            &format!("/v1/flows/{flow}/email/code"),
            &json!({"code": "000000"}),
        );
        assert_eq!(
            json(&wrong)["code"],
            "code_invalid",
            "{tries_left} tries left"
        );
    }
    let last = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": "000000"}),
    );
    assert_eq!(json(&last)["code"], "too_many_attempts");
}

#[test]
fn a_code_dies_after_five_wrong_tries_and_after_ten_minutes() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let flow = start_flow(&t);
    email_step(&t, &flow, "ada@example.com");
    let code = code_in(&inbox(&t, "ada@example.com").1);
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for _ in 0..4 {
        let response = post(
            &t,
            &format!("/v1/flows/{flow}/email/code"),
            &json!({"code": wrong}),
        );
        assert_eq!(response.status, 401);
        assert_eq!(json(&response)["code"], "code_invalid");
    }
    // The fifth wrong code ends the code and, with it, the flow.
    let fifth = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": wrong}),
    );
    assert_eq!(json(&fifth)["code"], "too_many_attempts");
    let right = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    );
    assert_ne!(right.status, 200, "the right code after the code died");

    let flow = start_flow(&t);
    email_step(&t, &flow, "ada@example.com");
    let code = code_in(&inbox(&t, "ada@example.com").1);
    t.clock.advance_seconds(601);
    let late = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    );
    assert_ne!(late.status, 200);
}

#[test]
fn a_client_that_requires_verified_addresses_waits_for_the_code() {
    let t = ports();
    let flow = start_flow_for(&t, "strict");
    let waiting = post(
        &t,
        &format!("/v1/flows/{flow}/sign-up"),
        &json!({"email": "grace@example.com", "password": PASSWORD}),
    );
    assert_eq!(waiting.status, 200);
    assert_eq!(
        json(&waiting),
        json!({"status": "verify_email", "expires_in": 600, "code_length": 6})
    );
    let (subject, body) = inbox(&t, "grace@example.com");
    assert_eq!(subject, "Confirm your email address for Strict Shop");
    let done = post(
        &t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code_in(&body)}),
    );
    let tokens = redeem(&t, &done, "strict");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email_verified"], true);
    assert_eq!(
        id_token["amr"],
        json!(["pwd"]),
        "the verified sign-in was by password"
    );
}

#[test]
fn with_verification_required_a_taken_address_gets_the_new_account_answer() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let taken = sign_up(
        &t,
        "strict",
        "ada@example.com",
        "another long passphrase 99",
    );
    let fresh = sign_up(
        &t,
        "strict",
        "new@example.com",
        "another long passphrase 99",
    );
    assert_eq!((taken.status, json(&taken)), (fresh.status, json(&fresh)));
    let (subject, _) = inbox(&t, "ada@example.com");
    assert_eq!(subject, "You already have an account with Strict Shop");
}

fn refresh(t: &TestPorts, refresh_token: &str) -> Response {
    form(
        t,
        "/token",
        &format!("grant_type=refresh_token&client_id=demo&refresh_token={refresh_token}"),
    )
}

fn reset_request(t: &TestPorts, email: &str) -> Response {
    post(
        t,
        "/v1/recovery/password",
        &json!({"client_id": "demo", "email": email}),
    )
}

#[test]
fn a_password_reset_replaces_the_password_and_revokes_what_was_issued() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let tokens = redeem(&t, &sign_in(&t, "ada@example.com", PASSWORD), "demo");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    t.clock.advance_seconds(5);

    let known = reset_request(&t, "ada@example.com");
    let unknown = reset_request(&t, "nobody@example.com");
    assert_eq!(known.status, 202);
    assert_eq!(
        (known.status, json(&known)),
        (unknown.status, json(&unknown))
    );
    let (subject, body) = inbox(&t, "ada@example.com");
    assert_eq!(subject, "Reset your password for Portcullis Demo");
    let link = link_in(&body, "Choose a new password");
    assert!(link.starts_with("https://id.shop.example/reset-password?token="));
    let token = token_of(&link);

    // A password the policy refuses leaves the link usable.
    let weak = post(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": token, "password": "short"}),
    );
    assert_eq!(json(&weak)["code"], "password_rejected");
    let reset = post(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": token, "password": NEW_PASSWORD}),
    );
    assert_eq!(reset.status, 204, "{}", json(&reset));
    // A new way in: the owner hears of it, whoever set it.
    let (subject, _) = inbox(&t, "ada@example.com");
    assert_eq!(
        subject,
        "A password was set for your Portcullis Demo account"
    );
    let reused = post(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": token, "password": NEW_PASSWORD}),
    );
    assert_eq!(json(&reused)["code"], "link_expired");

    assert_eq!(
        json(&sign_in(&t, "ada@example.com", PASSWORD))["code"],
        "invalid_credentials"
    );
    assert_eq!(sign_in(&t, "ada@example.com", NEW_PASSWORD).status, 200);
    assert_eq!(json(&refresh(&t, &refresh_token))["error"], "invalid_grant");
    let bearer = format!("Bearer {access_token}");
    let userinfo = call(
        &t,
        Method::Get,
        "/userinfo",
        &[("authorization", &bearer)],
        "",
    );
    assert_eq!(userinfo.status, 401);

    let events = t.events.summary();
    assert!(events.contains(&("user.account.reset_password".into(), "SUCCESS".into())));
    assert!(events.contains(&("user.account.update_password".into(), "SUCCESS".into())));
}

#[test]
fn a_reset_link_expires_after_fifteen_minutes() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    reset_request(&t, "ada@example.com");
    let token = token_of(&link_in(
        &inbox(&t, "ada@example.com").1,
        "Choose a new password",
    ));
    t.clock.advance_seconds(15 * 60);
    let late = post(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": token, "password": NEW_PASSWORD}),
    );
    assert_eq!(json(&late)["code"], "link_expired");
    let forged = post(
        &t,
        "/v1/recovery/password/reset",
        &json!({"token": "not-a-token", "password": NEW_PASSWORD}),
    );
    assert_eq!(json(&forged)["code"], "link_expired");
}

#[test]
fn sends_are_limited_per_address_whether_or_not_it_has_an_account() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    t.clock.advance_seconds(16 * 60);
    let statuses =
        |email: &str| -> Vec<u16> { (0..6).map(|_| reset_request(&t, email).status).collect() };
    let known = statuses("ada@example.com");
    let unknown = statuses("nobody@example.com");
    assert_eq!(known, [202, 202, 202, 202, 202, 429]);
    assert_eq!(known, unknown);
    let throttled = reset_request(&t, "nobody@example.com");
    assert_eq!(json(&throttled)["code"], "too_many_attempts");
}

#[test]
fn an_account_reminder_names_the_sign_in_methods_or_says_there_is_none() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let request = |email: &str| {
        post(
            &t,
            "/v1/recovery/account",
            &json!({"client_id": "demo", "email": email}),
        )
    };
    let known = request("ada@example.com");
    let unknown = request("nobody@example.com");
    assert_eq!(
        (known.status, json(&known)),
        (unknown.status, json(&unknown))
    );
    assert!(inbox(&t, "ada@example.com")
        .1
        .contains("It signs in with a password."));
    assert!(inbox(&t, "nobody@example.com")
        .1
        .contains("there is no account"));
}

#[test]
fn the_dev_mailbox_lists_what_was_kept_newest_first() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    email_step(&t, &start_flow(&t), "ada@example.com");
    reset_request(&t, "ada@example.com");
    let listed = call(
        &t,
        Method::Get,
        "/v1/dev/mailbox?to=Ada%40example.com",
        &[],
        "",
    );
    assert_eq!(listed.status, 200);
    let messages: Vec<Value> = json(&listed)["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0]["subject"],
        "Reset your password for Portcullis Demo"
    );
    let missing = call(&t, Method::Get, "/v1/dev/mailbox", &[], "");
    assert_eq!(json(&missing)["code"], "invalid_request");
}

#[test]
fn a_failing_mail_transport_changes_no_answer_and_is_logged() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    t.mailer.fail_with("provider down");
    let response = reset_request(&t, "ada@example.com");
    assert_eq!(response.status, 202);
    assert!(t
        .events
        .summary()
        .contains(&("system.email.send".into(), "FAILURE".into())));
    assert!(t
        .diagnostics
        .0
        .borrow()
        .iter()
        .any(|line| line.contains("provider down")));
}

#[test]
fn a_reset_request_does_the_same_storage_work_for_an_unknown_address() {
    let t = ports();
    sign_up(&t, "demo", "ada@example.com", PASSWORD);
    let before = t.one_time.len();
    reset_request(&t, "ada@example.com");
    let known = t.one_time.len() - before;
    reset_request(&t, "nobody@example.com");
    let unknown = t.one_time.len() - before - known;
    assert_eq!((known, unknown), (1, 1));
    assert!(t
        .events
        .summary()
        .contains(&("user.account.reset_password".into(), "FAILURE".into())));
}
