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
        verified_email: false,
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
fn an_email_code_stands_for_the_client_policy_only_where_allowed_and_the_address_is_verified() {
    use MfaPolicy::*;
    use Requirement::*;
    let pwd = Amr::password();
    let pwd_email = email_code::completes(Amr::password());
    let email_only = Amr::of(&[Method::Otp]);
    let ask = StepUp::MultiFactor;
    let no = StepUp::NotAsked;
    let calm = Risk::NotElevated;
    let cases = [
        // (policy, allows email, verified, apps, amr, step-up) -> requirement
        (Required, true, true, 0, &pwd, no, Challenge),
        (Required, true, false, 0, &pwd, no, Enrol),
        (Required, false, true, 0, &pwd, no, Enrol),
        (Required, true, true, 0, &pwd_email, no, Satisfied),
        (Required, false, true, 0, &pwd_email, no, Enrol),
        (Required, true, true, 1, &pwd_email, no, Satisfied),
        // An emailed code alone is one factor, not a password and a code, and another
        // emailed code would prove the same mailbox again: enrol an app.
        (Required, true, true, 0, &email_only, no, Enrol),
        (Required, true, true, 1, &email_only, no, Challenge),
        // A relying party that asks for `mfa` is never answered by an email code.
        (Required, true, true, 0, &pwd_email, ask, Enrol),
        (Off, true, true, 1, &pwd_email, ask, Challenge),
        // Optional: the email is not an enrolled factor, so nothing is asked of an
        // account without one.
        (Optional, true, true, 0, &pwd, no, Satisfied),
        (Optional, true, true, 1, &pwd, no, Challenge),
        (Optional, true, true, 1, &pwd_email, no, Satisfied),
    ];
    for (policy, allows, verified, apps, amr, step_up, expected) in cases {
        let client = Client {
            email_second_factor: allows,
            ..client(policy)
        };
        let enrolled = Enrolled {
            verified_email: verified,
            ..enrolled(apps)
        };
        assert_eq!(
            requirement(&client, &enrolled, amr, step_up, calm),
            expected,
            "{policy:?} allows={allows} verified={verified} apps={apps} amr={amr:?} {step_up:?}"
        );
    }
    let allowing = Client {
        email_second_factor: true,
        ..client(Optional)
    };
    let verified_app = Enrolled {
        verified_email: true,
        ..enrolled(1)
    };
    assert_eq!(
        verified_app.methods_for(&allowing, &pwd, no),
        [
            SecondFactorMethod::Totp,
            SecondFactorMethod::RecoveryCode,
            SecondFactorMethod::EmailCode
        ]
    );
    assert_eq!(
        verified_app.methods_for(&allowing, &pwd, ask),
        [SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
    );
    assert_eq!(
        verified_app.methods_for(&allowing, &email_only, no),
        [SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
    );
    assert_eq!(
        verified_app.methods_for(&client(Optional), &pwd, no),
        [SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
    );
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

// --- a code emailed to the verified address, as the second factor ----------------------

/// The demo client requiring MFA and taking emailed codes (`allow`), and an account with
/// a password, no app, and the address verified (`verified`).
fn email_factor_setup(t: &TestPorts, context: &RequestContext, allow: bool, verified: bool) {
    set_policy(t, MfaPolicy::Required);
    assert_eq!(sign_up(t, context).outcome, FlowOutcome::EnrolSecondFactor);
    if verified {
        verify_address(t, EMAIL);
    }
    t.clients.insert(Client {
        email_second_factor: allow,
        ..client(MfaPolicy::Required)
    });
}

fn verify_address(t: &TestPorts, email: &str) {
    let ports = t.ports();
    let user = pollster::block_on(ports.users.find_by_email(email))
        .unwrap()
        .unwrap();
    pollster::block_on(ports.users.set_email_verified(&user.id, t.clock.now())).unwrap();
}

fn send_code(t: &TestPorts, context: &RequestContext, flow_id: &str) -> Result<String, Error> {
    let before = t.mailer.sent.borrow().len();
    pollster::block_on(second_factor::send_email_code(
        &t.ports(),
        caller(context),
        flow_id,
    ))?;
    assert_eq!(t.mailer.sent.borrow().len(), before + 1, "one mail a send");
    Ok(mailed_code(t, EMAIL))
}

fn mailed_code(t: &TestPorts, to: &str) -> String {
    let mail = t.mailer.last_to(to).unwrap();
    let line = mail
        .text
        .lines()
        .find(|l| l.starts_with("Your code: "))
        .unwrap();
    line.trim_start_matches("Your code: ").to_string()
}

fn mails(t: &TestPorts) -> usize {
    t.mailer.sent.borrow().len()
}

/// Both email steps of `flow_id` are refused with `expected`, and no mail is sent.
fn email_steps_refused(t: &TestPorts, context: &RequestContext, flow_id: &str, expected: Error) {
    assert_eq!(send_refused(t, context, flow_id), expected.clone());
    assert_eq!(
        prove(t, context, flow_id, CodeKind::EmailCode, "123456").unwrap_err(),
        expected
    );
}

/// Asks for a second-factor code in `flow_id`, which must be refused without a mail sent.
fn send_refused(t: &TestPorts, context: &RequestContext, flow_id: &str) -> Error {
    let before = mails(t);
    let refused = pollster::block_on(second_factor::send_email_code(
        &t.ports(),
        caller(context),
        flow_id,
    ));
    assert_eq!(mails(t), before, "no email was sent");
    refused.unwrap_err()
}

/// A flow past the password, waiting for the emailed code.
fn waiting_for_email(t: &TestPorts, context: &RequestContext) -> String {
    let flow_id = start(t, context, None);
    assert_eq!(
        password(t, context, &flow_id).unwrap().outcome,
        FlowOutcome::SecondFactor {
            methods: vec![SecondFactorMethod::EmailCode]
        }
    );
    flow_id
}

#[test]
fn rfc8176_password_then_emailed_code_signs_in_with_pwd_otp_and_no_mfa_claim() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let flow_id = waiting_for_email(&t, &context);
    let code = send_code(&t, &context, &flow_id).unwrap();
    let done = prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).unwrap();
    let amr = amr_of(&t, &done);
    assert_eq!(amr.methods(), [Method::Pwd, Method::Otp]);
    // A weak second factor: no `mfa`, and the single-factor `acr`.
    assert!(!amr.is_multi_factor());
    assert_eq!(
        crate::oauth::tokens::acr_for(&amr),
        crate::oauth::tokens::ACR_SINGLE_FACTOR
    );
    assert!(logged(&t, "user.authentication.auth_via_mfa").contains(&String::new()));
}

#[test]
fn the_emailed_code_of_flow_a_does_not_complete_flow_b_and_is_never_a_sign_in_code() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let flow_a = waiting_for_email(&t, &context);
    let flow_b = waiting_for_email(&t, &context);
    let code_a = send_code(&t, &context, &flow_a).unwrap();
    // Flow B has no code of its own: nothing to match.
    assert_eq!(
        prove(&t, &context, &flow_b, CodeKind::EmailCode, &code_a).unwrap_err(),
        Error::CodeExpired
    );
    // With a code of its own, A's code is a wrong code there.
    let code_b = send_code(&t, &context, &flow_b).unwrap();
    if code_a != code_b {
        assert_eq!(
            prove(&t, &context, &flow_b, CodeKind::EmailCode, &code_a).unwrap_err(),
            Error::CodeInvalid
        );
    }
    // Nor is it a sign-in code of flow A (the passwordless step), which would skip the
    // password.
    let as_sign_in = StepInput::EmailCode(portcullis_shared::api::EmailCode {
        code: code_a.clone().into(),
    });
    assert!(pollster::block_on(flows::step(
        &t.ports(),
        caller(&context),
        &flow_a,
        as_sign_in
    ))
    .is_err());
    // A still takes its own code, once; B takes its own.
    assert!(prove(&t, &context, &flow_a, CodeKind::EmailCode, &code_a).is_ok());
    assert!(prove(&t, &context, &flow_b, CodeKind::EmailCode, &code_b).is_ok());
}

#[test]
fn a_code_sent_for_account_a_does_not_complete_the_flow_once_it_waits_on_account_b() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    // Account B, on the same client, also verified.
    let bob = "bob@example.com";
    let flow = start(&t, &context, None);
    let input = StepInput::SignUp(PasswordSignUp {
        email: bob.into(),
        password: PASSWORD.into(),
        name: None,
        turnstile_token: None,
    });
    pollster::block_on(flows::step(&t.ports(), caller(&context), &flow, input)).unwrap();
    verify_address(&t, bob);

    let flow_id = waiting_for_email(&t, &context);
    let code_for_a = send_code(&t, &context, &flow_id).unwrap();
    // The same flow now signs in B with B's password: it waits on B.
    let input = StepInput::Password(PasswordSignIn {
        email: bob.into(),
        password: PASSWORD.into(),
        turnstile_token: None,
    });
    let waiting = pollster::block_on(flows::step(&t.ports(), caller(&context), &flow_id, input));
    assert!(matches!(
        waiting.unwrap().outcome,
        FlowOutcome::SecondFactor { .. }
    ));
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::EmailCode, &code_for_a).unwrap_err(),
        Error::CodeExpired
    );
}

