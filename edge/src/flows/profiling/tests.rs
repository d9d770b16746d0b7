//! Progressive profiling through the HTTP surface on the in-memory ports: what a client's
//! policy asks and when, required answers, and document versions asked again.

use serde_json::{json, Value};

use crate::api::oidc_tests::{
    call, claims, json as body, post_json, redeem, request, start_flow, PASSWORD,
};
use crate::clients::Client;
use crate::http::Method;
use crate::profile::policy::ProfilePolicy;
use crate::testing::{demo_client, TestPorts};

const PAGE: &str = "https://shop.example";
const TERMS_V1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const TERMS_V2: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

fn client_with(policy: Value) -> Client {
    let profile: ProfilePolicy = serde_json::from_value(policy).unwrap();
    Client {
        allowed_scopes: crate::oauth::scope::Scopes::parse(
            "openid profile email phone offline_access account",
        ),
        profile,
        ..demo_client()
    }
}

fn terms(version: &str, hash: &str) -> Value {
    json!({"purpose": "terms", "version": version, "text_sha256": hash, "required": true,
           "url": "https://shop.example/terms"})
}

/// Signs up (first sign-in) or signs in `email` asking `scope`: the flow and its outcome.
fn sign(t: &TestPorts, email: &str, scope: &str, up: bool) -> (String, Value) {
    let flow = start_flow(t, scope);
    let step = if up { "sign-up" } else { "password" };
    let outcome = body(&post_json(
        t,
        &format!("/v1/flows/{flow}/{step}"),
        json!({"email": email, "password": PASSWORD}),
    ));
    (flow, outcome)
}

fn answer(t: &TestPorts, flow: &str, answers: Value, language: &str) -> crate::http::Response {
    call(
        t,
        request(
            Method::Post,
            &format!("/v1/flows/{flow}/profile"),
            &[
                ("content-type", "application/json"),
                ("origin", PAGE),
                ("accept-language", language),
            ],
            &answers.to_string(),
        ),
    )
}

