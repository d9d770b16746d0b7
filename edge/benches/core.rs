//! Native timings of the edge's CPU-heavy operations. Run with `cargo bench -p
//! portcullis-edge` (or `scripts/bench`, which also prints sizes). Figures, not tests.

// A benchmark whose setup fails has nothing to measure: stopping loudly is right.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use portcullis_edge::crypto::es256::Es256Signer;
use portcullis_edge::crypto::totp::TotpSecret;
use portcullis_edge::passwords::blocklist::FuseBlocklist;
use portcullis_edge::passwords::hashing::{self, Cost};
use portcullis_edge::passwords::policy::Blocklist;
use portcullis_edge::ports::{Signer, UnixMillis};
use portcullis_edge::testing::{self, SeededRandom, TestPorts};

/// Runs `op` until `budget` is spent (at least `min_runs` times) and reports the median.
fn measure(name: &str, min_runs: usize, budget: Duration, mut op: impl FnMut()) {
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < min_runs || (started.elapsed() < budget && samples.len() < 100_000) {
        let t = Instant::now();
        op();
        samples.push(t.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "{name:<44} median {:>10.3} ms  ({} runs)",
        median.as_secs_f64() * 1e3,
        samples.len()
    );
}

/// Counts how many of 2,000,000 random passwords nobody has chosen before (four random
/// words around eight random hex digits, like `harbor quartz 76c8b403 meadow orbit`) the
/// blocklist refuses: every one it refuses is a false positive.
fn blocklist_false_positives(blocklist: &FuseBlocklist) {
    const SAMPLES: u64 = 2_000_000;
    const WORDS: &[&str] = &[
        "harbor", "quartz", "meadow", "orbit", "velvet", "kumquat", "lantern", "tundra", "ferry",
        "cobalt", "sparrow", "glacier", "pepper", "willow", "ember", "falcon",
    ];
    // SplitMix64: a fixed sequence, so runs are comparable.
    let mut state = 0x000B_10C7_1157_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut refused = 0u64;
    for _ in 0..SAMPLES {
        let r = next();
        let word = |shift: u32| WORDS[((r >> shift) & 15) as usize];
        let candidate = format!(
            "{} {} {:08x} {} {}",
            word(0),
            word(4),
            next() as u32,
            word(8),
            word(12)
        );
        if blocklist.contains(&candidate) {
            refused += 1;
        }
    }
    println!(
        "{:<44} {refused} in {SAMPLES} ({:.1} per million; 1 in 100,000 is 10 per million)",
        "password blocklist false positives, measured",
        refused as f64 * 1e6 / SAMPLES as f64
    );
}

/// One `POST /token` through the whole core (routing, client authentication, grant,
/// key ring with AES-GCM unsealing, ES256 signing) against in-memory ports.
fn token_request(t: &TestPorts, body: &str, authorization: Option<&str>) -> serde_json::Value {
    use portcullis_edge::http::{Method, Request};
    let mut headers = vec![(
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    if let Some(value) = authorization {
        headers.push(("authorization".into(), value.into()));
    }
    let request = Request {
        method: Method::Post,
        path: "/token".into(),
        query: String::new(),
        headers,
        body: body.as_bytes().to_vec(),
        self_origin: "https://id.example".into(),
    };
    let handled = pollster::block_on(portcullis_edge::api::handle(&t.ports(), request));
    assert_eq!(
        handled.response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&handled.response.body)
    );
    serde_json::from_slice(&handled.response.body).expect("token responses are JSON")
}

fn token_endpoint() {
    use portcullis_edge::ports::UserStore;

    let t = TestPorts::new();
    t.clients.insert(testing::api_client());
    let basic = "Basic YXBpOnMzY3JldA=="; // api:s3cret
    measure(
        "POST /token client_credentials (in-memory)",
        200,
        Duration::from_secs(2),
        || {
            token_request(&t, "grant_type=client_credentials", Some(basic));
        },
    );

    pollster::block_on(t.users.create(&testing::user("u1", "ada@example.com"))).expect("memory");
    let mut token = testing::refresh_family(&t, "u1");
    measure(
        "POST /token refresh_token, rotated (in-memory)",
        200,
        Duration::from_secs(2),
        || {
            let body = format!("grant_type=refresh_token&client_id=demo&refresh_token={token}");
            let reply = token_request(&t, &body, None);
            token = reply["refresh_token"]
                .as_str()
                .expect("rotated")
                .to_string();
            // Past the retry grace, so every request is a real rotation.
            t.clock.advance_seconds(11);
        },
    );
}

/// §7.1 and §7.2 over the registration and assertion captured from Chromium.
fn webauthn() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use portcullis_edge::webauthn::authentication::{
        self, AssertionResponse, PendingAuthentication,
    };
    use portcullis_edge::webauthn::registration::{self, AttestationResponse, PendingRegistration};
    use portcullis_edge::webauthn::RelyingParty;

    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/vectors/webauthn-chromium-virtual-ctap2.json"
    ))
    .expect("the vector is JSON");
    let b = |value: &serde_json::Value| {
        URL_SAFE_NO_PAD
            .decode(value.as_str().expect("base64url string"))
            .expect("base64url")
    };
    let rp = RelyingParty {
        id: "localhost".into(),
        origins: vec![v["origin"].as_str().expect("origin").into()],
    };
    let reg = &v["registration"];
    let pending = PendingRegistration {
        challenge: b(&reg["challenge"]),
        user_verification_required: true,
    };
    let (client_data_json, attestation_object) =
        (b(&reg["client_data_json"]), b(&reg["attestation_object"]));
    let response = AttestationResponse {
        client_data_json: &client_data_json,
        attestation_object: &attestation_object,
    };
    let record = registration::verify(&rp, &pending, &response, |_| false).expect("registers");
    measure(
        "WebAuthn registration §7.1 (none, ES256)",
        200,
        Duration::from_secs(1),
        || {
            let _ = registration::verify(&rp, &pending, &response, |_| false);
        },
    );
    let auth = &v["authentication"];
    let pending = PendingAuthentication {
        challenge: b(&auth["challenge"]),
        user_verification_required: true,
    };
    let (id, cdj, ad, sig) = (
        b(&v["credential_id"]),
        b(&auth["client_data_json"]),
        b(&auth["authenticator_data"]),
        b(&auth["signature"]),
    );
    let response = AssertionResponse {
        credential_id: &id,
        client_data_json: &cdj,
        authenticator_data: &ad,
        signature: &sig,
    };
    measure(
        "WebAuthn assertion verification §7.2 (ES256)",
        200,
        Duration::from_secs(2),
        || {
            let _ = authentication::verify(&rp, &pending, &record, &response);
        },
    );
}

