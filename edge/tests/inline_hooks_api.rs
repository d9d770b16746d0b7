//! The registration inline hook through the JSON API: the customer's endpoint is a
//! function here that checks our signature and signs its answer the Standard Webhooks
//! way; every decision, failure mode and the System Log record of each call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::http::{call, claims, json, post, redeem_response, start_flow};
use portcullis_edge::hooks::inline::{FailureMode, InlineHook, InlineHookKind};
use portcullis_edge::hooks::WebhookRequest;
use portcullis_edge::http::Method;
use portcullis_edge::ports::{HttpAnswer, TransportError, UserStore};
use portcullis_edge::testing::{FnTransport, TestPorts};
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PASSWORD: &str = "correct horse battery staple 42";

fn hmac(id: &str, timestamp: &str, body: &str) -> String {
    let key = STANDARD.decode(&SECRET[6..]).unwrap();
    let content = format!("{id}.{timestamp}.{body}");
    format!(
        "v1,{}",
        STANDARD.encode(portcullis_edge::crypto::hmac_sha256(
            &key,
            content.as_bytes()
        ))
    )
}

fn header<'a>(request: &'a WebhookRequest, name: &str) -> &'a str {
    &request.headers.iter().find(|(n, _)| n == name).unwrap().1
}

/// An answer signed for `request` (Standard Webhooks, the same secret).
fn signed(request: &WebhookRequest, body: Value) -> HttpAnswer {
    let body = body.to_string();
    let id = header(request, "webhook-id").to_string();
    let timestamp = header(request, "webhook-timestamp").to_string();
    HttpAnswer {
        status: 200,
        headers: vec![
            ("webhook-signature".into(), hmac(&id, &timestamp, &body)),
            ("webhook-id".into(), id),
            ("webhook-timestamp".into(), timestamp),
        ],
        body,
    }
}

/// Ports with a registration hook for the demo client answered by `endpoint`; the
/// requests it received are kept.
fn with_hook(
    mode: FailureMode,
    endpoint: impl Fn(&WebhookRequest, Value) -> Result<HttpAnswer, TransportError> + 'static,
) -> (TestPorts, Rc<RefCell<Vec<Value>>>) {
    with_hook_of(InlineHookKind::Registration, mode, endpoint)
}

fn with_hook_of(
    kind: InlineHookKind,
    mode: FailureMode,
    endpoint: impl Fn(&WebhookRequest, Value) -> Result<HttpAnswer, TransportError> + 'static,
) -> (TestPorts, Rc<RefCell<Vec<Value>>>) {
    let mut t = TestPorts::new();
    let sealed = t
        .settings
        .key_encryption_key
        .as_ref()
        .unwrap()
        .seal(SECRET.as_bytes(), "hook:ih_1", &t.random)
        .unwrap();
    t.inline_hooks.hooks.borrow_mut().push((
        Some("demo".into()),
        InlineHook {
            id: "ih_1".into(),
            kind,
            url: "https://crm.shop.example/registration".into(),
            sealed_secret: sealed,
            timeout_ms: 2_000,
            failure_mode: mode,
        },
    ));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let kept = seen.clone();
    t.http = FnTransport(Box::new(move |request, _timeout| {
        // Our request is signed: a receiver's check.
        let signature = hmac(
            header(request, "webhook-id"),
            header(request, "webhook-timestamp"),
            &request.body,
        );
        assert_eq!(header(request, "webhook-signature"), signature);
        let body: Value = serde_json::from_str(&request.body).unwrap();
        kept.borrow_mut().push(body.clone());
        endpoint(request, body)
    }));
    (t, seen)
}

/// Denies `*@blocked.example` with a message per language; allows the rest with a name.
fn blocklist(request: &WebhookRequest, body: Value) -> Result<HttpAnswer, TransportError> {
    let email = body["data"]["profile"]["email"].as_str().unwrap();
    Ok(signed(
        request,
        if email.ends_with("@blocked.example") {
            json!({"decision": "deny", "message": {
                "en": "Sign-ups from blocked.example are closed.",
                "fr": "Les inscriptions depuis blocked.example sont fermées."}})
        } else {
            json!({"decision": "allow", "profile": {"given_name": "Ada", "family_name": "Lovelace"}})
        },
    ))
}

fn sign_up(t: &TestPorts, email: &str, language: &str) -> portcullis_edge::http::Response {
    let flow = start_flow(t);
    call(
        t,
        Method::Post,
        &format!("/v1/flows/{flow}/sign-up"),
        &[
            ("content-type", "application/json"),
            ("origin", common::http::PAGE),
            ("accept-language", language),
        ],
        &json!({"email": email, "password": PASSWORD}).to_string(),
    )
}

