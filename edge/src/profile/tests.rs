//! The profile schema's checks, who may change what, the claims each scope releases, and
//! `/v1/me/profile` through the HTTP surface on the in-memory ports.

use portcullis_shared::profile::FieldProblem;
use serde_json::{json, Value};

use super::*;
use crate::api::oidc_tests::{
    call, claims as jwt_claims, json as body, post_form, redeem, refresh, request, start_flow,
    userinfo, ISSUER, PASSWORD,
};
use crate::http::Method;
use crate::testing::{demo_client, user, FixedClock, TestPorts};

const ACCOUNT_API: &str = "http://localhost:8787/v1/me";
const PAGE: &str = "https://shop.example";

fn check(name: &str, value: Value) -> Result<Option<Value>, FieldProblem> {
    attribute(name)
        .expect("in the schema")
        .check(&value, FixedClock::START)
}

#[test]
fn e164_phone_numbers_are_normalised_and_anything_else_is_refused() {
    assert_eq!(
        check("phone_number", json!("+33 6 12-34.56 78")),
        Ok(Some(json!("+33612345678")))
    );
    for bad in [
        "0612345678",
        "+0612345678",
        "+33 6 12 34 56 78 90 12 34",
        "+1 (555) CALL-NOW",
        "+123",
        "++33612345678",
    ] {
        assert_eq!(
            check("phone_number", json!(bad)),
            Err(FieldProblem::InvalidPhoneNumber),
            "{bad}"
        );
    }
}

#[test]
fn oidc_core_5_1_birthdate_is_a_real_iso_8601_date_not_in_the_future() {
    assert_eq!(
        check("birthdate", json!("2000-02-29")),
        Ok(Some(json!("2000-02-29")))
    );
    for bad in [
        "1999-02-29",
        "2023-13-01",
        "2023-04-31",
        "01/02/1990",
        "1990-1-2",
        "1899-12-31",
        "１９９０-01-01",
    ] {
        assert_eq!(
            check("birthdate", json!(bad)),
            Err(FieldProblem::InvalidDate),
            "{bad}"
        );
    }
    // FixedClock::START is 2026-01-01.
    assert_eq!(
        check("birthdate", json!("2026-01-01")),
        Ok(Some(json!("2026-01-01")))
    );
    assert_eq!(
        check("birthdate", json!("2026-01-02")),
        Err(FieldProblem::DateInFuture)
    );
}

#[test]
fn each_type_checks_its_values() {
    assert_eq!(check("country", json!("fr")), Ok(Some(json!("FR"))));
    assert_eq!(
        check("country", json!("XX")),
        Err(FieldProblem::InvalidCountry)
    );
    assert_eq!(check("locale", json!("FR-ca")), Ok(Some(json!("fr-ca"))));
    assert_eq!(
        check("locale", json!("français")),
        Err(FieldProblem::InvalidLocale)
    );
    assert_eq!(
        check("zoneinfo", json!("America/Argentina/Buenos_Aires")),
        Ok(Some(json!("America/Argentina/Buenos_Aires")))
    );
    assert_eq!(
        check("zoneinfo", json!("Mars/Olympus")),
        Err(FieldProblem::InvalidTimeZone)
    );
    assert_eq!(check("sms_updates", json!(true)), Ok(Some(json!(true))));
    assert_eq!(
        check("sms_updates", json!("yes")),
        Err(FieldProblem::InvalidBoolean)
    );
    assert_eq!(
        check("customer_tier", json!("gold")),
        Ok(Some(json!("gold")))
    );
    assert_eq!(
        check("customer_tier", json!("diamond")),
        Err(FieldProblem::InvalidOption)
    );
    assert_eq!(
        check("given_name", json!("a".repeat(101))),
        Err(FieldProblem::TooLong)
    );
    assert_eq!(
        check("given_name", json!("Ada\u{0}")),
        Err(FieldProblem::NotText)
    );
    assert_eq!(check("given_name", json!(42)), Err(FieldProblem::NotText));
    // An empty value or null clears the attribute.
    assert_eq!(check("given_name", json!("  ")), Ok(None));
    assert_eq!(check("birthdate", Value::Null), Ok(None));
}

