//! STAGED and DEPROVISIONED accounts (Okta's lifecycle) through the edge's HTTP surface:
//! what someone who knows only the address can do with them (nothing), and what the
//! `activate` and `deactivate` actions do.

use serde_json::{json, Value};

use super::*;
use crate::api::oidc_tests::{
    call, json, post_json, refresh, request, start_flow, tokens_for, PASSWORD,
};
use crate::http::Method;
use crate::ports::{CredentialStore, UserStore};
use crate::scim::tests::admin_token;
use crate::testing::TestPorts;

const GRACE: &str = "grace@example.com";
const NOBODY: &str = "nobody@example.com";

fn with_token(t: &TestPorts, method: Method, target: &str, token: &str, body: &str) -> Response {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/scim+json"),
    ];
    call(t, request(method, target, &headers, body))
}

/// Grace, created STAGED through SCIM: her id.
fn staged(t: &TestPorts, token: &str) -> String {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": GRACE,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "active": true,
    });
    let created = with_token(
        t,
        Method::Post,
        "/scim/v2/Users?activate=false",
        token,
        &body.to_string(),
    );
    assert_eq!(created.status, 201, "{}", json(&created));
    assert_eq!(json(&created)["active"], false, "STAGED is not active");
    json(&created)["id"].as_str().unwrap().to_string()
}

fn status_of(t: &TestPorts, id: &str, token: &str) -> Value {
    json(&with_token(
        t,
        Method::Get,
        &format!("/admin/v1/users/{id}"),
        token,
        "",
    ))["status"]
        .clone()
}

fn act(t: &TestPorts, id: &str, action: &str, token: &str) -> Response {
    with_token(
        t,
        Method::Post,
        &format!("/admin/v1/users/{id}/lifecycle/{action}"),
        token,
        "",
    )
}

fn mail_to(t: &TestPorts, to: &str) -> Vec<crate::ports::Mail> {
    t.mailer
        .sent
        .borrow()
        .iter()
        .filter(|m| m.to == to)
        .cloned()
        .collect()
}

fn subjects(t: &TestPorts, to: &str) -> Vec<String> {
    mail_to(t, to).into_iter().map(|m| m.subject).collect()
}

fn password_attempt(t: &TestPorts, email: &str, password: &str) -> Response {
    let flow = start_flow(t, "openid");
    post_json(
        t,
        &format!("/v1/flows/{flow}/password"),
        json!({"email": email, "password": password}),
    )
}

