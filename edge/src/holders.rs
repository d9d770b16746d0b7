//! Keeping what each grant knows of its person (its [`Holder`]) in step with the person,
//! so that refresh, userinfo and introspection read the person from the grant's Durable
//! Object and never from D1.
//!
//! Every change to a person's standing or claims — a suspension or reactivation, a
//! profile change or an erasure through SCIM, a password reset, a first proof of the
//! address — is written to the user store first and then passed to each of the person's
//! grants through the [`GrantIndex`](crate::ports::GrantIndex), before the change is
//! reported done. A grant in the making cannot miss one: its index row is written after
//! the grant exists, and the person is then read again ([`register`]), so a change made
//! between the first read and the index row is passed on there.
//!
//! A person holds at most [`Settings::max_grants_per_person`](crate::ports::Settings)
//! live grants: a grant beyond it ends their oldest. So one change to one person calls
//! on a bounded number of grants, and a person who signs in again and again cannot
//! make their own suspension too large for a request to carry out. A change that
//! reaches many people at once (a group renamed or deleted) is passed on by the queue
//! consumer instead ([`pass_on`]).

use crate::oauth::grant::{Grant, GrantCommand, GrantRef, GrantReply};
use crate::ports::{Ports, StoreError};
use crate::users::{Holder, User, UserStatus};

/// The live grants a person may hold unless `MAX_GRANTS_PER_PERSON` says otherwise.
pub const DEFAULT_MAX_GRANTS_PER_PERSON: usize = 100;

/// The most people a change is passed on to within its request; more are passed on by
/// the queue consumer.
pub const INLINE_PEOPLE: usize = 10;

/// What a grant keeps of a person who is no longer in the user store: nothing but that
/// they are gone.
fn gone() -> Holder {
    Holder {
        profile: Default::default(),
        status: UserStatus::Deprovisioned,
        email: String::new(),
        email_verified: false,
        name: None,
        given_name: None,
        family_name: None,
        external_id: None,
        tokens_valid_after: None,
        groups: Some(Vec::new()),
    }
}

/// The person `user_id` as a grant keeps them now: the stored person and the names of
/// their groups.
pub async fn current(ports: &Ports<'_>, user_id: &str) -> Result<Holder, StoreError> {
    let Some(user) = ports.users.find_by_id(user_id).await? else {
        return Ok(gone());
    };
    with_groups(ports, &user).await
}

/// `user` as a grant keeps them, with the names of their groups.
pub async fn with_groups(ports: &Ports<'_>, user: &User) -> Result<Holder, StoreError> {
    Ok(Holder {
        groups: Some(ports.groups.names_for(&user.id).await?),
        ..user.holder()
    })
}

/// The names of the groups of `person`: as their grant keeps them, or from the group
/// store for a grant stored before grants kept them.
pub async fn groups_of(
    ports: &Ports<'_>,
    id: &str,
    holder: &Holder,
) -> Result<Vec<String>, StoreError> {
    match &holder.groups {
        Some(names) => Ok(names.clone()),
        None => ports.groups.names_for(id).await,
    }
}

/// What [`register`] did: the person as the new grant keeps them, and how many of their
/// older grants it ended to stay within the limit.
pub struct Registered {
    pub holder: Holder,
    pub ended: usize,
}

/// Notes a grant just created for `grant.user_id` in the person's index, ends their
/// oldest grants beyond [`Settings::max_grants_per_person`](crate::ports::Settings), then
/// passes on any change made to the person since `grant.holder` was read.
pub async fn register(
    ports: &Ports<'_>,
    reference: &GrantRef,
    grant: &Grant,
) -> Result<Registered, StoreError> {
    ports
        .grant_index
        .add(&grant.user_id, reference.as_str(), grant.expires_at)
        .await?;
    let live = ports
        .grant_index
        .for_person(&grant.user_id, ports.clock.now())
        .await?;
    let limit = ports.settings.max_grants_per_person.max(1);
    let mut ended = 0;
    if live.len() > limit {
        // Oldest first; never the new grant, whatever its place.
        let excess: Vec<String> = live
            .iter()
            .filter(|r| r.as_str() != reference.as_str())
            .take(live.len() - limit)
            .cloned()
            .collect();
        for old in &excess {
            let _: GrantReply = ports
                .grants
                .apply(
                    old,
                    &GrantCommand::Revoke { client_id: None },
                    ports.clock.now(),
                )
                .await?;
        }
        ports.grant_index.remove(&grant.user_id, &excess).await?;
        ended = excess.len();
    }
    let holder = current(ports, &grant.user_id).await?;
    if grant.holder.as_ref() != Some(&holder) {
        hold(ports, reference.as_str(), holder.clone()).await?;
    }
    Ok(Registered { holder, ended })
}

