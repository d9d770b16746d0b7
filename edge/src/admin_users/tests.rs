//! `POST /admin/v1/users/{id}/lifecycle/{action}` through the edge's HTTP surface.

use serde_json::{json, Value};

use super::*;
use crate::api::oidc_tests::{call, claims, json, refresh, request, tokens_for, userinfo};
use crate::events::types;
use crate::http::Method;
use crate::ports::{Clock, FactorStore, GroupStore, StoredTotp, UserStore};
use crate::scim::tests::admin_token;
use crate::testing::TestPorts;

fn act(t: &TestPorts, id: &str, action: &str, token: &str) -> Response {
    let bearer = format!("Bearer {token}");
    call(
        t,
        request(
            Method::Post,
            &format!("/admin/v1/users/{id}/lifecycle/{action}"),
            &[("authorization", &bearer)],
            "",
        ),
    )
}

/// A person with live tokens: their id and the token response.
fn person(t: &TestPorts, email: &str) -> (String, Value) {
    let tokens = tokens_for(t, email);
    let id = claims(tokens["access_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    (id, tokens)
}

fn stored(t: &TestPorts, id: &str) -> User {
    pollster::block_on(t.users.find_by_id(id)).unwrap().unwrap()
}

pub(crate) fn logged(t: &TestPorts, event_type: &str) -> Vec<crate::events::SystemLogEvent> {
    t.events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == event_type)
        .cloned()
        .collect()
}

#[test]
fn rfc6750_3_1_lifecycle_actions_need_admin_users_manage_and_a_refusal_changes_nothing() {
    let t = TestPorts::new();
    let (id, tokens) = person(&t, "ada@example.com");
    let before = stored(&t, &id);
    let reader = admin_token(&t, "reader", "admin.users.read admin.clients.manage");
    for action in Action::ALL {
        let refused = act(&t, &id, action.as_str(), &reader);
        assert_eq!(refused.status, 403, "{}", action.as_str());
        assert_eq!(json(&refused)["code"], "insufficient_scope");
        assert!(refused
            .header("www-authenticate")
            .unwrap()
            .contains("scope=\"admin.users.manage\""));
        // The person's own token is no admin token either.
        let own = act(
            &t,
            &id,
            action.as_str(),
            tokens["access_token"].as_str().unwrap(),
        );
        assert_eq!(own.status, 403);
        assert_eq!(act(&t, &id, action.as_str(), "").status, 401);
    }
    assert_eq!(stored(&t, &id), before);
    assert_eq!(
        refresh(&t, tokens["refresh_token"].as_str().unwrap()).status,
        200
    );
    assert!(t
        .mailer
        .sent
        .borrow()
        .iter()
        .all(|m| !m.subject.to_lowercase().contains("reset")));

    let manager = admin_token(&t, "hr", "admin.users.manage");
    let unknown = act(&t, &id, "reactivate", &manager);
    assert_eq!(
        (unknown.status, json(&unknown)["code"].clone()),
        (404, json!("unknown_action"))
    );
    let nobody = act(&t, "no-such-user", "suspend", &manager);
    assert_eq!(
        (nobody.status, json(&nobody)["code"].clone()),
        (404, json!("user_not_found"))
    );
}

#[test]
fn suspend_kills_refresh_and_access_tokens_twice_is_409_and_unsuspend_keeps_them_dead() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "hr", "admin.users.manage");
    let (id, tokens) = person(&t, "ada@example.com");
    t.clock.advance_seconds(1);
    let suspended = act(&t, &id, "suspend", &manager);
    assert_eq!(suspended.status, 200, "{}", json(&suspended));
    assert_eq!(json(&suspended), json!({"id": id, "status": "SUSPENDED"}));
    let refreshed = refresh(&t, tokens["refresh_token"].as_str().unwrap());
    assert_eq!(
        (refreshed.status, json(&refreshed)["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401
    );

    let again = act(&t, &id, "suspend", &manager);
    assert_eq!(
        (again.status, json(&again)["code"].clone()),
        (409, json!("invalid_lifecycle_transition"))
    );
    let reset = act(&t, &id, "reset_password?client_id=demo", &manager);
    assert_eq!(reset.status, 409, "no reset link for a suspended account");

    let back = act(&t, &id, "unsuspend", &manager);
    assert_eq!(json(&back)["status"], "ACTIVE");
    assert_eq!(stored(&t, &id).status, UserStatus::Active);
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401,
        "revoked stays revoked"
    );

    let events = logged(&t, types::USER_SUSPEND);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.id, "hr");
    assert_eq!(events[0].actor.kind, "PublicClientApp");
    assert_eq!(events[0].target[0].id, id);
    assert_eq!(
        events[0].target[0].alternate_id.as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(logged(&t, types::USER_UNSUSPEND).len(), 1);
}

