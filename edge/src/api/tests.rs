use portcullis_shared::api::{ClientConfig, FlowStarted, Health, Step};
use portcullis_shared::ApiError;
use portcullis_shared::ErrorCode;

use super::*;
use crate::testing::TestPorts;

const SELF: &str = "http://localhost:8787";

fn request(method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
    Request {
        method,
        path: path.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        self_origin: SELF.into(),
        query: String::new(),
    }
}

fn call(t: &TestPorts, req: Request) -> Response {
    pollster::block_on(handle(&t.ports(), req)).response
}

fn error_code(response: &Response) -> ErrorCode {
    serde_json::from_slice::<ApiError>(&response.body)
        .unwrap()
        .code
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn health_reports_ok_and_version() {
    let t = TestPorts::new();
    let response = call(&t, request(Method::Get, "/v1/health", &[], ""));
    assert_eq!(response.status, 200);
    let health: Health = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, crate::VERSION);
}

#[test]
fn client_config_is_public_and_cacheable() {
    let t = TestPorts::new();
    let response = call(
        &t,
        request(
            Method::Get,
            "/v1/clients/demo",
            &[("origin", "https://anywhere.example")],
            "",
        ),
    );
    assert_eq!(response.status, 200);
    let config: ClientConfig = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(config.name, "Portcullis Demo");
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://anywhere.example")
    );
    assert_eq!(response.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(config.theme, None);
}

#[test]
fn client_config_carries_the_client_theme() {
    let t = TestPorts::new();
    let mut client = crate::testing::demo_client();
    client.theme = portcullis_shared::theme::Theme::preset("playful");
    t.clients.insert(client);
    let response = call(&t, request(Method::Get, "/v1/clients/demo", &[], ""));
    let config: ClientConfig = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        config.theme,
        portcullis_shared::theme::Theme::preset("playful")
    );
    let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(json["theme"]["button"], "pill");
}

#[test]
fn unknown_client_is_404_unknown_client() {
    let t = TestPorts::new();
    let response = call(&t, request(Method::Get, "/v1/clients/nope", &[], ""));
    assert_eq!(response.status, 404);
    assert_eq!(error_code(&response), ErrorCode::UnknownClient);
}

