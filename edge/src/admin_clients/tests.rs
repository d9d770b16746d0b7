//! `/admin/v1/clients` through the edge's HTTP surface, natively.

use base64::Engine;
use serde_json::{json, Value};

use super::*;
use crate::api::oidc_tests::{call, json, post_form, request};
use crate::http::MAX_BODY_BYTES;
use crate::ports::ClientStore;
use crate::scim::tests::admin_token;
use crate::testing::TestPorts;

/// `method target` with `token` as the bearer and `body` as JSON.
pub(crate) fn admin(
    t: &TestPorts,
    method: Method,
    target: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call(t, request(method, target, &headers, &body))
}

/// A client's own token through the client credentials grant, or the error body.
fn client_credentials(t: &TestPorts, id: &str, secret: &str) -> (u16, Value) {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    );
    let response = post_form(
        t,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &basic)],
    );
    (response.status, json(&response))
}

fn backend() -> Value {
    json!({
        "id": "backend", "name": "Back end", "client_type": "confidential",
        "grant_types": ["client_credentials"], "allowed_scopes": ["api:read"]
    })
}

/// `ops`'s admin token, and the response to its registering [`backend`].
fn ops_with_backend(t: &TestPorts) -> (String, Response) {
    let manager = admin_token(t, "ops", "admin.clients.manage");
    let created = admin(
        t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(backend()),
    );
    (manager, created)
}

fn listed(t: &TestPorts) -> Value {
    let all = pollster::block_on(t.clients.list()).unwrap();
    serde_json::to_value(all).unwrap()
}

#[test]
fn rfc6750_3_1_every_client_route_needs_admin_clients_manage_and_a_refusal_changes_nothing() {
    let t = TestPorts::new();
    let (_, created) = ops_with_backend(&t);
    assert_eq!(created.status, 201, "{}", json(&created));
    let before = listed(&t);

    // An admin token with every other right, and no token at all.
    let other = admin_token(
        &t,
        "hr",
        "admin.users.manage admin.logs.read admin.groups.manage",
    );
    let before = {
        // Registering `hr` itself changed the list; what follows must not.
        let _ = before;
        listed(&t)
    };
    let calls: [(Method, &str, Option<Value>); 7] = [
        (Method::Get, "/admin/v1/clients", None),
        (
            Method::Post,
            "/admin/v1/clients",
            Some(json!({"id": "evil", "name": "Evil",
            "redirect_uris": ["https://evil.example/cb"]})),
        ),
        (Method::Get, "/admin/v1/clients/backend", None),
        (Method::Put, "/admin/v1/clients/backend", Some(backend())),
        (
            Method::Patch,
            "/admin/v1/clients/backend",
            Some(json!({"allowed_scopes": ["admin.clients.manage"]})),
        ),
        (Method::Delete, "/admin/v1/clients/backend", None),
        (Method::Post, "/admin/v1/clients/backend/secret", None),
    ];
    for (method, target, body) in calls {
        let refused = admin(&t, method, target, &other, body.clone());
        assert_eq!(refused.status, 403, "{target}");
        assert_eq!(json(&refused)["code"], "insufficient_scope");
        assert!(refused
            .header("www-authenticate")
            .unwrap()
            .contains("scope=\"admin.clients.manage\""));
        assert!(!String::from_utf8_lossy(&refused.body).contains("Back end"));
        let anonymous = admin(&t, method, target, "not-a-token", body);
        assert_eq!(anonymous.status, 401, "{target}");
        assert_eq!(json(&anonymous)["code"], "unauthorized");
    }
    assert_eq!(listed(&t), before, "nothing changed");
    let denied = t
        .events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == types::ADMIN_DENIED && e.actor.id == "hr")
        .count();
    assert_eq!(
        denied, 7,
        "each refusal is in the System Log with its actor"
    );
}

