//! SCIM through the HTTP surface, natively: admin tokens from the client credentials
//! grant, every port in memory.

use base64::Engine;
use serde_json::{json, Value};

use crate::api::oidc_tests::{
    call, claims, json, post_form, refresh, request, tokens_for, userinfo,
};
use crate::http::{Method, Response};
use crate::oauth::scope::Scopes;
use crate::testing::TestPorts;

const SCIM: &str = "application/scim+json";

/// Registers a confidential client `id` allowed `scopes`, and returns its own token.
pub(crate) fn admin_token(t: &TestPorts, id: &str, scopes: &str) -> String {
    t.clients.insert(crate::clients::Client {
        id: id.into(),
        client_type: crate::clients::ClientType::Confidential,
        secret_hash: Some(format!("sha256:{}", crate::crypto::sha256_hex("s3cret"))),
        grant_types: vec!["client_credentials".into()],
        allowed_scopes: Scopes::parse(scopes),
        ..crate::testing::demo_client()
    });
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:s3cret"))
    );
    let response = post_form(
        t,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &basic)],
    );
    assert_eq!(response.status, 200, "{}", json(&response));
    json(&response)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The actors (id, type) of the refused admin calls in the System Log, oldest first.
pub(crate) fn denied_actors(t: &TestPorts) -> Vec<(String, String)> {
    t.events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == crate::events::types::ADMIN_DENIED)
        .map(|e| (e.actor.id.clone(), e.actor.kind.clone()))
        .collect()
}

fn scim(t: &TestPorts, method: Method, target: &str, token: &str, body: Option<Value>) -> Response {
    scim_with(t, method, target, token, body, &[])
}

fn scim_with(
    t: &TestPorts,
    method: Method,
    target: &str,
    token: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Response {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str()), ("content-type", SCIM)];
    headers.extend_from_slice(extra);
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call(t, request(method, target, &headers, &body))
}

/// A PatchOp message (RFC 7644 §3.5.2) with `operations`.
fn patch_op(operations: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
}

fn new_user(email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "externalId": "hr-1",
    })
}

fn assert_scim_error(response: &Response, status: u16, scim_type: Option<&str>) {
    let body = json(response);
    assert_eq!(response.status, status, "{body}");
    assert_eq!(body["schemas"][0], super::ERROR_SCHEMA, "{body}");
    assert_eq!(body["status"], status.to_string());
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
}

pub(crate) fn users_in_store(t: &TestPorts) -> u64 {
    let page = pollster::block_on(t.ports().directory.search(&crate::ports::UserQuery {
        filter: None,
        offset: 0,
        limit: 1000,
    }))
    .unwrap();
    page.total
}

#[test]
fn rfc6750_3_1_admin_routes_refuse_missing_tokens_wrong_scopes_and_people_with_nothing_changed() {
    let t = TestPorts::new();
    let reader = admin_token(&t, "reader", "admin.users.read");
    let logs = admin_token(&t, "auditor", "admin.logs.read");
    let person = tokens_for(&t, "ada@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = users_in_store(&t);
    let create = || Some(new_user("grace@example.com"));

    let none = call(
        &t,
        request(
            Method::Post,
            "/scim/v2/Users",
            &[("content-type", SCIM)],
            &new_user("grace@example.com").to_string(),
        ),
    );
    assert_scim_error(&none, 401, None);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"portcullis\"")
    );

    let forged = scim(&t, Method::Get, "/scim/v2/Users", "not.a.token", None);
    assert_scim_error(&forged, 401, None);
    assert!(forged
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));

    for (token, method, target) in [
        (&reader, Method::Post, "/scim/v2/Users"),
        (&logs, Method::Get, "/scim/v2/Users"),
        (&person, Method::Get, "/scim/v2/Users"),
        (&person, Method::Post, "/scim/v2/Users"),
    ] {
        let refused = scim(&t, method, target, token, create());
        assert_scim_error(&refused, 403, None);
        assert_eq!(
            refused
                .header("www-authenticate")
                .map(|h| h.contains("error=\"insufficient_scope\"")),
            Some(true)
        );
    }
    assert_eq!(users_in_store(&t), before, "nothing was created");

    // A person whose client was registered with an admin scope, and who asked for it,
    // is still not an administrator.
    let mut demo = crate::testing::demo_client();
    demo.allowed_scopes = Scopes::parse("openid email profile offline_access admin.users.manage");
    t.clients.insert(demo);
    let people = scim(&t, Method::Get, "/scim/v2/Users", &person, None);
    assert_scim_error(&people, 403, None);

    let denied = denied_actors(&t);
    assert!(
        denied.contains(&("reader".into(), "PublicClientApp".into())),
        "{denied:?}"
    );
    assert!(
        denied.contains(&("unknown".into(), "PublicClientApp".into())),
        "{denied:?}"
    );

    assert_eq!(
        scim(&t, Method::Get, "/scim/v2/Users", &reader, None).status,
        200
    );
}

