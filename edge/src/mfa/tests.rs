//! The MFA decision and the second-factor steps of a flow, natively through the flow
//! API and the in-memory stores.

use data_encoding::BASE32_NOPAD;
use portcullis_shared::api::{
    FlowOutcome, PasswordSignIn, PasswordSignUp, SecondFactorMethod, StartFlow,
};

use super::*;
use crate::amr::Method;
use crate::crypto::totp::TotpSecret;
use crate::events::RequestContext;
use crate::flows::second_factor::{self, CodeKind};
use crate::flows::{self, Caller, Completed, StepInput};
use crate::oauth::code;
use crate::ports::Clock;
use crate::testing::{demo_client, TestPorts};

const PASSWORD: &str = "correct horse battery staple 42";
const EMAIL: &str = "ada@example.com";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn enrolled(apps: usize) -> Enrolled {
    Enrolled {
        authenticator_apps: apps,
        recovery_codes: if apps > 0 { 10 } else { 0 },
        security_keys: 0,
    }
}

fn client(mfa: MfaPolicy) -> Client {
    Client {
        mfa,
        ..demo_client()
    }
}

#[test]
fn one_decision_the_policy_the_account_the_authentication_the_step_up_and_the_risk() {
    use MfaPolicy::*;
    use Requirement::*;
    let pwd = Amr::password();
    let passkey = Amr::of(&[Method::Swk, Method::User, Method::Mfa]);
    let ask = StepUp::MultiFactor;
    let no = StepUp::NotAsked;
    let calm = Risk::NotElevated;
    let risky = Risk::Elevated;
    let cases = [
        // (policy, apps, amr, step-up, risk) -> requirement
        (Off, 0, &pwd, no, calm, Satisfied),
        (Off, 1, &pwd, no, calm, Satisfied),
        (Off, 1, &pwd, no, risky, Challenge),
        (Off, 0, &pwd, no, risky, Satisfied),
        (Off, 0, &pwd, ask, calm, Enrol),
        (Off, 1, &pwd, ask, calm, Challenge),
        (Optional, 0, &pwd, no, calm, Satisfied),
        (Optional, 1, &pwd, no, calm, Challenge),
        (Optional, 0, &pwd, no, risky, Satisfied),
        (Optional, 1, &pwd, no, risky, Challenge),
        (Optional, 0, &pwd, ask, calm, Enrol),
        (Required, 0, &pwd, no, calm, Enrol),
        (Required, 1, &pwd, no, calm, Challenge),
        // A passkey with user verification is two factors in one.
        (Required, 0, &passkey, ask, risky, Satisfied),
        (Optional, 1, &passkey, no, calm, Satisfied),
    ];
    for (policy, apps, amr, step_up, risk, expected) in cases {
        assert_eq!(
            requirement(&client(policy), &enrolled(apps), amr, step_up, risk),
            expected,
            "{policy:?} apps={apps} amr={amr:?} {step_up:?} {risk:?}"
        );
    }
}

#[test]
fn oidc_core_3_1_2_1_acr_values_ask_for_mfa_only_with_the_multi_factor_value() {
    let mfa = crate::oauth::tokens::ACR_MULTI_FACTOR;
    assert_eq!(StepUp::from_acr_values(Some(mfa)), StepUp::MultiFactor);
    assert_eq!(
        StepUp::from_acr_values(Some(&format!("0 {mfa}"))),
        StepUp::MultiFactor
    );
    assert_eq!(StepUp::from_acr_values(Some("0")), StepUp::NotAsked);
    assert_eq!(
        StepUp::from_acr_values(Some("urn:mace:incommon:iap:silver")),
        StepUp::NotAsked
    );
    assert_eq!(StepUp::from_acr_values(None), StepUp::NotAsked);
}

// --- through the flow ------------------------------------------------------------------

fn context() -> RequestContext {
    crate::testing::request_context()
}

fn caller(context: &RequestContext) -> Caller<'_> {
    crate::testing::shop_caller(context)
}

fn set_policy(t: &TestPorts, mfa: MfaPolicy) {
    t.clients.insert(client(mfa));
}

