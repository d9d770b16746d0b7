//! Changing one's email address through the core, on the in-memory ports: the attacks
//! first.

use pollster::block_on;

use super::*;
use crate::events::RequestContext;
use crate::passkeys::account::RECENT_SIGN_IN_SECONDS;
use crate::testing::{request_from, TestPorts};

const ISSUER: &str = "https://id.example";

fn context() -> RequestContext {
    request_from("192.0.2.44", "email change test", Some("en"))
}

fn signed_in(t: &TestPorts, id: &str) -> Account {
    crate::testing::signed_in_account(t, id)
}

/// The account as stored now, with the token's sign-in kept.
fn fresh(t: &TestPorts, account: &Account) -> Account {
    Account {
        user: stored(t, &account.user.id),
        client: account.client.clone(),
        auth_time: account.auth_time,
        multi_factor: account.multi_factor,
        grant: account.grant.clone(),
    }
}

fn stored(t: &TestPorts, id: &str) -> User {
    block_on(t.ports().users.find_by_id(id)).unwrap().unwrap()
}

/// Runs `call` with a request of the account API from the test's place.
fn as_me<R>(call: impl FnOnce(&AccountRequest<'_>) -> R) -> R {
    let context = context();
    call(&AccountRequest {
        issuer: ISSUER,
        authorization: None,
        origin: None,
        context: &context,
    })
}

fn ask(t: &TestPorts, account: &Account, to: &str) -> Result<EmailChangeStarted, Error> {
    as_me(|me| block_on(request(&t.ports(), me, account, to)))
}

fn prove(
    t: &TestPorts,
    account: &Account,
    change: &str,
    code: &str,
) -> Result<EmailChanged, Error> {
    as_me(|me| block_on(confirm(&t.ports(), me, account, change, code)))
}

/// The code in the newest mail to `to`, if it carries one.
fn code_sent_to(t: &TestPorts, to: &str) -> Option<String> {
    let mail = t.mailer.last_to(to)?;
    let line = mail.text.lines().find(|l| l.starts_with("Your code: "))?;
    Some(line.trim_start_matches("Your code: ").to_string())
}

fn mails_to(t: &TestPorts, to: &str) -> usize {
    t.mailer.sent.borrow().iter().filter(|m| m.to == to).count()
}

#[test]
fn the_new_address_replaces_the_old_only_once_proven_and_the_old_one_is_told() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let started = ask(&t, &ada, " Ada.New@Example.com ").unwrap();
    assert_eq!(started.expires_in, CODE_TTL_SECONDS);
    assert_eq!(
        stored(&t, "ada").email,
        "ada@example.com",
        "not before the proof"
    );
    let code = code_sent_to(&t, "ada.new@example.com").expect("a code to the new address");
    assert_eq!(mails_to(&t, "ada@example.com"), 0);

    let changed = prove(&t, &ada, &started.change_id, &code).unwrap();
    assert_eq!(changed.email, "ada.new@example.com");
    assert!(changed.email_verified);
    let now = stored(&t, "ada");
    assert_eq!(
        (now.email.as_str(), now.email_verified),
        ("ada.new@example.com", true)
    );
    let notice = t
        .mailer
        .last_to("ada@example.com")
        .expect("the old address told");
    assert!(
        notice.subject.contains("email address"),
        "{}",
        notice.subject
    );
    assert!(!notice.text.contains(&code));
    let logged = t.events.events.borrow();
    let event = logged
        .iter()
        .find(|e| e.event_type == types::UPDATE_PRIMARY_EMAIL)
        .expect("an event");
    assert_eq!(event.actor.id, "ada");
}

#[test]
fn an_email_change_without_a_recent_sign_in_asks_for_one_and_sends_nothing() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    t.clock.advance_seconds(RECENT_SIGN_IN_SECONDS + 1);
    let refused = ask(&t, &ada, "ada.new@example.com").unwrap_err();
    assert!(matches!(refused, Error::ReauthenticationRequired { .. }));
    assert!(t.mailer.sent.borrow().is_empty());
}

#[test]
fn an_email_change_without_the_code_is_refused_and_a_wrong_code_dies_after_five_tries() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let started = ask(&t, &ada, "ada.new@example.com").unwrap();
    let code = code_sent_to(&t, "ada.new@example.com").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let refused = prove(&t, &ada, &started.change_id, wrong).unwrap_err();
        assert!(matches!(refused, Error::CodeInvalid), "{refused:?}");
    }
    assert!(matches!(
        prove(&t, &ada, &started.change_id, wrong),
        Err(Error::CodeExpired)
    ));
    assert!(matches!(
        prove(&t, &ada, &started.change_id, &code),
        Err(Error::CodeExpired)
    ));
    assert_eq!(stored(&t, "ada").email, "ada@example.com");
}