#[test]
fn rfc7644_3_3_create_then_read_replace_patch_and_every_call_in_the_system_log() {
    let t = TestPorts::new();
    let admin = admin_token(&t, "hr", "admin.users.manage");
    let created = scim(
        &t,
        Method::Post,
        "/scim/v2/Users",
        &admin,
        Some(new_user("Grace@Example.com")),
    );
    let body = json(&created);
    assert_eq!(created.status, 201, "{body}");
    assert_eq!(created.header("content-type"), Some(SCIM));
    let id = body["id"].as_str().unwrap().to_string();
    let location = format!("http://localhost:8787/scim/v2/Users/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(body["userName"], "grace@example.com");
    assert_eq!(body["meta"]["location"], location.as_str());
    assert_eq!(created.header("etag"), body["meta"]["version"].as_str());

    let again = scim(
        &t,
        Method::Post,
        "/scim/v2/Users",
        &admin,
        Some(new_user("grace@example.com")),
    );
    assert_scim_error(&again, 409, Some("uniqueness"));

    let read = scim(
        &t,
        Method::Get,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        None,
    );
    assert_eq!(json(&read)["name"]["familyName"], "Hopper");
    let etag = read.header("etag").unwrap().to_string();
    let unchanged = scim_with(
        &t,
        Method::Get,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        None,
        &[("if-none-match", &etag)],
    );
    assert_eq!(unchanged.status, 304);

    t.clock.advance_seconds(1);
    let mut replacement = new_user("grace.hopper@example.com");
    replacement["displayName"] = json!("Amazing Grace");
    let replaced = scim(
        &t,
        Method::Put,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        Some(replacement),
    );
    let replaced_body = json(&replaced);
    assert_eq!(replaced.status, 200, "{replaced_body}");
    assert_eq!(replaced_body["userName"], "grace.hopper@example.com");
    assert_eq!(replaced_body["displayName"], "Amazing Grace");
    assert_ne!(replaced.header("etag").unwrap(), etag);

    let patch = patch_op(json!([{"op": "replace", "path": "name.givenName", "value": "G."}]));
    let patched = scim(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        Some(patch),
    );
    assert_eq!(json(&patched)["name"]["givenName"], "G.");

    let log = t.events.events.borrow().clone();
    let by_hr: Vec<&str> = log
        .iter()
        .filter(|e| e.actor.id == "hr" && e.actor.kind == "PublicClientApp")
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        by_hr,
        [
            "user.lifecycle.create",
            "system.admin_api.read",
            "system.admin_api.read",
            "user.account.update_profile",
            "user.account.update_profile",
        ]
    );
    let create = &log
        .iter()
        .find(|e| e.event_type == "user.lifecycle.create")
        .unwrap();
    assert_eq!(create.target[0].id, id);
    assert_eq!(create.target[0].kind, "User");
    assert_eq!(
        create.target[0].alternate_id.as_deref(),
        Some("grace@example.com")
    );
}

#[test]
fn rfc7644_3_14_if_match_with_a_stale_version_is_412_and_changes_nothing() {
    let t = TestPorts::new();
    let admin = admin_token(&t, "hr", "admin.users.manage");
    let created = scim(
        &t,
        Method::Post,
        "/scim/v2/Users",
        &admin,
        Some(new_user("grace@example.com")),
    );
    let id = json(&created)["id"].as_str().unwrap().to_string();
    let stale = created.header("etag").unwrap().to_string();
    let patch = |value: &str| {
        Some(patch_op(
            json!([{"op": "replace", "path": "displayName", "value": value}]),
        ))
    };
    let first = scim_with(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        patch("One"),
        &[("if-match", &stale)],
    );
    assert_eq!(first.status, 200, "{}", json(&first));
    // In the same millisecond, a second change still makes a new version.
    let second = scim_with(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        patch("Two"),
        &[("if-match", &stale)],
    );
    assert_scim_error(&second, 412, None);
    for method in [Method::Put, Method::Delete] {
        let body = (method == Method::Put).then(|| new_user("grace@example.com"));
        let refused = scim_with(
            &t,
            method,
            &format!("/scim/v2/Users/{id}"),
            &admin,
            body,
            &[("if-match", &stale)],
        );
        assert_scim_error(&refused, 412, None);
    }
    let now = scim(
        &t,
        Method::Get,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        None,
    );
    assert_eq!(json(&now)["displayName"], "One");
    let current = now.header("etag").unwrap().to_string();
    let star = scim_with(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        patch("Three"),
        &[("if-match", "*")],
    );
    assert_eq!(star.status, 200);
    assert_ne!(star.header("etag").unwrap(), current);
}

