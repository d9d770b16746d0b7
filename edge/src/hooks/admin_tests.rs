//! The admin API's event hooks, driven through the HTTP surface with in-memory stores.

use serde_json::{json, Value};

use super::admin::{HookError, CHALLENGE_HEADER};
use super::delivery_tests::events;
use super::rules::Invalid;
use super::standard_webhooks::WebhookSecret;
use super::{dead_lettered, deliver, fan_out, DeliveryStatus, RetryPolicy};
use crate::admin::{AdminRefusal, AdminScope};
use crate::api::oidc_tests::{call, json, request};
use crate::events::types;
use crate::http::{Method, Response};
use crate::ports::HttpAnswer;
use crate::scim::tests::admin_token;
use crate::testing::{FnTransport, ScriptedTransport, TestPorts};
use portcullis_shared::system_log::OutcomeResult;

const RECEIVER: &str = "https://hooks.example/in";

fn send(t: &TestPorts, method: Method, target: &str, token: &str, body: Option<Value>) -> Response {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call(t, request(method, target, &headers, &body))
}

/// A receiver at [`RECEIVER`] that echoes verification challenges.
fn echoing() -> FnTransport {
    FnTransport(Box::new(|req, _| {
        let challenge = req
            .headers
            .iter()
            .find(|(n, _)| n == CHALLENGE_HEADER)
            .map(|(_, v)| v.clone());
        Ok(HttpAnswer {
            status: 200,
            headers: Vec::new(),
            body: json!({ "verification": challenge }).to_string(),
        })
    }))
}

fn create(t: &TestPorts, token: &str, types: &[&str]) -> Value {
    let created = send(
        t,
        Method::Post,
        "/admin/v1/hooks",
        token,
        Some(json!({"url": RECEIVER, "event_types": types, "description": "crm"})),
    );
    assert_eq!(created.status, 201, "{}", json(&created));
    json(&created)
}

/// Every response body so far that was not the one making a secret.
fn shows_no_secret(response: &Response) -> bool {
    !String::from_utf8_lossy(&response.body).contains("whsec_")
}

#[test]
fn rfc6750_3_1_hook_routes_need_the_hooks_scopes_and_a_refusal_changes_nothing() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let hook = create(&t, &manager, &["user.*"]);
    let id = hook["id"].as_str().unwrap();
    let before = t.hooks.records.borrow().clone();
    let sealed_before = t.hooks.hooks.borrow()[0].sealed_secret.clone();

    let reader = admin_token(&t, "auditor", "admin.hooks.read");
    let other = admin_token(&t, "hr", "admin.users.manage admin.logs.read");
    let changes: [(Method, String, Option<Value>); 4] = [
        (
            Method::Post,
            "/admin/v1/hooks".into(),
            Some(json!({"url": RECEIVER, "event_types": ["*"]})),
        ),
        (
            Method::Patch,
            format!("/admin/v1/hooks/{id}"),
            Some(json!({"url": "https://evil.example/x"})),
        ),
        (Method::Delete, format!("/admin/v1/hooks/{id}"), None),
        (Method::Post, format!("/admin/v1/hooks/{id}/secret"), None),
    ];
    for (method, target, body) in &changes {
        for (who, token) in [
            ("a read-only token", &reader),
            ("another admin's token", &other),
        ] {
            let refused = send(&t, *method, target, token, body.clone());
            assert_eq!(refused.status, 403, "{who} {target}");
            assert_eq!(json(&refused)["code"], "insufficient_scope");
            assert!(refused
                .header("www-authenticate")
                .unwrap()
                .contains("scope=\"admin.hooks.manage\""));
        }
        let anonymous = call(&t, request(*method, target, &[], ""));
        assert_eq!(anonymous.status, 401, "{target}");
        assert_eq!(json(&anonymous)["code"], "unauthorized");
    }
    for target in [
        "/admin/v1/hooks".to_string(),
        format!("/admin/v1/hooks/{id}/deliveries"),
    ] {
        assert_eq!(send(&t, Method::Get, &target, &other, None).status, 403);
        assert_eq!(send(&t, Method::Get, &target, &reader, None).status, 200);
    }
    assert_eq!(*t.hooks.records.borrow(), before, "nothing changed");
    assert_eq!(t.hooks.hooks.borrow()[0].sealed_secret, sealed_before);
    let denied = t
        .events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == types::ADMIN_DENIED)
        .count();
    assert_eq!(denied, 4 * 3 + 2, "every refusal is logged");
}