/// Passes the person as stored now to every grant they hold. Called after each change to
/// what a [`Holder`] carries; an error means some grant may not have heard of it, and the
/// change must not be reported done.
pub async fn sync(ports: &Ports<'_>, user_id: &str) -> Result<(), StoreError> {
    let holder = current(ports, user_id).await?;
    let now = ports.clock.now();
    for reference in ports.grant_index.for_person(user_id, now).await? {
        hold(ports, &reference, holder.clone()).await?;
    }
    Ok(())
}

/// Passes a change to `people`'s grants: within the request for a few, through the
/// queue consumer for more ([`INLINE_PEOPLE`]), so that a change to a group of
/// thousands is never one request's work. If the queue refuses, it is done here.
pub async fn pass_on(ports: &Ports<'_>, people: &[String]) -> Result<(), StoreError> {
    if people.len() > INLINE_PEOPLE {
        match ports.deferred.sync_people(people).await {
            Ok(()) => return Ok(()),
            Err(err) => ports.diagnostics.log(&format!(
                "holders: the queue refused {} people ({err:?}); passing on here",
                people.len()
            )),
        }
    }
    for person in people {
        sync(ports, person).await?;
    }
    Ok(())
}

/// The person as `grant` keeps them; a grant stored before grants kept their person
/// reads them from the user store (`None` if they are not there).
pub async fn of_grant(ports: &Ports<'_>, grant: &Grant) -> Result<Option<Holder>, StoreError> {
    if let Some(holder) = &grant.holder {
        return Ok(Some(holder.clone()));
    }
    let user = ports.users.find_by_id(&grant.user_id).await?;
    Ok(user.as_ref().map(User::holder))
}

/// Ends every grant of a person about to be erased, leaving nothing of their address or
/// names in them. Run before the erasure, so that if it fails the person is still there
/// to erase again.
pub async fn end(ports: &Ports<'_>, user_id: &str) -> Result<(), StoreError> {
    let now = ports.clock.now();
    for reference in ports.grant_index.for_person(user_id, now).await? {
        hold(ports, &reference, gone()).await?;
    }
    Ok(())
}