#[test]
fn rfc7644_3_4_2_4_pages_start_at_one_and_past_the_end_are_empty() {
    let t = TestPorts::new();
    let admin = admin_token(&t, "hr", "admin.users.manage");
    for n in 0..5 {
        t.clock.advance_seconds(1);
        let created = scim(
            &t,
            Method::Post,
            "/scim/v2/Users",
            &admin,
            Some(new_user(&format!("p{n}@example.com"))),
        );
        assert_eq!(created.status, 201);
    }
    let page = |query: &str| {
        json(&scim(
            &t,
            Method::Get,
            &format!("/scim/v2/Users?{query}"),
            &admin,
            None,
        ))
    };
    let first = page("startIndex=1&count=2");
    assert_eq!(first["totalResults"], 5);
    assert_eq!(first["itemsPerPage"], 2);
    assert_eq!(first["Resources"][0]["userName"], "p0@example.com");
    let last = page("startIndex=5&count=2");
    assert_eq!(last["Resources"].as_array().unwrap().len(), 1);
    assert_eq!(last["Resources"][0]["userName"], "p4@example.com");
    let beyond = page("startIndex=99&count=2");
    assert_eq!(beyond["totalResults"], 5);
    assert_eq!(beyond["itemsPerPage"], 0);
    assert_eq!(beyond["Resources"], json!([]));
    let clamped = page("startIndex=-3&count=-1");
    assert_eq!(
        (
            clamped["startIndex"].clone(),
            clamped["itemsPerPage"].clone()
        ),
        (json!(1), json!(0))
    );
    let bad = scim(&t, Method::Get, "/scim/v2/Users?count=many", &admin, None);
    assert_scim_error(&bad, 400, Some("invalidValue"));
    let injected = scim(
        &t,
        Method::Get,
        "/scim/v2/Users?filter=userName%20eq%20x%27%20OR%201%3D1",
        &admin,
        None,
    );
    assert_scim_error(&injected, 400, Some("invalidFilter"));
    let unknown = scim(
        &t,
        Method::Get,
        "/scim/v2/Users?filter=password%20pr",
        &admin,
        None,
    );
    assert_scim_error(&unknown, 400, Some("invalidFilter"));
}