fn start(t: &TestPorts, context: &RequestContext, acr_values: Option<&str>) -> String {
    let request = StartFlow {
        client_id: "demo".into(),
        login_hint: None,
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        scope: Some("openid".into()),
        nonce: None,
        acr_values: acr_values.map(str::to_string),
    };
    pollster::block_on(flows::start(&t.ports(), caller(context), request))
        .unwrap()
        .flow_id
}

fn password(t: &TestPorts, context: &RequestContext, flow_id: &str) -> Result<Completed, Error> {
    let input = StepInput::Password(PasswordSignIn {
        email: EMAIL.into(),
        password: PASSWORD.into(),
        turnstile_token: None,
    });
    pollster::block_on(flows::step(&t.ports(), caller(context), flow_id, input))
}

fn sign_up(t: &TestPorts, context: &RequestContext) -> Completed {
    let flow_id = start(t, context, None);
    let input = StepInput::SignUp(PasswordSignUp {
        email: EMAIL.into(),
        password: PASSWORD.into(),
        name: None,
        turnstile_token: None,
    });
    pollster::block_on(flows::step(&t.ports(), caller(context), &flow_id, input)).unwrap()
}

fn amr_of(t: &TestPorts, done: &Completed) -> Amr {
    let FlowOutcome::AuthorizationCode {
        authorization_code, ..
    } = &done.outcome
    else {
        panic!("expected a code: {:?}", done.outcome);
    };
    pollster::block_on(code::redeem(&t.ports(), authorization_code))
        .unwrap()
        .unwrap()
        .amr
}

fn prove(
    t: &TestPorts,
    context: &RequestContext,
    flow_id: &str,
    kind: CodeKind,
    code: &str,
) -> Result<Completed, Error> {
    pollster::block_on(second_factor::prove(
        &t.ports(),
        caller(context),
        flow_id,
        kind,
        code,
        false,
    ))
}

/// Signs up, then enrols an app on a client that requires one; returns the app (the
/// "phone") and the recovery codes shown.
fn enrol(t: &TestPorts, context: &RequestContext) -> (TotpSecret, Vec<String>) {
    set_policy(t, MfaPolicy::Required);
    let done = sign_up(t, context);
    assert_eq!(done.outcome, FlowOutcome::EnrolSecondFactor);
    let flow_id = start(t, context, None);
    let ports = t.ports();
    // The sign-up flow waits; a new sign-in asks the same.
    assert_eq!(
        password(t, context, &flow_id).unwrap().outcome,
        FlowOutcome::EnrolSecondFactor
    );
    let shown =
        pollster::block_on(second_factor::enrol(&ports, caller(context), &flow_id)).unwrap();
    assert!(shown
        .otpauth_uri
        .starts_with("otpauth://totp/Portcullis%20Demo:ada%40example%2Ecom?secret="));
    assert!(shown.qr_svg.starts_with("<svg"));
    let phone = TotpSecret::from_bytes(BASE32_NOPAD.decode(shown.secret.as_bytes()).unwrap());

    // Enrolment confirmation without a valid code is refused, and the app not stored.
    let wrong = pollster::block_on(second_factor::confirm(
        &ports,
        caller(context),
        &flow_id,
        "000000",
    ));
    assert_eq!(wrong.unwrap_err(), Error::FactorCodeInvalid);
    assert_eq!(
        pollster::block_on(Enrolled::of(&ports, "ignored")).unwrap(),
        Enrolled::default()
    );

    let code = phone.code_at(t.clock.now());
    let done = pollster::block_on(second_factor::confirm(
        &ports,
        caller(context),
        &flow_id,
        &code,
    ))
    .unwrap();
    let codes = done.recovery_codes.clone().unwrap_or_default();
    assert_eq!(codes.len(), recovery::COUNT);
    assert_eq!(
        amr_of(t, &done),
        Amr::of(&[Method::Pwd, Method::Otp, Method::Mfa])
    );
    let mail = t.mailer.last_to(EMAIL).unwrap();
    assert!(
        mail.subject.contains("authenticator app was added"),
        "{}",
        mail.subject
    );
    (phone, codes)
}