/// `Invalid` from the grant means it expired and its object was erased: nothing to keep.
async fn hold(ports: &Ports<'_>, reference: &str, holder: Holder) -> Result<(), StoreError> {
    let command = GrantCommand::Hold { holder };
    let _: GrantReply = ports
        .grants
        .apply(reference, &command, ports.clock.now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scope::Scopes;
    use crate::ports::{Clock, GrantIndex, UserStore};
    use crate::testing::{user, TestPorts};

    fn grant_for(t: &TestPorts, u: &User, days: u64) -> Grant {
        Grant {
            user_id: u.id.clone(),
            client_id: "demo".into(),
            scopes: Scopes::parse("openid email"),
            auth_time: t.clock.now(),
            amr: crate::amr::Amr::password(),
            created_at: t.clock.now(),
            expires_at: t.clock.now().plus_seconds(days * 86_400),
            revoked: false,
            refresh: None,
            holder: Some(u.holder()),
            place: None,
        }
    }

    fn made(t: &TestPorts, u: &User, id: &str, days: u64) -> GrantRef {
        let reference = GrantRef::of(id);
        let grant = grant_for(t, u, days);
        let ports = t.ports();
        pollster::block_on(ports.grants.create(reference.as_str(), &grant)).unwrap();
        pollster::block_on(register(&ports, &reference, &grant)).unwrap();
        reference
    }

    #[test]
    fn a_suspension_landing_while_a_grant_is_made_still_reaches_it() {
        let t = TestPorts::new();
        let ada = user("u1", "ada@example.com");
        pollster::block_on(t.users.create(&ada)).unwrap();
        let reference = GrantRef::of("g1");
        // The code exchange read Ada active; the suspension lands before the index row.
        let grant = grant_for(&t, &ada, 1);
        let ports = t.ports();
        pollster::block_on(ports.grants.create(reference.as_str(), &grant)).unwrap();
        t.users.set_status("u1", UserStatus::Suspended);
        pollster::block_on(sync(&ports, "u1")).unwrap();
        let now = pollster::block_on(register(&ports, &reference, &grant))
            .unwrap()
            .holder;
        assert_eq!(now.status, UserStatus::Suspended);
        let kept = t.grants.stored(reference.as_str()).unwrap();
        assert_eq!(kept.holder.unwrap().status, UserStatus::Suspended);
        assert!(!t
            .grants
            .stored(reference.as_str())
            .unwrap()
            .is_live(t.clock.now()));
    }

    #[test]
    fn every_live_grant_of_the_person_hears_of_a_change_and_no_one_else_s() {
        let t = TestPorts::new();
        let ada = user("u1", "ada@example.com");
        let bob = user("u2", "bob@example.com");
        pollster::block_on(t.users.create(&ada)).unwrap();
        pollster::block_on(t.users.create(&bob)).unwrap();
        let short = made(&t, &ada, "g1", 1);
        let long = made(&t, &ada, "g2", 30);
        let bobs = made(&t, &bob, "g3", 30);
        t.clock.advance_seconds(2 * 86_400);
        t.users.set_status("u1", UserStatus::Suspended);
        pollster::block_on(sync(&t.ports(), "u1")).unwrap();
        let status = |r: &GrantRef| t.grants.stored(r.as_str()).unwrap().holder.unwrap().status;
        assert_eq!(status(&long), UserStatus::Suspended);
        assert_eq!(status(&bobs), UserStatus::Active);
        assert_eq!(status(&short), UserStatus::Active, "expired: forgotten");
        let listed = pollster::block_on(t.grant_index.for_person("u1", t.clock.now())).unwrap();
        assert_eq!(listed, vec![long.as_str().to_string()]);
    }

    #[test]
    fn an_erased_person_s_grants_keep_nothing_of_their_address_or_names() {
        use crate::ports::Directory;
        let t = TestPorts::new();
        let ada = User {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            ..user("u1", "ada@example.com")
        };
        pollster::block_on(t.users.create(&ada)).unwrap();
        let reference = made(&t, &ada, "g1", 1);
        pollster::block_on(end(&t.ports(), "u1")).unwrap();
        pollster::block_on(t.users.erase("u1", t.clock.now())).unwrap();
        let kept = t.grants.stored(reference.as_str()).unwrap().holder.unwrap();
        assert_eq!(kept.status, UserStatus::Deprovisioned);
        assert!(!kept.email.contains("ada"), "{}", kept.email);
        assert_eq!(
            (kept.name, kept.given_name, kept.family_name),
            (None, None, None)
        );
    }

    #[test]
    fn a_grant_beyond_the_limit_ends_the_person_s_oldest_and_no_one_else_s() {
        let mut t = TestPorts::new();
        t.settings.max_grants_per_person = 3;
        let ada = user("u1", "ada@example.com");
        let bob = user("u2", "bob@example.com");
        pollster::block_on(t.users.create(&ada)).unwrap();
        pollster::block_on(t.users.create(&bob)).unwrap();
        let bobs = made(&t, &bob, "b1", 1);
        // Shortest-lived first in the index: the 1-day grant is the oldest to go.
        let ada_grants: Vec<GrantRef> = [("g1", 1), ("g2", 30), ("g3", 30), ("g4", 30), ("g5", 2)]
            .into_iter()
            .map(|(id, days)| made(&t, &ada, id, days))
            .collect();
        let live = |r: &GrantRef| t.grants.stored(r.as_str()).unwrap().is_live(t.clock.now());
        let alive: Vec<bool> = ada_grants.iter().map(live).collect();
        // g4 ended g1 (the soonest to expire); g5 (2 days) ended g2, the soonest after it
        // (same expiry as g3 and g4: by reference).
        assert_eq!(alive, vec![false, false, true, true, true]);
        assert!(live(&bobs));
        let listed = pollster::block_on(t.grant_index.for_person("u1", t.clock.now())).unwrap();
        assert_eq!(listed.len(), 3);

        // A suspension now calls on three grants, however often Ada signed in.
        crate::testing::reset_round_trips();
        t.users.set_status("u1", UserStatus::Suspended);
        pollster::block_on(sync(&t.ports(), "u1")).unwrap();
        assert_eq!(crate::testing::round_trips().durable_object, 3);
    }

    #[test]
    fn a_change_reaching_many_people_waits_for_the_queue_and_a_few_are_passed_on_at_once() {
        let t = TestPorts::new();
        let people: Vec<String> = (0..=INLINE_PEOPLE).map(|n| format!("u{n}")).collect();
        let grants: Vec<GrantRef> = people
            .iter()
            .map(|id| {
                let u = user(id, &format!("{id}@example.com"));
                pollster::block_on(t.users.create(&u)).unwrap();
                made(&t, &u, &format!("g-{id}"), 1)
            })
            .collect();
        let status = |r: &GrantRef| t.grants.stored(r.as_str()).unwrap().holder.unwrap().status;
        for id in &people {
            t.users.set_status(id, UserStatus::Suspended);
        }

        // A few: heard before the answer.
        pollster::block_on(pass_on(&t.ports(), &people[..INLINE_PEOPLE])).unwrap();
        assert!(t.deferred.waiting().is_empty());
        assert_eq!(status(&grants[0]), UserStatus::Suspended);

        // More than a request should call on: queued, heard when the consumer runs.
        for id in &people {
            t.users.set_status(id, UserStatus::Active);
        }
        pollster::block_on(pass_on(&t.ports(), &people)).unwrap();
        assert_eq!(t.deferred.waiting(), people);
        assert_eq!(status(&grants[0]), UserStatus::Suspended, "not yet");
        pollster::block_on(t.deferred.run(&t.ports())).unwrap();
        assert!(grants.iter().all(|g| status(g) == UserStatus::Active));

        // A queue that refuses: done within the request, nothing lost.
        t.deferred.refuse.set(true);
        for id in &people {
            t.users.set_status(id, UserStatus::Suspended);
        }
        pollster::block_on(pass_on(&t.ports(), &people)).unwrap();
        assert!(grants.iter().all(|g| status(g) == UserStatus::Suspended));
    }
}