fn change(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

#[test]
fn a_person_changes_their_own_attributes_not_admin_or_hook_ones_and_a_refusal_changes_nothing() {
    let ada = user("ada", "ada@example.com");
    let refused = apply(
        &ada,
        &change(
            json!({"given_name": "Ada", "customer_tier": "gold", "crm_segment": "x",
                        "shoe_size": 42, "birthdate": "yesterday"}),
        ),
        Editor::Person,
        FixedClock::START,
    )
    .expect_err("refused");
    let mut problems = refused.0.clone();
    problems.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        problems,
        [
            ("birthdate".to_string(), FieldProblem::InvalidDate),
            ("crm_segment".to_string(), FieldProblem::UnknownAttribute),
            ("customer_tier".to_string(), FieldProblem::NotEditable),
            ("shoe_size".to_string(), FieldProblem::UnknownAttribute),
        ]
    );
    let (admin_changed, names) = apply(
        &ada,
        &change(json!({"customer_tier": "gold", "crm_segment": "vip"})),
        Editor::Admin,
        FixedClock::START,
    )
    .expect("an administrator may");
    assert_eq!(names, ["customer_tier", "crm_segment"]);
    let seen = view(&admin_changed, Editor::Person);
    assert_eq!(seen.attributes["customer_tier"], "gold");
    assert!(
        !seen.attributes.contains_key("crm_segment")
            && !seen.schema.iter().any(|a| a.name == "crm_segment"),
        "hook-only attributes are not shown to the person"
    );
    let tier = seen
        .schema
        .iter()
        .find(|a| a.name == "customer_tier")
        .unwrap();
    assert!(!tier.editable);
    assert_eq!(tier.options, ["standard", "gold", "platinum"]);
    let phone = seen
        .schema
        .iter()
        .find(|a| a.name == "phone_number")
        .unwrap();
    assert_eq!(
        (phone.input_type.as_str(), phone.autocomplete.as_deref()),
        ("tel", Some("tel"))
    );
}

#[test]
fn field_errors_are_in_the_persons_language() {
    let refused = Refused(vec![("birthdate".into(), FieldProblem::InvalidDate)]);
    let french = refused.field_errors(&crate::i18n::Words::for_tag("fr"));
    let english = refused.field_errors(&crate::i18n::Words::for_tag("en"));
    assert_eq!(french[0].code, FieldProblem::InvalidDate);
    assert_ne!(french[0].message, english[0].message);
    assert!(!french[0].message.starts_with("profile."));
    for problem in FieldProblem::ALL {
        let key = format!("profile.{}", problem.as_str());
        for lang in portcullis_shared::messages::LANGUAGES {
            assert_ne!(
                crate::i18n::Words::for_tag(lang).get(&key),
                key,
                "{lang} lacks {key}"
            );
        }
    }
}

#[test]
fn oidc_core_5_4_each_scope_releases_only_its_claims() {
    let mut ada = user("ada", "ada@example.com");
    ada.given_name = Some("Ada".into());
    for (name, value) in [
        ("birthdate", json!("1990-04-01")),
        ("phone_number", json!("+33612345678")),
        ("country", json!("FR")),
        ("customer_tier", json!("gold")),
        ("sms_updates", json!(true)),
    ] {
        ada.profile.insert(name.into(), value);
    }
    let holder = ada.holder();
    let released = |scopes: &'static str| {
        let granted = crate::oauth::scope::Scopes::parse(scopes);
        claims(&holder, |s| granted.has(s))
    };
    let none = released("openid email");
    assert!(none.is_empty(), "{none:?}");
    let profile = released("openid profile");
    assert_eq!(profile["birthdate"], "1990-04-01");
    assert_eq!(profile["given_name"], "Ada");
    assert!(!profile.contains_key("phone_number") && !profile.contains_key("customer_tier"));
    let phone = released("openid phone");
    assert_eq!(phone["phone_number"], "+33612345678");
    assert_eq!(phone["phone_number_verified"], false);
    assert!(!phone.contains_key("birthdate"));
    assert_eq!(
        released("openid address")["address"],
        json!({"country": "FR"})
    );
}

/// A client allowed every standard scope.
fn all_scopes_client(t: &TestPorts) {
    t.clients.insert(crate::clients::Client {
        allowed_scopes: crate::oauth::scope::Scopes::parse(
            "openid profile email phone address offline_access account",
        ),
        ..demo_client()
    });
}

/// Signs `email` up asking `scope`; the tokens for the issuer and an account-API token.
fn signed_up(t: &TestPorts, email: &str, scope: &str) -> (Value, String) {
    let flow = start_flow(t, scope);
    let outcome = body(&call(
        t,
        request(
            Method::Post,
            &format!("/v1/flows/{flow}/sign-up"),
            &[("content-type", "application/json"), ("origin", PAGE)],
            &json!({"email": email, "password": PASSWORD}).to_string(),
        ),
    ));
    let tokens = body(&redeem(t, outcome["authorization_code"].as_str().unwrap()));
    let account = body(&post_form(
        t,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "demo"),
            ("resource", ACCOUNT_API),
        ],
        &[("origin", PAGE)],
    ));
    let account_token = account["access_token"].as_str().unwrap().to_string();
    (tokens, account_token)
}

fn me_profile(
    t: &TestPorts,
    token: &str,
    patch: Option<Value>,
    language: &str,
) -> crate::http::Response {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("origin", PAGE),
        ("content-type", "application/json"),
        ("accept-language", language),
    ];
    match patch {
        Some(patch) => call(
            t,
            request(
                Method::Patch,
                "/v1/me/profile",
                &headers,
                &patch.to_string(),
            ),
        ),
        None => call(t, request(Method::Get, "/v1/me/profile", &headers, "")),
    }
}