#[test]
fn a_used_or_expired_emailed_code_is_refused() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let flow_id = waiting_for_email(&t, &context);
    let code = send_code(&t, &context, &flow_id).unwrap();
    assert!(prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).is_ok());
    // Replayed: the flow is over, and in a new flow the code is no code.
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).unwrap_err(),
        Error::FlowNotFound
    );
    let again = waiting_for_email(&t, &context);
    assert_eq!(
        prove(&t, &context, &again, CodeKind::EmailCode, &code).unwrap_err(),
        Error::CodeExpired
    );
    // Expired: ten minutes after it was sent (the flow itself lives as long).
    let late = waiting_for_email(&t, &context);
    let code = send_code(&t, &context, &late).unwrap();
    t.clock.advance_seconds(crate::email::CODE_TTL_SECONDS - 1);
    let fresh = waiting_for_email(&t, &context);
    let fresh_code = send_code(&t, &context, &fresh).unwrap();
    t.clock.advance_seconds(2);
    assert!(matches!(
        prove(&t, &context, &late, CodeKind::EmailCode, &code).unwrap_err(),
        Error::CodeExpired | Error::FlowNotFound
    ));
    // The newer one, still within its ten minutes, works.
    assert!(prove(&t, &context, &fresh, CodeKind::EmailCode, &fresh_code).is_ok());
}

