//! Consent records through the core, on the in-memory ports.

use pollster::block_on;
use portcullis_shared::consent::{ConsentChange, ConsentMethod, ConsentState};

use super::*;
use crate::testing::{demo_client, request_from, user, TestPorts};

const TERMS_V1: &str = "1c8b6e1fb6a5c0cbd0f1b0e4a5d4b2c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5";
const TERMS_V2: &str = "2d9c7f20c7b6d1dce1f2c1f5b6e5c3d2f1fad9d8c7b6f5f4e3d2c1b0a9f8e7d6";

fn context() -> RequestContext {
    request_from("198.51.100.7", "Mozilla/5.0 (test)", None)
}

fn account(id: &str) -> Account {
    Account {
        user: user(id, &format!("{id}@example.com")),
        client: demo_client(),
        auth_time: None,
        multi_factor: false,
        grant: None,
    }
}

fn change(purpose: &str, state: ConsentState, version: &str, hash: &str) -> ConsentChange {
    ConsentChange {
        purpose: purpose.into(),
        state,
        document_version: version.into(),
        text_sha256: hash.into(),
        method: None,
        locale: Some("fr-CA".into()),
    }
}

fn grant(
    t: &TestPorts,
    who: &Account,
    c: ConsentChange,
    gpc: bool,
) -> Result<ConsentRecorded, Error> {
    block_on(record(&t.ports(), &context(), who, &c, gpc))
}

#[test]
fn a_new_document_version_appends_a_record_and_the_history_keeps_both_versions_with_hashes() {
    let t = TestPorts::new();
    let ada = account("ada");
    grant(
        &t,
        &ada,
        change("terms", ConsentState::Granted, "2026-01", TERMS_V1),
        false,
    )
    .unwrap();
    t.clock.advance_seconds(60);
    grant(
        &t,
        &ada,
        change("terms", ConsentState::Granted, "2026-06", TERMS_V2),
        false,
    )
    .unwrap();
    let listed = block_on(list(&t.ports(), &ada)).unwrap();
    assert_eq!(listed.current.len(), 1);
    assert_eq!(listed.current[0].document_version, "2026-06");
    let versions: Vec<(&str, &str)> = listed
        .history
        .iter()
        .map(|r| (r.document_version.as_str(), r.text_sha256.as_str()))
        .collect();
    assert_eq!(versions, [("2026-06", TERMS_V2), ("2026-01", TERMS_V1)]);
    let first = &listed.history[1];
    assert_eq!(first.method, ConsentMethod::Widget);
    assert_eq!(first.locale.as_deref(), Some("fr-CA"));
    assert_eq!(first.client_id.as_deref(), Some("demo"));
}

#[test]
fn each_record_is_a_system_log_event_that_the_record_names() {
    let t = TestPorts::new();
    let ada = account("ada");
    let granted = grant(
        &t,
        &ada,
        change("marketing_email", ConsentState::Granted, "1", TERMS_V1),
        false,
    )
    .unwrap();
    let withdrawn = grant(
        &t,
        &ada,
        change("marketing_email", ConsentState::Withdrawn, "1", TERMS_V1),
        false,
    )
    .unwrap();
    let events = t.events.events.borrow();
    for (recorded, event_type) in [
        (&granted, types::CONSENT_GRANT),
        (&withdrawn, types::CONSENT_WITHDRAW),
    ] {
        let record = &recorded.records[0];
        let event = events
            .iter()
            .find(|e| e.uuid == record.event_id)
            .expect("the record's event");
        assert_eq!(event.event_type, event_type);
        assert_eq!(event.actor.id, "ada");
        assert_eq!(event.request.ip_address.as_deref(), Some("198.51.100.7"));
        assert!(event
            .target
            .iter()
            .any(|p| p.kind == "Consent" && p.id == record.id));
    }
    let stored = block_on(t.ports().consents.for_user("ada")).unwrap();
    assert_eq!(stored[0].ip_address.as_deref(), Some("198.51.100.7"));
    assert_eq!(stored[0].user_agent.as_deref(), Some("Mozilla/5.0 (test)"));
}

#[test]
fn gpc_withdraws_sale_and_sharing_refuses_to_grant_them_and_is_recorded() {
    let t = TestPorts::new();
    let ada = account("ada");
    grant(
        &t,
        &ada,
        change("sale_of_data", ConsentState::Granted, "1", TERMS_V1),
        false,
    )
    .unwrap();
    grant(
        &t,
        &ada,
        change("analytics", ConsentState::Granted, "1", TERMS_V1),
        false,
    )
    .unwrap();
    let refused = grant(
        &t,
        &ada,
        change(
            "cross_context_advertising",
            ConsentState::Granted,
            "1",
            TERMS_V1,
        ),
        true,
    );
    assert!(matches!(refused, Err(Error::ConsentOptedOutByGpc)));
    // Any write under the signal withdraws what it opts out of, and notes the signal.
    let recorded = grant(
        &t,
        &ada,
        change("terms", ConsentState::Granted, "1", TERMS_V1),
        true,
    )
    .unwrap();
    let written: Vec<(&str, ConsentState, ConsentMethod, bool)> = recorded
        .records
        .iter()
        .map(|r| (r.purpose.as_str(), r.state, r.method, r.gpc))
        .collect();
    assert_eq!(
        written,
        [
            (
                "sale_of_data",
                ConsentState::Withdrawn,
                ConsentMethod::Gpc,
                true
            ),
            ("terms", ConsentState::Granted, ConsentMethod::Widget, true),
        ]
    );
    let listed = block_on(list(&t.ports(), &ada)).unwrap();
    let state = |p: &str| {
        listed
            .current
            .iter()
            .find(|r| r.purpose == p)
            .map(|r| r.state)
    };
    assert_eq!(state("sale_of_data"), Some(ConsentState::Withdrawn));
    assert_eq!(
        state("analytics"),
        Some(ConsentState::Granted),
        "analytics is not a sale"
    );
    assert!(gpc_signal(Some("1")) && gpc_signal(Some(" 1 ")));
    assert!(!gpc_signal(Some("0")) && !gpc_signal(Some("true")) && !gpc_signal(None));
}

