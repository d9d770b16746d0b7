//! Upstream tokens kept only when the connection asks (`store_tokens`): sealed per
//! identity, refreshed with the kept refresh token (RFC 6749 §6), dropped on the
//! provider's `invalid_grant` (§5.2), erased with the identity, and read or erased only
//! through the admin API with `admin.users.manage`.

use super::*;
use crate::api::oidc_tests::{call, json, request};
use crate::http::{Method, Response};
use crate::ports::Clock;
use crate::scim::tests::admin_token;

fn keeping_world() -> World {
    let w = world();
    corp_options(&w, |o| o.store_tokens = true);
    w
}

fn kept(w: &World) -> Option<crate::ports::KeptTokens> {
    w.t.users
        .upstream_tokens
        .borrow()
        .get(&("corp".to_string(), "upstream-1".to_string()))
        .cloned()
}

fn admin(w: &World, method: Method, user_id: &str, query: &str, token: &str) -> Response {
    let bearer = format!("Bearer {token}");
    call(
        &w.t,
        request(
            method,
            &format!("/admin/v1/users/{user_id}/identities/corp/tokens{query}"),
            &[("authorization", &bearer)],
            "",
        ),
    )
}

/// Signs Ada in through the provider; her account's id.
fn signed_in_id(w: &World) -> String {
    signed_in(w);
    account(w, "ada@example.com").unwrap().id
}

fn manager(w: &World) -> String {
    admin_token(&w.t, "ops", "admin.users.manage")
}

fn logged(w: &World, event_type: &str) -> Vec<crate::events::SystemLogEvent> {
    crate::admin_users::tests::logged(&w.t, event_type)
}

#[test]
fn store_tokens_off_keeps_nothing_of_the_providers_tokens() {
    let w = world();
    let user_id = signed_in_id(&w);
    assert!(w.t.users.upstream_tokens.borrow().is_empty());
    let token = manager(&w);
    let answer = admin(&w, Method::Get, &user_id, "", &token);
    assert_eq!(answer.status, 200);
    assert_eq!(
        json(&answer),
        json!({"held": false, "expires_at": null, "scopes": []})
    );
    let live = admin(&w, Method::Get, &user_id, "?include=access_token", &token);
    assert_eq!(
        (live.status, json(&live)["code"].clone()),
        (404, json!("tokens_not_held"))
    );
}

#[test]
fn store_tokens_keeps_them_sealed_for_the_identity_and_the_admin_api_shows_no_token() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    let row = kept(&w).expect("kept for (corp, upstream-1)");
    assert!(!row.sealed_tokens.contains("at-corp") && !row.sealed_tokens.contains("rt-corp"));
    let kek = crate::testing::key_encryption_key(1);
    let plain = kek
        .open(&row.sealed_tokens, "upstream-tokens:corp:upstream-1")
        .unwrap();
    assert!(String::from_utf8(plain).unwrap().contains("rt-corp"));
    // Sealed for this identity: moved to another, it does not open.
    assert!(kek
        .open(&row.sealed_tokens, "upstream-tokens:corp:upstream-2")
        .is_err());
    assert_eq!(row.scopes, ["openid", "email", "profile", "api.read"]);
    assert_eq!(row.expires_at, Some(w.t.clock.now().plus_seconds(600)));
    let answer = admin(&w, Method::Get, &user_id, "", &manager(&w));
    assert_eq!(answer.status, 200);
    let body = json(&answer);
    assert_eq!(body["held"], true);
    assert_eq!(
        body["scopes"],
        json!(["openid", "email", "profile", "api.read"])
    );
    assert!(body["expires_at"].is_string());
    assert!(body.get("access_token").is_none() && !body.to_string().contains("rt-corp"));
    assert!(logged(&w, "user.identity.tokens.read").is_empty());
}

#[test]
fn a_new_sign_in_replaces_what_was_kept() {
    let w = keeping_world();
    signed_in(&w);
    let first = kept(&w).unwrap();
    w.t.clock.advance_seconds(60);
    signed_in(&w);
    let second = kept(&w).unwrap();
    assert_eq!(w.t.users.upstream_tokens.borrow().len(), 1);
    assert_ne!(first.sealed_tokens, second.sealed_tokens);
    assert_eq!(second.expires_at, Some(w.t.clock.now().plus_seconds(600)));
}

