//! The limits on guessing through the edge's HTTP API, natively with a fixed clock:
//! counted before the work they guard (so concurrent attempts can't race past them),
//! keyed on (account, IP prefix), and a second proof rather than a lock for an account
//! under attack. Requests carry `cf-connecting-ip` as Cloudflare sets it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use common::http::{call, claims, code_in, json, post, redeem, start_flow, ISSUER, PAGE};
use portcullis_edge::api::handle;
use portcullis_edge::email::codes::MAX_WRONG_PER_ADDRESS_AND_IP;
use portcullis_edge::email::MAX_PER_ADDRESS;
use portcullis_edge::http::{Method, Request, Response};
use portcullis_edge::ports::{Counters, StoreError, UnixMillis};
use portcullis_edge::testing::{MemoryCounters, TestPorts};
use portcullis_edge::throttle::{
    MAX_FAILURES_PER_ACCOUNT_AND_IP, SECOND_PROOF_AFTER_FAILURES, WINDOW_SECONDS,
};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple 42";
const OWNER_IP: &str = "198.51.100.20";
const ATTACKER_IP: &str = "203.0.113.7";

fn request_from(ip: &str, path: &str, body: &Value) -> Request {
    Request {
        method: Method::Post,
        path: path.into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("origin".into(), PAGE.into()),
            ("cf-connecting-ip".into(), ip.into()),
        ],
        body: body.to_string().into_bytes(),
        self_origin: ISSUER.into(),
    }
}

fn post_from(t: &TestPorts, ip: &str, path: &str, body: &Value) -> Response {
    let headers = [
        ("content-type", "application/json"),
        ("origin", PAGE),
        ("cf-connecting-ip", ip),
    ];
    call(t, Method::Post, path, &headers, &body.to_string())
}

/// A password sign-in from `ip`, in a flow of its own.
fn sign_in_from(t: &TestPorts, ip: &str, email: &str, password: &str) -> (String, Response) {
    let flow = start_flow(t);
    let path = format!("/v1/flows/{flow}/password");
    let response = post_from(t, ip, &path, &json!({"email": email, "password": password}));
    (flow, response)
}

fn sign_up(t: &TestPorts, email: &str) {
    let flow = start_flow(t);
    let path = format!("/v1/flows/{flow}/sign-up");
    let done = post_from(
        t,
        OWNER_IP,
        &path,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(
        json(&done)["status"],
        "authorization_code",
        "{}",
        json(&done)
    );
}

fn outcome(response: &Response) -> (u16, String) {
    let body = json(response);
    let label = body["code"].as_str().or(body["status"].as_str());
    (response.status, label.unwrap_or_default().to_string())
}

fn invalid() -> (u16, String) {
    (401, "invalid_credentials".into())
}

fn throttled() -> (u16, String) {
    (429, "too_many_attempts".into())
}

fn code_step(t: &TestPorts, flow: &str, code: &str) -> Response {
    post(
        t,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    )
}

/// Password checks that were made: each is an Argon2id verification.
fn password_checks(t: &TestPorts) -> usize {
    t.events
        .summary()
        .iter()
        .filter(|(event, _)| event == "user.authentication.auth_via_password")
        .count()
}

// --- concurrency ------------------------------------------------------------------------

/// Pending once before it completes: where a real store is a network round trip away.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// The in-memory counters behind a round trip, so that concurrent requests interleave at
/// every counter call as they do against the Durable Objects.
struct RoundTrip<'a>(&'a MemoryCounters);

#[async_trait(?Send)]
impl Counters for RoundTrip<'_> {
    async fn increment(
        &self,
        key: &str,
        window_seconds: u64,
        now: UnixMillis,
    ) -> Result<u32, StoreError> {
        YieldOnce(false).await;
        self.0.increment(key, window_seconds, now).await
    }

    async fn decrement(&self, key: &str, now: UnixMillis) -> Result<u32, StoreError> {
        YieldOnce(false).await;
        self.0.decrement(key, now).await
    }

    async fn reset(&self, key: &str, now: UnixMillis) -> Result<(), StoreError> {
        YieldOnce(false).await;
        self.0.reset(key, now).await
    }
}