#[test]
fn another_persons_token_cannot_confirm_their_change_and_leaves_it_intact() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let eve = signed_in(&t, "eve");
    let started = ask(&t, &ada, "ada.new@example.com").unwrap();
    let code = code_sent_to(&t, "ada.new@example.com").unwrap();
    // Eve, knowing the handle and even the code, is answered as for no change.
    assert!(matches!(
        prove(&t, &eve, &started.change_id, &code),
        Err(Error::CodeExpired)
    ));
    assert_eq!(stored(&t, "eve").email, "eve@example.com");
    // Nothing of Ada's change was used up.
    prove(&t, &ada, &started.change_id, &code).unwrap();
    assert_eq!(stored(&t, "ada").email, "ada.new@example.com");
}

#[test]
fn a_replayed_or_expired_code_is_refused() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let started = ask(&t, &ada, "ada.new@example.com").unwrap();
    let code = code_sent_to(&t, "ada.new@example.com").unwrap();
    prove(&t, &ada, &started.change_id, &code).unwrap();
    let ada = fresh(&t, &ada);
    assert!(matches!(
        prove(&t, &ada, &started.change_id, &code),
        Err(Error::CodeExpired)
    ));

    let later = ask(&t, &ada, "ada.third@example.com").unwrap();
    let code = code_sent_to(&t, "ada.third@example.com").unwrap();
    t.clock.advance_seconds(CODE_TTL_SECONDS + 1);
    assert!(matches!(
        prove(&t, &ada, &later.change_id, &code),
        Err(Error::CodeExpired)
    ));
    assert_eq!(stored(&t, "ada").email, "ada.new@example.com");
}

#[test]
fn a_code_for_one_address_cannot_set_another() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let mine = ask(&t, &ada, "ada.new@example.com").unwrap();
    let my_code = code_sent_to(&t, "ada.new@example.com").unwrap();
    // A change to an address the caller cannot read, confirmed with the code of one they
    // can: the code belongs to its own change only.
    let theirs = ask(&t, &ada, "victim@example.org").unwrap();
    let their_code = code_sent_to(&t, "victim@example.org").unwrap();
    if my_code != their_code {
        assert!(matches!(
            prove(&t, &ada, &theirs.change_id, &my_code),
            Err(Error::CodeInvalid)
        ));
    }
    assert_eq!(stored(&t, "ada").email, "ada@example.com");
    prove(&t, &ada, &mine.change_id, &my_code).unwrap();
    assert_eq!(stored(&t, "ada").email, "ada.new@example.com");
}

#[test]
fn of_two_raced_changes_the_first_confirmed_wins_and_the_other_expires() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let first = ask(&t, &ada, "first@example.com").unwrap();
    let first_code = code_sent_to(&t, "first@example.com").unwrap();
    let second = ask(&t, &ada, "second@example.com").unwrap();
    let second_code = code_sent_to(&t, "second@example.com").unwrap();
    prove(&t, &ada, &second.change_id, &second_code).unwrap();
    // The token's view of the account is older than the change: the stored one decides.
    assert!(matches!(
        prove(&t, &ada, &first.change_id, &first_code),
        Err(Error::CodeExpired)
    ));
    assert_eq!(stored(&t, "ada").email, "second@example.com");
}

#[test]
fn an_address_of_another_account_gets_the_same_answer_and_its_owner_is_told_instead() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    signed_in(&t, "bob");
    let free = ask(&t, &ada, "free@example.com").unwrap();
    let taken = ask(&t, &ada, "bob@example.com").unwrap();
    assert_eq!(free.expires_in, taken.expires_in);
    assert_eq!(free.change_id.len(), taken.change_id.len());
    // Bob hears of it, with no code to give away.
    let told = t.mailer.last_to("bob@example.com").expect("bob is told");
    assert!(
        code_sent_to(&t, "bob@example.com").is_none(),
        "{}",
        told.text
    );
    // Every code is wrong for it, exactly like a wrong code for a free address.
    for code in ["000000", "123456", "999999"] {
        assert!(matches!(
            prove(&t, &ada, &taken.change_id, code),
            Err(Error::CodeInvalid)
        ));
    }
    assert_eq!(stored(&t, "ada").email, "ada@example.com");
    assert_eq!(stored(&t, "bob").email, "bob@example.com");
}

#[test]
fn an_address_taken_after_the_code_was_sent_is_not_given_to_two_accounts() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    let started = ask(&t, &ada, "late@example.com").unwrap();
    let code = code_sent_to(&t, "late@example.com").unwrap();
    signed_in(&t, "late");
    assert!(matches!(
        prove(&t, &ada, &started.change_id, &code),
        Err(Error::CodeExpired)
    ));
    assert_eq!(stored(&t, "ada").email, "ada@example.com");
}

#[test]
fn a_bad_or_unchanged_address_is_a_field_error() {
    let t = TestPorts::new();
    let ada = signed_in(&t, "ada");
    for bad in ["", "no-at-sign", "ada@example.com", " ADA@example.com"] {
        assert!(
            matches!(ask(&t, &ada, bad), Err(Error::InvalidField("email"))),
            "{bad:?}"
        );
    }
    assert!(t.mailer.sent.borrow().is_empty());
}