/// An `hr` admin's token, and Ada's tokens and id (she signed in to `demo`).
fn signed_in_person_and_admin(t: &TestPorts) -> (String, Value, String) {
    let admin = admin_token(t, "hr", "admin.users.manage");
    let tokens = tokens_for(t, "ada@example.com");
    let id = claims(tokens["access_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    (admin, tokens, id)
}

#[test]
fn suspension_ends_sessions_refresh_and_access_tokens_and_reactivation_keeps_them_dead() {
    let t = TestPorts::new();
    let (admin, tokens, id) = signed_in_person_and_admin(&t);
    t.clock.advance_seconds(1);
    let suspend = patch_op(json!([{"op": "Replace", "path": "active", "value": false}]));
    let suspended = scim(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        Some(suspend),
    );
    assert_eq!(json(&suspended)["active"], false, "{}", json(&suspended));
    let refreshed = refresh(&t, tokens["refresh_token"].as_str().unwrap());
    assert_eq!(
        (refreshed.status, json(&refreshed)["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401
    );

    t.clock.advance_seconds(1);
    let reactivate = patch_op(json!([{"op": "replace", "value": {"active": true}}]));
    let active = scim(
        &t,
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        Some(reactivate),
    );
    assert_eq!(json(&active)["active"], true);
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401,
        "revoked stays revoked"
    );
    let types: Vec<String> = t
        .events
        .events
        .borrow()
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert!(types.contains(&"user.lifecycle.suspend".into()));
    assert!(types.contains(&"user.lifecycle.unsuspend".into()));
}

#[test]
fn a_suspension_its_grants_did_not_hear_of_answers_503_and_repeating_it_passes_it_on() {
    let t = TestPorts::new();
    let (admin, tokens, id) = signed_in_person_and_admin(&t);
    t.clock.advance_seconds(1);
    let suspend = || {
        scim(
            &t,
            Method::Patch,
            &format!("/scim/v2/Users/{id}"),
            &admin,
            Some(patch_op(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        )
    };
    t.grants.fail_with(Some("grant objects unreachable"));
    assert_scim_error(&suspend(), 503, None);
    t.grants.fail_with(None);
    // Until the suspension is repeated, the grant still answers for the person: the
    // 503 said the change was not done.
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        200
    );
    assert_eq!(json(&suspend())["active"], false);
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401
    );
    let refreshed = refresh(&t, tokens["refresh_token"].as_str().unwrap());
    assert_eq!(json(&refreshed)["error"], "invalid_grant");
}

#[test]
fn a_deletion_its_grants_did_not_hear_of_erases_nothing_and_can_be_repeated() {
    let t = TestPorts::new();
    let (admin, tokens, id) = signed_in_person_and_admin(&t);
    let delete = || {
        scim(
            &t,
            Method::Delete,
            &format!("/scim/v2/Users/{id}"),
            &admin,
            None,
        )
    };
    t.grants.fail_with(Some("grant objects unreachable"));
    assert_scim_error(&delete(), 503, None);
    t.grants.fail_with(None);
    let still = scim(
        &t,
        Method::Get,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        None,
    );
    assert_eq!(
        json(&still)["userName"],
        "ada@example.com",
        "nothing erased"
    );
    assert_eq!(delete().status, 204);
    assert_eq!(
        userinfo(&t, tokens["access_token"].as_str().unwrap()).status,
        401
    );
}

#[test]
fn rfc7644_3_6_delete_erases_personal_data_and_keeps_the_pseudonymous_id() {
    let t = TestPorts::new();
    let (admin, tokens, id) = signed_in_person_and_admin(&t);
    let deleted = scim(
        &t,
        Method::Delete,
        &format!("/scim/v2/Users/{id}"),
        &admin,
        None,
    );
    assert_eq!(deleted.status, 204);
    assert_scim_error(
        &scim(
            &t,
            Method::Get,
            &format!("/scim/v2/Users/{id}"),
            &admin,
            None,
        ),
        404,
        None,
    );
    assert_scim_error(
        &scim(
            &t,
            Method::Delete,
            &format!("/scim/v2/Users/{id}"),
            &admin,
            None,
        ),
        404,
        None,
    );
    let users = t.ports();
    assert_eq!(
        pollster::block_on(users.users.find_by_email("ada@example.com")).unwrap(),
        None
    );
    let kept = pollster::block_on(users.users.find_by_id(&id))
        .unwrap()
        .unwrap();
    assert_eq!((kept.name, kept.password_hash), (None, None));
    let refreshed = refresh(&t, tokens["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 400);
    let log = t.events.events.borrow();
    let delete = log
        .iter()
        .find(|e| e.event_type == "user.lifecycle.delete.completed")
        .unwrap();
    assert_eq!(
        (
            delete.target[0].id.as_str(),
            delete.target[0].alternate_id.as_deref()
        ),
        (id.as_str(), None)
    );
    // The address may be reused by a new person.
    drop(log);
    let again = scim(
        &t,
        Method::Post,
        "/scim/v2/Users",
        &admin,
        Some(new_user("ada@example.com")),
    );
    assert_eq!(again.status, 201, "{}", json(&again));
}

#[test]
fn rfc7644_3_12_bad_bodies_answer_in_scim_error_format() {
    let t = TestPorts::new();
    let admin = admin_token(&t, "hr", "admin.users.manage");
    let post = |body: &str, content_type: &str| {
        let bearer = format!("Bearer {admin}");
        call(
            &t,
            request(
                Method::Post,
                "/scim/v2/Users",
                &[("authorization", &bearer), ("content-type", content_type)],
                body,
            ),
        )
    };
    assert_scim_error(&post("{", SCIM), 400, Some("invalidSyntax"));
    assert_scim_error(&post("[]", SCIM), 400, Some("invalidSyntax"));
    assert_scim_error(
        &post("userName=x", "application/x-www-form-urlencoded"),
        415,
        None,
    );
    let mut unknown = new_user("x@example.com");
    unknown["favouriteColour"] = json!("blue");
    assert_scim_error(
        &post(&unknown.to_string(), SCIM),
        400,
        Some("invalidSyntax"),
    );
    let not_patch = scim(
        &t,
        Method::Patch,
        "/scim/v2/Users/nobody",
        &admin,
        Some(json!({"Operations": []})),
    );
    assert_scim_error(&not_patch, 400, Some("invalidSyntax"));
    let wrong = call(&t, request(Method::Post, "/scim/v2/Users/x", &[], ""));
    assert_eq!(wrong.status, 405);
    assert_eq!(super::too_large_response().status, 413,);
    assert_eq!(
        json(&super::too_large_response())["schemas"][0],
        super::ERROR_SCHEMA
    );
}

#[test]
fn rfc7644_4_the_service_describes_itself() {
    let t = TestPorts::new();
    let get = |path: &str| json(&call(&t, request(Method::Get, path, &[], "")));
    let config = get("/scim/v2/ServiceProviderConfig");
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
    assert_eq!(config["filter"]["maxResults"], super::MAX_RESULTS);
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    assert_eq!(
        get("/scim/v2/Schemas")["Resources"][0]["id"],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(
        get("/scim/v2/ResourceTypes")["Resources"][0]["endpoint"],
        "/Users"
    );
}

#[test]
fn rfc7643_4_2_groups_hold_live_users_and_every_membership_change_is_logged() {
    let t = TestPorts::new();
    let groups = admin_token(&t, "iga", "admin.groups.manage");
    let users = admin_token(&t, "hr", "admin.users.manage");
    let mut ids = Vec::new();
    for email in ["a@example.com", "b@example.com"] {
        let created = scim(
            &t,
            Method::Post,
            "/scim/v2/Users",
            &users,
            Some(new_user(email)),
        );
        ids.push(json(&created)["id"].as_str().unwrap().to_string());
    }
    let group = |name: &str, members: &[&str]| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>(),
        })
    };
    assert_scim_error(
        &scim(
            &t,
            Method::Post,
            "/scim/v2/Groups",
            &users,
            Some(group("Admins", &[])),
        ),
        403,
        None,
    );
    let created = scim(
        &t,
        Method::Post,
        "/scim/v2/Groups",
        &groups,
        Some(group("Admins", &[&ids[0]])),
    );
    assert_eq!(created.status, 201, "{}", json(&created));
    let gid = json(&created)["id"].as_str().unwrap().to_string();
    assert_eq!(json(&created)["members"][0]["value"], ids[0].as_str());
    let taken = scim(
        &t,
        Method::Post,
        "/scim/v2/Groups",
        &groups,
        Some(group("admins", &[])),
    );
    assert_scim_error(&taken, 409, Some("uniqueness"));
    let unknown = scim(
        &t,
        Method::Post,
        "/scim/v2/Groups",
        &groups,
        Some(group("Others", &["nobody"])),
    );
    assert_scim_error(&unknown, 400, Some("invalidValue"));

    let add = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
    let added = scim(
        &t,
        Method::Patch,
        &format!("/scim/v2/Groups/{gid}"),
        &groups,
        Some(add),
    );
    assert_eq!(
        json(&added)["members"].as_array().unwrap().len(),
        2,
        "{}",
        json(&added)
    );
    let found = scim(
        &t,
        Method::Get,
        "/scim/v2/Groups?filter=displayName%20eq%20%22ADMINS%22",
        &groups,
        None,
    );
    assert_eq!(json(&found)["totalResults"], 1);
    let bad = scim(
        &t,
        Method::Get,
        "/scim/v2/Groups?filter=displayName%20co%20%22A%22",
        &groups,
        None,
    );
    assert_scim_error(&bad, 400, Some("invalidFilter"));

    // Deleting a person takes them out of every group.
    let deleted = scim(
        &t,
        Method::Delete,
        &format!("/scim/v2/Users/{}", ids[0]),
        &users,
        None,
    );
    assert_eq!(deleted.status, 204);
    let after = scim(
        &t,
        Method::Get,
        &format!("/scim/v2/Groups/{gid}"),
        &groups,
        None,
    );
    assert_eq!(
        json(&after)["members"],
        json!([{"value": ids[1], "$ref": format!("http://localhost:8787/scim/v2/Users/{}", ids[1]), "type": "User"}])
    );
    let stale = created.header("etag").unwrap().to_string();
    let refused = scim_with(
        &t,
        Method::Delete,
        &format!("/scim/v2/Groups/{gid}"),
        &groups,
        None,
        &[("if-match", &stale)],
    );
    assert_scim_error(&refused, 412, None);
    assert_eq!(
        scim(
            &t,
            Method::Delete,
            &format!("/scim/v2/Groups/{gid}"),
            &groups,
            None
        )
        .status,
        204
    );
    assert_scim_error(
        &scim(
            &t,
            Method::Get,
            &format!("/scim/v2/Groups/{gid}"),
            &groups,
            None,
        ),
        404,
        None,
    );

    let log = t.events.events.borrow();
    let types: Vec<&str> = log
        .iter()
        .filter(|e| e.actor.id == "iga")
        .map(|e| e.event_type.as_str())
        .collect();
    for expected in [
        "group.lifecycle.create",
        "group.user_membership.add",
        "group.lifecycle.delete",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let membership = log
        .iter()
        .find(|e| e.event_type == "group.user_membership.add")
        .unwrap();
    assert_eq!(
        membership
            .target
            .iter()
            .map(|p| p.kind.as_str())
            .collect::<Vec<_>>(),
        ["User", "UserGroup"]
    );
}

#[test]
fn groups_claim_carries_only_mapped_groups_and_only_for_the_groups_scope() {
    use crate::api::oidc_tests::{post_json, redeem, start_flow, PASSWORD};
    let t = TestPorts::new();
    let mut demo = crate::testing::demo_client();
    demo.allowed_scopes = Scopes::parse("openid email profile offline_access groups");
    demo.groups_claim = Some(vec!["shop-*".into()]);
    t.clients.insert(demo);
    let tokens_with = |email: &str, scope: &str| {
        let flow = start_flow(&t, scope);
        let outcome = json(&post_json(
            &t,
            &format!("/v1/flows/{flow}/sign-up"),
            json!({"email": email, "password": PASSWORD}),
        ));
        json(&redeem(&t, outcome["authorization_code"].as_str().unwrap()))
    };
    let asked = tokens_with("ada@example.com", "openid groups offline_access");
    let not_asked = tokens_with("bob@example.com", "openid offline_access");
    let sub = |tokens: &Value| {
        claims(tokens["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let admin = admin_token(&t, "iga", "admin.groups.manage");
    for name in ["shop-buyers", "hr-payroll"] {
        let group = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": [{"value": sub(&asked)}, {"value": sub(&not_asked)}],
        });
        assert_eq!(
            scim(&t, Method::Post, "/scim/v2/Groups", &admin, Some(group)).status,
            201
        );
    }
    let refreshed = json(&refresh(&t, asked["refresh_token"].as_str().unwrap()));
    for token in ["access_token", "id_token"] {
        assert_eq!(
            claims(refreshed[token].as_str().unwrap())["groups"],
            json!(["shop-buyers"]),
            "{token}"
        );
    }
    let plain = json(&refresh(&t, not_asked["refresh_token"].as_str().unwrap()));
    for token in ["access_token", "id_token"] {
        assert!(
            claims(plain[token].as_str().unwrap())
                .get("groups")
                .is_none(),
            "{token}"
        );
    }
}

#[test]
fn a_membership_change_reaches_the_next_refresh_at_once_and_the_refresh_reads_no_groups() {
    use crate::api::oidc_tests::{post_json, redeem, start_flow, PASSWORD};
    let t = TestPorts::new();
    let mut demo = crate::testing::demo_client();
    demo.allowed_scopes = Scopes::parse("openid email offline_access groups");
    demo.groups_claim = Some(vec!["shop-*".into()]);
    t.clients.insert(demo);
    let flow = start_flow(&t, "openid groups offline_access");
    let outcome = json(&post_json(
        &t,
        &format!("/v1/flows/{flow}/sign-up"),
        json!({"email": "ada@example.com", "password": PASSWORD}),
    ));
    let tokens = json(&redeem(&t, outcome["authorization_code"].as_str().unwrap()));
    let sub = claims(tokens["access_token"].as_str().unwrap())["sub"].clone();
    let mut refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    // Refreshes, and returns the groups claim of the new access token and how many times
    // the refresh read the group store.
    let mut next = || {
        let before = t.groups.reads.get();
        let refreshed = json(&refresh(&t, &refresh_token));
        let reads = t.groups.reads.get() - before;
        refresh_token = refreshed["refresh_token"].as_str().unwrap().to_string();
        (
            claims(refreshed["access_token"].as_str().unwrap())["groups"].clone(),
            reads,
        )
    };
    assert_eq!(next(), (json!([]), 0));

    let admin = admin_token(&t, "iga", "admin.groups.manage");
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "shop-buyers",
        "members": [{"value": sub}],
    });
    let created = json(&scim(
        &t,
        Method::Post,
        "/scim/v2/Groups",
        &admin,
        Some(group),
    ));
    let location = format!("/scim/v2/Groups/{}", created["id"].as_str().unwrap());
    assert_eq!(next(), (json!(["shop-buyers"]), 0), "added");

    let rename = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "shop-vip"}],
    });
    assert_eq!(
        scim(&t, Method::Patch, &location, &admin, Some(rename)).status,
        200
    );
    assert_eq!(next(), (json!(["shop-vip"]), 0), "renamed");

    let remove = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", sub.as_str().unwrap())}],
    });
    assert_eq!(
        scim(&t, Method::Patch, &location, &admin, Some(remove)).status,
        200
    );
    assert_eq!(next(), (json!([]), 0), "removed");

    let back = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": sub}]}],
    });
    assert_eq!(
        scim(&t, Method::Patch, &location, &admin, Some(back)).status,
        200
    );
    assert_eq!(next(), (json!(["shop-vip"]), 0), "added again");
    assert_eq!(
        scim(&t, Method::Delete, &location, &admin, None).status,
        204
    );
    assert_eq!(next(), (json!([]), 0), "group deleted");
}