#[test]
fn revoke_sessions_ends_tokens_but_not_the_account_and_reset_factors_removes_apps_and_codes() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "hr", "admin.users.manage");
    let (id, tokens) = person(&t, "ada@example.com");
    pollster::block_on(t.factors.add_totp(&StoredTotp {
        id: "f1".into(),
        user_id: id.clone(),
        name: "Phone".into(),
        sealed_secret: "sealed".into(),
        created_at: t.clock.now(),
        last_used_at: None,
    }))
    .unwrap();
    pollster::block_on(t.factors.replace_recovery_codes(
        &id,
        &["h1".into(), "h2".into()],
        t.clock.now(),
    ))
    .unwrap();
    t.clock.advance_seconds(1);

    let revoked = act(&t, &id, "revoke_sessions", &manager);
    assert_eq!(json(&revoked)["status"], "ACTIVE");
    assert_eq!(
        refresh(&t, tokens["refresh_token"].as_str().unwrap()).status,
        400
    );
    assert_eq!(logged(&t, types::USER_SESSIONS_CLEAR).len(), 1);

    let reset = act(&t, &id, "reset_factors", &manager);
    assert_eq!(reset.status, 200);
    assert!(pollster::block_on(t.factors.totp_for(&id))
        .unwrap()
        .is_empty());
    assert_eq!(
        pollster::block_on(t.factors.recovery_codes_left(&id)).unwrap(),
        0
    );
    let event = &logged(&t, types::USER_RESET_FACTORS)[0];
    assert_eq!(
        (event.actor.id.as_str(), event.target[0].id.as_str()),
        ("hr", id.as_str())
    );
}

#[test]
fn reset_password_emails_the_person_a_link_from_the_named_client() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "hr", "admin.users.manage");
    let (id, _) = person(&t, "ada@example.com");
    let missing = act(&t, &id, "reset_password", &manager);
    assert_eq!(
        (missing.status, json(&missing)["code"].clone()),
        (400, json!("invalid_request"))
    );
    let unknown = act(&t, &id, "reset_password?client_id=nope", &manager);
    assert_eq!(
        (unknown.status, json(&unknown)["code"].clone()),
        (404, json!("unknown_client"))
    );
    let sent_before = t.mailer.sent.borrow().len();

    let reset = act(&t, &id, "reset_password?client_id=demo", &manager);
    assert_eq!(reset.status, 200, "{}", json(&reset));
    let sent = t.mailer.sent.borrow();
    assert_eq!(sent.len(), sent_before + 1);
    let mail = sent.last().unwrap();
    assert_eq!(mail.to, "ada@example.com");
    assert!(
        mail.text.contains("/reset-password?token="),
        "{}",
        mail.text
    );
    assert_eq!(logged(&t, types::USER_RESET_PASSWORD)[0].actor.id, "hr");
}

#[test]
fn delete_erases_the_person_through_the_same_steps_as_scim() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "hr", "admin.users.manage");
    let (id, tokens) = person(&t, "ada@example.com");
    let deleted = act(&t, &id, "delete", &manager);
    assert_eq!(deleted.status, 204);
    let gone = stored(&t, &id);
    assert_eq!(gone.status, UserStatus::Deprovisioned);
    assert!(!gone.email.contains("ada"));
    assert_eq!(
        refresh(&t, tokens["refresh_token"].as_str().unwrap()).status,
        400
    );
    let event = &logged(&t, types::USER_DELETE)[0];
    assert_eq!(event.target[0].id, id);
    assert_eq!(
        event.target[0].alternate_id, None,
        "no address in the pseudonymous record"
    );
    let again = act(&t, &id, "delete", &manager);
    assert_eq!(again.status, 404);
}

