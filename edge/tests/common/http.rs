//! The edge's HTTP surface, natively: requests into `api::handle` with every port in
//! memory, as a page at [`PAGE`] would send them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_edge::api::handle;
use portcullis_edge::http::{Method, Request, Response};
use portcullis_edge::ports::Ports;
use portcullis_edge::testing::TestPorts;
use serde_json::{json, Value};

pub const ISSUER: &str = "https://id.shop.example";
/// The demo client's allowed page.
pub const PAGE: &str = "https://shop.example";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn call(
    t: &TestPorts,
    method: Method,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    call_with(&t.ports(), method, target, headers, body)
}

/// [`call`] with ports put together by the test (another isolate's cache, say).
pub fn call_with(
    ports: &Ports<'_>,
    method: Method,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let request = Request {
        method,
        path: path.into(),
        query: query.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        self_origin: ISSUER.into(),
    };
    pollster::block_on(handle(ports, request)).response
}

pub fn post(t: &TestPorts, path: &str, body: &Value) -> Response {
    call(
        t,
        Method::Post,
        path,
        &[("content-type", "application/json"), ("origin", PAGE)],
        &body.to_string(),
    )
}

pub fn json(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

pub fn text(response: &Response) -> String {
    String::from_utf8(response.body.clone()).unwrap()
}

/// An embedded flow of `client_id`; returns its handle.
pub fn start_flow_for(t: &TestPorts, client_id: &str) -> String {
    let response = post(
        t,
        "/v1/flows",
        &json!({"client_id": client_id, "code_challenge": CHALLENGE,
                "code_challenge_method": "S256", "scope": "openid email offline_access"}),
    );
    assert_eq!(response.status, 201, "{}", json(&response));
    json(&response)["flow_id"].as_str().unwrap().to_string()
}

pub fn start_flow(t: &TestPorts) -> String {
    start_flow_for(t, "demo")
}

/// Redeems the authorization code of a finished embedded flow; returns the token response.
pub fn redeem(t: &TestPorts, done: &Response, client_id: &str) -> Value {
    let tokens = redeem_response(t, done, client_id);
    assert_eq!(tokens.status, 200, "{}", json(&tokens));
    json(&tokens)
}

/// The token endpoint's answer to redeeming a finished embedded flow's code, whatever it is.
pub fn redeem_response(t: &TestPorts, done: &Response, client_id: &str) -> Response {
    assert_eq!(done.status, 200, "{}", json(done));
    let code = json(done)["authorization_code"]
        .as_str()
        .unwrap()
        .to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ])
        .finish();
    form(t, "/token", &body)
}

/// A form POST (the OAuth endpoints, the email link page).
pub fn form(t: &TestPorts, path: &str, body: &str) -> Response {
    call(
        t,
        Method::Post,
        path,
        &[("content-type", "application/x-www-form-urlencoded")],
        body,
    )
}

/// The claims of a JWT, unverified (the signature is checked elsewhere).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The six-digit code in an emailed message's text (`Your code: 123456`).
pub fn code_in(text: &str) -> String {
    let line = text.lines().find(|l| l.starts_with("Your code: ")).unwrap();
    line.trim_start_matches("Your code: ").to_string()
}