#[test]
fn five_wrong_emailed_codes_throttle_the_account_like_an_apps_codes() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let mut wrong = 0;
    let mut last = None;
    while wrong < MAX_WRONG_CODES {
        let flow_id = waiting_for_email(&t, &context);
        let code = send_code(&t, &context, &flow_id).unwrap();
        let guess = if code == "123456" { "654321" } else { "123456" };
        for _ in 0..2 {
            if wrong < MAX_WRONG_CODES {
                assert_eq!(
                    prove(&t, &context, &flow_id, CodeKind::EmailCode, guess).unwrap_err(),
                    Error::CodeInvalid
                );
                wrong += 1;
            }
        }
        last = Some((flow_id, code));
    }
    // The right code of a live flow is now refused unchecked, as an app's code would be.
    let (flow_id, code) = last.unwrap();
    assert_eq!(
        prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).unwrap_err(),
        Error::Throttled
    );
    assert!(logged(&t, "user.authentication.auth_via_mfa").contains(&"throttled".to_string()));
    // After the window, the owner's code works.
    t.clock.advance_seconds(CODE_WINDOW_SECONDS);
    let flow_id = waiting_for_email(&t, &context);
    let code = send_code(&t, &context, &flow_id).unwrap();
    assert!(prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).is_ok());
}

#[test]
fn no_emailed_code_without_the_right_password_first() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let flow_id = start(&t, &context, None);
    assert_eq!(send_refused(&t, &context, &flow_id), Error::StepNotExpected);
    let input = StepInput::Password(PasswordSignIn {
        email: EMAIL.into(),
        password: "not the password at all 42".into(),
        turnstile_token: None,
    });
    assert_eq!(
        pollster::block_on(flows::step(&t.ports(), caller(&context), &flow_id, input)).unwrap_err(),
        Error::InvalidCredentials
    );
    email_steps_refused(&t, &context, &flow_id, Error::StepNotExpected);
}

