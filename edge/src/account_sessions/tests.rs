//! Sessions and applications through the core, on the in-memory ports: another person's
//! ids first.

use pollster::block_on;

use super::*;
use crate::oauth::grant::GrantRef;
use crate::ports::Clock;
use crate::testing::{demo_client, grant_of, request_from, user, TestPorts};

fn context() -> RequestContext {
    request_from("198.51.100.7", "sessions test", None)
}

/// A person signed in to `demo` (their current grant `{id}-a…`) and to `shop`.
fn signed_in(t: &TestPorts, id: &str) -> (Account, Vec<String>) {
    let someone = user(id, &format!("{id}@example.com"));
    block_on(t.ports().users.create(&someone)).unwrap();
    let grant_id = |tag: &str| {
        format!("{id}-{tag}")
            .chars()
            .cycle()
            .take(43)
            .collect::<String>()
    };
    let current = grant_id("a");
    let refresh = vec![
        grant_of(t, id, "demo", &current),
        grant_of(t, id, "demo", &grant_id("b")),
        grant_of(t, id, "shop", &grant_id("c")),
    ];
    let account = Account {
        user: someone,
        client: demo_client(),
        auth_time: Some(t.clock.now().as_seconds()),
        multi_factor: false,
        grant: Some(GrantRef::of(&current)),
    };
    (account, refresh)
}

/// Whether the refresh token still rotates (the grant is alive).
fn refreshes(t: &TestPorts, refresh_token: &str, client_id: &str) -> bool {
    let (grant_id, secret) = refresh_token.split_once('.').unwrap();
    let command = GrantCommand::Rotate {
        client_id: client_id.into(),
        presented: secret.into(),
        fresh: "f".repeat(43),
        scopes: None,
    };
    let reference = GrantRef::of(grant_id);
    let reply = block_on(
        t.ports()
            .grants
            .apply(reference.as_str(), &command, t.clock.now()),
    );
    matches!(reply.unwrap(), GrantReply::Rotated { .. })
}

fn sessions(t: &TestPorts, account: &Account) -> Vec<SessionSummary> {
    block_on(list(&t.ports(), account)).unwrap().sessions
}

#[test]
fn the_list_shows_each_live_session_with_its_application_and_marks_the_current_one() {
    let t = TestPorts::new();
    let (ada, _) = signed_in(&t, "ada");
    let listed = sessions(&t, &ada);
    assert_eq!(listed.len(), 3);
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    assert_eq!(listed.iter().filter(|s| s.client_id == "shop").count(), 1);
    let demo = listed.iter().find(|s| s.client_id == "demo").unwrap();
    assert_eq!(demo.client_name, "Portcullis Demo");
    assert_eq!(demo.amr, ["pwd"]);
    // Ids are not grant references, nor anything a token endpoint takes.
    let json = serde_json::to_string(&listed).unwrap();
    assert!(!json.contains(GrantRef::of(&"ada-a".repeat(9)[..43]).as_str()));
}

#[test]
fn another_persons_session_or_application_id_is_not_found_and_nothing_changes() {
    let t = TestPorts::new();
    let (ada, ada_refresh) = signed_in(&t, "ada");
    let (eve, _) = signed_in(&t, "eve");
    let ctx = context();
    for victim in sessions(&t, &ada) {
        let refused = block_on(end(&t.ports(), &ctx, &eve, &victim.id)).unwrap_err();
        assert!(matches!(refused, Error::SessionNotFound));
    }
    // Eve ending "every other session" and her applications touches only hers.
    block_on(revoke_application(&t.ports(), &ctx, &eve, "shop")).unwrap();
    block_on(end_others(&t.ports(), &ctx, &eve)).unwrap();
    assert!(matches!(
        block_on(revoke_application(&t.ports(), &ctx, &eve, "shop")),
        Err(Error::ApplicationNotFound)
    ));
    assert_eq!(sessions(&t, &ada).len(), 3);
    assert!(refreshes(&t, &ada_refresh[2], "shop"));
    assert!(matches!(
        block_on(end(&t.ports(), &ctx, &ada, "not-an-id")),
        Err(Error::SessionNotFound)
    ));
}

#[test]
fn ending_a_session_kills_its_refresh_token_and_only_that_one() {
    let t = TestPorts::new();
    let (ada, refresh) = signed_in(&t, "ada");
    let other = sessions(&t, &ada)
        .into_iter()
        .find(|s| !s.current && s.client_id == "demo")
        .unwrap();
    block_on(end(&t.ports(), &context(), &ada, &other.id)).unwrap();
    assert!(!refreshes(&t, &refresh[1], "demo"), "the ended one is dead");
    assert!(refreshes(&t, &refresh[0], "demo"), "the current one lives");
    assert!(refreshes(&t, &refresh[2], "shop"));
    assert_eq!(sessions(&t, &ada).len(), 2);
    assert!(matches!(
        block_on(end(&t.ports(), &context(), &ada, &other.id)),
        Err(Error::SessionNotFound)
    ));
    let logged = t.events.events.borrow();
    assert!(logged
        .iter()
        .any(|e| e.event_type == types::TOKEN_REVOKE && e.actor.id == "ada"));
}

#[test]
fn ending_every_other_session_keeps_the_callers_and_ends_hosted_sign_ins() {
    let t = TestPorts::new();
    let (ada, refresh) = signed_in(&t, "ada");
    let ports = t.ports();
    block_on(crate::sessions::start(
        &ports,
        "ada",
        &crate::amr::Amr::password(),
        t.clock.now(),
    ))
    .unwrap();
    let ended = block_on(end_others(&ports, &context(), &ada)).unwrap();
    assert_eq!(ended.ended, 2);
    assert!(refreshes(&t, &refresh[0], "demo"));
    assert!(!refreshes(&t, &refresh[1], "demo"));
    assert!(!refreshes(&t, &refresh[2], "shop"));
    let left = sessions(&t, &ada);
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    let hosted = block_on(ports.sessions.for_user("ada", t.clock.now())).unwrap();
    assert!(hosted.is_empty());
}

#[test]
fn revoking_an_application_ends_its_grants_and_lists_what_was_given_to_it() {
    let t = TestPorts::new();
    let (ada, refresh) = signed_in(&t, "ada");
    let apps = block_on(applications(&t.ports(), &ada))
        .unwrap()
        .applications;
    assert_eq!(apps.len(), 2);
    let demo = apps.iter().find(|a| a.client_id == "demo").unwrap();
    assert_eq!(demo.sessions, 2);
    assert!(demo.scopes.contains(&"offline_access".to_string()));
    block_on(revoke_application(&t.ports(), &context(), &ada, "shop")).unwrap();
    assert!(!refreshes(&t, &refresh[2], "shop"));
    assert!(refreshes(&t, &refresh[1], "demo"));
    let apps = block_on(applications(&t.ports(), &ada))
        .unwrap()
        .applications;
    assert_eq!(apps.len(), 1);
}

#[test]
fn a_session_shows_where_its_grant_was_made() {
    let t = TestPorts::new();
    let (ada, _) = signed_in(&t, "ada");
    t.grants.edit_all(|grant| {
        grant.place = Some(crate::oauth::grant::GrantPlace {
            country: Some("NZ".into()),
            user_agent: Some("Firefox on a phone".into()),
        });
    });
    let listed = sessions(&t, &ada);
    assert!(listed.iter().all(|s| s.country.as_deref() == Some("NZ")
        && s.user_agent.as_deref() == Some("Firefox on a phone")));
}
