//! Deleting one's own account through the core, on the in-memory ports.

use pollster::block_on;

use super::*;
use crate::passkeys::account::RECENT_SIGN_IN_SECONDS;
use crate::ports::Clock;
use crate::testing::{request_from, TestPorts};

const ISSUER: &str = "https://id.example";

fn context() -> RequestContext {
    request_from("192.0.2.44", "deletion test", Some("fr"))
}

fn signed_in(t: &TestPorts, id: &str) -> Account {
    crate::testing::signed_in_account(t, id)
}

fn ask(t: &TestPorts, account: &Account) -> Result<DeletionScheduled, Error> {
    let context = context();
    let me = AccountRequest {
        issuer: ISSUER,
        authorization: None,
        origin: None,
        context: &context,
    };
    block_on(request(&t.ports(), &me, account))
}

/// The token of the newest cancel link mailed to `to`.
fn cancel_token(t: &TestPorts, to: &str) -> String {
    let sent = t.mailer.sent.borrow().clone();
    let mail = sent.iter().rev().find(|m| m.to == to).expect("a mail");
    let start = mail.text.find("token=").expect("a link") + "token=".len();
    mail.text[start..]
        .split(['&', ' ', '\n', '"'])
        .next()
        .unwrap_or_default()
        .to_string()
}

fn stored(t: &TestPorts, id: &str) -> crate::users::User {
    block_on(t.ports().users.find_by_id(id)).unwrap().unwrap()
}

#[test]
fn a_deletion_kills_tokens_at_once_mails_a_cancel_link_and_erases_after_the_grace_period() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    t.clock.advance_seconds(1);
    let scheduled = ask(&t, &ada).unwrap();
    let now = t.clock.now();
    assert_eq!(scheduled.due_at, now.as_seconds() + DEFAULT_GRACE_SECONDS);
    let revoked = stored(&t, "ada").holder();
    assert!(!revoked.accepts_grant_from(now), "every grant dies now");
    assert!(
        !revoked.accepts_token_issued_at(now.as_seconds()),
        "the token minted in this very second too"
    );
    assert!(revoked.accepts_token_issued_at(now.as_seconds() + 1));
    let mail = t.mailer.sent.borrow().clone().pop().unwrap();
    assert!(mail.text.contains(&format!("{ISSUER}{CANCEL_PATH}?token=")));
    assert!(
        mail.subject.contains("supprimé"),
        "in the person's language: {}",
        mail.subject
    );

    // Not before the grace period ends.
    assert_eq!(block_on(erase_due(&t.ports(), &context())).unwrap(), 0);
    assert_eq!(stored(&t, "ada").status, UserStatus::Active);
    t.clock.advance_seconds(DEFAULT_GRACE_SECONDS);
    assert_eq!(block_on(erase_due(&t.ports(), &context())).unwrap(), 1);
    let gone = stored(&t, "ada");
    assert_eq!(gone.status, UserStatus::Deprovisioned);
    assert_eq!(gone.email, "deleted-ada@deprovisioned.invalid");
    assert_eq!(gone.name, None);
    // A second run finds nothing to do.
    assert_eq!(block_on(erase_due(&t.ports(), &context())).unwrap(), 0);
    let events = t.events.events.borrow();
    let completed = events
        .iter()
        .find(|e| e.event_type == types::USER_DELETE)
        .expect("the erasure is logged");
    assert_eq!(completed.actor.id, "ada");
    assert_eq!(completed.actor.alternate_id, None, "pseudonymous");
    assert!(events
        .iter()
        .any(|e| e.event_type == types::USER_DELETE_REQUESTED));
}

#[test]
fn the_emailed_link_cancels_once_and_the_account_is_kept() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    ask(&t, &ada).unwrap();
    let token = cancel_token(&t, "ada@example.com");
    let words = Words::for_tag("en");
    // Opening the link changes nothing; pressing the button cancels.
    let form = cancel_form(&words, &token);
    assert!(String::from_utf8(form.body)
        .unwrap()
        .contains("method=post"));
    assert!(block_on(t.ports().deletions.find("ada")).unwrap().is_some());
    let kept = block_on(cancel(&t.ports(), &context(), &words, &token)).unwrap();
    assert_eq!(kept.status, 200);
    let again = block_on(cancel(&t.ports(), &context(), &words, &token)).unwrap();
    assert_eq!(again.status, 400, "single use");
    t.clock.advance_seconds(DEFAULT_GRACE_SECONDS + 1);
    assert_eq!(block_on(erase_due(&t.ports(), &context())).unwrap(), 0);
    assert_eq!(stored(&t, "ada").status, UserStatus::Active);
    assert!(t
        .events
        .events
        .borrow()
        .iter()
        .any(|e| e.event_type == types::USER_DELETE_CANCELLED));
}

#[test]
fn a_guessed_or_another_persons_old_link_cancels_nothing() {
    let t = TestPorts::new();
    let (ada, eve) = (signed_in(&t, "ada"), signed_in(&t, "eve"));
    ask(&t, &ada).unwrap();
    let first = cancel_token(&t, "ada@example.com");
    ask(&t, &ada).unwrap();
    ask(&t, &eve).unwrap();
    let words = Words::for_tag("en");
    for token in [first.as_str(), "", "guess"] {
        let answer = block_on(cancel(&t.ports(), &context(), &words, token)).unwrap();
        assert_eq!(answer.status, 400, "{token:?}");
    }
    assert!(block_on(t.ports().deletions.find("ada")).unwrap().is_some());
    assert!(block_on(t.ports().deletions.find("eve")).unwrap().is_some());
}

#[test]
fn rfc9470_deleting_needs_a_recent_sign_in() {
    let t = TestPorts::new();
    let mut ada = signed_in(&t, "ada");
    t.clock.advance_seconds(RECENT_SIGN_IN_SECONDS + 1);
    assert!(matches!(
        ask(&t, &ada),
        Err(Error::ReauthenticationRequired { .. })
    ));
    ada.auth_time = None;
    assert!(ask(&t, &ada).is_err());
    assert!(block_on(t.ports().deletions.find("ada")).unwrap().is_none());
    assert!(t.mailer.sent.borrow().clone().is_empty());
}

#[test]
fn the_cancel_page_escapes_the_token() {
    let page = cancel_form(&Words::for_tag("en"), "\"><script>");
    let body = String::from_utf8(page.body).unwrap();
    assert!(!body.contains("<script>") && body.contains("&quot;&gt;&lt;script&gt;"));
}