#[test]
fn custom_claims_and_roles_appear_only_for_the_scopes_asked_and_granted() {
    use crate::api::oidc_tests::{post_json, redeem, start_flow, PASSWORD};
    use crate::oauth::custom_claims::{ClaimMapping, CustomClaim, ProfileAttribute};
    let t = TestPorts::new();
    let mut demo = crate::testing::demo_client();
    demo.allowed_scopes = Scopes::parse("openid email profile offline_access hr roles");
    demo.claims = ClaimMapping {
        custom: vec![CustomClaim {
            scope: "hr".into(),
            claim: "full_name".into(),
            attribute: ProfileAttribute::Name,
        }],
        roles_prefix: Some("shop-".into()),
    };
    t.clients.insert(demo);
    let tokens_with = |email: &str, scope: &str| {
        let flow = start_flow(&t, scope);
        let outcome = json(&post_json(
            &t,
            &format!("/v1/flows/{flow}/sign-up"),
            json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace"}),
        ));
        json(&redeem(&t, outcome["authorization_code"].as_str().unwrap()))
    };
    let asked = tokens_with("ada@example.com", "openid hr roles offline_access");
    let not_asked = tokens_with("bob@example.com", "openid offline_access");
    let admin = admin_token(&t, "iga", "admin.groups.manage");
    for token in [&asked, &not_asked] {
        let sub = claims(token["access_token"].as_str().unwrap())["sub"].clone();
        for name in ["shop-admins", "hr-payroll"] {
            let group = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": format!("{name}-{}", &sub.as_str().unwrap()[..4]),
                "members": [{"value": sub}],
            });
            assert_eq!(
                scim(&t, Method::Post, "/scim/v2/Groups", &admin, Some(group)).status,
                201
            );
        }
    }
    let refreshed = json(&refresh(&t, asked["refresh_token"].as_str().unwrap()));
    for token in ["access_token", "id_token"] {
        let got = claims(refreshed[token].as_str().unwrap());
        assert_eq!(got["full_name"], "Ada Lovelace", "{token}");
        let roles = got["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 1, "{token}: only the shop- group, {got}");
        assert!(
            roles[0].as_str().unwrap().starts_with("admins-"),
            "prefix removed"
        );
    }
    let plain = json(&refresh(&t, not_asked["refresh_token"].as_str().unwrap()));
    for token in ["access_token", "id_token"] {
        let got = claims(plain[token].as_str().unwrap());
        assert!(
            got.get("full_name").is_none() && got.get("roles").is_none(),
            "{token}: {got}"
        );
    }
}