#[test]
fn a_client_that_requires_mfa_forces_enrolment_confirmed_by_a_first_code() {
    let t = TestPorts::new();
    let context = context();
    enrol(&t, &context);
    let events = t.events.summary();
    assert!(events
        .iter()
        .any(|(kind, _)| kind == "user.mfa.factor.activate"));
}

#[test]
fn rfc6238_password_then_code_signs_in_and_a_reused_code_is_refused() {
    let t = TestPorts::new();
    let context = context();
    let (phone, _) = enrol(&t, &context);
    t.clock.advance_seconds(60);
    let flow_id = start(&t, &context, None);
    assert_eq!(
        password(&t, &context, &flow_id).unwrap().outcome,
        FlowOutcome::SecondFactor {
            methods: vec![SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
        }
    );
    let code = phone.code_at(t.clock.now());
    let done = prove(&t, &context, &flow_id, CodeKind::Totp, &code).unwrap();
    assert!(amr_of(&t, &done).is_multi_factor());

    // The same code again, in a new flow (within its 30 s and the ±1 step): refused.
    let again = start(&t, &context, None);
    password(&t, &context, &again).unwrap();
    assert_eq!(
        prove(&t, &context, &again, CodeKind::Totp, &code).unwrap_err(),
        Error::FactorCodeInvalid
    );
    // An expired code (two steps old) too; the current one of the next step works.
    let old = phone.hotp(crate::crypto::totp::step_of(t.clock.now()) - 2);
    assert_eq!(
        prove(&t, &context, &again, CodeKind::Totp, &old).unwrap_err(),
        Error::FactorCodeInvalid
    );
    t.clock.advance_seconds(30);
    let next = phone.code_at(t.clock.now());
    assert!(prove(&t, &context, &again, CodeKind::Totp, &next).is_ok());
}

#[test]
fn five_wrong_codes_throttle_the_account_across_flows_even_for_the_right_code() {
    let t = TestPorts::new();
    let context = context();
    let (phone, codes) = enrol(&t, &context);
    t.clock.advance_seconds(60);
    // Each flow survives MAX_FAILURES - 1 wrong codes; the attacker starts new flows.
    let mut wrong = 0;
    while wrong < MAX_WRONG_CODES {
        let flow_id = start(&t, &context, None);
        password(&t, &context, &flow_id).unwrap();
        for _ in 0..2 {
            if wrong < MAX_WRONG_CODES {
                assert_eq!(
                    prove(&t, &context, &flow_id, CodeKind::Totp, "123456").unwrap_err(),
                    Error::FactorCodeInvalid
                );
                wrong += 1;
            }
        }
    }
    let flow_id = start(&t, &context, None);
    password(&t, &context, &flow_id).unwrap();
    let right = phone.code_at(t.clock.now());
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::Totp, &right).unwrap_err(),
        Error::Throttled
    );
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::RecoveryCode, &codes[0]).unwrap_err(),
        Error::Throttled
    );
    assert!(t
        .events
        .summary()
        .iter()
        .any(|(kind, outcome)| kind == "user.authentication.auth_via_mfa" && outcome != "SUCCESS"));
    // After the window, the owner's right code works again.
    t.clock.advance_seconds(CODE_WINDOW_SECONDS);
    let flow_id = start(&t, &context, None);
    password(&t, &context, &flow_id).unwrap();
    let right = phone.code_at(t.clock.now());
    assert!(prove(&t, &context, &flow_id, CodeKind::Totp, &right).is_ok());
}

#[test]
fn a_recovery_code_works_once_and_its_use_is_emailed_to_the_owner() {
    let t = TestPorts::new();
    let context = context();
    let (_, codes) = enrol(&t, &context);
    let flow_id = start(&t, &context, None);
    password(&t, &context, &flow_id).unwrap();
    let done = prove(&t, &context, &flow_id, CodeKind::RecoveryCode, &codes[3]).unwrap();
    assert!(amr_of(&t, &done).is_multi_factor());
    let mail = t.mailer.last_to(EMAIL).unwrap();
    assert!(
        mail.subject.contains("recovery code was used"),
        "{}",
        mail.subject
    );

    let again = start(&t, &context, None);
    password(&t, &context, &again).unwrap();
    assert_eq!(
        prove(&t, &context, &again, CodeKind::RecoveryCode, &codes[3]).unwrap_err(),
        Error::FactorCodeInvalid
    );
}