#[test]
fn v1_me_profile_changes_reach_userinfo_and_the_next_id_token_and_are_logged_without_values() {
    let t = TestPorts::new();
    all_scopes_client(&t);
    let (tokens, account) = signed_up(
        &t,
        "ada@example.com",
        "openid profile phone offline_access account",
    );
    let changed = me_profile(
        &t,
        &account,
        Some(
            json!({"given_name": "Ada", "birthdate": "1990-04-01", "phone_number": "+33 6 12 34 56 78"}),
        ),
        "en",
    );
    assert_eq!(changed.status, 200, "{}", body(&changed));
    assert_eq!(body(&changed)["attributes"]["phone_number"], "+33612345678");
    let read = body(&me_profile(&t, &account, None, "en"));
    assert_eq!(read["attributes"]["birthdate"], "1990-04-01");

    // The grant heard of the change: userinfo and a refreshed ID token carry it.
    let info = body(&userinfo(&t, tokens["access_token"].as_str().unwrap()));
    assert_eq!(info["phone_number"], "+33612345678");
    assert_eq!(info["birthdate"], "1990-04-01");
    assert_eq!(info["given_name"], "Ada");
    let refreshed = body(&refresh(&t, tokens["refresh_token"].as_str().unwrap()));
    let id = jwt_claims(refreshed["id_token"].as_str().unwrap());
    assert_eq!(id["birthdate"], "1990-04-01");
    assert_eq!(id["phone_number"], "+33612345678");
    assert_eq!(id["iss"], ISSUER);

    // The export holds every attribute.
    let bearer = format!("Bearer {account}");
    let export = body(&call(
        &t,
        request(
            Method::Get,
            "/v1/me/export",
            &[("authorization", bearer.as_str()), ("origin", PAGE)],
            "",
        ),
    ));
    assert_eq!(export["profile"]["attributes"]["birthdate"], "1990-04-01");
    assert_eq!(
        export["profile"]["attributes"]["phone_number"],
        "+33612345678"
    );

    let events = t.events.events.borrow();
    let event = events
        .iter()
        .find(|e| e.event_type == "user.account.update_profile")
        .expect("logged");
    let logged = serde_json::to_string(event).unwrap();
    assert!(logged.contains("\"birthdate\"") && !logged.contains("1990-04-01"));
    assert!(!logged.contains("+33612345678"));
}

#[test]
fn v1_me_profile_refuses_bad_values_with_field_errors_in_the_persons_language_and_changes_nothing()
{
    let t = TestPorts::new();
    let (_, account) = signed_up(
        &t,
        "ada@example.com",
        "openid profile offline_access account",
    );
    let refused = me_profile(
        &t,
        &account,
        Some(json!({"given_name": "Ada", "birthdate": "2023-02-30", "customer_tier": "platinum"})),
        "de-DE,de;q=0.9",
    );
    assert_eq!(refused.status, 400);
    let refused = body(&refused);
    assert_eq!(refused["code"], "invalid_profile");
    let fields = refused["fields"].as_array().unwrap();
    let code_of = |f: &str| {
        fields.iter().find(|e| e["field"] == f).map(|e| {
            (
                e["code"].clone(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
    };
    let (date, date_message) = code_of("birthdate").unwrap();
    assert_eq!(date, "invalid_date");
    assert_eq!(
        date_message,
        crate::i18n::Words::for_tag("de").get("profile.invalid_date")
    );
    assert_eq!(code_of("customer_tier").unwrap().0, "not_editable");
    assert!(code_of("given_name").is_none());
    let read = body(&me_profile(&t, &account, None, "en"));
    assert!(
        read["attributes"].get("given_name").is_none(),
        "nothing changed"
    );
}

#[test]
fn v1_me_profile_reads_and_writes_only_the_tokens_person() {
    let t = TestPorts::new();
    let (_, ada) = signed_up(
        &t,
        "ada@example.com",
        "openid profile offline_access account",
    );
    let (_, bob) = signed_up(
        &t,
        "bob@example.com",
        "openid profile offline_access account",
    );
    me_profile(&t, &ada, Some(json!({"birthdate": "1990-04-01"})), "en");
    let bobs = body(&me_profile(&t, &bob, None, "en"));
    assert!(bobs["attributes"].get("birthdate").is_none());
    // No parameter names anyone: a `sub` or `id` in the body is just an unknown attribute.
    let refused = body(&me_profile(&t, &bob, Some(json!({"sub": "ada"})), "en"));
    assert_eq!(refused["fields"][0]["code"], "unknown_attribute");
    let no_token = call(
        &t,
        request(Method::Get, "/v1/me/profile", &[("origin", PAGE)], ""),
    );
    assert_eq!(no_token.status, 401);
}