#[test]
fn malformed_changes_name_the_field_and_store_nothing() {
    let t = TestPorts::new();
    let ada = account("ada");
    let good = change("terms", ConsentState::Granted, "1", TERMS_V1);
    let cases: Vec<(ConsentChange, &str)> = vec![
        (
            ConsentChange {
                purpose: "".into(),
                ..good.clone()
            },
            "purpose",
        ),
        (
            ConsentChange {
                purpose: "Terms".into(),
                ..good.clone()
            },
            "purpose",
        ),
        (
            ConsentChange {
                purpose: "a".repeat(65),
                ..good.clone()
            },
            "purpose",
        ),
        (
            ConsentChange {
                document_version: "".into(),
                ..good.clone()
            },
            "document_version",
        ),
        (
            ConsentChange {
                document_version: "v 1".into(),
                ..good.clone()
            },
            "document_version",
        ),
        (
            ConsentChange {
                text_sha256: "abc".into(),
                ..good.clone()
            },
            "text_sha256",
        ),
        (
            ConsentChange {
                text_sha256: TERMS_V1.to_uppercase(),
                ..good.clone()
            },
            "text_sha256",
        ),
        (
            ConsentChange {
                method: Some(ConsentMethod::Admin),
                ..good.clone()
            },
            "method",
        ),
        (
            ConsentChange {
                method: Some(ConsentMethod::Gpc),
                ..good.clone()
            },
            "method",
        ),
        (
            ConsentChange {
                locale: Some("fr_CA<script>".into()),
                ..good.clone()
            },
            "locale",
        ),
    ];
    for (bad, field) in cases {
        match grant(&t, &ada, bad.clone(), false) {
            Err(Error::InvalidField(named)) => assert_eq!(named, field, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(block_on(t.ports().consents.for_user("ada"))
        .unwrap()
        .is_empty());
    assert!(serde_json::from_str::<ConsentChange>(
        r#"{"purpose":"terms","state":"maybe","document_version":"1","text_sha256":"x"}"#
    )
    .is_err());
    assert!(serde_json::from_str::<ConsentChange>(
        r#"{"purpose":"terms","state":"granted","document_version":"1","text_sha256":"x","user_id":"bob"}"#
    )
    .is_err(), "no field names another person");
}

#[test]
fn another_persons_records_and_receipts_are_out_of_reach() {
    let t = TestPorts::new();
    let (ada, bob) = (account("ada"), account("bob"));
    let adas = grant(
        &t,
        &ada,
        change("terms", ConsentState::Granted, "1", TERMS_V1),
        false,
    )
    .unwrap();
    let id = &adas.records[0].id;
    let bobs = block_on(list(&t.ports(), &bob)).unwrap();
    assert!(bobs.current.is_empty() && bobs.history.is_empty());
    let refused = block_on(receipt(&t.ports(), "https://id.example", &bob, id));
    assert!(matches!(refused, Err(Error::ConsentNotFound)));
    let unknown = block_on(receipt(&t.ports(), "https://id.example", &bob, "nope"));
    assert_eq!(
        refused.unwrap_err().to_response().body,
        unknown.unwrap_err().to_response().body,
        "someone else's id answers like an unknown one"
    );
}

#[test]
fn kantara_consent_receipt_v1_1_carries_the_record() {
    let t = TestPorts::new();
    let ada = account("ada");
    let recorded = grant(
        &t,
        &ada,
        change("terms", ConsentState::Granted, "2026-06", TERMS_V2),
        false,
    )
    .unwrap();
    let record = &recorded.records[0];
    let receipt = block_on(receipt(&t.ports(), "https://id.example", &ada, &record.id)).unwrap();
    assert_eq!(receipt["version"], "KI-CR-v1.1.0");
    assert_eq!(receipt["consentReceiptID"], record.id.as_str());
    assert_eq!(receipt["piiPrincipalId"], "ada");
    assert_eq!(receipt["consentTimestamp"], record.recorded_at);
    assert_eq!(receipt["language"], "fr-CA");
    assert_eq!(receipt["collectionMethod"], "widget");
    assert_eq!(
        receipt["piiControllers"][0]["piiControllerUrl"],
        "https://id.example"
    );
    let purpose = &receipt["services"][0]["purposes"][0];
    assert_eq!(receipt["services"][0]["service"], "demo");
    assert_eq!(purpose["purpose"], "terms");
    assert_eq!(purpose["consentType"], "EXPLICIT");
    assert_eq!(purpose["portcullis:documentVersion"], "2026-06");
    assert_eq!(purpose["portcullis:textSha256"], TERMS_V2);
    assert_eq!(purpose["portcullis:eventId"], record.event_id.as_str());
    for member in ["jurisdiction", "policyUrl", "sensitive", "spiCat"] {
        assert!(receipt.get(member).is_some(), "{member}");
    }
}