fn hook_calls(t: &TestPorts) -> Vec<(String, Option<String>)> {
    t.events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == "system.inline_hook.call")
        .map(|e| {
            (
                serde_json::to_value(e.outcome.result)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
                e.outcome.reason.clone(),
            )
        })
        .collect()
}

#[test]
fn a_registration_hook_denying_an_address_shows_its_message_in_the_persons_language_and_creates_nothing(
) {
    let (t, seen) = with_hook(FailureMode::Closed, blocklist);
    let denied = sign_up(&t, "mallory@blocked.example", "fr-CA, fr;q=0.9");
    assert_eq!(denied.status, 403);
    assert_eq!(json(&denied)["code"], "registration_denied");
    assert_eq!(
        json(&denied)["message"],
        "Les inscriptions depuis blocked.example sont fermées."
    );
    let english = sign_up(&t, "eve@blocked.example", "de");
    assert_eq!(
        json(&english)["message"],
        "Sign-ups from blocked.example are closed."
    );
    for email in ["mallory@blocked.example", "eve@blocked.example"] {
        assert!(pollster::block_on(t.users.find_by_email(email))
            .unwrap()
            .is_none());
    }
    let request = &seen.borrow()[0];
    assert_eq!(request["type"], "com.portcullis.inline_hook.registration");
    assert_eq!(
        request["data"]["profile"]["email"],
        "mallory@blocked.example"
    );
    assert_eq!(request["data"]["context"]["client_id"], "demo");
    assert_eq!(request["data"]["context"]["method"], "password");
    assert_eq!(request["data"]["context"]["language"], "fr");
    let calls = hook_calls(&t);
    assert_eq!(calls.len(), 2);
    assert!(
        calls[0].1.as_deref().unwrap().contains("deny in "),
        "{calls:?}"
    );
}

#[test]
fn a_registration_hook_allowing_adds_profile_attributes() {
    let (t, _) = with_hook(FailureMode::Closed, blocklist);
    let created = sign_up(&t, "ada@example.com", "en");
    assert_eq!(created.status, 200, "{}", json(&created));
    let user = pollster::block_on(t.users.find_by_email("ada@example.com"))
        .unwrap()
        .unwrap();
    assert_eq!(user.given_name.as_deref(), Some("Ada"));
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert!(hook_calls(&t)[0]
        .1
        .as_deref()
        .unwrap()
        .contains("allow in "));
}

#[test]
fn a_known_and_an_unknown_address_get_the_same_refusal_no_account_enumeration() {
    let (t, _) = with_hook(FailureMode::Closed, blocklist);
    // An account made before the hook existed.
    let hooks = t.inline_hooks.hooks.take();
    assert_eq!(sign_up(&t, "old@blocked.example", "en").status, 200);
    *t.inline_hooks.hooks.borrow_mut() = hooks;
    let known = sign_up(&t, "old@blocked.example", "en");
    let unknown = sign_up(&t, "new@blocked.example", "en");
    assert_eq!(
        (known.status, json(&known)),
        (unknown.status, json(&unknown))
    );
}

#[test]
fn a_hook_past_its_timeout_fails_closed_or_open_as_configured_and_is_logged() {
    let timeout =
        |_: &WebhookRequest, _: Value| Err(TransportError("no answer within 2000 ms".into()));
    let (closed, _) = with_hook(FailureMode::Closed, timeout);
    let refused = sign_up(&closed, "ada@example.com", "en");
    assert_eq!(refused.status, 403);
    assert_eq!(json(&refused)["code"], "registration_denied");
    assert_eq!(
        json(&refused)["message"],
        "This site does not accept sign-ups with these details."
    );
    let calls = hook_calls(&closed);
    assert_eq!(calls[0].0, "FAILURE");
    assert!(calls[0]
        .1
        .as_deref()
        .unwrap()
        .contains("no answer within 2000 ms"));
    assert!(calls[0]
        .1
        .as_deref()
        .unwrap()
        .contains("fail-closed: denied"));

    let (open, _) = with_hook(FailureMode::Open, timeout);
    assert_eq!(sign_up(&open, "ada@example.com", "en").status, 200);
    assert!(hook_calls(&open)[0]
        .1
        .as_deref()
        .unwrap()
        .contains("fail-open: allowed"));
}