/// The reset token in the last link mailed to `to`.
fn link_token(t: &TestPorts, to: &str) -> String {
    let mail = mail_to(t, to).pop().expect("a mail");
    let start = mail.text.find("token=").expect("a link") + "token=".len();
    mail.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[test]
fn a_staged_account_is_created_without_email_and_never_signs_in_answering_as_an_unknown_address() {
    let t = TestPorts::new();
    let hr = admin_token(&t, "hr", "admin.users.manage admin.users.read");
    let id = staged(&t, &hr);
    assert_eq!(status_of(&t, &id, &hr), "STAGED");
    assert!(t.mailer.sent.borrow().is_empty(), "creation sends nothing");
    assert!(t
        .events
        .summary()
        .contains(&("user.lifecycle.create".into(), "SUCCESS".into())));

    // Password: the attacker's answer is the unknown address's.
    let staged_answer = password_attempt(&t, GRACE, PASSWORD);
    let unknown_answer = password_attempt(&t, NOBODY, PASSWORD);
    assert_eq!(staged_answer.status, 401);
    assert_eq!(staged_answer, unknown_answer);

    // Email code: the same answer, and no code goes to the staged address (it hears
    // what an address without an account hears).
    let by_email = |email: &str| {
        let flow = start_flow(&t, "openid");
        post_json(
            &t,
            &format!("/v1/flows/{flow}/email"),
            json!({"email": email}),
        )
    };
    let (staged_answer, unknown_answer) = (by_email(GRACE), by_email(NOBODY));
    assert_eq!(staged_answer, unknown_answer);
    assert_eq!(subjects(&t, GRACE), subjects(&t, NOBODY));

    // Reset: the same answer and no reset link.
    let reset = |email: &str| {
        post_json(
            &t,
            "/v1/recovery/password",
            json!({"client_id": "demo", "email": email}),
        )
    };
    let (staged_answer, unknown_answer) = (reset(GRACE), reset(NOBODY));
    assert_eq!(staged_answer, unknown_answer);
    assert_eq!(subjects(&t, GRACE), subjects(&t, NOBODY));
    assert!(mail_to(&t, GRACE)
        .iter()
        .all(|m| !m.text.contains("reset-password?token=")));

    // Passkey: a passkey the account somehow holds is never offered; decoys as for an
    // unknown address.
    let credential = crate::ports::StoredCredential {
        user_id: id.clone(),
        record: crate::webauthn::CredentialRecord {
            id: b"grace-key".to_vec(),
            public_key: Vec::new(),
            sign_count: 0,
            uv_initialized: true,
            backup_eligible: false,
            backup_state: false,
        },
        transports: vec!["internal".into()],
        name: "Laptop".into(),
        created_at: crate::ports::Clock::now(&t.clock),
        last_used_at: None,
    };
    pollster::block_on(CredentialStore::create(&t.users, &credential)).unwrap();
    let flow = start_flow(&t, "openid");
    let options = post_json(
        &t,
        &format!("/v1/flows/{flow}/passkey/options"),
        json!({"email": GRACE}),
    );
    assert_eq!(options.status, 200, "{}", json(&options));
    let offered = json(&options).to_string();
    let real_id = crate::passkeys::sign_in::encoded_id(b"grace-key");
    assert!(!offered.contains(&real_id), "{offered}");
    assert_eq!(status_of(&t, &id, &hr), "STAGED", "nothing changed it");
}

#[test]
fn activate_sends_the_welcome_link_that_sets_the_first_password_and_is_logged() {
    let t = TestPorts::new();
    let hr = admin_token(&t, "hr", "admin.users.manage admin.users.read");
    let id = staged(&t, &hr);
    // Refusals change nothing and send nothing.
    let reader = admin_token(&t, "reader", "admin.users.read");
    assert_eq!(act(&t, &id, "activate?client_id=demo", &reader).status, 403);
    let missing = act(&t, &id, "activate", &hr);
    assert_eq!(
        (missing.status, json(&missing)["code"].clone()),
        (400, json!("invalid_request"))
    );
    let unknown = act(&t, &id, "activate?client_id=nope", &hr);
    assert_eq!(
        (unknown.status, json(&unknown)["code"].clone()),
        (404, json!("unknown_client"))
    );
    assert_eq!(status_of(&t, &id, &hr), "STAGED");
    assert!(t.mailer.sent.borrow().is_empty());

    let activated = act(&t, &id, "activate?client_id=demo", &hr);
    assert_eq!(activated.status, 200, "{}", json(&activated));
    assert_eq!(json(&activated)["status"], "ACTIVE");
    let welcome = mail_to(&t, GRACE);
    assert_eq!(welcome.len(), 1, "one welcome email");
    assert!(
        welcome[0].subject.contains("account is ready"),
        "{}",
        welcome[0].subject
    );
    assert!(t
        .events
        .summary()
        .contains(&("user.lifecycle.activate".into(), "SUCCESS".into())));
    let twice = act(&t, &id, "activate?client_id=demo", &hr);
    assert_eq!(twice.status, 409);

    // The link sets the first password, once; then the password signs in.
    let token = link_token(&t, GRACE);
    let chosen = post_json(
        &t,
        "/v1/recovery/password/reset",
        json!({"token": token, "password": PASSWORD}),
    );
    assert!(chosen.status < 300, "{} {}", chosen.status, json(&chosen));
    let again = post_json(
        &t,
        "/v1/recovery/password/reset",
        json!({"token": token, "password": PASSWORD}),
    );
    assert!(again.status >= 400);
    assert_eq!(password_attempt(&t, GRACE, PASSWORD).status, 200);
}

#[test]
fn scim_keeps_a_staged_account_staged_until_active_true_activates_it_without_email() {
    let t = TestPorts::new();
    let hr = admin_token(&t, "hr", "admin.users.manage admin.users.read");
    let id = staged(&t, &hr);
    let patch = |operations: Value| {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        });
        with_token(
            &t,
            Method::Patch,
            &format!("/scim/v2/Users/{id}"),
            &hr,
            &body.to_string(),
        )
    };
    let renamed =
        patch(json!([{"op": "replace", "path": "displayName", "value": "Amazing Grace"}]));
    assert_eq!(renamed.status, 200, "{}", json(&renamed));
    assert_eq!(status_of(&t, &id, &hr), "STAGED");
    let refused = with_token(
        &t,
        Method::Post,
        "/scim/v2/Users?activate=maybe",
        &hr,
        &json!({"userName": "other@example.com"}).to_string(),
    );
    assert_eq!(refused.status, 400);

    let activated = patch(json!([{"op": "replace", "path": "active", "value": true}]));
    assert_eq!(activated.status, 200);
    assert_eq!(json(&activated)["active"], true);
    assert_eq!(status_of(&t, &id, &hr), "ACTIVE");
    assert!(t.mailer.sent.borrow().is_empty());
    assert!(t
        .events
        .summary()
        .contains(&("user.lifecycle.activate".into(), "SUCCESS".into())));
}

#[test]
fn deactivate_kills_tokens_and_sign_in_keeps_the_profile_and_activate_does_not_revive_tokens() {
    let t = TestPorts::new();
    let hr = admin_token(&t, "hr", "admin.users.manage admin.users.read");
    let tokens = tokens_for(&t, "ada@example.com");
    let id = crate::api::oidc_tests::claims(tokens["access_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let gone = act(&t, &id, "deactivate", &hr);
    assert_eq!(gone.status, 200, "{}", json(&gone));
    assert_eq!(json(&gone)["status"], "DEPROVISIONED");
    assert_eq!(refresh(&t, refresh_token).status, 400);
    // Kept, not deleted: the profile reads, SCIM shows it inactive.
    let kept = pollster::block_on(t.users.find_by_id(&id))
        .unwrap()
        .unwrap();
    assert_eq!(kept.email, "ada@example.com");
    let resource = with_token(&t, Method::Get, &format!("/scim/v2/Users/{id}"), &hr, "");
    assert_eq!(json(&resource)["active"], false);
    assert_eq!(
        password_attempt(&t, "ada@example.com", PASSWORD),
        password_attempt(&t, NOBODY, PASSWORD)
    );
    assert_eq!(act(&t, &id, "deactivate", &hr).status, 409);
    assert_eq!(act(&t, &id, "suspend", &hr).status, 409);

    let back = act(&t, &id, "activate?client_id=demo", &hr);
    assert_eq!(json(&back)["status"], "ACTIVE");
    assert_eq!(
        refresh(&t, refresh_token).status,
        400,
        "what died stays dead"
    );
    assert_eq!(
        password_attempt(&t, "ada@example.com", PASSWORD).status,
        200
    );
    assert!(t
        .events
        .summary()
        .contains(&("user.lifecycle.deactivate".into(), "SUCCESS".into())));
}