#[test]
fn rfc6749_6_an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    let token = manager(&w);
    // Live: the kept token, the provider not asked.
    let live = admin(&w, Method::Get, &user_id, "?include=access_token", &token);
    assert_eq!(live.status, 200);
    assert_eq!(json(&live)["access_token"], "at-corp");
    assert!(w.upstream.borrow().refreshes.is_empty());
    w.t.clock.advance_seconds(601);
    // (A fresh admin token: the first has expired too.)
    let token = manager(&w);
    let refreshed = admin(&w, Method::Get, &user_id, "?include=access_token", &token);
    assert_eq!(refreshed.status, 200);
    assert_eq!(json(&refreshed)["access_token"], "at-corp-2");
    // RFC 6749 §6: no scope in the answer, the scopes granted before.
    assert_eq!(
        json(&refreshed)["scopes"],
        json!(["openid", "email", "profile", "api.read"])
    );
    assert_eq!(w.upstream.borrow().refreshes, ["rt-corp"]);
    // The rotated refresh token is the one used next.
    w.t.clock.advance_seconds(3_600);
    let token = manager(&w);
    admin(&w, Method::Get, &user_id, "?include=access_token", &token);
    assert_eq!(w.upstream.borrow().refreshes, ["rt-corp", "rt-corp-2"]);
    // Every read of a token is logged with its actor and the person as target.
    let reads = logged(&w, "user.identity.tokens.read");
    assert_eq!(reads.len(), 3);
    assert_eq!(reads[0].actor.id, "ops");
    assert_eq!(reads[0].target[0].id, user_id);
}

#[test]
fn rfc6749_5_2_invalid_grant_at_refresh_drops_what_was_kept() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    w.upstream.borrow_mut().refresh_answer = (400, json!({"error": "invalid_grant"}));
    w.t.clock.advance_seconds(601);
    let token = manager(&w);
    let refused = admin(&w, Method::Get, &user_id, "?include=access_token", &token);
    assert_eq!(
        (refused.status, json(&refused)["code"].clone()),
        (404, json!("tokens_not_held"))
    );
    assert!(kept(&w).is_none());
    assert_eq!(
        json(&admin(&w, Method::Get, &user_id, "", &token))["held"],
        false
    );
}

#[test]
fn a_provider_outage_at_refresh_is_a_502_and_keeps_what_was_kept() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    w.upstream.borrow_mut().refresh_answer = (503, json!({"error": "temporarily_unavailable"}));
    w.t.clock.advance_seconds(601);
    let failed = admin(
        &w,
        Method::Get,
        &user_id,
        "?include=access_token",
        &manager(&w),
    );
    assert_eq!(
        (failed.status, json(&failed)["code"].clone()),
        (502, json!("upstream_unavailable"))
    );
    assert!(kept(&w).is_some());
}

#[test]
fn the_admin_delete_erases_them_and_is_logged() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    let erased = admin(&w, Method::Delete, &user_id, "", &manager(&w));
    assert_eq!(erased.status, 204);
    assert!(kept(&w).is_none());
    let events = logged(&w, "user.identity.tokens.erase");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.id, "ops");
}

#[test]
fn bad_input_unknown_user_or_identity_wrong_include_and_weak_tokens_are_refused() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    let token = manager(&w);
    let code = |r: Response| {
        (
            r.status,
            json(&r)["code"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        code(admin(&w, Method::Get, "nobody", "", &token)),
        (404, "user_not_found".into())
    );
    let other = call(
        &w.t,
        request(
            Method::Get,
            &format!("/admin/v1/users/{}/identities/github/tokens", user_id),
            &[("authorization", &format!("Bearer {token}"))],
            "",
        ),
    );
    assert_eq!(code(other), (404, "identity_not_found".into()));
    for query in [
        "?include=refresh_token",
        "?include=access_token&include=access_token",
    ] {
        assert_eq!(
            code(admin(&w, Method::Get, &user_id, query, &token)),
            (400, "invalid_request".into()),
            "{query}"
        );
    }
    let reader = admin_token(&w.t, "reader", "admin.users.read admin.connections.manage");
    for method in [Method::Get, Method::Delete] {
        assert_eq!(
            code(admin(&w, method, &user_id, "", &reader)),
            (403, "insufficient_scope".into())
        );
        assert_eq!(admin(&w, method, &user_id, "", "").status, 401);
    }
    assert!(kept(&w).is_some());
    let wrong_method = call(
        &w.t,
        request(
            Method::Post,
            &format!("/admin/v1/users/{}/identities/corp/tokens", user_id),
            &[("authorization", &format!("Bearer {token}"))],
            "",
        ),
    );
    assert_eq!(wrong_method.status, 405);
}

#[test]
fn unlinking_the_identity_erases_the_kept_tokens() {
    let w = keeping_world();
    link_then_unlink(&w);
    assert!(kept(&w).is_none());
    assert!(w.t.users.upstream_tokens.borrow().is_empty());
}

#[test]
fn deleting_the_account_erases_the_kept_tokens() {
    let w = keeping_world();
    let user_id = signed_in_id(&w);
    assert!(kept(&w).is_some());
    let bearer = format!("Bearer {}", manager(&w));
    let deleted = call(
        &w.t,
        request(
            Method::Post,
            &format!("/admin/v1/users/{}/lifecycle/delete", user_id),
            &[("authorization", &bearer)],
            "",
        ),
    );
    assert_eq!(deleted.status, 204);
    assert!(kept(&w).is_none());
}
