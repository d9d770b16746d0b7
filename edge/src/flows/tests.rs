//! The flow state machine, natively: who may start and step a flow, and that a flow ends
//! exactly once, in a code bound to the PKCE challenge it started with.

use portcullis_shared::api::{FlowOutcome, PasswordSignIn, PasswordSignUp, StartFlow};

use super::*;
use crate::oauth::code;
use crate::testing::TestPorts;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SHOP: &str = "https://shop.example";
const PASSWORD: &str = "correct horse battery staple 42";

fn context() -> RequestContext {
    RequestContext {
        ip_address: Some("198.51.100.7".into()),
        user_agent: None,
        accept_language: None,
        device: None,
        device_token: None,
        url: None,
    }
}

fn caller<'a>(context: &'a RequestContext, origin: Option<&'a str>) -> Caller<'a> {
    Caller {
        origin,
        self_origin: "https://id.example",
        context,
        federation_ticket: None,
    }
}

fn request(challenge: Option<&str>, method: Option<&str>, scope: Option<&str>) -> StartFlow {
    StartFlow {
        client_id: "demo".into(),
        login_hint: None,
        code_challenge: challenge.map(str::to_string),
        code_challenge_method: method.map(str::to_string),
        scope: scope.map(str::to_string),
        nonce: None,
        acr_values: None,
    }
}

fn started(t: &TestPorts, context: &RequestContext) -> String {
    let ports = t.ports();
    let request = request(Some(CHALLENGE), Some("S256"), Some("openid email"));
    pollster::block_on(start(&ports, caller(context, Some(SHOP)), request))
        .unwrap()
        .flow_id
}

fn sign_up(email: &str) -> StepInput {
    StepInput::SignUp(PasswordSignUp {
        email: email.into(),
        password: PASSWORD.into(),
        name: None,
        turnstile_token: None,
    })
}

#[test]
fn rfc7636_4_4_1_a_flow_starts_only_with_an_s256_challenge_known_scopes_and_an_allowed_page() {
    let t = TestPorts::new();
    let ports = t.ports();
    let context = context();
    let start_with =
        |origin, request| pollster::block_on(start(&ports, caller(&context, origin), request));
    let plain = request(Some(CHALLENGE), Some("plain"), None);
    assert_eq!(
        start_with(Some(SHOP), plain).unwrap_err(),
        Error::InvalidField("code_challenge")
    );
    let none = request(None, None, None);
    assert_eq!(
        start_with(Some(SHOP), none).unwrap_err(),
        Error::InvalidField("code_challenge")
    );
    let unknown_scope = request(Some(CHALLENGE), Some("S256"), Some("openid admin"));
    assert_eq!(
        start_with(Some(SHOP), unknown_scope).unwrap_err(),
        Error::InvalidField("scope")
    );
    let elsewhere = request(Some(CHALLENGE), Some("S256"), None);
    assert!(matches!(
        start_with(Some("https://evil.example"), elsewhere),
        Err(Error::OriginNotAllowed { .. })
    ));
    // A server-side caller sends no Origin: it may start a flow, and gets a code only
    // with the PKCE verifier it holds.
    let server = request(Some(CHALLENGE), Some("S256"), None);
    assert!(start_with(None, server).is_ok());
}

#[test]
fn a_flow_ends_exactly_once_in_a_code_bound_to_its_challenge() {
    let t = TestPorts::new();
    let ports = t.ports();
    let context = context();
    let flow_id = started(&t, &context);
    let done = pollster::block_on(step(
        &ports,
        caller(&context, Some(SHOP)),
        &flow_id,
        sign_up("ada@example.com"),
    ))
    .unwrap();
    let FlowOutcome::AuthorizationCode {
        authorization_code, ..
    } = done.outcome
    else {
        panic!("an embedded flow ends in a code: {:?}", done.outcome);
    };
    assert_eq!(done.session, None, "no SSO session for an embedded flow");

    // The flow is spent: neither another step nor a cancel finds it.
    let again = pollster::block_on(step(
        &ports,
        caller(&context, Some(SHOP)),
        &flow_id,
        StepInput::Password(PasswordSignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            turnstile_token: None,
        }),
    ));
    assert_eq!(again.unwrap_err(), Error::FlowNotFound);
    assert_eq!(
        pollster::block_on(cancel(&ports, &flow_id)).unwrap_err(),
        Error::FlowNotFound
    );

    // The code carries the flow's challenge: only the matching verifier redeems it.
    let record = pollster::block_on(code::redeem(&ports, &authorization_code))
        .unwrap()
        .unwrap();
    assert!(record.code_challenge.verify(VERIFIER));
    assert!(!record.code_challenge.verify(&"x".repeat(43)));
    assert_eq!(record.amr, crate::amr::Amr::password());
    assert_eq!(record.redirect_uri, None);
}

#[test]
fn a_page_the_client_does_not_allow_cannot_step_a_flow() {
    let t = TestPorts::new();
    let ports = t.ports();
    let context = context();
    let flow_id = started(&t, &context);
    let refused = pollster::block_on(step(
        &ports,
        caller(&context, Some("https://evil.example")),
        &flow_id,
        sign_up("mallory@example.com"),
    ));
    assert!(matches!(refused, Err(Error::OriginNotAllowed { .. })));
    // Nothing was created for the refused page.
    let created = pollster::block_on(ports.users.find_by_email("mallory@example.com")).unwrap();
    assert_eq!(created, None);
}

#[test]
fn a_cancelled_flow_is_gone_and_junk_handles_find_nothing() {
    let t = TestPorts::new();
    let ports = t.ports();
    let context = context();
    let flow_id = started(&t, &context);
    pollster::block_on(cancel(&ports, &flow_id)).unwrap();
    let after = pollster::block_on(step(
        &ports,
        caller(&context, Some(SHOP)),
        &flow_id,
        sign_up("ada@example.com"),
    ));
    assert_eq!(after.unwrap_err(), Error::FlowNotFound);
    for junk in ["", "flow", "../../etc", &"A".repeat(200)] {
        let found = pollster::block_on(step(
            &ports,
            caller(&context, Some(SHOP)),
            junk,
            sign_up("ada@example.com"),
        ));
        assert_eq!(found.unwrap_err(), Error::FlowNotFound, "{junk}");
    }
}