#[test]
fn a_client_that_does_not_allow_email_codes_refuses_the_step_with_factor_not_allowed() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, false, true);
    let flow_id = start(&t, &context, None);
    // The account must enrol an app; an emailed code is no way around it.
    assert_eq!(
        password(&t, &context, &flow_id).unwrap().outcome,
        FlowOutcome::EnrolSecondFactor
    );
    email_steps_refused(&t, &context, &flow_id, Error::FactorNotAllowed);
    // An account with an app, on a client that does not allow email codes.
    let t = TestPorts::new();
    enrol(&t, &context);
    verify_address(&t, EMAIL);
    let flow_id = start(&t, &context, None);
    password(&t, &context, &flow_id).unwrap();
    email_steps_refused(&t, &context, &flow_id, Error::FactorNotAllowed);
    assert_eq!(
        Error::FactorNotAllowed.code().as_str(),
        "factor_not_allowed"
    );
}

#[test]
fn an_unverified_address_never_gets_a_second_factor_code() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, false);
    let flow_id = start(&t, &context, None);
    // Not offered: the account must enrol an app, as without the setting.
    assert_eq!(
        password(&t, &context, &flow_id).unwrap().outcome,
        FlowOutcome::EnrolSecondFactor
    );
    assert_eq!(
        send_refused(&t, &context, &flow_id),
        Error::FactorNotAllowed
    );
    // An account with an app and an unverified address: offered the app only.
    let t = TestPorts::new();
    enrol(&t, &context);
    t.clients.insert(Client {
        email_second_factor: true,
        ..client(MfaPolicy::Required)
    });
    let flow_id_b = start(&t, &context, None);
    assert_eq!(
        password(&t, &context, &flow_id_b).unwrap().outcome,
        FlowOutcome::SecondFactor {
            methods: vec![SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
        }
    );
    assert_eq!(
        send_refused(&t, &context, &flow_id_b),
        Error::FactorNotAllowed
    );
}

#[test]
fn a_relying_party_asking_for_mfa_is_not_offered_an_emailed_code() {
    let t = TestPorts::new();
    let context = context();
    enrol(&t, &context);
    verify_address(&t, EMAIL);
    t.clients.insert(Client {
        email_second_factor: true,
        ..client(MfaPolicy::Optional)
    });
    let flow_id = start(&t, &context, Some(crate::oauth::tokens::ACR_MULTI_FACTOR));
    assert_eq!(
        password(&t, &context, &flow_id).unwrap().outcome,
        FlowOutcome::SecondFactor {
            methods: vec![SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
        }
    );
    assert_eq!(
        send_refused(&t, &context, &flow_id),
        Error::FactorNotAllowed
    );
    // Without the request, the person may choose the emailed code.
    let plain = start(&t, &context, None);
    assert_eq!(
        password(&t, &context, &plain).unwrap().outcome,
        FlowOutcome::SecondFactor {
            methods: vec![
                SecondFactorMethod::Totp,
                SecondFactorMethod::RecoveryCode,
                SecondFactorMethod::EmailCode
            ]
        }
    );
}

#[test]
fn emailed_second_factor_codes_have_a_resend_limit() {
    let t = TestPorts::new();
    let context = context();
    email_factor_setup(&t, &context, true, true);
    let flow_id = waiting_for_email(&t, &context);
    let mut sent = 0;
    let refused = loop {
        match send_code(&t, &context, &flow_id) {
            Ok(_) => sent += 1,
            Err(err) => break err,
        }
        assert!(
            sent <= crate::email::MAX_PER_ADDRESS,
            "no limit after {sent}"
        );
    };
    assert_eq!(refused, Error::Throttled);
    assert!(sent <= crate::email::MAX_PER_ADDRESS);
    // The last code sent still works.
    let code = mailed_code(&t, EMAIL);
    assert!(prove(&t, &context, &flow_id, CodeKind::EmailCode, &code).is_ok());
}