/// Handles `requests` concurrently on one thread (each polled in turn until all are done),
/// with the counters a round trip away.
fn concurrently(t: &TestPorts, requests: Vec<Request>) -> Vec<Response> {
    let counters = RoundTrip(&t.counters);
    let ports = portcullis_edge::ports::Ports {
        counters: &counters,
        ..t.ports()
    };
    let mut pending: Vec<_> = requests
        .into_iter()
        .map(|request| Box::pin(handle(&ports, request)))
        .collect();
    let mut done: Vec<Option<Response>> = pending.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    while done.iter().any(Option::is_none) {
        for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                if let Poll::Ready(handled) = future.as_mut().poll(&mut cx) {
                    *slot = Some(handled.response);
                }
            }
        }
    }
    done.into_iter().map(Option::unwrap).collect()
}

#[test]
fn limits_are_incremented_before_the_password_is_checked() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    let attempts = 25;
    let requests = (0..attempts)
        .map(|i| {
            let flow = start_flow(&t);
            let body = json!({"email": "ada@example.com", "password": format!("guess {i}")});
            request_from(ATTACKER_IP, &format!("/v1/flows/{flow}/password"), &body)
        })
        .collect();
    let outcomes: Vec<_> = concurrently(&t, requests).iter().map(outcome).collect();

    let limit = MAX_FAILURES_PER_ACCOUNT_AND_IP as usize;
    let judged = outcomes.iter().filter(|o| **o == invalid()).count();
    let refused = outcomes.iter().filter(|o| **o == throttled()).count();
    assert_eq!((judged, refused), (limit, attempts - limit), "{outcomes:?}");
    assert_eq!(
        password_checks(&t),
        limit,
        "no password beyond the limit was checked"
    );
}

#[test]
fn mail_sends_are_counted_before_they_are_sent() {
    let t = TestPorts::new();
    let requests = (0..12)
        .map(|_| {
            let body = json!({"client_id": "demo", "email": "ada@example.com"});
            request_from(ATTACKER_IP, "/v1/recovery/password", &body)
        })
        .collect();
    let statuses: Vec<u16> = concurrently(&t, requests)
        .iter()
        .map(|r| r.status)
        .collect();
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(accepted, MAX_PER_ADDRESS as usize, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        12 - accepted
    );
    assert_eq!(t.mailer.sent.borrow().len(), MAX_PER_ADDRESS as usize);
}

// --- keys and second proof ----------------------------------------------------------------

#[test]
fn a_locked_ip_prefix_does_not_lock_the_owner_out() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_IP {
        let (_, guess) = sign_in_from(&t, ATTACKER_IP, "ada@example.com", "a wrong guess");
        assert_eq!(outcome(&guess), invalid());
    }
    // The attacker's (account, IP prefix) is locked, even for the right password.
    let (_, locked) = sign_in_from(&t, ATTACKER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&locked), throttled());

    // The owner, elsewhere: the password and then the emailed code.
    let (flow, owner) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&owner), (200, "verify_email".into()));
    let code = code_in(&t.mailer.last_to("ada@example.com").unwrap().text);
    let tokens = redeem(&t, &code_step(&t, &flow, &code), "demo");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["amr"],
        json!(["pwd", "otp"])
    );

    let (_, still) = sign_in_from(&t, ATTACKER_IP, "ada@example.com", "another guess");
    assert_eq!(
        outcome(&still),
        throttled(),
        "the attacker's pair stays limited"
    );
}

