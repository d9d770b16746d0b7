//! Native timings of the edge's CPU-heavy operations. Run with `cargo bench -p
//! portcullis-edge` (or `scripts/bench`, which also prints sizes). Figures, not tests.

// A benchmark whose setup fails has nothing to measure: stopping loudly is right.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use portcullis_edge::crypto::es256::Es256Signer;
use portcullis_edge::passwords::blocklist::BloomBlocklist;
use portcullis_edge::passwords::hashing::{self, Cost};
use portcullis_edge::passwords::policy::Blocklist;
use portcullis_edge::ports::Signer;
use portcullis_edge::testing::SeededRandom;

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

fn main() {
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

    let blocklist = BloomBlocklist::embedded().expect("the shipped blocklist parses");
    measure(
        "password blocklist lookup (Bloom, 357k entries)",
        1000,
        Duration::from_secs(1),
        || {
            let _ = blocklist.contains("velvet kumquat orbits the lighthouse");
        },
    );

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