fn asked(outcome: &Value) -> Vec<String> {
    assert_eq!(outcome["status"], "profile_required", "{outcome}");
    outcome["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attribute"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn attributes_required_for_a_scope_are_asked_only_when_the_scope_is_requested() {
    let t = TestPorts::new();
    t.clients.insert(client_with(json!({"attributes": [
        {"attribute": "phone_number", "ask": "scope:phone", "required": true},
        {"attribute": "birthdate", "ask": "scope:phone", "required": true},
    ]})));
    let (_, up) = sign(&t, "ada@example.com", "openid email", true);
    assert_eq!(
        up["status"], "authorization_code",
        "not asked without the scope"
    );
    let (flow, outcome) = sign(&t, "ada@example.com", "openid phone", false);
    assert_eq!(asked(&outcome), ["phone_number", "birthdate"]);
    let phone = &outcome["attributes"][0];
    assert_eq!(
        (
            &phone["attribute"]["input_type"],
            &phone["attribute"]["autocomplete"],
            &phone["required"]
        ),
        (&json!("tel"), &json!("tel"), &json!(true))
    );

    // Skipping a required attribute, or a bad value, is refused and keeps the flow.
    let refused = answer(
        &t,
        &flow,
        json!({"attributes": {"birthdate": "1990-02-30"}}),
        "fr",
    );
    assert_eq!(refused.status, 400);
    let refused = body(&refused);
    assert_eq!(refused["code"], "invalid_profile");
    let codes: Vec<(&str, &str)> = refused["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [("birthdate", "invalid_date"), ("phone_number", "required")]
    );
    assert_eq!(
        refused["fields"][1]["message"],
        crate::i18n::Words::for_tag("fr").get("profile.required")
    );
    let done = body(&answer(
        &t,
        &flow,
        json!({"attributes": {"birthdate": "1990-02-28", "phone_number": "+44 20 7946 0958"}}),
        "en",
    ));
    assert_eq!(done["status"], "authorization_code", "{done}");
    let tokens = body(&redeem(&t, done["authorization_code"].as_str().unwrap()));
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["phone_number"], "+442079460958");

    // Set once, never asked again.
    let (_, again) = sign(&t, "ada@example.com", "openid phone", false);
    assert_eq!(again["status"], "authorization_code");
}

#[test]
fn the_nth_sign_in_asks_the_later_attributes_once_and_they_may_be_skipped() {
    let t = TestPorts::new();
    t.clients.insert(client_with(json!({"attributes": [
        {"attribute": "given_name", "ask": "sign_up"},
        {"attribute": "country", "ask": "sign_in:3"},
        {"attribute": "zoneinfo", "ask": "sign_in:3"},
    ]})));
    let (flow, first) = sign(&t, "ada@example.com", "openid", true);
    assert_eq!(asked(&first), ["given_name"]);
    let skipped = body(&answer(&t, &flow, json!({}), "en"));
    assert_eq!(skipped["status"], "authorization_code");
    let (_, second) = sign(&t, "ada@example.com", "openid", false);
    assert_eq!(second["status"], "authorization_code", "{second}");
    let (flow, third) = sign(&t, "ada@example.com", "openid", false);
    assert_eq!(asked(&third), ["country", "zoneinfo"]);
    assert_eq!(third["attributes"][0]["required"], false);
    let done = body(&answer(
        &t,
        &flow,
        json!({"attributes": {"country": "fr"}}),
        "en",
    ));
    assert_eq!(done["status"], "authorization_code");
    let (_, fourth) = sign(&t, "ada@example.com", "openid", false);
    assert_eq!(
        fourth["status"], "authorization_code",
        "asked at the third only"
    );
    let ada = pollster::block_on(t.ports().users.find_by_email("ada@example.com"))
        .unwrap()
        .unwrap();
    assert_eq!(ada.profile["country"], "FR");
    assert!(t
        .events
        .summary()
        .contains(&("user.account.update_profile".into(), "SUCCESS".into())));
}

#[test]
fn a_new_terms_version_asks_again_and_the_history_keeps_both_versions_with_hashes() {
    let t = TestPorts::new();
    t.clients.insert(client_with(
        json!({"documents": [terms("2026-01", TERMS_V1)]}),
    ));
    let (flow, up) = sign(&t, "ada@example.com", "openid", true);
    assert_eq!(up["documents"][0]["version"], "2026-01");
    let refused = body(&answer(&t, &flow, json!({"agreed": []}), "en"));
    assert_eq!(refused["fields"][0]["code"], "required");
    let done = body(&answer(&t, &flow, json!({"agreed": ["terms"]}), "en"));
    assert_eq!(done["status"], "authorization_code");
    let (_, same) = sign(&t, "ada@example.com", "openid", false);
    assert_eq!(
        same["status"], "authorization_code",
        "agreed to this version"
    );

    t.clients.insert(client_with(
        json!({"documents": [terms("2026-06", TERMS_V2)]}),
    ));
    let (flow, again) = sign(&t, "ada@example.com", "openid", false);
    assert_eq!(again["documents"][0]["version"], "2026-06");
    let done = body(&answer(&t, &flow, json!({"agreed": ["terms"]}), "de"));
    assert_eq!(done["status"], "authorization_code");
    let ada = pollster::block_on(t.ports().users.find_by_email("ada@example.com"))
        .unwrap()
        .unwrap();
    let history = pollster::block_on(t.ports().consents.for_user(&ada.id)).unwrap();
    let versions: Vec<(&str, &str, Option<&str>)> = history
        .iter()
        .map(|r| {
            (
                r.document_version.as_str(),
                r.text_sha256.as_str(),
                r.locale.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("2026-06", TERMS_V2, Some("de")),
            ("2026-01", TERMS_V1, Some("en"))
        ]
    );
}

#[test]
fn the_profile_step_is_not_reachable_before_the_sign_in_and_answers_only_what_was_asked() {
    let t = TestPorts::new();
    t.clients.insert(client_with(json!({"attributes": [
        {"attribute": "given_name", "ask": "sign_up"},
    ]})));
    let flow = start_flow(&t, "openid");
    let early = answer(
        &t,
        &flow,
        json!({"attributes": {"given_name": "Eve"}}),
        "en",
    );
    assert_eq!(body(&early)["code"], "step_not_expected");
    // The flow is still usable by its owner.
    let outcome = body(&post_json(
        &t,
        &format!("/v1/flows/{flow}/sign-up"),
        json!({"email": "ada@example.com", "password": PASSWORD}),
    ));
    assert_eq!(asked(&outcome), ["given_name"]);
    let sneaky = body(&answer(
        &t,
        &flow,
        json!({"attributes": {"given_name": "Ada", "customer_tier": "platinum"}}),
        "en",
    ));
    assert_eq!(sneaky["fields"][0]["field"], "customer_tier");
    let done = body(&answer(
        &t,
        &flow,
        json!({"attributes": {"given_name": "Ada"}}),
        "en",
    ));
    assert_eq!(done["status"], "authorization_code");
    // Replaying the answer finds no flow.
    let replay = answer(
        &t,
        &flow,
        json!({"attributes": {"given_name": "Eve"}}),
        "en",
    );
    assert_eq!(body(&replay)["code"], "flow_not_found");
}

#[test]
fn a_policy_is_checked_against_the_schema_and_the_clients_scopes() {
    let scopes = vec!["openid".to_string(), "phone".to_string()];
    let check = |policy: Value| {
        crate::profile::policy::check(&serde_json::from_value(policy).unwrap(), &scopes)
    };
    assert!(
        check(json!({"attributes": [{"attribute": "birthdate", "ask": "scope:phone"}]})).is_ok()
    );
    for bad in [
        json!({"attributes": [{"attribute": "shoe_size", "ask": "sign_up"}]}),
        json!({"attributes": [{"attribute": "customer_tier", "ask": "sign_up"}]}),
        json!({"attributes": [{"attribute": "birthdate", "ask": "sign_in:1"}]}),
        json!({"attributes": [{"attribute": "birthdate", "ask": "scope:address"}]}),
        json!({"documents": [{"purpose": "terms", "version": "1", "text_sha256": "abc"}]}),
    ] {
        assert!(check(bad.clone()).is_err(), "{bad}");
    }
    assert!(serde_json::from_value::<ProfilePolicy>(
        json!({"attributes": [{"attribute": "birthdate", "ask": "sometimes"}]})
    )
    .is_err());
}
