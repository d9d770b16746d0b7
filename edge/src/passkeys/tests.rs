use super::*;
use crate::testing::TestPorts;

fn stored(name: &str) -> StoredCredential {
    StoredCredential {
        user_id: "u".into(),
        record: crate::webauthn::CredentialRecord {
            id: name.as_bytes().to_vec(),
            public_key: Vec::new(),
            sign_count: 0,
            uv_initialized: true,
            backup_eligible: false,
            backup_state: false,
        },
        transports: vec!["internal".into(), "carrier-pigeon".into()],
        name: name.into(),
        created_at: UnixMillis(1_000_000),
        last_used_at: None,
    }
}

#[test]
fn the_rp_id_is_the_issuer_host_unless_configured() {
    let mut t = TestPorts::new();
    assert_eq!(rp_id(&t.ports(), "http://localhost:8787"), "localhost");
    assert_eq!(
        rp_id(&t.ports(), "https://id.example.com"),
        "id.example.com"
    );
    assert_eq!(
        rp_id(&t.ports(), "https://id.example.com:8443/base"),
        "id.example.com"
    );
    t.settings.rp_id = Some("example.com".into());
    assert_eq!(rp_id(&t.ports(), "https://id.example.com"), "example.com");
}

#[test]
fn the_relying_party_accepts_the_issuer_and_the_client_origins() {
    let t = TestPorts::new();
    let rp = relying_party(
        &t.ports(),
        "https://id.example.com",
        &["https://shop.example".into()],
    );
    assert_eq!(
        rp.origins,
        ["https://id.example.com", "https://shop.example"]
    );
}

#[test]
fn new_passkeys_get_the_first_free_default_name() {
    assert_eq!(default_name(&[]), "Passkey");
    assert_eq!(default_name(&[stored("Passkey")]), "Passkey 2");
    assert_eq!(
        default_name(&[stored("Passkey"), stored("Passkey 2")]),
        "Passkey 3"
    );
    assert_eq!(default_name(&[stored("Work laptop")]), "Passkey");
}

#[test]
fn passkey_names_are_trimmed_bounded_and_printable() {
    assert_eq!(clean_name("  Phone ").unwrap(), "Phone");
    assert_eq!(
        clean_name(&"é".repeat(MAX_NAME_CHARS))
            .unwrap()
            .chars()
            .count(),
        64
    );
    for bad in ["", "   ", "tab\there", &"x".repeat(MAX_NAME_CHARS + 1)] {
        assert_eq!(clean_name(bad), Err(Error::InvalidField("name")), "{bad:?}");
    }
}

#[test]
fn unknown_transports_are_dropped_from_descriptors() {
    let descriptor = descriptor(&stored("Phone"));
    assert_eq!(
        descriptor.transports,
        Some(vec![AuthenticatorTransport::Internal])
    );
}

#[test]
fn summaries_show_ids_as_base64url_and_times_in_seconds() {
    let summary = summary(&stored("Phone"));
    assert_eq!(summary.id, "UGhvbmU");
    assert_eq!(summary.created_at, 1000);
    assert_eq!(decode_credential_id(&summary.id).unwrap(), b"Phone");
    assert_eq!(decode_credential_id(""), None);
    assert_eq!(decode_credential_id("not base64!"), None);
}
