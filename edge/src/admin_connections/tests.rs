//! `/admin/v1/connections` through the edge's HTTP surface, natively.

use serde_json::{json, Value};

use super::*;
use crate::admin_clients::tests::admin;
use crate::admin_error::AdminErrorCode;
use crate::api::oidc_tests::{json, tokens_for};
use crate::federation::FederatedIdentity;
use crate::ports::ConnectionStore;
use crate::scim::tests::admin_token;
use crate::testing::{key_encryption_key, user, TestPorts};
use crate::time::UnixMillis;

const SECRET: &str = "upstream-s3cret-value";

fn corp() -> Value {
    json!({
        "id": "corp", "display_name": "Corp SSO", "issuer": "https://idp.example",
        "client_id": "portcullis", "client_secret": SECRET,
        "trusted_email_domains": ["example.com"]
    })
}

/// `ops`'s manage token, with `corp` registered through it.
fn ops_with_corp(t: &TestPorts) -> String {
    let manager = admin_token(t, "ops", "admin.connections.manage");
    let created = admin(
        t,
        Method::Post,
        "/admin/v1/connections",
        &manager,
        Some(corp()),
    );
    assert_eq!(created.status, 201, "{}", json(&created));
    manager
}

fn stored(t: &TestPorts) -> Vec<crate::testing::StoredConnection> {
    t.users.connections.borrow().clone()
}

fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

#[test]
fn rfc6750_3_1_connection_routes_refuse_other_scopes_people_and_no_token_with_nothing_changed() {
    let t = TestPorts::new();
    ops_with_corp(&t);
    let other = admin_token(
        &t,
        "hr",
        "admin.users.manage admin.clients.manage admin.hooks.manage admin.logs.read",
    );
    let person = tokens_for(&t, "ada@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = format!("{:?}", stored(&t));
    let calls: [(Method, &str, Option<Value>); 6] = [
        (Method::Get, "/admin/v1/connections", None),
        (
            Method::Post,
            "/admin/v1/connections",
            Some(
                json!({"id": "evil", "display_name": "Evil", "issuer": "https://evil.example",
                        "client_id": "x", "trusted_email_domains": ["example.com"]}),
            ),
        ),
        (Method::Get, "/admin/v1/connections/corp", None),
        (Method::Put, "/admin/v1/connections/corp", Some(corp())),
        (
            Method::Patch,
            "/admin/v1/connections/corp",
            Some(json!({"trusted_email_domains": ["gmail.com"]})),
        ),
        (Method::Delete, "/admin/v1/connections/corp", None),
    ];
    for (method, target, body) in calls {
        for token in [other.as_str(), person.as_str()] {
            let refused = admin(&t, method, target, token, body.clone());
            assert_eq!(refused.status, 403, "{method:?} {target}");
            assert_eq!(json(&refused)["code"], "insufficient_scope");
            assert!(refused
                .header("www-authenticate")
                .unwrap()
                .contains("scope=\"admin.connections."));
            assert!(!text(&refused).contains("Corp SSO"));
        }
        let anonymous = admin(&t, method, target, "not-a-token", body);
        assert_eq!(anonymous.status, 401, "{target}");
        assert_eq!(json(&anonymous)["code"], "unauthorized");
    }
    assert_eq!(format!("{:?}", stored(&t)), before, "nothing changed");
    let denied = t
        .events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == types::ADMIN_DENIED && e.actor.id == "hr")
        .count();
    assert_eq!(
        denied, 6,
        "each refusal is in the System Log with its actor"
    );
}

#[test]
fn admin_connections_read_reads_and_changes_nothing() {
    let t = TestPorts::new();
    ops_with_corp(&t);
    let reader = admin_token(&t, "auditor", "admin.connections.read");
    let list = admin(&t, Method::Get, "/admin/v1/connections", &reader, None);
    assert_eq!(list.status, 200);
    assert_eq!(json(&list)[0]["id"], "corp");
    let one = admin(&t, Method::Get, "/admin/v1/connections/corp", &reader, None);
    assert_eq!(json(&one)["display_name"], "Corp SSO");
    for (method, body) in [
        (Method::Patch, Some(json!({"enabled": false}))),
        (Method::Delete, None),
    ] {
        let refused = admin(&t, method, "/admin/v1/connections/corp", &reader, body);
        assert_eq!(refused.status, 403);
        assert!(refused
            .header("www-authenticate")
            .unwrap()
            .contains("scope=\"admin.connections.manage\""));
    }
    assert!(stored(&t)[0].settings.enabled);
}