#[test]
fn someone_who_knows_only_the_address_reaches_no_second_factor_step() {
    let t = TestPorts::new();
    let context = context();
    let (phone, codes) = enrol(&t, &context);
    let flow_id = start(&t, &context, None);
    // No first factor: every second-factor step is refused and the flow stays usable.
    let code = phone.code_at(t.clock.now());
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::Totp, &code).unwrap_err(),
        Error::StepNotExpected
    );
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::RecoveryCode, &codes[0]).unwrap_err(),
        Error::StepNotExpected
    );
    let ports = t.ports();
    assert_eq!(
        pollster::block_on(second_factor::enrol(&ports, caller(&context), &flow_id)).unwrap_err(),
        Error::StepNotExpected
    );
    // A wrong password gets the usual answer, not a second-factor prompt.
    let input = StepInput::Password(PasswordSignIn {
        email: EMAIL.into(),
        password: "not the password at all 42".into(),
        turnstile_token: None,
    });
    assert_eq!(
        pollster::block_on(flows::step(&ports, caller(&context), &flow_id, input)).unwrap_err(),
        Error::InvalidCredentials
    );
    // An account with an app cannot enrol another through a sign-in flow.
    password(&t, &context, &flow_id).unwrap();
    assert_eq!(
        pollster::block_on(second_factor::enrol(&ports, caller(&context), &flow_id)).unwrap_err(),
        Error::StepNotExpected
    );
}

#[test]
fn oidc_core_acr_values_step_up_asks_a_second_factor_of_an_mfa_off_client() {
    let t = TestPorts::new();
    let context = context();
    let (phone, _) = enrol(&t, &context);
    set_policy(&t, MfaPolicy::Off);
    t.clock.advance_seconds(60);
    let plain = start(&t, &context, None);
    let done = password(&t, &context, &plain).unwrap();
    assert_eq!(amr_of(&t, &done), Amr::password());

    let stepped = start(&t, &context, Some(crate::oauth::tokens::ACR_MULTI_FACTOR));
    assert!(matches!(
        password(&t, &context, &stepped).unwrap().outcome,
        FlowOutcome::SecondFactor { .. }
    ));
    let code = phone.code_at(t.clock.now());
    let done = prove(&t, &context, &stepped, CodeKind::Totp, &code).unwrap();
    assert!(amr_of(&t, &done).is_multi_factor());
}

/// The `outcome.reason` of every System Log event of `event_type`.
fn logged(t: &TestPorts, event_type: &str) -> Vec<String> {
    t.events
        .events
        .borrow()
        .iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| e.outcome.reason.clone().unwrap_or_default())
        .collect()
}

#[test]
fn adaptive_a_new_country_asks_an_account_with_an_app_for_the_app_and_the_log_says_why() {
    use crate::clients::AdaptiveMfa;
    use crate::testing::{auckland, paris};

    let t = TestPorts::new();
    let context = context();
    t.signals.set(paris());
    let (phone, _) = enrol(&t, &context);
    // A client that asks for a second factor only when the risk is high.
    t.clients.insert(Client {
        mfa: MfaPolicy::Off,
        protection: crate::clients::Protection {
            adaptive_mfa: AdaptiveMfa::HighRisk,
            ..demo_client().protection
        },
        ..demo_client()
    });
    t.clock.advance_seconds(48 * 3600);

    // Someone with the password, in Auckland: asked for the app, not emailed a code.
    t.signals.set(auckland());
    let flow_id = start(&t, &context, None);
    let asked = password(&t, &context, &flow_id).unwrap();
    let FlowOutcome::SecondFactor { methods } = &asked.outcome else {
        panic!("expected a second-factor step: {:?}", asked.outcome);
    };
    assert_eq!(methods.first(), Some(&SecondFactorMethod::Totp));
    // No code was emailed: the newest mail is still the one about the app.
    assert!(t
        .mailer
        .last_to(EMAIL)
        .unwrap()
        .subject
        .contains("authenticator app"));
    let reason = logged(&t, "policy.evaluate_sign_on").pop().unwrap();
    assert!(
        reason.starts_with("risk high: new_country(FR->NZ)") && reason.ends_with("; challenge"),
        "{reason}"
    );
    // The owner, with the phone, finishes: two factors.
    let code = phone.code_at(t.clock.now());
    let done = prove(&t, &context, &flow_id, CodeKind::Totp, &code).unwrap();
    assert!(amr_of(&t, &done).contains(Method::Mfa));
}