#[test]
fn unlock_ends_the_under_attack_state_and_the_code_limit_of_the_account() {
    use crate::throttle::{admit, IpPrefix, SECOND_PROOF_AFTER_FAILURES};
    let t = TestPorts::new();
    let manager = admin_token(&t, "hr", "admin.users.manage");
    let (id, _) = person(&t, "ada@example.com");
    let ports = t.ports();
    // Failed guesses from many addresses: the account is under attack.
    for n in 0..=SECOND_PROOF_AFTER_FAILURES {
        let ip = IpPrefix::of(Some(&format!("198.51.100.{n}")));
        let _ = pollster::block_on(admit(&ports, "ada@example.com", ip)).unwrap();
    }
    let owner = IpPrefix::of(Some("203.0.113.9"));
    let attempt = pollster::block_on(admit(&ports, "ada@example.com", owner)).unwrap();
    assert!(attempt.needs_second_proof, "under attack before the unlock");
    for _ in 0..=crate::mfa::MAX_WRONG_CODES {
        let _ = pollster::block_on(crate::mfa::admit_code(&ports, &id));
    }
    assert!(pollster::block_on(crate::mfa::admit_code(&ports, &id)).is_err());

    let unlocked = act(&t, &id, "unlock", &manager);
    assert_eq!(unlocked.status, 200, "{}", json(&unlocked));
    assert_eq!(json(&unlocked)["status"], "ACTIVE");
    let attempt = pollster::block_on(admit(&ports, "ada@example.com", owner)).unwrap();
    assert!(
        !attempt.needs_second_proof,
        "a password alone signs in again"
    );
    assert!(
        pollster::block_on(crate::mfa::admit_code(&ports, &id)).is_ok(),
        "codes may be tried again"
    );
    let event = &logged(&t, types::USER_UNLOCK)[0];
    assert_eq!(
        (event.actor.id.as_str(), event.target[0].id.as_str()),
        ("hr", id.as_str())
    );
}

fn read_user(t: &TestPorts, id: &str, token: &str) -> Response {
    let bearer = format!("Bearer {token}");
    call(
        t,
        request(
            Method::Get,
            &format!("/admin/v1/users/{id}"),
            &[("authorization", &bearer)],
            "",
        ),
    )
}

#[test]
fn an_admin_reads_a_persons_factors_passkeys_sessions_grants_and_groups_and_never_a_secret() {
    let t = TestPorts::new();
    let (id, _) = person(&t, "ada@example.com");
    pollster::block_on(t.factors.add_totp(&StoredTotp {
        id: "f1".into(),
        user_id: id.clone(),
        name: "Phone".into(),
        sealed_secret: "sealed-totp-secret".into(),
        created_at: t.clock.now(),
        last_used_at: None,
    }))
    .unwrap();
    let now = t.clock.now();
    pollster::block_on(t.groups.create(&crate::ports::Group {
        id: "g1".into(),
        display_name: "shop-buyers".into(),
        external_id: None,
        members: vec![id.clone()],
        created_at: now,
        updated_at: now,
    }))
    .unwrap();

    // Refusals first: no token, a right to read the log only, no such person.
    assert_eq!(read_user(&t, &id, "").status, 401);
    let logs = admin_token(&t, "siem", "admin.logs.read");
    let refused = read_user(&t, &id, &logs);
    assert_eq!(
        (refused.status, json(&refused)["code"].clone()),
        (403, json!("insufficient_scope"))
    );
    let reader = admin_token(&t, "reader", "admin.users.read");
    let nobody = read_user(&t, "no-such-user", &reader);
    assert_eq!(
        (nobody.status, json(&nobody)["code"].clone()),
        (404, json!("user_not_found"))
    );

    let read = read_user(&t, &id, &reader);
    assert_eq!(read.status, 200, "{}", json(&read));
    assert_eq!(read.header("cache-control"), Some("no-store"));
    let body = json(&read);
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(body["factors"]["authenticator_apps"][0]["name"], "Phone");
    assert_eq!(body["passkeys"], json!([]));
    assert_eq!(body["grants"], 1, "the sign-up's grant");
    assert_eq!(body["groups"], json!(["shop-buyers"]));
    let text = body.to_string();
    assert!(
        !text.contains("sealed") && !text.contains("argon2"),
        "{text}"
    );
    assert_eq!(logged(&t, types::ADMIN_READ).len(), 1);
}