#[test]
fn a_confidential_clients_secret_is_shown_once_works_at_token_and_rotation_ends_the_old_one() {
    let t = TestPorts::new();
    let (manager, created) = ops_with_backend(&t);
    assert_eq!(created.status, 201);
    assert_eq!(
        created.header("location"),
        Some("/admin/v1/clients/backend")
    );
    let body = json(&created);
    let secret = body["client_secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert_eq!(body["has_secret"], true);
    assert_eq!(body["allowed_scopes"], json!(["api:read"]));
    assert_eq!(client_credentials(&t, "backend", &secret).0, 200);

    let hash = crate::crypto::sha256_hex(&secret);
    for read in [
        admin(&t, Method::Get, "/admin/v1/clients", &manager, None),
        admin(&t, Method::Get, "/admin/v1/clients/backend", &manager, None),
    ] {
        assert_eq!(read.status, 200);
        let text = String::from_utf8_lossy(&read.body).to_string();
        assert!(text.contains("backend"));
        assert!(!text.contains(&secret) && !text.contains(&hash) && !text.contains("secret_hash"));
    }

    let rotated = admin(
        &t,
        Method::Post,
        "/admin/v1/clients/backend/secret",
        &manager,
        None,
    );
    assert_eq!(rotated.status, 200);
    let new_secret = json(&rotated)["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(
        client_credentials(&t, "backend", &secret).0,
        401,
        "the old secret is dead"
    );
    assert_eq!(client_credentials(&t, "backend", &new_secret).0, 200);

    let public = admin(
        &t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(json!({"id": "spa", "name": "SPA", "redirect_uris": ["https://spa.example/cb"]})),
    );
    assert_eq!(public.status, 201);
    assert!(json(&public).get("client_secret").is_none());
    let no_secret = admin(
        &t,
        Method::Post,
        "/admin/v1/clients/spa/secret",
        &manager,
        None,
    );
    assert_eq!(
        (no_secret.status, json(&no_secret)["code"].clone()),
        (409, json!("public_client"))
    );
    let missing = admin(
        &t,
        Method::Post,
        "/admin/v1/clients/nobody/secret",
        &manager,
        None,
    );
    assert_eq!(
        (missing.status, json(&missing)["code"].clone()),
        (404, json!("client_not_found"))
    );

    let events = t.events.events.borrow();
    let create = events
        .iter()
        .find(|e| e.event_type == types::APP_CREATE)
        .unwrap();
    assert_eq!(create.actor.id, "ops");
    assert_eq!(
        create.actor.display_name.as_deref(),
        Some(crate::testing::demo_client().name.as_str()),
        "the calling client's name"
    );
    assert_eq!(create.target[0].id, "backend");
    assert_eq!(create.target[0].kind, "AppInstance");
    assert_eq!(create.target[0].display_name.as_deref(), Some("Back end"));
    assert!(events
        .iter()
        .any(|e| e.event_type == types::APP_SECRET_ROTATE && e.actor.id == "ops"));
    let logged = serde_json::to_string(&*events).unwrap();
    assert!(!logged.contains(&secret) && !logged.contains(&new_secret));
}

#[test]
fn bad_settings_are_refused_with_the_field_and_nothing_is_registered() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.clients.manage");
    let before = listed(&t);
    for (body, field) in [
        (
            json!({"name": "X", "redirect_uris": ["http://shop.example/cb"]}),
            "redirect_uris",
        ),
        (
            json!({"name": "X", "redirect_uris": ["https://shop.example/cb#x"]}),
            "redirect_uris",
        ),
        (
            json!({"name": "X", "redirect_uris": ["https://a.example/cb"], "allowed_origins": ["https://a.example/"]}),
            "allowed_origins",
        ),
        (
            json!({"name": "X", "grant_types": ["client_credentials"]}),
            "grant_types",
        ),
        (
            json!({"name": "X", "grant_types": ["password"]}),
            "grant_types",
        ),
        (
            json!({"name": " ", "redirect_uris": ["https://a.example/cb"]}),
            "name",
        ),
        (
            json!({"id": "x'--", "name": "X", "redirect_uris": ["https://a.example/cb"]}),
            "id",
        ),
        (
            json!({"name": "X", "redirect_uris": ["https://a.example/cb"], "access_token_ttl": 5}),
            "access_token_ttl",
        ),
    ] {
        let refused = admin(
            &t,
            Method::Post,
            "/admin/v1/clients",
            &manager,
            Some(body.clone()),
        );
        assert_eq!(refused.status, 400, "{body}");
        assert_eq!(json(&refused)["code"], "invalid_client_settings");
        assert_eq!(json(&refused)["field"], field, "{body}");
    }
    let typo = admin(
        &t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(json!({"name": "X", "redirect_uri": ["https://a.example/cb"]})),
    );
    assert_eq!(
        (typo.status, json(&typo)["code"].clone()),
        (400, json!("invalid_request"))
    );
    let form = call(
        &t,
        request(
            Method::Post,
            "/admin/v1/clients",
            &[
                ("authorization", &format!("Bearer {manager}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "name=X",
        ),
    );
    assert_eq!(
        (form.status, json(&form)["code"].clone()),
        (415, json!("unsupported_media_type"))
    );
    let huge =
        json!({"name": "x".repeat(MAX_BODY_BYTES), "redirect_uris": ["https://a.example/cb"]});
    let too_large = admin(&t, Method::Post, "/admin/v1/clients", &manager, Some(huge));
    assert_eq!(
        (too_large.status, json(&too_large)["code"].clone()),
        (413, json!("payload_too_large"))
    );
    assert_eq!(listed(&t), before);

    let demo = admin(
        &t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(json!({"id": "demo", "name": "Again", "redirect_uris": ["https://a.example/cb"]})),
    );
    assert_eq!(
        (demo.status, json(&demo)["code"].clone()),
        (409, json!("client_exists"))
    );
    assert_eq!(listed(&t), before, "the existing client is untouched");
}

#[test]
fn put_and_patch_change_a_client_under_the_same_rules_and_the_id_stays() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.clients.manage");
    let created = json(&admin(
        &t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(json!({"id": "shop", "name": "Shop", "redirect_uris": ["https://shop.example/cb"]})),
    ));
    // A read, sent back with one change, replaces.
    let mut replaced = created.clone();
    replaced["name"] = json!("Shop 2");
    replaced["groups_claim"] = json!(["shop-*"]);
    let put = admin(
        &t,
        Method::Put,
        "/admin/v1/clients/shop",
        &manager,
        Some(replaced),
    );
    assert_eq!(put.status, 200, "{}", json(&put));
    assert_eq!(json(&put)["name"], "Shop 2");
    assert_eq!(json(&put)["groups_claim"], json!(["shop-*"]));

    let patched = admin(
        &t,
        Method::Patch,
        "/admin/v1/clients/shop",
        &manager,
        Some(json!({"mfa": "required", "groups_claim": null})),
    );
    assert_eq!(patched.status, 200);
    assert_eq!(json(&patched)["mfa"], "required");
    assert_eq!(json(&patched)["groups_claim"], Value::Null);
    assert_eq!(
        json(&patched)["name"],
        "Shop 2",
        "what the patch does not name stays"
    );

    let bad = admin(
        &t,
        Method::Patch,
        "/admin/v1/clients/shop",
        &manager,
        Some(json!({"redirect_uris": []})),
    );
    assert_eq!(json(&bad)["field"], "redirect_uris");
    let renamed = admin(
        &t,
        Method::Patch,
        "/admin/v1/clients/shop",
        &manager,
        Some(json!({"id": "other"})),
    );
    assert_eq!(
        (renamed.status, json(&renamed)["field"].clone()),
        (400, json!("id"))
    );
    let array = admin(
        &t,
        Method::Patch,
        "/admin/v1/clients/shop",
        &manager,
        Some(json!([1])),
    );
    assert_eq!(json(&array)["code"], "invalid_request");
    let stored = pollster::block_on(t.clients.read("shop")).unwrap().unwrap();
    assert_eq!(stored.settings.mfa, "required");
    assert!(pollster::block_on(t.clients.read("other"))
        .unwrap()
        .is_none());

    let missing = admin(
        &t,
        Method::Put,
        "/admin/v1/clients/nobody",
        &manager,
        Some(created),
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn a_change_takes_effect_at_once_in_this_isolate_despite_the_cache() {
    let t = TestPorts::with_cache_ttl(60);
    let manager = admin_token(&t, "ops", "admin.clients.manage");
    let created = json(&admin(
        &t,
        Method::Post,
        "/admin/v1/clients",
        &manager,
        Some(backend()),
    ));
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert_eq!(
        client_credentials(&t, "backend", &secret).0,
        200,
        "now cached"
    );

    let narrowed = admin(
        &t,
        Method::Patch,
        "/admin/v1/clients/backend",
        &manager,
        Some(json!({"allowed_scopes": ["api:write"]})),
    );
    assert_eq!(narrowed.status, 200);
    let (_, token) = client_credentials(&t, "backend", &secret);
    assert_eq!(
        token["scope"], "api:write",
        "the cached settings were dropped"
    );

    let deleted = admin(
        &t,
        Method::Delete,
        "/admin/v1/clients/backend",
        &manager,
        None,
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(client_credentials(&t, "backend", &secret).0, 401);
    assert_eq!(
        admin(&t, Method::Get, "/admin/v1/clients/backend", &manager, None).status,
        404
    );
    assert_eq!(
        admin(
            &t,
            Method::Delete,
            "/admin/v1/clients/backend",
            &manager,
            None
        )
        .status,
        404
    );
    assert!(t
        .events
        .events
        .borrow()
        .iter()
        .any(|e| e.event_type == types::APP_DELETE && e.target[0].id == "backend"));
}

#[test]
fn every_admin_error_code_has_its_wire_string() {
    let wire = |code: AdminErrorCode| serde_json::to_value(code).unwrap();
    for (code, expected) in [
        (AdminErrorCode::InvalidRequest, "invalid_request"),
        (
            AdminErrorCode::InvalidClientSettings,
            "invalid_client_settings",
        ),
        (
            AdminErrorCode::UnsupportedMediaType,
            "unsupported_media_type",
        ),
        (AdminErrorCode::PayloadTooLarge, "payload_too_large"),
        (AdminErrorCode::Unauthorized, "unauthorized"),
        (AdminErrorCode::InsufficientScope, "insufficient_scope"),
        (AdminErrorCode::ClientNotFound, "client_not_found"),
        (AdminErrorCode::ClientExists, "client_exists"),
        (AdminErrorCode::PublicClient, "public_client"),
        (AdminErrorCode::UserNotFound, "user_not_found"),
        (AdminErrorCode::UnknownAction, "unknown_action"),
        (
            AdminErrorCode::InvalidLifecycleTransition,
            "invalid_lifecycle_transition",
        ),
        (AdminErrorCode::UnknownClient, "unknown_client"),
        (AdminErrorCode::TooManyAttempts, "too_many_attempts"),
        (AdminErrorCode::ServerError, "server_error"),
    ] {
        assert_eq!(wire(code), json!(expected));
    }
    let down = Failure::Unavailable("d1 exploded at row 7".into());
    assert_eq!(down.status(), 503);
    assert!(!down.message().contains("d1"));
}