#[test]
fn a_hook_secret_is_shown_once_at_creation_and_rotation_and_both_sign_during_the_overlap() {
    let mut t = TestPorts::new();
    t.http = echoing();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let created = create(&t, &manager, &["user.session.start"]);
    let id = created["id"].as_str().unwrap().to_string();
    let first = created["secret"].as_str().unwrap().to_string();
    assert!(WebhookSecret::parse(&first).is_ok());
    assert_eq!(
        created["enabled"], false,
        "a new hook waits for verification"
    );
    assert_eq!(created["verified_at"], Value::Null);

    let shown = send(
        &t,
        Method::Get,
        &format!("/admin/v1/hooks/{id}"),
        &manager,
        None,
    );
    assert_eq!(shown.status, 200);
    assert!(shows_no_secret(&shown));
    let listed = send(&t, Method::Get, "/admin/v1/hooks", &manager, None);
    assert!(shows_no_secret(&listed));
    assert_eq!(json(&listed)["data"][0]["id"], id.as_str());

    let rotated = send(
        &t,
        Method::Post,
        &format!("/admin/v1/hooks/{id}/secret"),
        &manager,
        Some(json!({"overlap_seconds": 3600})),
    );
    assert_eq!(rotated.status, 200, "{}", json(&rotated));
    let second = json(&rotated)["secret"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert!(json(&rotated)["previous_secret_expires_at"].is_string());

    let enabled = send(
        &t,
        Method::Patch,
        &format!("/admin/v1/hooks/{id}"),
        &manager,
        Some(json!({"enabled": true})),
    );
    assert_eq!(enabled.status, 200, "{}", json(&enabled));
    assert!(shows_no_secret(&enabled));

    // A delivery now carries a signature by each secret, which the receiver checks.
    let ports = t.ports();
    let planned = pollster::block_on(fan_out(
        &ports,
        &t.hooks,
        events(&t, &[types::SESSION_START]),
    ))
    .unwrap();
    let receiver = ScriptedTransport::answering(&[Some(200)]);
    pollster::block_on(deliver(
        &ports,
        &t.hooks,
        &receiver,
        &planned[0],
        &RetryPolicy::default(),
    ));
    let posted = receiver.received.borrow()[0].clone();
    let header = |name: &str| {
        posted
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let timestamp: u64 = header("webhook-timestamp").parse().unwrap();
    let signatures = header("webhook-signature");
    for secret in [&first, &second] {
        let expected = WebhookSecret::parse(secret).unwrap().sign(
            &header("webhook-id"),
            timestamp,
            &posted.body,
        );
        assert!(
            signatures.split(' ').any(|s| s == expected),
            "signed by {secret:.10}…"
        );
    }
}

#[test]
fn hook_registrations_follow_the_shared_rules_and_bad_input_is_invalid_request() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let bad = [
        (
            json!({"url": "http://hooks.example/in", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@hooks.example/", "event_types": ["*"]}),
            "url",
        ),
        (json!({"url": RECEIVER, "event_types": []}), "event_types"),
        (
            json!({"url": RECEIVER, "event_types": ["user.*.start"]}),
            "event_types",
        ),
        (
            json!({"url": RECEIVER, "event_types": ["*"], "description": "x".repeat(201)}),
            "description",
        ),
        (
            json!({"url": RECEIVER, "event_types": ["*"], "secret": "whsec_mine"}),
            "secret",
        ),
        (json!({"event_types": ["*"]}), "url"),
    ];
    for (body, field) in bad {
        let refused = send(
            &t,
            Method::Post,
            "/admin/v1/hooks",
            &manager,
            Some(body.clone()),
        );
        assert_eq!(refused.status, 400, "{body}");
        assert_eq!(json(&refused)["code"], "invalid_request");
        assert!(
            json(&refused)["message"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
    let plain = call(
        &t,
        request(
            Method::Post,
            "/admin/v1/hooks",
            &[
                ("authorization", &format!("Bearer {manager}")),
                ("content-type", "text/plain"),
            ],
            "{}",
        ),
    );
    assert_eq!(
        (plain.status, json(&plain)["code"].clone()),
        (415, json!("unsupported_media_type"))
    );
    for query in ["limit=0", "limit=201", "limit=x", "after=bm90LWEtY3Vyc29y"] {
        let refused = send(
            &t,
            Method::Get,
            &format!("/admin/v1/hooks?{query}"),
            &manager,
            None,
        );
        assert_eq!(refused.status, 400, "{query}");
    }
    for id in ["hk_0123456789abcdef", "hk_..%2F..%2Fv1", "hk_ZZZZ"] {
        let missing = send(
            &t,
            Method::Get,
            &format!("/admin/v1/hooks/{id}"),
            &manager,
            None,
        );
        assert_eq!(
            (missing.status, json(&missing)["code"].clone()),
            (404, json!("hook_not_found"))
        );
    }
    assert!(t.hooks.records.borrow().is_empty(), "nothing was stored");
}

#[test]
fn enabling_a_hook_verifies_its_endpoint_once_and_a_new_url_is_verified_again() {
    let mut t = TestPorts::new();
    let silent = std::rc::Rc::new(std::cell::Cell::new(true));
    let challenges = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let (s, c) = (silent.clone(), challenges.clone());
    t.http = FnTransport(Box::new(move |req, _| {
        assert!(req.headers.contains(&(":method".into(), "GET".into())));
        c.borrow_mut().push(req.url.clone());
        let echo = req
            .headers
            .iter()
            .find(|(n, _)| n == CHALLENGE_HEADER)
            .map(|(_, v)| v.clone());
        if s.get() {
            return Ok(HttpAnswer {
                status: 200,
                headers: Vec::new(),
                body: "{\"ok\":true}".into(),
            });
        }
        Ok(HttpAnswer {
            status: 200,
            headers: Vec::new(),
            body: json!({"verification": echo}).to_string(),
        })
    }));
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let id = create(&t, &manager, &["*"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let target = format!("/admin/v1/hooks/{id}");
    let enable = || {
        send(
            &t,
            Method::Patch,
            &target,
            &manager,
            Some(json!({"enabled": true})),
        )
    };

    let failed = enable();
    assert_eq!(failed.status, 422);
    assert_eq!(json(&failed)["code"], "hook_verification_failed");
    assert!(json(&failed)["message"]
        .as_str()
        .unwrap()
        .contains("did not echo"));
    assert!(!t.hooks.records.borrow()[0].enabled, "unchanged");
    assert!(t
        .events
        .events
        .borrow()
        .iter()
        .any(|e| e.event_type == super::admin::types::VERIFIED
            && e.outcome.result == OutcomeResult::Failure));

    silent.set(false);
    let enabled = enable();
    assert_eq!(enabled.status, 200, "{}", json(&enabled));
    assert_eq!(json(&enabled)["enabled"], true);
    assert!(json(&enabled)["verified_at"].is_string());
    assert!(t.hooks.hooks.borrow()[0].enabled, "deliveries start");
    let _ = send(
        &t,
        Method::Patch,
        &target,
        &manager,
        Some(json!({"enabled": false})),
    );
    let again = enable();
    assert_eq!(again.status, 200);
    assert_eq!(
        challenges.borrow().len(),
        2,
        "a verified URL is not challenged again"
    );

    let moved = send(
        &t,
        Method::Patch,
        &target,
        &manager,
        Some(json!({"url": "https://other.example/in"})),
    );
    assert_eq!(json(&moved)["enabled"], false, "a new URL stops deliveries");
    assert_eq!(json(&moved)["verified_at"], Value::Null);
    assert!(!t.hooks.hooks.borrow()[0].enabled);
    assert_eq!(enable().status, 200);
    assert_eq!(
        challenges.borrow().last().unwrap(),
        "https://other.example/in"
    );

    let kinds: Vec<String> = t
        .events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type.starts_with("event_hook."))
        .map(|e| {
            assert_eq!(e.actor.id, "ops", "the calling client is the actor");
            assert_eq!(e.target[0].id, id);
            format!("{} {:?}", e.event_type, e.outcome.result)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "event_hook.created Success",
            "event_hook.verified Failure",
            "event_hook.activated Success",
            "event_hook.deactivated Success",
            "event_hook.activated Success",
            "event_hook.deactivated Success",
            "event_hook.activated Success",
        ]
    );
}

#[test]
fn deliveries_read_newest_first_in_pages_with_their_attempts_and_the_dead_lettered() {
    let mut t = TestPorts::new();
    t.http = echoing();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let reader = admin_token(&t, "auditor", "admin.hooks.read");
    let id = create(&t, &manager, &[types::SESSION_START])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let on = send(
        &t,
        Method::Patch,
        &format!("/admin/v1/hooks/{id}"),
        &manager,
        Some(json!({"enabled": true})),
    );
    assert_eq!(on.status, 200);

    let ports = t.ports();
    let planned = pollster::block_on(fan_out(
        &ports,
        &t.hooks,
        events(&t, &[types::SESSION_START; 5]),
    ))
    .unwrap();
    assert_eq!(planned.len(), 5);
    // The first goes through; the second fails twice and is dead-lettered.
    let ok = ScriptedTransport::answering(&[Some(200)]);
    pollster::block_on(deliver(
        &ports,
        &t.hooks,
        &ok,
        &planned[0],
        &RetryPolicy::default(),
    ));
    let down = ScriptedTransport::answering(&[Some(503), None]);
    for _ in 0..2 {
        pollster::block_on(deliver(
            &ports,
            &t.hooks,
            &down,
            &planned[1],
            &RetryPolicy::default(),
        ));
    }
    pollster::block_on(dead_lettered(&ports, &t.hooks, &planned[1])).unwrap();

    let dead = send(
        &t,
        Method::Get,
        &format!("/admin/v1/hooks/{id}/deliveries?status=dead"),
        &reader,
        None,
    );
    assert_eq!(dead.status, 200, "{}", json(&dead));
    let dead = json(&dead);
    assert_eq!(dead["data"].as_array().unwrap().len(), 1);
    let row = &dead["data"][0];
    assert_eq!(row["id"], planned[1].id.as_str());
    assert_eq!(row["event_uuid"], planned[1].event.uuid.as_str());
    assert_eq!(
        (row["status"].clone(), row["dead_lettered"].clone()),
        (json!("dead"), json!(true))
    );
    assert_eq!(row["attempts"], 2);
    assert_eq!(row["last_status"], Value::Null);
    assert!(row["last_error"].as_str().unwrap().contains("timed out"));
    assert!(dead["next"].is_null());

    let delivered = send(
        &t,
        Method::Get,
        &format!("/admin/v1/hooks/{id}/deliveries?status=delivered"),
        &reader,
        None,
    );
    assert_eq!(json(&delivered)["data"][0]["attempts"], 1);
    assert_eq!(json(&delivered)["data"][0]["last_status"], 200);

    // Five deliveries made in one millisecond, two a page: none skipped or repeated.
    let mut seen = Vec::new();
    let mut next = Some(format!("/admin/v1/hooks/{id}/deliveries?limit=2"));
    let mut pages = 0;
    while let Some(target) = next {
        pages += 1;
        assert!(pages <= 4, "bounded");
        let page = json(&send(&t, Method::Get, &target, &reader, None));
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
        next = page["next"]
            .as_str()
            .map(|c| format!("/admin/v1/hooks/{id}/deliveries?limit=2&after={c}"));
    }
    let mut expected: Vec<String> = planned.iter().map(|d| d.id.clone()).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(seen, expected, "newest first, the id breaking ties");

    assert_eq!(
        send(
            &t,
            Method::Get,
            &format!("/admin/v1/hooks/{id}/deliveries?status=lost"),
            &reader,
            None
        )
        .status,
        400
    );
    assert_eq!(DeliveryStatus::parse("dead"), Some(DeliveryStatus::Dead));

    // Removing the hook removes its deliveries; one still queued is then cancelled.
    let removed = send(
        &t,
        Method::Delete,
        &format!("/admin/v1/hooks/{id}"),
        &manager,
        None,
    );
    assert_eq!(removed.status, 204);
    assert!(t.hooks.deliveries.borrow().is_empty());
    let gone = send(
        &t,
        Method::Get,
        &format!("/admin/v1/hooks/{id}/deliveries"),
        &reader,
        None,
    );
    assert_eq!(gone.status, 404);
    let unused = ScriptedTransport::answering(&[]);
    pollster::block_on(deliver(
        &ports,
        &t.hooks,
        &unused,
        &planned[2],
        &RetryPolicy::default(),
    ));
    assert!(
        unused.received.borrow().is_empty(),
        "nothing is sent for a removed hook"
    );
}

#[test]
fn every_hook_error_has_its_wire_code_and_status_and_leaks_no_detail() {
    let cases = [
        (
            HookError::Refused(AdminRefusal::NoToken),
            "unauthorized",
            401,
        ),
        (
            HookError::Refused(AdminRefusal::InvalidToken),
            "unauthorized",
            401,
        ),
        (
            HookError::Refused(AdminRefusal::InsufficientScope(AdminScope::HooksManage)),
            "insufficient_scope",
            403,
        ),
        (
            HookError::Refused(AdminRefusal::Unavailable("d1 secret".into())),
            "server_error",
            503,
        ),
        (
            HookError::MalformedBody("line 1".into()),
            "invalid_request",
            400,
        ),
        (
            HookError::UnsupportedMediaType,
            "unsupported_media_type",
            415,
        ),
        (HookError::BodyTooLarge, "payload_too_large", 413),
        (
            HookError::Invalid(Invalid {
                field: "url",
                reason: "x".into(),
            }),
            "invalid_request",
            400,
        ),
        (HookError::NotFound, "hook_not_found", 404),
        (HookError::InlineHookExists, "inline_hook_exists", 409),
        (
            HookError::VerificationFailed("HTTP 500".into()),
            "hook_verification_failed",
            422,
        ),
        (
            HookError::Unavailable("d1 secret".into()),
            "server_error",
            503,
        ),
    ];
    for (error, code, status) in cases {
        assert_eq!((error.code(), error.status()), (code, status), "{error:?}");
        assert!(!error.message().contains("d1 secret"));
    }
}

#[test]
fn an_unreachable_endpoint_and_a_removed_hook_are_clear_errors_not_server_errors() {
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let id = create(&t, &manager, &["*"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The default transport reaches nobody: verification fails cleanly.
    let refused = send(
        &t,
        Method::Patch,
        &format!("/admin/v1/hooks/{id}"),
        &manager,
        Some(json!({"enabled": true})),
    );
    assert_eq!(refused.status, 422);
    assert!(json(&refused)["message"]
        .as_str()
        .unwrap()
        .contains("could not reach"));
    assert_eq!(
        send(
            &t,
            Method::Delete,
            &format!("/admin/v1/hooks/{id}"),
            &manager,
            None
        )
        .status,
        204
    );
    for (method, target) in [
        (Method::Delete, format!("/admin/v1/hooks/{id}")),
        (Method::Post, format!("/admin/v1/hooks/{id}/secret")),
        (Method::Patch, format!("/admin/v1/hooks/{id}")),
    ] {
        let body = (method == Method::Patch).then(|| json!({"description": "x"}));
        let missing = send(&t, method, &target, &manager, body);
        assert_eq!(missing.status, 404, "{target}");
    }
}

#[test]
fn inline_hooks_through_the_admin_api_one_per_kind_and_client_secret_shown_once() {
    use crate::hooks::inline::InlineHookKind;
    use crate::ports::InlineHookStore;
    let t = TestPorts::new();
    let manager = admin_token(&t, "ops", "admin.hooks.manage");
    let reader = admin_token(&t, "auditor", "admin.hooks.read");
    let body = json!({"kind": "registration", "url": RECEIVER, "client_id": "demo", "timeout_ms": 1500, "failure_mode": "open"});

    let refused = send(
        &t,
        Method::Post,
        "/admin/v1/inline-hooks",
        &reader,
        Some(body.clone()),
    );
    assert_eq!(
        (refused.status, json(&refused)["code"].clone()),
        (403, json!("insufficient_scope"))
    );
    assert!(t.inline_hooks.records.borrow().is_empty());

    let created = send(
        &t,
        Method::Post,
        "/admin/v1/inline-hooks",
        &manager,
        Some(body.clone()),
    );
    assert_eq!(created.status, 201, "{}", json(&created));
    let created = json(&created);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ih_"));
    assert_eq!(
        (
            created["timeout_ms"].clone(),
            created["failure_mode"].clone()
        ),
        (json!(1500), json!("open"))
    );
    let secret = created["secret"].as_str().unwrap();

    // The flows find it, sealed for its own id, opening to the secret shown.
    let found = pollster::block_on(t.inline_hooks.find(InlineHookKind::Registration, "demo"))
        .unwrap()
        .unwrap();
    let kek = t.settings.key_encryption_key.as_ref().unwrap();
    let opened = kek
        .open(&found.sealed_secret, &format!("hook:{id}"))
        .unwrap();
    assert_eq!(String::from_utf8(opened).unwrap(), secret);

    let again = send(
        &t,
        Method::Post,
        "/admin/v1/inline-hooks",
        &manager,
        Some(body),
    );
    assert_eq!(
        (again.status, json(&again)["code"].clone()),
        (409, json!("inline_hook_exists"))
    );
    for (bad, field) in [
        (json!({"kind": "login", "url": RECEIVER}), "kind"),
        (
            json!({"kind": "token", "url": RECEIVER, "timeout_ms": 60000}),
            "timeout_ms",
        ),
        (
            json!({"kind": "token", "url": RECEIVER, "failure_mode": "maybe"}),
            "failure_mode",
        ),
        (
            json!({"kind": "token", "url": RECEIVER, "client_id": "a b"}),
            "client_id",
        ),
        (
            json!({"kind": "token", "url": "http://hooks.example/"}),
            "url",
        ),
    ] {
        let refused = send(
            &t,
            Method::Post,
            "/admin/v1/inline-hooks",
            &manager,
            Some(bad.clone()),
        );
        assert_eq!(refused.status, 400, "{bad}");
        assert!(
            json(&refused)["message"].as_str().unwrap().contains(field),
            "{bad}"
        );
    }

    for target in [
        "/admin/v1/inline-hooks".to_string(),
        format!("/admin/v1/inline-hooks/{id}"),
    ] {
        let read = send(&t, Method::Get, &target, &reader, None);
        assert_eq!(read.status, 200, "{target}");
        assert!(shows_no_secret(&read), "{target}");
    }
    assert_eq!(
        send(
            &t,
            Method::Delete,
            &format!("/admin/v1/inline-hooks/{id}"),
            &reader,
            None
        )
        .status,
        403
    );
    assert_eq!(
        send(
            &t,
            Method::Delete,
            &format!("/admin/v1/inline-hooks/{id}"),
            &manager,
            None
        )
        .status,
        204
    );
    assert!(
        pollster::block_on(t.inline_hooks.find(InlineHookKind::Registration, "demo"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        send(
            &t,
            Method::Delete,
            &format!("/admin/v1/inline-hooks/{id}"),
            &manager,
            None
        )
        .status,
        404
    );
    let logged: Vec<String> = t
        .events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type.starts_with("inline_hook."))
        .map(|e| format!("{} {:?} {}", e.event_type, e.outcome.result, e.actor.id))
        .collect();
    assert_eq!(
        logged,
        [
            "inline_hook.created Success ops",
            "inline_hook.created Failure ops",
            "inline_hook.created Failure ops",
            "inline_hook.created Failure ops",
            "inline_hook.created Failure ops",
            "inline_hook.created Failure ops",
            "inline_hook.created Failure ops",
            "inline_hook.deleted Success ops",
            "inline_hook.deleted Failure ops",
        ]
    );
}