#[test]
fn an_unsigned_or_forged_answer_is_a_failure_not_a_decision() {
    let forged = |request: &WebhookRequest, _: Value| {
        let mut answer = signed(request, json!({"decision": "allow"}));
        answer.body = json!({"decision": "allow", "profile": {"name": "Forged"}}).to_string();
        Ok(answer)
    };
    let (t, _) = with_hook(FailureMode::Closed, forged);
    assert_eq!(sign_up(&t, "ada@example.com", "en").status, 403);
    assert!(hook_calls(&t)[0]
        .1
        .as_deref()
        .unwrap()
        .contains("not signed"));

    let replayed = |request: &WebhookRequest, _: Value| {
        let mut answer = signed(request, json!({"decision": "allow"}));
        answer.headers.retain(|(n, _)| n != "webhook-id");
        answer
            .headers
            .push(("webhook-id".into(), "msg_other".into()));
        Ok(answer)
    };
    let (t, _) = with_hook(FailureMode::Closed, replayed);
    assert_eq!(sign_up(&t, "ada@example.com", "en").status, 403);

    let (t, _) = with_hook(FailureMode::Closed, |request, _| {
        Ok(signed(request, json!({"decision": "maybe"})))
    });
    assert_eq!(sign_up(&t, "ada@example.com", "en").status, 403);
    assert!(hook_calls(&t)[0]
        .1
        .as_deref()
        .unwrap()
        .contains("no decision"));
}

#[test]
fn without_a_registration_hook_nothing_is_called() {
    let t = TestPorts::new();
    let response = post(
        &t,
        &format!("/v1/flows/{}/sign-up", start_flow(&t)),
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    );
    assert_eq!(response.status, 200);
    assert!(hook_calls(&t).is_empty());
}

/// A sign-up through the demo client, and its code redeemed at /token.
fn tokens_after_sign_up(t: &TestPorts) -> portcullis_edge::http::Response {
    let flow = start_flow(t);
    let done = post(
        t,
        &format!("/v1/flows/{flow}/sign-up"),
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    );
    redeem_response(t, &done, "demo")
}

#[test]
fn a_token_hook_adds_claims_and_its_attempt_to_override_sub_is_ignored_and_logged() {
    let (t, seen) = with_hook_of(InlineHookKind::Token, FailureMode::Closed, |request, _| {
        Ok(signed(
            request,
            json!({"claims": {
                "access_token": {"tenant": "acme", "sub": "admin", "exp": 99_999_999_999u64},
                "id_token": {"tenant": "acme", "roles": ["buyer"], "iss": "https://evil.example"}}}),
        ))
    });
    let response = tokens_after_sign_up(&t);
    assert_eq!(response.status, 200, "{}", json(&response));
    let tokens = json(&response);
    let access = claims(tokens["access_token"].as_str().unwrap());
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(access["tenant"], "acme");
    assert_eq!(id["tenant"], "acme");
    assert_eq!(id["roles"], json!(["buyer"]));
    let user = pollster::block_on(t.users.find_by_email("ada@example.com"))
        .unwrap()
        .unwrap();
    assert_eq!(access["sub"], user.id.as_str(), "sub is never the hook's");
    assert_eq!(id["sub"], user.id.as_str());
    assert_eq!(id["iss"], common::http::ISSUER);
    assert!(access["exp"].as_u64().unwrap() < 99_999_999_999);
    let request = &seen.borrow()[0];
    assert_eq!(request["type"], "com.portcullis.inline_hook.token");
    assert_eq!(request["data"]["sub"], user.id.as_str());
    assert_eq!(request["data"]["client_id"], "demo");
    let calls = hook_calls(&t);
    assert_eq!(calls[0].0, "FAILURE", "a refused claim marks the call");
    let reason = calls[0].1.as_deref().unwrap();
    for refused in ["sub (access_token)", "exp (access_token)", "iss (id_token)"] {
        assert!(reason.contains(refused), "{reason}");
    }
}

#[test]
fn a_token_hook_past_its_timeout_fails_closed_with_no_tokens_or_open_with_no_added_claims() {
    let timeout =
        |_: &WebhookRequest, _: Value| Err(TransportError("no answer within 2000 ms".into()));
    let (closed, _) = with_hook_of(InlineHookKind::Token, FailureMode::Closed, timeout);
    let refused = tokens_after_sign_up(&closed);
    assert_eq!(refused.status, 503);
    assert_eq!(json(&refused)["error"], "temporarily_unavailable");

    let (open, _) = with_hook_of(InlineHookKind::Token, FailureMode::Open, timeout);
    let tokens = tokens_after_sign_up(&open);
    assert_eq!(tokens.status, 200);
    let access = claims(json(&tokens)["access_token"].as_str().unwrap());
    assert!(access.get("tenant").is_none());
    assert!(hook_calls(&open)[0]
        .1
        .as_deref()
        .unwrap()
        .contains("fail-open: no added claims"));
}
