//! The hot paths once an isolate is warm: what each reads from D1 and from Durable
//! Objects (counted through the in-memory ports, one call per deployed round trip), and
//! that the isolate cache still honours key rotation, client disabling and suspension
//! within its time to live, with a fixed clock.
//!
//! `node scripts/bench.mjs cpu` prints the table of
//! `hot_paths_read_nothing_from_d1_once_warm` (run with `--nocapture`).

// A test that cannot set up stops loudly.
#![allow(clippy::unwrap_used)]

mod common;

use portcullis_edge::cache::IsolateCache;
use portcullis_edge::clients::Client;
use portcullis_edge::http::{Method, Response};
use portcullis_edge::ports::{ClientStore, Clock, Ports, UserStore};
use portcullis_edge::testing::{self, round_trips, RoundTrips, TestPorts};
use serde_json::Value;

use common::http::{call_with as call, json};

const TTL: u64 = 60;
/// `api:s3cret`, RFC 7617.
const API_BASIC: &str = "Basic YXBpOnMzY3JldA==";

fn form(ports: &Ports<'_>, path: &str, auth: Option<&str>, body: &str) -> Response {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if let Some(auth) = auth {
        headers.push(("authorization", auth));
    }
    call(ports, Method::Post, path, &headers, body)
}

/// In-memory ports whose isolate keeps keys and clients for [`TTL`], with a confidential
/// `api` client and a person `u1` holding a refresh-token family of `demo`. Returns the
/// first refresh token.
fn warm_ports() -> (TestPorts, String) {
    let t = TestPorts::with_cache_ttl(TTL);
    t.clients.insert(testing::api_client());
    pollster::block_on(t.users.create(&testing::user("u1", "ada@example.com"))).unwrap();
    let first = testing::refresh_family(&t, "u1");
    (t, first)
}

fn refresh(ports: &Ports<'_>, token: &str) -> Response {
    form(
        ports,
        "/token",
        None,
        &format!("grant_type=refresh_token&client_id=demo&refresh_token={token}"),
    )
}

fn client_credentials(ports: &Ports<'_>) -> Response {
    form(
        ports,
        "/token",
        Some(API_BASIC),
        "grant_type=client_credentials",
    )
}