fn main() {
    webauthn();
    token_endpoint();

    let random = SeededRandom::new(1);

    let signer = Es256Signer::generate("bench", &random).expect("seeded random never fails");
    let message = [0x42u8; 300];
    measure(
        "ES256 sign, p256 (300-byte JWS input)",
        200,
        Duration::from_secs(2),
        || {
            let _ = pollster::block_on(signer.sign(&message));
        },
    );

    // RFC 6238 verification as a sign-in does it: the sealed key opened (AES-256-GCM),
    // then HMAC-SHA-1 for the three time steps around now, compared in constant time.
    let kek = testing::key_encryption_key(3);
    let secret = TotpSecret::generate(&random).expect("seeded random never fails");
    let sealed = kek
        .seal(secret.bytes(), "totp:bench", &random)
        .expect("seeded random never fails");
    let now = UnixMillis(1_800_000_000_000);
    let code = secret.code_at(now);
    measure(
        "TOTP verify (unseal + 3 HMAC-SHA-1 steps)",
        1000,
        Duration::from_secs(1),
        || {
            let opened = kek.open(&sealed, "totp:bench").expect("it was sealed so");
            let _ = TotpSecret::from_bytes(opened).verify(&code, now);
        },
    );

    let blocklist = FuseBlocklist::embedded().expect("the shipped blocklist parses");
    measure(
        &format!(
            "password blocklist lookup (fuse, {}k entries)",
            blocklist.entries() / 1000
        ),
        1000,
        Duration::from_secs(1),
        || {
            let _ = blocklist.contains("velvet kumquat orbits the lighthouse");
        },
    );
    blocklist_false_positives(&blocklist);

    let phc =
        hashing::hash("correct horse battery staple", Cost::OWASP, &random).expect("hashing works");
    measure(
        "Argon2id hash, m=19 MiB t=2 p=1",
        10,
        Duration::from_secs(3),
        || {
            let _ = hashing::hash("correct horse battery staple", Cost::OWASP, &random);
        },
    );
    measure(
        "Argon2id verify, m=19 MiB t=2 p=1",
        10,
        Duration::from_secs(3),
        || {
            let _ = hashing::verify("correct horse battery staple", &phc, Cost::OWASP);
        },
    );
}