#[test]
fn a_connection_secret_is_sealed_and_never_in_an_answer_or_the_system_log() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    let sealed = stored(&t)[0].sealed_client_secret.clone().unwrap();
    assert!(!sealed.contains(SECRET));
    let connection = stored(&t)[0].settings.connection(Some(sealed));
    assert_eq!(
        connection
            .client_secret(&key_encryption_key(1))
            .unwrap()
            .as_deref(),
        Some(SECRET),
        "sealed for connection:corp under the key-encryption key"
    );
    let answers = [
        admin(&t, Method::Get, "/admin/v1/connections", &manager, None),
        admin(
            &t,
            Method::Get,
            "/admin/v1/connections/corp",
            &manager,
            None,
        ),
        admin(
            &t,
            Method::Put,
            "/admin/v1/connections/corp",
            &manager,
            Some(corp()),
        ),
        admin(
            &t,
            Method::Patch,
            "/admin/v1/connections/corp",
            &manager,
            Some(json!({"client_secret": "another-s3cret"})),
        ),
    ];
    for answer in &answers {
        assert!(answer.status < 300, "{}", text(answer));
        assert!(!text(answer).contains(SECRET) && !text(answer).contains("another-s3cret"));
        assert!(!text(answer).contains("sealed"));
    }
    assert_eq!(json(&answers[1])["has_secret"], true);
    assert_eq!(
        json(&answers[1])["callback_url"],
        "http://localhost:8787/callback/corp",
        "the redirect URI to register at the provider"
    );
    let log = serde_json::to_string(&*t.events.events.borrow()).unwrap();
    assert!(!log.contains(SECRET) && !log.contains("another-s3cret"));
    assert!(log.contains(types::IDP_CREATE) && log.contains(types::IDP_UPDATE));
    assert!(log.contains(types::ADMIN_READ));
}

#[test]
fn rfc7396_patch_changes_only_what_it_names_and_null_removes_the_secret() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    let changed = admin(
        &t,
        Method::Patch,
        "/admin/v1/connections/corp",
        &manager,
        Some(json!({"display_name": "Corp", "position": 3})),
    );
    assert_eq!(changed.status, 200, "{}", text(&changed));
    let body = json(&changed);
    assert_eq!(body["display_name"], "Corp");
    assert_eq!(body["position"], 3);
    assert_eq!(body["trusted_email_domains"], json!(["example.com"]));
    assert_eq!(
        body["has_secret"], true,
        "a change without a secret keeps it"
    );

    let removed = admin(
        &t,
        Method::Patch,
        "/admin/v1/connections/corp",
        &manager,
        Some(json!({"client_secret": null})),
    );
    assert_eq!(json(&removed)["has_secret"], false);
    assert_eq!(stored(&t)[0].sealed_client_secret, None);

    let empty = admin(
        &t,
        Method::Patch,
        "/admin/v1/connections/corp",
        &manager,
        Some(json!({"client_secret": ""})),
    );
    assert_eq!(empty.status, 400);
    assert_eq!(json(&empty)["field"], "client_secret");
}

#[test]
fn a_connection_keeps_its_id_kind_and_issuer_so_no_other_issuer_inherits_its_identities() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    for (patch, field) in [
        (json!({"issuer": "https://evil.example"}), "issuer"),
        (json!({"id": "other"}), "id"),
    ] {
        let refused = admin(
            &t,
            Method::Patch,
            "/admin/v1/connections/corp",
            &manager,
            Some(patch),
        );
        assert_eq!(refused.status, 400);
        assert_eq!(json(&refused)["code"], "invalid_connection_settings");
        assert_eq!(json(&refused)["field"], field);
    }
    let mut moved = corp();
    moved["issuer"] = json!("https://evil.example");
    let refused = admin(
        &t,
        Method::Put,
        "/admin/v1/connections/corp",
        &manager,
        Some(moved),
    );
    assert_eq!(json(&refused)["field"], "issuer");
    assert_eq!(stored(&t)[0].settings.issuer, "https://idp.example");
}