// --- remember this device (see `remembered`) -------------------------------------------

/// The context of a request that sends `token` as `Portcullis-Device`.
fn with_token(token: &str) -> RequestContext {
    RequestContext {
        device_token: Some(token.to_string()),
        ..context()
    }
}

/// Password, then the phone's code with "remember this device": the device's token.
fn remember_device(t: &TestPorts, phone: &TotpSecret) -> String {
    t.clock.advance_seconds(30);
    let context = context();
    let flow_id = start(t, &context, None);
    password(t, &context, &flow_id).unwrap();
    let code = phone.code_at(t.clock.now());
    let done = pollster::block_on(second_factor::prove(
        &t.ports(),
        caller(&context),
        &flow_id,
        CodeKind::Totp,
        &code,
        true,
    ))
    .unwrap();
    assert!(amr_of(t, &done).is_multi_factor());
    done.device_token.expect("a device token")
}

/// A password sign-in sending `token`: what it ends with.
fn sign_in_with_token(t: &TestPorts, token: &str, acr_values: Option<&str>) -> Completed {
    let context = with_token(token);
    let flow_id = start(t, &context, acr_values);
    password(t, &context, &flow_id).unwrap()
}

fn challenged(done: &Completed) -> bool {
    matches!(done.outcome, FlowOutcome::SecondFactor { .. })
}

#[test]
fn remember_this_device_skips_the_second_factor_once_per_token_and_says_pwd() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let token = remember_device(&t, &phone);
    // The store keeps a hash, never the token.
    let stored = t.factors.device_tokens();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token);

    let done = sign_in_with_token(&t, &token, None);
    assert!(!challenged(&done), "{:?}", done.outcome);
    // RFC 8176: the sign-in proved a password only, and its amr says so.
    assert_eq!(amr_of(&t, &done), Amr::password());
    let next = done.device_token.clone().expect("the replacement token");
    assert_ne!(next, token);
    assert!(logged(&t, "policy.evaluate_sign_on")
        .iter()
        .any(|reason| reason.contains("remembered_device")));

    // Replayed: the used token is worth nothing, the replacement works once.
    assert!(challenged(&sign_in_with_token(&t, &token, None)));
    assert!(!challenged(&sign_in_with_token(&t, &next, None)));
    assert!(challenged(&sign_in_with_token(&t, &next, None)));
}

#[test]
fn a_device_token_of_account_a_does_not_skip_the_second_factor_of_account_b() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let token = remember_device(&t, &phone);
    // Bob has an app too; the attacker knows Bob's password and holds Ada's token.
    let bob = "bob@example.com";
    let context = with_token(&token);
    let flow_id = start(&t, &context, None);
    let input = StepInput::SignUp(PasswordSignUp {
        email: bob.into(),
        password: PASSWORD.into(),
        name: None,
        turnstile_token: None,
    });
    pollster::block_on(flows::step(&t.ports(), caller(&context), &flow_id, input)).unwrap();
    let bob_id = pollster::block_on(t.ports().users.find_by_email(bob))
        .unwrap()
        .unwrap()
        .id;
    let app = crate::ports::StoredTotp {
        id: "bob-app".into(),
        user_id: bob_id,
        name: "Phone".into(),
        sealed_secret: "sealed".into(),
        created_at: t.clock.now(),
        last_used_at: None,
    };
    pollster::block_on(t.ports().factors.add_totp(&app)).unwrap();
    let flow_id = start(&t, &context, None);
    let input = StepInput::Password(PasswordSignIn {
        email: bob.into(),
        password: PASSWORD.into(),
        turnstile_token: None,
    });
    let done =
        pollster::block_on(flows::step(&t.ports(), caller(&context), &flow_id, input)).unwrap();
    assert!(challenged(&done), "{:?}", done.outcome);
    assert_eq!(done.device_token, None);
    // Ada's token was not used up by the attempt on Bob's account.
    assert!(!challenged(&sign_in_with_token(&t, &token, None)));
}

