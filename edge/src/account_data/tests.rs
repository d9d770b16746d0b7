//! The export through the core, on the in-memory ports.

use pollster::block_on;
use portcullis_shared::consent::{ConsentChange, ConsentState};

use super::*;
use crate::amr::Amr;
use crate::passkeys::account::RECENT_SIGN_IN_SECONDS;
use crate::ports::{Clock, StoredTotp, UnixMillis};
use crate::testing::{demo_client, request_from, user, TestPorts};
use crate::users::Session;

fn context() -> RequestContext {
    request_from("203.0.113.9", "export test", None)
}

/// A person with a password, an authenticator app, a session, a consent and an event.
fn person(t: &TestPorts, id: &str) -> Account {
    let mut someone = user(id, &format!("{id}@example.com"));
    someone.password_hash = Some(format!("$argon2id$v=19$m=19456,t=2,p=1$salt-of-{id}$hash"));
    let ports = t.ports();
    block_on(ports.users.create(&someone)).unwrap();
    let now = t.clock.now();
    block_on(ports.factors.add_totp(&StoredTotp {
        id: format!("totp-{id}"),
        user_id: id.into(),
        name: format!("{id}'s phone"),
        sealed_secret: format!("SEALED-TOTP-SECRET-OF-{id}"),
        created_at: now,
        last_used_at: None,
    }))
    .unwrap();
    block_on(ports.sessions.create(
        &format!("session-handle-hash-of-{id}"),
        &Session {
            user_id: id.into(),
            auth_time: now,
            amr: Amr::password(),
            expires_at: UnixMillis(now.0 + 3_600_000),
        },
    ))
    .unwrap();
    let account = Account {
        user: someone,
        client: demo_client(),
        auth_time: Some(now.as_seconds()),
        multi_factor: false,
        grant: None,
    };
    let change = ConsentChange {
        purpose: "marketing_email".into(),
        state: ConsentState::Granted,
        document_version: "1".into(),
        text_sha256: "ab".repeat(32),
        method: None,
        locale: None,
    };
    block_on(crate::consent::record(
        &ports,
        &context(),
        &account,
        &change,
        false,
    ))
    .unwrap();
    account
}

#[test]
fn the_export_holds_profile_credentials_sessions_consents_and_events_and_no_secret() {
    let t = TestPorts::new();
    let ada = person(&t, "ada");
    let export = block_on(export(&t.ports(), &context(), &ada)).unwrap();
    assert_eq!(export.profile.id, "ada");
    assert_eq!(export.profile.email, "ada@example.com");
    assert!(export.profile.has_password);
    assert_eq!(export.factors.len(), 1);
    assert_eq!(export.factors[0].name, "ada's phone");
    assert_eq!(export.sessions.len(), 1);
    assert_eq!(export.sessions[0].amr, ["pwd"]);
    assert_eq!(export.consents.len(), 1);
    assert_eq!(export.consents[0].purpose, "marketing_email");
    assert!(export
        .events
        .iter()
        .any(|e| e.event_type == types::CONSENT_GRANT && e.actor.id == "ada"));
    let json = serde_json::to_string(&export).unwrap();
    for secret in [
        "argon2",
        "salt-of-ada",
        "SEALED-TOTP",
        "session-handle-hash",
    ] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    let logged = t.events.events.borrow();
    assert!(logged
        .iter()
        .any(|e| e.event_type == types::DATA_EXPORT && e.actor.id == "ada"));
}

#[test]
fn an_export_holds_nothing_of_anyone_else() {
    let t = TestPorts::new();
    let ada = person(&t, "ada");
    let bob = person(&t, "bob");
    // An administrator's event about Bob, and one of Bob's own, must stay out.
    block_on(events::record(
        &t.ports(),
        &context(),
        EventSpec::user_success(types::SESSION_START, "Bob signed in", &bob.user, "demo"),
    ));
    let export = block_on(export(&t.ports(), &context(), &ada)).unwrap();
    let json = serde_json::to_string(&export).unwrap();
    assert!(!json.contains("bob"), "{json}");
    assert!(export
        .events
        .iter()
        .all(|e| e.actor.id == "ada" || e.target.iter().any(|p| p.id == "ada")));
}

#[test]
fn rfc9470_an_export_needs_a_recent_sign_in() {
    let t = TestPorts::new();
    let mut ada = person(&t, "ada");
    t.clock.advance_seconds(RECENT_SIGN_IN_SECONDS + 1);
    let stale = block_on(export(&t.ports(), &context(), &ada));
    assert!(
        matches!(stale, Err(Error::ReauthenticationRequired { .. })),
        "{stale:?}"
    );
    ada.auth_time = None;
    assert!(block_on(export(&t.ports(), &context(), &ada)).is_err());
    let logged = t.events.events.borrow();
    assert!(!logged.iter().any(|e| e.event_type == types::DATA_EXPORT));
}