/// The round trips of `request` on an isolate of its own: once cold, once warm.
fn counted(
    t: &TestPorts,
    request: impl Fn(&Ports<'_>) -> Response,
) -> (RoundTrips, RoundTrips, Response) {
    let isolate = IsolateCache::new(TTL);
    let ports = Ports {
        cache: &isolate,
        ..t.ports()
    };
    testing::reset_round_trips();
    let first = request(&ports);
    assert!(
        first.status < 500,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let cold = round_trips();
    testing::reset_round_trips();
    let second = request(&ports);
    (cold, round_trips(), second)
}

fn trips(d1: u32, durable_object: u32, event_log: u32) -> RoundTrips {
    RoundTrips {
        d1,
        durable_object,
        event_log,
    }
}

#[test]
fn hot_paths_read_nothing_from_d1_once_warm() {
    let mut rows = Vec::new();
    let mut row = |name: &str, cold: RoundTrips, warm: RoundTrips| {
        rows.push(format!(
            "round-trips | {name:<34} | {:>2} | {:>2} | {:>2} | {:>2} | {:>2} |",
            cold.d1, cold.durable_object, warm.d1, warm.durable_object, warm.event_log
        ));
    };

    // Each endpoint on a cold isolate of its own, then again warm; the stores are shared.
    let (t, _) = warm_ports();
    let (cold, warm, jwks) = counted(&t, |p| {
        call(p, Method::Get, "/.well-known/jwks.json", &[], "")
    });
    assert_eq!(jwks.status, 200);
    assert_eq!(warm, trips(0, 0, 0), "JWKS");
    row("GET /.well-known/jwks.json", cold, warm);

    let (t, _) = warm_ports();
    let (cold, warm, cc) = counted(&t, client_credentials);
    assert_eq!(cc.status, 200);
    assert_eq!(warm, trips(0, 0, 0), "client credentials");
    row("POST /token client_credentials", cold, warm);

    let (t, first) = warm_ports();
    let token = std::cell::RefCell::new(first);
    let (cold, warm, rotated) = counted(&t, |p| {
        let response = refresh(p, &token.borrow());
        if let Some(next) = json(&response)["refresh_token"].as_str() {
            *token.borrow_mut() = next.to_string();
        }
        response
    });
    assert_eq!(rotated.status, 200);
    // The grant's Durable Object only: it keeps the person (status, reset, claims).
    assert_eq!(warm, trips(0, 1, 0), "refresh");
    row("POST /token refresh_token", cold, warm);
    let access = json(&rotated)["access_token"].as_str().unwrap().to_string();

    let bearer = format!("Bearer {access}");
    let (cold, warm, info) = counted(&t, |p| {
        call(
            p,
            Method::Get,
            "/userinfo",
            &[("authorization", &bearer)],
            "",
        )
    });
    assert_eq!(info.status, 200, "{}", String::from_utf8_lossy(&info.body));
    assert_eq!(warm, trips(0, 1, 0), "userinfo");
    row("GET /userinfo", cold, warm);

    let body = format!("token={access}");
    let (cold, warm, active) = counted(&t, |p| form(p, "/introspect", Some(API_BASIC), &body));
    assert_eq!(json(&active)["active"], Value::Bool(true));
    assert_eq!(warm, trips(0, 1, 0), "introspection");
    row("POST /introspect (access token)", cold, warm);

    let (cold, warm, config) = counted(&t, |p| call(p, Method::Get, "/v1/clients/demo", &[], ""));
    assert_eq!(config.status, 200);
    assert_eq!(warm, trips(0, 0, 0), "client configuration");
    row("GET /v1/clients/{id}", cold, warm);

    // Revocation last: it ends the grant (the second call finds it revoked already).
    let body = format!("client_id=demo&token={access}");
    let (cold, warm, revoked) = counted(&t, |p| form(p, "/revoke", None, &body));
    assert_eq!(revoked.status, 200);
    assert_eq!(warm.d1, 0, "revocation");
    assert_eq!(warm.durable_object, 1, "revocation");
    row("POST /revoke (access token)", cold, warm);

    println!("round-trips | endpoint                           | cold D1 | cold DO | warm D1 | warm DO | warm log |");
    for line in rows {
        println!("{line}");
    }
}

#[test]
fn a_disabled_client_is_refused_once_the_cache_ttl_has_passed() {
    let (t, _) = warm_ports();
    assert_eq!(client_credentials(&t.ports()).status, 200);
    t.clients.disable("api");
    t.clock.advance_seconds(TTL - 1);
    // Within the time to live the isolate still knows the client: the documented bound.
    assert_eq!(client_credentials(&t.ports()).status, 200);
    t.clock.advance_seconds(1);
    let refused = client_credentials(&t.ports());
    assert_eq!(refused.status, 401);
    assert_eq!(json(&refused)["error"], "invalid_client");
}

#[test]
fn rfc6749_2_3_1_a_rotated_secret_works_at_once_and_a_disabled_client_with_a_wrong_secret_is_dropped(
) {
    let (t, _) = warm_ports();
    assert_eq!(client_credentials(&t.ports()).status, 200);
    // The secret is rotated in the store (scripts/clients rotate-secret).
    t.clients.insert(Client {
        secret_hash: Some(format!(
            "sha256:{}",
            portcullis_edge::crypto::sha256_hex("n3w")
        )),
        ..pollster::block_on(t.clients.find("api")).unwrap().unwrap()
    });
    let new_basic = "Basic YXBpOm4zdw=="; // api:n3w
    let with_new = form(
        &t.ports(),
        "/token",
        Some(new_basic),
        "grant_type=client_credentials",
    );
    assert_eq!(with_new.status, 200, "the cached client is read again");
    let with_old = client_credentials(&t.ports());
    assert_eq!(
        with_old.status, 401,
        "and the old secret no longer works here"
    );
    assert_eq!(json(&with_old)["error"], "invalid_client");
}

#[test]
fn an_unknown_client_is_not_kept_so_a_new_one_is_found_at_once() {
    let (t, _) = warm_ports();
    let unknown = || call(&t.ports(), Method::Get, "/v1/clients/late", &[], "");
    assert_eq!(unknown().status, 404);
    t.clients.insert(Client {
        id: "late".into(),
        ..testing::demo_client()
    });
    assert_eq!(unknown().status, 200);
}

fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_string()
}

fn token(ports: &Ports<'_>) -> String {
    json(&client_credentials(ports))["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn published_kids(ports: &Ports<'_>) -> Vec<String> {
    let jwks = call(ports, Method::Get, "/.well-known/jwks.json", &[], "");
    json(&jwks)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn oidc_core_10_1_1_a_key_rotated_by_another_isolate_signs_here_within_the_version_check() {
    let (t, _) = warm_ports();
    let here = t.ports();
    let other_cache = IsolateCache::new(TTL);
    let elsewhere = Ports {
        cache: &other_cache,
        ..t.ports()
    };
    let old_kid = kid_of(&token(&here));
    let jwks = call(&here, Method::Get, "/.well-known/jwks.json", &[], "");
    let old_etag = jwks.header("etag").unwrap().to_string();

    t.clock.advance_seconds(2);
    // The cron run of another isolate: rotates in the store and moves the version key.
    let new_kid = pollster::block_on(portcullis_edge::oauth::keys::rotate_if_older_than(
        &elsewhere, 0,
    ))
    .unwrap()
    .unwrap();
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        kid_of(&token(&elsewhere)),
        new_kid,
        "the rotating isolate signs with the new key at once"
    );
    assert_eq!(
        kid_of(&token(&here)),
        old_kid,
        "until this isolate reads the version again, the old (still published) key"
    );

    t.clock
        .advance_seconds(portcullis_edge::cache::DEFAULT_VERSION_CHECK_SECONDS - 2);
    assert_eq!(
        kid_of(&token(&here)),
        new_kid,
        "one version check later, long before the time to live, the new key"
    );
    let jwks = call(
        &here,
        Method::Get,
        "/.well-known/jwks.json",
        &[("if-none-match", &old_etag)],
        "",
    );
    assert_eq!(jwks.status, 200, "the old entity tag no longer matches");
    assert_eq!(
        published_kids(&here),
        [new_kid, old_kid],
        "the retired key stays published"
    );
}

#[test]
fn a_key_rotated_behind_portcullis_s_back_signs_here_within_the_cache_ttl() {
    let (t, _) = warm_ports();
    let here = t.ports();
    let old_kid = kid_of(&token(&here));
    // Rotated in D1 directly (by hand, say): the version key does not move.
    let other_cache = IsolateCache::disabled();
    let elsewhere = Ports {
        cache: &other_cache,
        ..t.ports()
    };
    let new_kid = {
        let isolated = portcullis_edge::testing::MemoryCacheVersion::default();
        let unversioned = Ports {
            cache_version: &isolated,
            ..elsewhere
        };
        pollster::block_on(portcullis_edge::oauth::keys::rotate_if_older_than(
            &unversioned,
            0,
        ))
        .unwrap()
        .unwrap()
    };
    t.clock.advance_seconds(TTL - 1);
    assert_eq!(kid_of(&token(&here)), old_kid, "within the time to live");
    t.clock.advance_seconds(1);
    assert_eq!(kid_of(&token(&here)), new_kid, "past it");
}

#[test]
fn rfc9110_13_1_2_the_jwks_answers_304_to_its_own_entity_tag() {
    let (t, _) = warm_ports();
    let jwks = call(&t.ports(), Method::Get, "/.well-known/jwks.json", &[], "");
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.header("cache-control"), Some("public, max-age=300"));
    let etag = jwks.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = call(
        &t.ports(),
        Method::Get,
        "/.well-known/jwks.json",
        &[("if-none-match", &etag)],
        "",
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let listed = format!("\"other\", W/{etag}");
    let weak = call(
        &t.ports(),
        Method::Get,
        "/.well-known/jwks.json",
        &[("if-none-match", &listed)],
        "",
    );
    assert_eq!(weak.status, 304, "weak comparison, one of a list (§13.1.2)");
    let other = call(
        &t.ports(),
        Method::Get,
        "/.well-known/jwks.json",
        &[("if-none-match", "\"nope\"")],
        "",
    );
    assert_eq!(other.status, 200);
    assert_eq!(json(&other), json(&jwks));
}

/// Suspends `id` through SCIM (RFC 7644 §3.5.2 PATCH `active`), as an identity
/// provisioning system does, with a client of its own.
fn suspend_through_scim(t: &TestPorts, id: &str) {
    t.clients.insert(Client {
        id: "hr".into(),
        allowed_scopes: portcullis_edge::oauth::scope::Scopes::parse("admin.users.manage"),
        ..testing::api_client()
    });
    let hr_basic = "Basic aHI6czNjcmV0"; // hr:s3cret
    let token = form(
        &t.ports(),
        "/token",
        Some(hr_basic),
        "grant_type=client_credentials&scope=admin.users.manage",
    );
    let bearer = format!("Bearer {}", json(&token)["access_token"].as_str().unwrap());
    let patch = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}],
    });
    let suspended = call(
        &t.ports(),
        Method::Patch,
        &format!("/scim/v2/Users/{id}"),
        &[
            ("authorization", &bearer),
            ("content-type", "application/scim+json"),
        ],
        &patch.to_string(),
    );
    assert_eq!(json(&suspended)["active"], false, "{}", json(&suspended));
}