#[test]
fn an_account_under_attack_asks_for_an_emailed_code_after_the_right_password() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    let (_, before) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&before), (200, "authorization_code".into()));

    // Guesses from many places, each well under its own (account, IP prefix) limit.
    for i in 1..=SECOND_PROOF_AFTER_FAILURES {
        let ip = format!("203.0.113.{i}");
        let (_, guess) = sign_in_from(&t, &ip, "ada@example.com", "a wrong guess");
        assert_eq!(outcome(&guess), invalid(), "from {ip}");
    }

    // The right password asks for an emailed code; a wrong one gets the same answer (so
    // the answer confirms no guess), no mail, and a code that nobody can type.
    let mails_before = t.mailer.sent.borrow().len();
    let (typo_flow, wrong) = sign_in_from(&t, OWNER_IP, "ada@example.com", "a typo");
    assert_eq!(
        json(&wrong),
        json!({"status": "verify_email", "expires_in": 600, "code_length": 6})
    );
    assert_eq!(t.mailer.sent.borrow().len(), mails_before, "nothing mailed");
    for guess in ["000000", "123456", "999999"] {
        assert_eq!(
            json(&code_step(&t, &typo_flow, guess))["code"],
            "code_invalid"
        );
    }
    let (flow, right) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(
        json(&right),
        json!({"status": "verify_email", "expires_in": 600, "code_length": 6})
    );
    assert_eq!(t.mailer.sent.borrow().len(), mails_before + 1);
    let code = code_in(&t.mailer.last_to("ada@example.com").unwrap().text);

    // The flow waits for the code: a wrong one does not complete it.
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        json(&code_step(&t, &flow, wrong_code))["code"],
        "code_invalid"
    );

    let tokens = redeem(&t, &code_step(&t, &flow, &code), "demo");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["pwd", "otp"]));

    // Once the window has passed, the password is enough again.
    t.clock.advance_seconds(WINDOW_SECONDS);
    let (_, after) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&after), (200, "authorization_code".into()));
}

#[test]
fn asking_for_mail_to_an_address_does_not_use_up_its_owners_second_proof() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    // Anyone may ask for mail to an address, until its sends run out...
    let reset = json!({"client_id": "demo", "email": "ada@example.com"});
    for _ in 0..MAX_PER_ADDRESS {
        post_from(&t, ATTACKER_IP, "/v1/recovery/password", &reset);
    }
    let refused = post_from(&t, ATTACKER_IP, "/v1/recovery/password", &reset);
    assert_eq!(outcome(&refused), throttled());
    // ...and guesses from many places put the account under attack.
    for i in 1..=SECOND_PROOF_AFTER_FAILURES {
        let ip = format!("203.0.113.{i}");
        sign_in_from(&t, &ip, "ada@example.com", "a wrong guess");
    }
    // The owner's right password still gets its code.
    let (flow, right) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&right), (200, "verify_email".into()));
    let code = code_in(&t.mailer.last_to("ada@example.com").unwrap().text);
    redeem(&t, &code_step(&t, &flow, &code), "demo");
}

#[test]
fn an_unknown_address_under_attack_looks_the_same() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    let mails = t.mailer.sent.borrow().len();
    let attack = |email: &str| -> Vec<(u16, Value)> {
        (1..=2 * SECOND_PROOF_AFTER_FAILURES)
            .map(|i| {
                let ip = format!("2001:db8:{i}::1");
                let (_, guess) = sign_in_from(&t, &ip, email, "a wrong guess");
                (guess.status, json(&guess))
            })
            .collect()
    };
    let known = attack("ada@example.com");
    let unknown = attack("nobody@example.com");
    assert_eq!(known, unknown);
    let (before, after) = known.split_at(SECOND_PROOF_AFTER_FAILURES as usize);
    assert!(
        before
            .iter()
            .all(|(status, body)| *status == 401 && body["code"] == "invalid_credentials"),
        "before the attack a wrong password is just wrong: {before:?}"
    );
    assert!(
        after
            .iter()
            .all(|(status, body)| *status == 200 && body["status"] == "verify_email"),
        "under attack a wrong password looks like a right one: {after:?}"
    );
    assert_eq!(
        t.mailer.sent.borrow().len(),
        mails,
        "nothing is mailed for a wrong password"
    );
    // Past the attack, one place's limit applies alike too.
    let place = |email: &str| -> Vec<(u16, String)> {
        (0..=MAX_FAILURES_PER_ACCOUNT_AND_IP)
            .map(|_| outcome(&sign_in_from(&t, ATTACKER_IP, email, "a wrong guess").1))
            .collect()
    };
    assert_eq!(place("ada@example.com"), place("nobody@example.com"));
}