#[test]
fn start_and_cancel_a_flow_over_http() {
    let t = TestPorts::new();
    let response = call(
        &t,
        request(
            Method::Post,
            "/v1/flows",
            &[JSON, ("origin", "https://shop.example")],
            r#"{"client_id":"demo","login_hint":"a@example.com","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256"}"#,
        ),
    );
    assert_eq!(
        response.status,
        201,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let started: FlowStarted = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(started.next, Step::Password);
    assert_eq!(response.header("cache-control"), Some("no-store"));

    let path = format!("/v1/flows/{}", started.flow_id);
    assert_eq!(
        call(&t, request(Method::Delete, &path, &[], "")).status,
        204
    );
    let again = call(&t, request(Method::Delete, &path, &[], ""));
    assert_eq!(again.status, 404);
    assert_eq!(error_code(&again), ErrorCode::FlowNotFound);
}

#[test]
fn flow_from_a_page_not_on_the_allow_list_is_403_and_readable() {
    let t = TestPorts::new();
    let response = call(
        &t,
        request(
            Method::Post,
            "/v1/flows",
            &[JSON, ("origin", "https://evil.example")],
            r#"{"client_id":"demo","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256"}"#,
        ),
    );
    assert_eq!(response.status, 403);
    assert_eq!(error_code(&response), ErrorCode::OriginNotAllowed);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert_eq!(t.one_time.len(), 0, "nothing stored for a refused origin");
}

#[test]
fn bad_bodies_get_clear_codes_never_500() {
    let t = TestPorts::new();
    let cases: Vec<(Request, u16, ErrorCode)> = vec![
        (
            request(Method::Post, "/v1/flows", &[JSON], "{"),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            request(Method::Post, "/v1/flows", &[JSON], r#"{"client_id":7}"#),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            request(Method::Post, "/v1/flows", &[JSON], "[]"),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            request(
                Method::Post,
                "/v1/flows",
                &[("content-type", "text/plain")],
                r#"{"client_id":"demo","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256"}"#,
            ),
            415,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            request(Method::Post, "/v1/flows", &[], r#"{"client_id":"demo"}"#),
            415,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            request(
                Method::Post,
                "/v1/flows",
                &[JSON],
                &format!(r#"{{"client_id":"{}"}}"#, "a".repeat(20_000)),
            ),
            413,
            ErrorCode::PayloadTooLarge,
        ),
        (
            request(Method::Post, "/v1/flows", &[JSON], r#"{"client_id":""}"#),
            400,
            ErrorCode::InvalidRequest,
        ),
        (
            request(Method::Get, "/v1/flows", &[], ""),
            405,
            ErrorCode::MethodNotAllowed,
        ),
        (
            request(Method::Delete, "/v1/flows/..%2F..", &[], ""),
            404,
            ErrorCode::FlowNotFound,
        ),
        (
            request(Method::Get, "/v1/nothing", &[], ""),
            404,
            ErrorCode::NotFound,
        ),
        (
            request(Method::Other, "/v1/health", &[], ""),
            405,
            ErrorCode::MethodNotAllowed,
        ),
    ];
    for (req, status, code) in cases {
        let label = format!("{:?} {}", req.method, req.path);
        let response = call(&t, req);
        assert_eq!(response.status, status, "{label}");
        assert_eq!(error_code(&response), code, "{label}");
    }
}

#[test]
fn store_outage_is_503_server_error_with_detail_only_in_the_log() {
    let t = TestPorts::new();
    t.one_time.fail_with("disk on fire");
    let handled = pollster::block_on(handle(
        &t.ports(),
        request(
            Method::Post,
            "/v1/flows",
            &[JSON],
            r#"{"client_id":"demo","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256"}"#,
        ),
    ));
    assert_eq!(handled.response.status, 503);
    assert_eq!(error_code(&handled.response), ErrorCode::ServerError);
    assert!(!String::from_utf8_lossy(&handled.response.body).contains("disk on fire"));
    assert!(handled.log.unwrap().contains("disk on fire"));
}

#[test]
fn preflight_answers_any_origin_without_acting() {
    let t = TestPorts::new();
    let response = call(
        &t,
        request(
            Method::Options,
            "/v1/flows",
            &[("origin", "https://shop.example")],
            "",
        ),
    );
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(
        response.header("access-control-allow-headers"),
        Some("content-type, authorization, portcullis-federation-ticket, portcullis-device")
    );
    assert!(response
        .header("access-control-allow-credentials")
        .is_none());
}

#[test]
fn the_dev_mailbox_is_never_readable_from_another_origin() {
    let t = TestPorts::new();
    let origin = ("origin", "https://evil.example");
    for path in ["/v1/dev/mailbox", "/dev/mailbox.html"] {
        let response = call(&t, request(Method::Get, path, &[origin], ""));
        assert_eq!(
            response.header("access-control-allow-origin"),
            None,
            "{path}"
        );
    }
    // The JSON API stays readable cross-origin, as the widget needs.
    let health = call(&t, request(Method::Get, "/v1/health", &[origin], ""));
    assert!(health.header("access-control-allow-origin").is_some());
}

#[test]
fn the_dev_mailbox_page_exists_only_where_mail_is_kept_for_development() {
    let t = TestPorts::new();
    let page = call(&t, request(Method::Get, "/dev/mailbox.html", &[], ""));
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Development mailbox"));
    let mut ports = t.ports();
    ports.mailbox = None;
    for path in ["/dev/mailbox.html", "/dev/mailbox.js", "/v1/dev/mailbox"] {
        let response = pollster::block_on(handle(&ports, request(Method::Get, path, &[], "")));
        assert_eq!(response.response.status, 404, "{path}");
    }
}

#[test]
fn rfc9110_15_5_6_a_405_says_which_methods_the_endpoint_answers() {
    let t = TestPorts::new();
    for (method, path, allow) in [
        (Method::Get, "/v1/flows", "POST"),
        (Method::Get, "/token", "POST"),
        (Method::Put, "/v1/me/passkeys/abc", "PATCH, DELETE"),
        (Method::Delete, "/authorize", "GET, HEAD"),
    ] {
        let response = call(&t, request(method, path, &[], ""));
        assert_eq!(response.status, 405, "{path}");
        assert_eq!(response.header("allow"), Some(allow), "{path}");
    }
}