#[test]
fn a_device_token_without_the_password_signs_nobody_in() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let token = remember_device(&t, &phone);
    let context = with_token(&token);
    let flow_id = start(&t, &context, None);
    let input = StepInput::Password(PasswordSignIn {
        email: EMAIL.into(),
        password: "not the password at all, sorry".into(),
        turnstile_token: None,
    });
    let refused = pollster::block_on(flows::step(&t.ports(), caller(&context), &flow_id, input));
    assert_eq!(refused.unwrap_err(), Error::InvalidCredentials);
    // Nor is there a step that takes the token alone: the second-factor steps of a flow
    // that has not passed the password are refused.
    let fresh = start(&t, &context, None);
    let code = phone.code_at(t.clock.now());
    assert_eq!(
        prove(&t, &context, &fresh, CodeKind::Totp, &code).unwrap_err(),
        Error::StepNotExpected
    );
    // The token is intact for its owner.
    assert!(!challenged(&sign_in_with_token(&t, &token, None)));
}

#[test]
fn a_device_token_expires_30_days_after_the_second_factor_and_use_does_not_extend_it() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let token = remember_device(&t, &phone);
    t.clock.advance_seconds(remembered::TTL_SECONDS - 3600);
    let done = sign_in_with_token(&t, &token, None);
    assert!(!challenged(&done));
    let next = done.device_token.unwrap();
    t.clock.advance_seconds(3600);
    assert!(challenged(&sign_in_with_token(&t, &next, None)));
}

#[test]
fn a_remembered_device_does_not_skip_a_step_up_asked_by_the_relying_party() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let token = remember_device(&t, &phone);
    let mfa = crate::oauth::tokens::ACR_MULTI_FACTOR;
    let done = sign_in_with_token(&t, &token, Some(mfa));
    assert!(challenged(&done), "{:?}", done.outcome);
    // Not spent by the step-up: the next ordinary sign-in still skips.
    assert!(!challenged(&sign_in_with_token(&t, &token, None)));
}

#[test]
fn a_forgotten_device_or_a_factor_reset_ends_the_skip() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    let ports = t.ports();
    let token = remember_device(&t, &phone);
    let ada = pollster::block_on(ports.users.find_by_email(EMAIL))
        .unwrap()
        .unwrap();
    let listed = pollster::block_on(remembered::list(&ports, &ada.id)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].expires_at - listed[0].created_at,
        remembered::TTL_SECONDS
    );
    // Someone else's device id forgets nothing.
    let here = context();
    let other = crate::risk::device::forget_one(&ports, &here, &ada, "demo", "nope");
    assert_eq!(
        pollster::block_on(other).unwrap_err(),
        Error::DeviceNotFound
    );
    let forget = crate::risk::device::forget_one(&ports, &here, &ada, "demo", &listed[0].id);
    pollster::block_on(forget).unwrap();
    assert!(challenged(&sign_in_with_token(&t, &token, None)));

    let token = remember_device(&t, &phone);
    pollster::block_on(crate::lifecycle::reset_factors(&ports, &ada.id)).unwrap();
    assert!(t.factors.device_tokens().is_empty());
    // Without factors, the client that requires one asks for a new app: no skip.
    let done = sign_in_with_token(&t, &token, None);
    assert_eq!(done.outcome, FlowOutcome::EnrolSecondFactor);
    assert_eq!(done.device_token, None);
}

#[test]
fn a_malformed_device_token_never_reaches_the_store_and_changes_nothing() {
    let t = TestPorts::new();
    let (phone, _) = enrol(&t, &context());
    remember_device(&t, &phone);
    for junk in ["", "x", &"A".repeat(5000), "%00%00", "' OR 1=1 --"] {
        assert!(challenged(&sign_in_with_token(&t, junk, None)), "{junk:?}");
    }
}