#[test]
fn ipv6_addresses_share_their_64_prefix() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    // Every guess from a new address of one /64: still one place.
    for i in 1..=MAX_FAILURES_PER_ACCOUNT_AND_IP {
        let ip = format!("2001:db8:bad:1::{i:x}");
        let (_, guess) = sign_in_from(&t, &ip, "ada@example.com", "a wrong guess");
        assert_eq!(outcome(&guess), invalid());
    }
    let (_, same_prefix) = sign_in_from(&t, "2001:db8:bad:1:ffff::1", "ada@example.com", "x");
    assert_eq!(outcome(&same_prefix), throttled());
    // The next /64 is another place: judged, not refused (under attack by now, so a
    // wrong password is answered as a right one would be).
    let (_, next_prefix) = sign_in_from(&t, "2001:db8:bad:2::1", "ada@example.com", "x");
    assert_eq!(outcome(&next_prefix), (200, "verify_email".into()));
}

#[test]
fn signing_in_often_never_reaches_a_limit() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    let rounds = 2 * MAX_FAILURES_PER_ACCOUNT_AND_IP + 1;
    for round in 0..rounds {
        let (_, done) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
        assert_eq!(
            outcome(&done),
            (200, "authorization_code".into()),
            "round {round}"
        );
    }
    // A correct password takes its own attempt back, not the failures before it.
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_IP {
        let (_, guess) = sign_in_from(&t, OWNER_IP, "ada@example.com", "a typo");
        assert_eq!(outcome(&guess), invalid());
    }
    let (_, locked) = sign_in_from(&t, OWNER_IP, "ada@example.com", PASSWORD);
    assert_eq!(outcome(&locked), throttled());
}

// --- emailed codes ------------------------------------------------------------------------

/// A new flow with a code emailed to `email`; returns the flow and the code (the code
/// is `None` for an address without an account: none is sent).
fn code_flow(t: &TestPorts, email: &str) -> (String, Option<String>) {
    let flow = start_flow(t);
    let sent = post(
        t,
        &format!("/v1/flows/{flow}/email"),
        &json!({"email": email}),
    );
    assert_eq!(sent.status, 202, "{}", json(&sent));
    let mail = t.mailer.last_to(email).unwrap();
    let code = mail
        .text
        .lines()
        .any(|l| l.starts_with("Your code: "))
        .then(|| code_in(&mail.text));
    (flow, code)
}

#[test]
fn wrong_email_codes_are_counted_per_account_and_place_across_flows() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    let mut answers = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        // Three flows, each kept under its own five tries: ten wrong codes in all.
        let flows: Vec<_> = (0..3).map(|_| code_flow(&t, email)).collect();
        let mut seen = Vec::new();
        for (n, (flow, code)) in flows.iter().enumerate() {
            let wrong = match code.as_deref() {
                Some("000000") => "111111",
                _ => "000000",
            };
            let tries = if n < 2 { 4 } else { 2 };
            for _ in 0..tries {
                seen.push(outcome(&code_step(&t, flow, wrong)));
            }
        }
        assert_eq!(seen.len(), MAX_WRONG_PER_ADDRESS_AND_IP as usize);
        assert!(
            seen.iter().all(|o| *o == (401, "code_invalid".into())),
            "{seen:?}"
        );
        // Past the limit for the address from this place even the right code is refused
        // unchecked.
        let (flow, code) = &flows[2];
        let right = code_step(&t, flow, code.as_deref().unwrap_or("123456"));
        seen.push(outcome(&right));
        assert_eq!(*seen.last().unwrap(), throttled(), "{email}");
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "the same for an address without an account"
    );

    // Once the window has passed, a code works again.
    t.clock.advance_seconds(WINDOW_SECONDS);
    let (flow, code) = code_flow(&t, "ada@example.com");
    let done = code_step(&t, &flow, &code.unwrap());
    assert_eq!(json(&done)["status"], "authorization_code");
}

