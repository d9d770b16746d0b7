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

fn first_screen(t: &TestPorts, query: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = request(Method::Get, "/v1/clients/demo/first-screen", headers, "");
    req.query = query.into();
    call(t, req)
}

#[test]
fn first_screen_is_the_widgets_own_render_of_the_clients_configuration_in_the_language_and_theme() {
    let t = TestPorts::new();
    let mut client = crate::testing::demo_client();
    client.theme = portcullis_shared::theme::Theme::preset("playful");
    t.clients.insert(client);
    let response = first_screen(
        &t,
        "lang=ar&theme=midnight",
        &[("origin", "https://shop.example")],
    );
    assert_eq!(response.status, 200);
    let body: portcullis_shared::api::FirstScreenBody =
        serde_json::from_slice(&response.body).unwrap();
    // The configuration is the one /v1/clients/{id} answers: the widget's starting state.
    let config: ClientConfig =
        serde_json::from_slice(&call(&t, request(Method::Get, "/v1/clients/demo", &[], "")).body)
            .unwrap();
    assert_eq!(body.config, config);
    assert_eq!((body.lang.as_str(), body.dir.as_str()), ("ar", "rtl"));
    // Same markup as the widget's views render from that state, in Arabic, with the
    // page's preset over the client's theme.
    let widget = portcullis_widget::first_screen::render(&config, "ar", Some("midnight")).unwrap();
    assert_eq!(body.html, widget.html);
    assert_eq!(body.css, widget.css);
    assert!(body.html.contains(r#"autocomplete="username webauthn""#));
    assert!(
        body.html.contains("<!>"),
        "hydration markers kept: {}",
        body.html
    );
    assert_ne!(
        body.html,
        portcullis_widget::first_screen::render(&config, "en", None)
            .unwrap()
            .html
    );
    // Cacheable per client, language and theme (all in the URL) and per origin (CORS).
    assert_eq!(response.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(response.header("vary"), Some("Origin"));
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
}

#[test]
fn first_screen_revalidates_with_its_etag_rfc9110_13_1_2() {
    let t = TestPorts::new();
    let first = first_screen(&t, "lang=de", &[]);
    let tag = first.header("etag").unwrap().to_string();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
    let again = first_screen(&t, "lang=de", &[("if-none-match", &tag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    // Another language is another representation.
    let french = first_screen(&t, "lang=fr", &[("if-none-match", &tag)]);
    assert_eq!(french.status, 200);
    assert_ne!(french.header("etag"), Some(tag.as_str()));
    // A changed client is another representation too.
    let mut client = crate::testing::demo_client();
    client.name = "Renamed".into();
    t.clients.insert(client);
    let changed = first_screen(&t, "lang=de", &[("if-none-match", &tag)]);
    assert_eq!(changed.status, 200);
}

#[test]
fn first_screen_refuses_an_unknown_client_language_or_theme_clearly() {
    let t = TestPorts::new();
    let mut req = request(Method::Get, "/v1/clients/nope/first-screen", &[], "");
    req.query = "lang=en".into();
    let unknown = call(&t, req);
    assert_eq!(unknown.status, 404);
    assert_eq!(error_code(&unknown), ErrorCode::UnknownClient);
    for query in [
        "lang=xx",
        "lang=",
        "lang=de-AT",
        "lang=en&lang=de",
        "lang=en&theme=nope",
        "lang=%3Cscript%3E",
    ] {
        let response = first_screen(&t, query, &[]);
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(error_code(&response), ErrorCode::InvalidRequest, "{query}");
        assert!(!String::from_utf8_lossy(&response.body).contains("<script"));
    }
    // Without a language: English.
    let english = first_screen(&t, "", &[]);
    assert_eq!(english.status, 200);
    let body: portcullis_shared::api::FirstScreenBody =
        serde_json::from_slice(&english.body).unwrap();
    assert_eq!(body.lang, "en");
    let post = {
        let mut req = request(Method::Post, "/v1/clients/demo/first-screen", &[JSON], "{}");
        req.query = "lang=en".into();
        call(&t, req)
    };
    assert_eq!(post.status, 405);
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
