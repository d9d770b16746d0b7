//! Setting a new password through the account API's core, on the in-memory ports: the
//! attacks first.

use pollster::block_on;
use portcullis_shared::api::PasswordChange;

use super::*;
use crate::events::RequestContext;
use crate::passkeys::account::RECENT_SIGN_IN_SECONDS;
use crate::testing::{request_from, TestPorts};

fn context() -> RequestContext {
    request_from("192.0.2.45", "password change test", Some("en"))
}

fn set(t: &TestPorts, account: &Account, password: &str) -> Result<(), Error> {
    let context = context();
    let me = AccountRequest {
        issuer: "https://id.example",
        authorization: None,
        origin: None,
        context: &context,
    };
    let body = PasswordChange {
        password: password.into(),
    };
    block_on(change(&t.ports(), &me, account, &body))
}

fn hash_of(t: &TestPorts, id: &str) -> Option<String> {
    block_on(t.ports().users.find_by_id(id))
        .unwrap()
        .unwrap()
        .password_hash
}

const GOOD: &str = "violet lantern harbour seventeen";

#[test]
fn password_change_needs_a_recent_sign_in_and_changes_nothing_without_one() {
    let t = TestPorts::new();
    let mut ada = crate::testing::signed_in_account(&t, "ada");
    let before = hash_of(&t, "ada");
    t.clock.advance_seconds(RECENT_SIGN_IN_SECONDS + 1);
    assert!(matches!(
        set(&t, &ada, GOOD),
        Err(Error::ReauthenticationRequired { .. })
    ));
    ada.auth_time = None;
    assert!(matches!(
        set(&t, &ada, GOOD),
        Err(Error::ReauthenticationRequired { .. })
    ));
    assert_eq!(hash_of(&t, "ada"), before);
    assert!(t.mailer.last_to("ada@example.com").is_none());
}

#[test]
fn password_change_with_a_second_factor_needs_a_sign_in_that_proved_it() {
    let t = TestPorts::new();
    let ada = crate::testing::signed_in_account(&t, "ada");
    let app = crate::ports::StoredTotp {
        id: "app-1".into(),
        user_id: "ada".into(),
        name: "Authenticator app".into(),
        sealed_secret: "sealed".into(),
        created_at: crate::time::UnixMillis(0),
        last_used_at: None,
    };
    block_on(t.ports().factors.add_totp(&app)).unwrap();
    assert!(matches!(
        set(&t, &ada, GOOD),
        Err(Error::MfaRequired { .. })
    ));
    let strong = Account {
        multi_factor: true,
        ..ada
    };
    set(&t, &strong, GOOD).unwrap();
}

#[test]
fn password_change_follows_the_password_rules() {
    let t = TestPorts::new();
    let ada = crate::testing::signed_in_account(&t, "ada");
    let before = hash_of(&t, "ada");
    for weak in ["short", "password123456789", "ada@example.com and more"] {
        assert!(
            matches!(set(&t, &ada, weak), Err(Error::PasswordRejected(_))),
            "{weak}"
        );
    }
    assert_eq!(hash_of(&t, "ada"), before);
}

#[test]
fn password_change_sets_the_password_tells_the_owner_and_logs_it() {
    let t = TestPorts::new();
    let ada = crate::testing::signed_in_account(&t, "ada");
    set(&t, &ada, GOOD).unwrap();
    let hash = hash_of(&t, "ada").expect("a password");
    assert!(matches!(
        hashing::verify(GOOD, &hash, Cost::OWASP),
        Ok(hashing::Verification::Match { .. })
    ));
    let mail = t
        .mailer
        .last_to("ada@example.com")
        .expect("the owner is told");
    assert!(mail.subject.contains("password"), "{}", mail.subject);
    assert!(!mail.text.contains(GOOD));
    let logged = t.events.events.borrow();
    let event = logged
        .iter()
        .find(|e| e.event_type == types::UPDATE_PASSWORD)
        .expect("an event");
    assert_eq!(event.actor.id, "ada");
    assert!(!format!("{event:?}").contains(GOOD));
}