#[test]
fn wrong_email_codes_from_one_place_do_not_lock_the_owner_out() {
    let t = TestPorts::new();
    sign_up(&t, "ada@example.com");
    // Someone elsewhere burns the address's tries from one place, in three flows (each
    // under its own five tries)...
    let mut answers = Vec::new();
    for tries in [4, 4, 3] {
        let flow = start_flow(&t);
        let email = json!({"email": "ada@example.com"});
        let sent = post_from(&t, ATTACKER_IP, &format!("/v1/flows/{flow}/email"), &email);
        assert_eq!(sent.status, 202);
        for _ in 0..tries {
            let guess = json!({"code": "000000"});
            let path = format!("/v1/flows/{flow}/email/code");
            answers.push(outcome(&post_from(&t, ATTACKER_IP, &path, &guess)));
        }
    }
    assert_eq!(answers.last(), Some(&throttled()), "{answers:?}");
    // ...and the owner's own code, from their place, still signs them in.
    let flow = start_flow(&t);
    post_from(
        &t,
        OWNER_IP,
        &format!("/v1/flows/{flow}/email"),
        &json!({"email": "ada@example.com"}),
    );
    let code = code_in(&t.mailer.last_to("ada@example.com").unwrap().text);
    let done = post_from(
        &t,
        OWNER_IP,
        &format!("/v1/flows/{flow}/email/code"),
        &json!({"code": code}),
    );
    assert_eq!(json(&done)["status"], "authorization_code");
}

// --- emailed second-factor codes ----------------------------------------------------------

#[test]
fn parallel_guesses_at_emailed_second_factor_codes_count_no_more_than_the_limit() {
    use portcullis_edge::clients::{Client, MfaPolicy};
    use portcullis_edge::mfa::MAX_WRONG_CODES;
    use portcullis_edge::ports::UserStore;

    let t = TestPorts::new();
    let email = "ada@example.com";
    sign_up(&t, email);
    let user = pollster::block_on(t.users.find_by_email(email))
        .unwrap()
        .unwrap();
    pollster::block_on(t.users.set_email_verified(&user.id, UnixMillis(0))).unwrap();
    t.clients.insert(Client {
        mfa: MfaPolicy::Required,
        email_second_factor: true,
        ..portcullis_edge::testing::demo_client()
    });
    // The password, then a code, in as many flows as the address may be sent codes.
    let flows: Vec<(String, String)> = (0..MAX_PER_ADDRESS)
        .map(|_| {
            let (flow, waiting) = sign_in_from(&t, ATTACKER_IP, email, PASSWORD);
            assert_eq!(json(&waiting)["methods"], json!(["email_code"]));
            let sent = post(&t, &format!("/v1/flows/{flow}/mfa/email/send"), &json!({}));
            assert_eq!(sent.status, 202, "{}", json(&sent));
            (flow, code_in(&t.mailer.last_to(email).unwrap().text))
        })
        .collect();
    let wrong = |code: &str| if code == "000000" { "111111" } else { "000000" }.to_string();
    // Two wrong codes in the first flow, then one guess in each other flow at once.
    let (first, first_code) = &flows[0];
    for _ in 0..2 {
        let guess = post(
            &t,
            &format!("/v1/flows/{first}/mfa/email"),
            &json!({"code": wrong(first_code)}),
        );
        assert_eq!(outcome(&guess), (401, "code_invalid".into()));
    }
    let requests = flows[1..]
        .iter()
        .map(|(flow, code)| {
            let body = json!({"code": wrong(code)});
            request_from(ATTACKER_IP, &format!("/v1/flows/{flow}/mfa/email"), &body)
        })
        .collect();
    let outcomes: Vec<_> = concurrently(&t, requests).iter().map(outcome).collect();
    let judged = outcomes
        .iter()
        .filter(|o| **o == (401, "code_invalid".into()))
        .count();
    let refused = outcomes.iter().filter(|o| **o == throttled()).count();
    let left = MAX_WRONG_CODES as usize - 2;
    assert_eq!(
        (judged, refused),
        (left, flows.len() - 1 - left),
        "{outcomes:?}"
    );
    // The right code is now refused unchecked too.
    let right = post(
        &t,
        &format!("/v1/flows/{first}/mfa/email"),
        &json!({"code": first_code}),
    );
    assert_eq!(outcome(&right), throttled());
}