#[test]
fn deleting_a_connection_deletes_its_identities_and_a_new_one_with_the_id_inherits_none() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    let ada = user("u-ada", "ada@example.com");
    pollster::block_on(t.users.create_user_with_identity(
        &ada,
        &FederatedIdentity {
            id: "fi1".into(),
            connection_id: "corp".into(),
            subject: "248289761001".into(),
            user_id: ada.id.clone(),
            email: Some("ada@example.com".into()),
            created_at: UnixMillis(1),
            last_used_at: None,
        },
    ))
    .unwrap();
    let deleted = admin(
        &t,
        Method::Delete,
        "/admin/v1/connections/corp",
        &manager,
        None,
    );
    assert_eq!(deleted.status, 204);
    assert!(pollster::block_on(t.users.identity("corp", "248289761001"))
        .unwrap()
        .is_none());
    let gone = admin(
        &t,
        Method::Get,
        "/admin/v1/connections/corp",
        &manager,
        None,
    );
    assert_eq!(gone.status, 404);
    assert_eq!(json(&gone)["code"], "connection_not_found");
    let again = admin(
        &t,
        Method::Delete,
        "/admin/v1/connections/corp",
        &manager,
        None,
    );
    assert_eq!(again.status, 404);
    let log = serde_json::to_string(&*t.events.events.borrow()).unwrap();
    assert!(log.contains(types::IDP_DELETE));
}

#[test]
fn bad_settings_and_taken_ids_are_refused_with_stable_codes() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    let taken = admin(
        &t,
        Method::Post,
        "/admin/v1/connections",
        &manager,
        Some(corp()),
    );
    assert_eq!(taken.status, 409);
    assert_eq!(json(&taken)["code"], "connection_exists");

    let mut bad = corp();
    bad["id"] = json!("new");
    bad["issuer"] = json!("http://idp.example");
    let invalid = admin(
        &t,
        Method::Post,
        "/admin/v1/connections",
        &manager,
        Some(bad),
    );
    assert_eq!(invalid.status, 400);
    assert_eq!(json(&invalid)["code"], "invalid_connection_settings");
    assert_eq!(json(&invalid)["field"], "issuer");

    let unknown = admin(
        &t,
        Method::Post,
        "/admin/v1/connections",
        &manager,
        Some(json!({"id": "x", "issuer_url": "https://idp.example"})),
    );
    assert_eq!(unknown.status, 400);
    assert_eq!(json(&unknown)["code"], "invalid_request");
    assert_eq!(stored(&t).len(), 1);

    for (code, wire) in [
        (
            AdminErrorCode::InvalidConnectionSettings,
            "invalid_connection_settings",
        ),
        (AdminErrorCode::ConnectionNotFound, "connection_not_found"),
        (AdminErrorCode::ConnectionExists, "connection_exists"),
    ] {
        assert_eq!(serde_json::to_value(code).unwrap(), wire);
    }
}

#[test]
fn a_change_reaches_sign_in_at_once_in_this_isolate() {
    let t = TestPorts::new();
    let manager = ops_with_corp(&t);
    let ports = t.ports();
    let offered = || {
        pollster::block_on(crate::federation::for_client(&ports, "demo"))
            .unwrap()
            .len()
    };
    assert_eq!(offered(), 1);
    let disabled = admin(
        &t,
        Method::Patch,
        "/admin/v1/connections/corp",
        &manager,
        Some(json!({"enabled": false})),
    );
    assert_eq!(json(&disabled)["enabled"], false);
    assert_eq!(offered(), 0, "a disabled connection is no longer offered");
    admin(
        &t,
        Method::Patch,
        "/admin/v1/connections/corp",
        &manager,
        Some(json!({"enabled": true, "enabled_clients": ["other"]})),
    );
    assert_eq!(offered(), 0, "nor one limited to other clients");
}