#[test]
fn a_suspended_person_is_refused_at_once_even_by_a_warm_isolate() {
    let (t, first) = warm_ports();
    let rotated = refresh(&t.ports(), &first);
    assert_eq!(rotated.status, 200);
    let next = json(&rotated)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let access = json(&rotated)["access_token"].as_str().unwrap().to_string();
    t.clock.advance_seconds(1);
    suspend_through_scim(&t, "u1");
    // The same isolate, warm: its cache still holds the client, the grant holds the news.
    let refused = refresh(&t.ports(), &next);
    assert_eq!(refused.status, 400);
    assert_eq!(json(&refused)["error"], "invalid_grant");
    let bearer = format!("Bearer {access}");
    let info = call(
        &t.ports(),
        Method::Get,
        "/userinfo",
        &[("authorization", &bearer)],
        "",
    );
    assert_eq!(info.status, 401);
    let body = format!("token={access}");
    let introspected = form(&t.ports(), "/introspect", Some(API_BASIC), &body);
    assert_eq!(json(&introspected)["active"], Value::Bool(false));
}

#[test]
fn a_credential_reset_kills_tokens_at_once_even_in_a_warm_isolate() {
    let (t, first) = warm_ports();
    let rotated = refresh(&t.ports(), &first);
    let next = json(&rotated)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    t.clock.advance_seconds(5);
    // What a first proof of the address by the mailbox alone does (address_proof):
    // the store, then the person's grants.
    pollster::block_on(t.users.reset_credentials("u1", t.clock.now())).unwrap();
    pollster::block_on(portcullis_edge::holders::sync(&t.ports(), "u1")).unwrap();
    let refused = refresh(&t.ports(), &next);
    assert_eq!(json(&refused)["error"], "invalid_grant");
}
