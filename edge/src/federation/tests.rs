//! Federation natively: the flow leaves for a provider played here (discovery, JWKS and
//! a token endpoint that checks PKCE, signing ES256 ID tokens with a key made for the
//! test), comes back, and resumes; the ID token rules of OIDC Core §3.1.3.7 and the
//! linking rules, each by name.

use std::cell::RefCell;
use std::rc::Rc;

use portcullis_shared::api::{
    FederationResume, FederationStart, FlowOutcome, PasswordSignIn, StartFlow,
};
use serde_json::{json, Value};

use super::upstream::{self, Answer};
use crate::crypto::es256::{coordinates, Es256Signer};
use crate::error::Error;
use crate::events::RequestContext;
use crate::flows::{self, Caller, Completed, StepInput};
use crate::passwords::hashing::{self, Cost};
use crate::ports::{HttpAnswer, TransportError};
use crate::testing::{oidc_connection, user, FnTransport, SeededRandom, TestPorts};

const ISSUER: &str = "https://idp.example";
const SELF: &str = "https://id.example";
const SHOP: &str = "https://shop.example";
/// RFC 7636 Appendix B: the widget's own PKCE pair, for the code it will redeem.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "correct horse battery staple 42";
/// When the played provider issues its ID tokens: the test clock's now.
const T0: u64 = crate::testing::FixedClock::START.0 / 1000;

/// What the provider played here knows: its key, the last authorization request, and
/// how the test wants the next ID token bent.
struct Upstream {
    key: Es256Signer,
    /// The `nonce` and `code_challenge` of the last authorization request.
    nonce: String,
    code_challenge: String,
    claims: Value,
    header_kid: String,
    /// What GitHub's `GET /user/emails` answers.
    github_emails: Value,
    /// What the played provider's userinfo endpoint answers.
    userinfo: Value,
    /// The last client secret the played Apple was sent.
    apple_client_secret: Option<String>,
    /// The refresh tokens of the refresh grants the provider was sent, in order.
    refreshes: Vec<String>,
    /// What the provider answers a refresh grant.
    refresh_answer: (u16, Value),
}

type Shared = Rc<RefCell<Upstream>>;

fn answer(status: u16, body: Value) -> Result<HttpAnswer, TransportError> {
    Ok(HttpAnswer {
        status,
        headers: vec![],
        body: body.to_string(),
    })
}

fn pkce(verifier: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn provider(shared: Shared) -> FnTransport {
    FnTransport(Box::new(move |request, _| {
        let upstream = shared.borrow();
        match request.url.as_str() {
            "https://idp.example/.well-known/openid-configuration" => answer(
                200,
                json!({
                    "issuer": ISSUER,
                    "authorization_endpoint": "https://idp.example/auth",
                    "token_endpoint": "https://idp.example/token",
                    "jwks_uri": "https://idp.example/jwks",
                    "userinfo_endpoint": "https://idp.example/userinfo",
                    "authorization_response_iss_parameter_supported": true,
                }),
            ),
            "https://idp.example/jwks" => {
                let (x, y) = coordinates(&upstream.key.verifying_key());
                answer(
                    200,
                    json!({"keys": [{"kty": "EC", "crv": "P-256", "x": x, "y": y,
                                     "kid": "k1", "alg": "ES256", "use": "sig"}]}),
                )
            }
            "https://idp.example/token"
                if form_value(&request.body, "grant_type") == "refresh_token" =>
            {
                drop(upstream);
                let mut upstream = shared.borrow_mut();
                let refresh_token = form_value(&request.body, "refresh_token");
                upstream.refreshes.push(refresh_token);
                let (status, body) = upstream.refresh_answer.clone();
                answer(status, body)
            }
            "https://idp.example/token" => {
                let get = |name: &str| form_value(&request.body, name);
                // RFC 7636 §4.6: the provider checks the verifier against the challenge.
                if get("code") != "the-code"
                    || pkce(&get("code_verifier")) != upstream.code_challenge
                    || get("redirect_uri") != format!("{SELF}/callback/corp")
                {
                    return answer(400, json!({"error": "invalid_grant"}));
                }
                let mut claims = json!({
                    "iss": ISSUER, "aud": "portcullis", "sub": "upstream-1",
                    "iat": T0, "exp": T0 + 600,
                    "nonce": upstream.nonce, "email": "ada@example.com", "email_verified": true,
                });
                merge(&mut claims, &upstream.claims);
                let key = Es256Signer::generate("unused", &SeededRandom::new(1)).unwrap();
                let signer = if upstream.header_kid == "k1" {
                    &upstream.key
                } else {
                    &key
                };
                let token = sign(signer, &upstream.header_kid, &claims);
                answer(
                    200,
                    json!({"id_token": token, "access_token": "at-corp", "token_type": "Bearer",
                           "refresh_token": "rt-corp", "expires_in": 600,
                           "scope": "openid email profile api.read"}),
                )
            }
            "https://idp.example/userinfo" => {
                let bearer = request
                    .headers
                    .iter()
                    .any(|(k, v)| k == "authorization" && v == "Bearer at-corp");
                if !bearer {
                    return answer(401, json!({"error": "invalid_token"}));
                }
                answer(200, upstream.userinfo.clone())
            }
            "https://appleid.apple.com/.well-known/openid-configuration" => answer(
                200,
                json!({
                    "issuer": "https://appleid.apple.com",
                    "authorization_endpoint": "https://appleid.apple.com/auth/authorize",
                    "token_endpoint": "https://appleid.apple.com/auth/token",
                    "jwks_uri": "https://appleid.apple.com/auth/keys",
                    "response_modes_supported": ["query", "fragment", "form_post"],
                }),
            ),
            "https://appleid.apple.com/auth/keys" => {
                let (x, y) = coordinates(&upstream.key.verifying_key());
                answer(
                    200,
                    json!({"keys": [{"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": "k1"}]}),
                )
            }
            "https://appleid.apple.com/auth/token" => {
                let get = |name: &str| form_value(&request.body, name);
                let secret = get("client_secret");
                drop(upstream);
                shared.borrow_mut().apple_client_secret = Some(secret.clone());
                let upstream = shared.borrow();
                if get("code") != "the-code"
                    || get("client_id") != "com.example.web"
                    || !apple_client_secret_ok(&secret)
                    || pkce(&get("code_verifier")) != upstream.code_challenge
                {
                    return answer(400, json!({"error": "invalid_client"}));
                }
                let mut claims = json!({
                    "iss": "https://appleid.apple.com", "aud": "com.example.web",
                    "sub": "001234.apple", "iat": T0, "exp": T0 + 600, "nonce": upstream.nonce,
                    "email": "ada@example.com", "email_verified": "true",
                });
                merge(&mut claims, &upstream.claims);
                let token = sign(&upstream.key, "k1", &claims);
                answer(
                    200,
                    json!({"id_token": token, "access_token": "at-apple",
                                   "token_type": "Bearer", "expires_in": 3600}),
                )
            }
            // GitHub's formats: the token endpoint answers JSON only when asked, and
            // a refused code with 200 and an error body.
            "https://github.com/login/oauth/access_token" => {
                let get = |name: &str| form_value(&request.body, name);
                let asks_json = request
                    .headers
                    .iter()
                    .any(|(k, v)| k == "accept" && v == "application/json");
                if !asks_json {
                    return Ok(HttpAnswer {
                        status: 200,
                        headers: vec![],
                        body: "access_token=gho_x&token_type=bearer".into(),
                    });
                }
                if get("code") != "the-code"
                    || get("client_id") != "Iv1.portcullis"
                    || get("client_secret") != "github-s3cret"
                    || pkce(&get("code_verifier")) != upstream.code_challenge
                {
                    return answer(
                        200,
                        json!({"error": "bad_verification_code",
                               "error_description": "The code passed is incorrect or expired."}),
                    );
                }
                answer(
                    200,
                    json!({"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                           "scope": "read:user,user:email", "token_type": "bearer"}),
                )
            }
            "https://api.github.com/user" | "https://api.github.com/user/emails" => {
                let bearer = request.headers.iter().any(|(k, v)| {
                    k == "authorization" && v == "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a"
                });
                let agent = request.headers.iter().any(|(k, _)| k == "user-agent");
                if !bearer || !agent {
                    return answer(401, json!({"message": "Requires authentication"}));
                }
                if request.url.ends_with("/emails") {
                    answer(200, upstream.github_emails.clone())
                } else {
                    answer(
                        200,
                        json!({"login": "octocat", "id": 583231, "name": "The Octocat",
                               "email": "ada@example.com"}),
                    )
                }
            }
            // Microsoft's multi-tenant endpoints: the issuer is a template.
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration" => {
                answer(
                    200,
                    json!({
                        "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
                        "authorization_endpoint":
                            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                        "token_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                        "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
                    }),
                )
            }
            "https://login.microsoftonline.com/common/discovery/v2.0/keys" => {
                let (x, y) = coordinates(&upstream.key.verifying_key());
                answer(
                    200,
                    json!({"keys": [{"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": "k1"}]}),
                )
            }
            "https://login.microsoftonline.com/common/oauth2/v2.0/token" => {
                let mut claims = json!({
                    "iss": format!("https://login.microsoftonline.com/{TENANT_A}/v2.0"),
                    "tid": TENANT_A, "aud": "portcullis", "sub": "ms-subject-1",
                    "iat": T0, "exp": T0 + 600, "nonce": upstream.nonce,
                    "email": "ada@example.com", "name": "Ada Microsoft",
                });
                merge(&mut claims, &upstream.claims);
                let token = sign(&upstream.key, "k1", &claims);
                answer(200, json!({"id_token": token, "token_type": "Bearer"}))
            }
            other => Err(TransportError(format!("nothing at {other}"))),
        }
    }))
}

/// Whether `secret` is the client secret Apple wants: ES256 under the test's key, `kid`
/// the key id, `iss` the team, `sub` the client, `aud` Apple, unexpired, ≤ 6 months.
fn apple_client_secret_ok(secret: &str) -> bool {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;
    let part = |n: usize| -> Value {
        secret
            .split('.')
            .nth(n)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let (header, claims) = (part(0), part(1));
    let Some((input, signature)) = secret.rsplit_once('.') else {
        return false;
    };
    let key = Es256Signer::from_pkcs8_pem("k", crate::testing::APPLE_AUTH_KEY)
        .unwrap()
        .verifying_key();
    let signed = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|s| p256::ecdsa::Signature::from_slice(&s).ok())
        .is_some_and(|s| key.verify(input.as_bytes(), &s).is_ok());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    signed
        && header["alg"] == "ES256"
        && header["kid"] == "KEY1234567"
        && claims["iss"] == "TEAM123456"
        && claims["sub"] == "com.example.web"
        && claims["aud"] == "https://appleid.apple.com"
        && exp > T0
        && exp - iat <= 15_777_000
}

/// Two Microsoft tenants (Entra ID tenant ids).
const TENANT_A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const TENANT_B: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The value of `name` in a form-encoded body, or empty.
fn form_value(body: &str, name: &str) -> String {
    form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn merge(claims: &mut Value, changes: &Value) {
    if let (Some(claims), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (name, value) in changes {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
    }
}

fn sign(key: &Es256Signer, kid: &str, claims: &Value) -> String {
    use crate::crypto::signer::Signer;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = json!({"alg": "ES256", "kid": kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = pollster::block_on(key.sign(input.as_bytes())).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

struct World {
    t: TestPorts,
    upstream: Shared,
    /// The connection the person leaves through.
    connection: &'static str,
}

fn world() -> World {
    let upstream = Rc::new(RefCell::new(Upstream {
        key: Es256Signer::generate("k1", &SeededRandom::new(9)).unwrap(),
        nonce: String::new(),
        code_challenge: String::new(),
        claims: json!({}),
        header_kid: "k1".into(),
        github_emails: json!([]),
        userinfo: json!({}),
        apple_client_secret: None,
        refreshes: vec![],
        refresh_answer: (
            200,
            json!({"access_token": "at-corp-2", "refresh_token": "rt-corp-2",
                   "token_type": "Bearer", "expires_in": 3600}),
        ),
    }));
    let mut t = TestPorts::new();
    t.http = provider(upstream.clone());
    t.users.add_connection(oidc_connection("corp", ISSUER));
    World {
        t,
        upstream,
        connection: "corp",
    }
}

fn context() -> RequestContext {
    crate::testing::request_context()
}

fn caller(context: &RequestContext) -> Caller<'_> {
    crate::testing::shop_caller(context)
}

fn query(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn value(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// A started embedded flow, and the provider's callback parameters and cookie for it.
struct Left {
    flow_id: String,
    state: String,
    cookie: String,
    /// The authorization request's parameters and the cookie as set.
    params: Vec<(String, String)>,
    set_cookie: String,
}

fn leave(w: &World) -> Left {
    let ports = w.t.ports();
    let context = context();
    let started = pollster::block_on(flows::start(
        &ports,
        caller(&context),
        StartFlow {
            client_id: "demo".into(),
            login_hint: None,
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            scope: Some("openid email".into()),
            nonce: None,
            acr_values: None,
        },
    ))
    .unwrap();
    let body = FederationStart {
        return_to: Some(format!("{SHOP}/account")),
    };
    let leave = pollster::block_on(flows::federation::depart(
        &ports,
        caller(&context),
        &started.flow_id,
        w.connection,
        &body,
    ))
    .unwrap();
    let ticket = value(&query(&leave.redirect_to), "ticket");
    let response = pollster::block_on(upstream::start(&ports, SELF, &ticket)).unwrap();
    assert_eq!(response.status, 302);
    let location = response.header("location").unwrap().to_string();
    let authorize = match w.connection {
        "github" => "https://github.com/login/oauth/authorize?",
        "microsoft" => "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?",
        "apple" => "https://appleid.apple.com/auth/authorize?",
        _ => "https://idp.example/auth?",
    };
    assert!(location.starts_with(authorize), "{location}");
    let params = query(&location);
    assert_eq!(value(&params, "code_challenge_method"), "S256");
    assert_eq!(
        value(&params, "redirect_uri"),
        format!("{SELF}/callback/{}", w.connection)
    );
    {
        let mut upstream = w.upstream.borrow_mut();
        upstream.nonce = value(&params, "nonce");
        upstream.code_challenge = value(&params, "code_challenge");
    }
    let set_cookie = response.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    Left {
        flow_id: started.flow_id,
        state: value(&params, "state"),
        cookie,
        set_cookie: set_cookie.to_string(),
        params,
    }
}

fn callback(w: &World, left: &Left, extra: &[(&str, &str)]) -> Result<Answer, Error> {
    let ports = w.t.ports();
    let mut params = vec![
        ("code".to_string(), "the-code".to_string()),
        ("state".to_string(), left.state.clone()),
    ];
    // RFC 9207: the played OpenID Provider says it sends `iss`; Microsoft does not.
    if w.connection == "corp" {
        params.push(("iss".to_string(), ISSUER.to_string()));
    }
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k.to_string(), v.to_string()));
        }
    }
    pollster::block_on(upstream::callback(
        &ports,
        SELF,
        w.connection,
        &params,
        Some(&left.cookie),
    ))
}

/// The page the browser is sent back to, after the callback.
fn come_back(w: &World, left: &Left) -> String {
    let answer = callback(w, left, &[]).unwrap();
    let ports = w.t.ports();
    pollster::block_on(flows::federation::arrive(&ports, &context(), answer)).unwrap()
}

fn resume(w: &World, left: &Left, location: &str) -> Result<Completed, Error> {
    let ticket = location
        .split_once("#portcullis_federation=")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| panic!("no ticket in {location}"));
    let ports = w.t.ports();
    let context = context();
    pollster::block_on(flows::step(
        &ports,
        caller(&context),
        &left.flow_id,
        StepInput::Federated(FederationResume {
            ticket: ticket.as_str().into(),
        }),
    ))
}

fn signed_in(w: &World) -> Completed {
    let left = leave(w);
    let location = come_back(w, &left);
    assert!(
        location.starts_with(&format!("{SHOP}/account#")),
        "{location}"
    );
    resume(w, &left, &location).unwrap()
}

fn ticket_of(location: &str) -> String {
    location
        .split_once("#portcullis_federation=")
        .map(|(_, t)| t.to_string())
        .unwrap()
}

/// The password step of the flow, with the ticket header the returning page sends.
fn prove_with_password(w: &World, left: &Left, ticket: Option<&str>) -> Result<Completed, Error> {
    let ports = w.t.ports();
    let context = context();
    let mut caller = caller(&context);
    caller.federation_ticket = ticket;
    pollster::block_on(flows::step(
        &ports,
        caller,
        &left.flow_id,
        StepInput::Password(PasswordSignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            turnstile_token: None,
        }),
    ))
}

fn account(w: &World, email: &str) -> Option<crate::users::User> {
    pollster::block_on(w.t.ports().users.find_by_email(email)).unwrap()
}

fn identities(w: &World, user_id: &str) -> usize {
    pollster::block_on(w.t.ports().connections.identities_for(user_id))
        .unwrap()
        .len()
}

fn password_account(w: &World, email: &str, verified: bool) -> crate::users::User {
    let mut local = user("local-1", email);
    local.email_verified = verified;
    local.password_hash =
        Some(hashing::hash(PASSWORD, Cost::OWASP, &SeededRandom::new(3)).unwrap());
    pollster::block_on(w.t.ports().users.create(&local)).unwrap();
    local
}

#[test]
fn a_first_sign_in_with_a_provider_creates_the_account_and_the_next_finds_it() {
    let w = world();
    let done = signed_in(&w);
    assert!(matches!(
        done.outcome,
        FlowOutcome::AuthorizationCode { .. }
    ));
    let created = account(&w, "ada@example.com").expect("a new account");
    assert!(created.email_verified, "the provider verified the address");
    assert!(created.password_hash.is_none());
    assert_eq!(identities(&w, &created.id), 1);

    signed_in(&w);
    assert_eq!(account(&w, "ada@example.com").unwrap().id, created.id);
    assert_eq!(identities(&w, &created.id), 1);
    let events = w.t.events.summary();
    assert!(events
        .iter()
        .any(|(t, _)| t == "user.authentication.auth_via_IDP"));
    assert!(events.iter().any(|(t, _)| t == "user.identity.link"));
}

#[test]
fn identity_is_connection_and_subject_never_email() {
    let w = world();
    signed_in(&w);
    // Another subject with the same address is another identity: it does not sign in to
    // the account, it must prove it.
    w.upstream.borrow_mut().claims = json!({"sub": "upstream-2"});
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
}

#[test]
fn an_untrusted_connection_must_prove_the_existing_account_before_linking() {
    let w = world();
    let local = password_account(&w, "ada@example.com", true);
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    assert_eq!(
        identities(&w, &local.id),
        0,
        "nothing linked before the proof"
    );

    // The flow waits for a sign-in to that account; the identity links when it ends.
    let done = prove_with_password(&w, &left, Some(&ticket_of(&location))).unwrap();
    assert!(matches!(
        done.outcome,
        FlowOutcome::AuthorizationCode { .. }
    ));
    assert_eq!(identities(&w, &local.id), 1);
    // From now on the provider alone signs in to the account.
    signed_in(&w);
    assert_eq!(identities(&w, &local.id), 1);
}

#[test]
fn a_flow_handle_alone_cannot_link_an_identity_to_someone_elses_account() {
    // A hosted sign-in URL carries the flow handle: sent to the account's owner after
    // the provider's return, their sign-in must not link the sender's identity.
    let w = world();
    let local = password_account(&w, "ada@example.com", true);
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    let done = prove_with_password(&w, &left, None).unwrap();
    assert!(matches!(
        done.outcome,
        FlowOutcome::AuthorizationCode { .. }
    ));
    assert_eq!(identities(&w, &local.id), 0);
}

#[test]
fn a_trusted_connection_links_a_verified_address_to_a_verified_account_automatically() {
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let local = password_account(&w, "ada@example.com", true);
    signed_in(&w);
    assert_eq!(identities(&w, &local.id), 1);
}

#[test]
fn a_staged_account_is_never_linked_or_signed_in_through_a_trusted_provider() {
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let mut local = password_account(&w, "ada@example.com", true);
    local.status = crate::users::UserStatus::Staged;
    assert!(pollster::block_on(w.t.ports().directory.update(&local, local.updated_at)).unwrap());
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    assert_eq!(identities(&w, &local.id), 0);
    // Nor does the account's own password prove it.
    assert!(prove_with_password(&w, &left, Some(&ticket_of(&location))).is_err());
    assert_eq!(identities(&w, &local.id), 0);
    assert!(w
        .t
        .mailer
        .sent
        .borrow()
        .iter()
        .all(|m| m.to != "ada@example.com"));
}

#[test]
fn an_unverified_upstream_address_never_links_automatically() {
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    w.upstream.borrow_mut().claims = json!({"email_verified": false});
    let local = password_account(&w, "ada@example.com", true);
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    assert_eq!(identities(&w, &local.id), 0);
}

#[test]
fn an_unverified_upstream_address_creates_nothing_and_answers_alike_with_or_without_an_account() {
    let w = world();
    w.upstream.borrow_mut().claims = json!({"email_verified": false});
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    assert!(account(&w, "ada@example.com").is_none());
}

#[test]
fn an_unverified_local_address_never_links_automatically() {
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let local = password_account(&w, "ada@example.com", false);
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(resume(&w, &left, &location), Err(Error::LinkProofRequired));
    assert_eq!(identities(&w, &local.id), 0);
}

fn refused(answer: Result<Answer, Error>) -> String {
    match answer {
        Ok(Answer::Refused { error, .. }) => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn oidc_core_3_1_3_7_every_id_token_rule_refuses_and_creates_nothing() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "step 2: wrong iss",
            json!({"iss": "https://evil.example"}),
            "k1",
        ),
        ("step 3: wrong aud", json!({"aud": "someone-else"}), "k1"),
        (
            "step 3: an extra audience",
            json!({"aud": ["portcullis", "other"]}),
            "k1",
        ),
        ("step 5: azp of another", json!({"azp": "other"}), "k1"),
        ("step 9: expired", json!({"exp": T0 - 1_000}), "k1"),
        (
            "step 10: issued in the future",
            json!({"iat": T0 + 900}),
            "k1",
        ),
        (
            "step 11: nonce mismatch",
            json!({"nonce": "not-ours"}),
            "k1",
        ),
        ("step 11: nonce missing", json!({"nonce": null}), "k1"),
        ("step 6: unknown kid (another key)", json!({}), "k9"),
    ];
    for (rule, claims, kid) in cases {
        let w = world();
        {
            let mut upstream = w.upstream.borrow_mut();
            upstream.claims = claims;
            upstream.header_kid = kid.into();
        }
        let left = leave(&w);
        assert_eq!(refused(callback(&w, &left, &[])), "server_error", "{rule}");
        assert!(account(&w, "ada@example.com").is_none(), "{rule}");
    }
}

#[test]
fn oidc_core_3_1_3_7_step_7_alg_none_and_hmac_are_refused() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    for alg in ["none", "HS256", "RS384"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "k1"}).to_string());
        let token = format!("{header}.e30.");
        assert!(
            matches!(
                super::id_token::parse(&token),
                Err(super::id_token::IdTokenError::UnsupportedAlgorithm)
            ),
            "{alg}"
        );
    }
}

#[test]
fn state_is_single_use_and_a_replayed_callback_is_refused() {
    let w = world();
    let left = leave(&w);
    assert!(matches!(
        callback(&w, &left, &[]),
        Ok(Answer::Verified { .. })
    ));
    assert_eq!(callback(&w, &left, &[]), Err(Error::StateInvalid));
}

#[test]
fn a_missing_or_wrong_state_is_refused() {
    let w = world();
    let left = leave(&w);
    assert_eq!(
        callback(&w, &left, &[("state", "")]),
        Err(Error::StateInvalid)
    );
    let forged = "A".repeat(43);
    assert_eq!(
        callback(&w, &left, &[("state", &forged)]),
        Err(Error::StateInvalid)
    );
}

#[test]
fn a_link_signs_in_only_the_browser_that_opens_it() {
    // The provider's answer opened in a browser without the departure's cookie (a
    // callback URL sent to someone else) is refused, and spends the state.
    let w = world();
    let left = leave(&w);
    let ports = w.t.ports();
    let params = vec![
        ("code".to_string(), "the-code".to_string()),
        ("state".to_string(), left.state.clone()),
    ];
    let other_browser = pollster::block_on(upstream::callback(&ports, SELF, "corp", &params, None));
    assert_eq!(other_browser, Err(Error::StateInvalid));
    assert_eq!(callback(&w, &left, &[]), Err(Error::StateInvalid));
}

#[test]
fn rfc9207_an_iss_of_another_issuer_or_none_from_a_provider_that_sends_it_is_refused() {
    let w = world();
    let left = leave(&w);
    assert_eq!(
        refused(callback(&w, &left, &[("iss", "https://evil.example")])),
        "server_error"
    );
    let left = leave(&w);
    assert_eq!(refused(callback(&w, &left, &[("iss", "")])), "server_error");
}

#[test]
fn a_provider_error_goes_back_to_the_page_and_creates_nothing() {
    let w = world();
    let left = leave(&w);
    let answer = callback(&w, &left, &[("error", "access_denied"), ("code", "")]);
    assert_eq!(refused(answer.clone()), "access_denied");
    let location = pollster::block_on(flows::federation::arrive(
        &w.t.ports(),
        &context(),
        answer.unwrap(),
    ))
    .unwrap();
    assert_eq!(
        location,
        format!("{SHOP}/account#portcullis_federation_error=access_denied")
    );
    assert!(account(&w, "ada@example.com").is_none());
    // An error code the provider made up is not repeated to the person.
    let left = leave(&w);
    let answer = callback(&w, &left, &[("error", "<script>"), ("code", "")]);
    assert_eq!(refused(answer), "server_error");
}

#[test]
fn a_ticket_resumes_only_its_own_flow_once() {
    let w = world();
    let left = leave(&w);
    let location = come_back(&w, &left);
    let wrong = format!("{SHOP}/account#portcullis_federation={}", "B".repeat(43));
    assert!(matches!(
        resume(&w, &left, &wrong),
        Err(Error::FederationFailed(_))
    ));
    // The wrong ticket spent the return: the right one no longer works either.
    assert!(resume(&w, &left, &location).is_err());
}

#[test]
fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let w = world();
    signed_in(&w);
    let created = account(&w, "ada@example.com").unwrap();
    let ports = w.t.ports();
    let context = context();
    let me = crate::passkeys::account::Account {
        user: created.clone(),
        client: crate::testing::demo_client(),
        auth_time: Some(T0),
        multi_factor: false,
        grant: None,
    };
    let request = crate::passkeys::account::AccountRequest {
        issuer: SELF,
        authorization: None,
        origin: Some(SHOP),
        context: &context,
    };
    let listed = pollster::block_on(super::identities::list(&ports, &me)).unwrap();
    let id = listed.identities[0].id.clone();
    assert_eq!(
        pollster::block_on(super::identities::unlink(&ports, &request, &me, &id)),
        Err(Error::LastSignInMethod)
    );
    assert_eq!(
        pollster::block_on(super::identities::unlink(&ports, &request, &me, "nope")),
        Err(Error::IdentityNotFound)
    );
}

#[test]
fn the_registration_hook_decides_on_an_account_a_provider_would_create() {
    use crate::hooks::inline::{FailureMode, InlineHook, InlineHookKind};
    // A fail-closed registration hook that cannot be reached (the played network knows
    // only the provider): the new account is refused as on any other way of signing up.
    let w = world();
    let sealed =
        w.t.settings
            .key_encryption_key
            .as_ref()
            .unwrap()
            .seal(
                b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "hook:ih_1",
                &w.t.random,
            )
            .unwrap();
    w.t.inline_hooks.hooks.borrow_mut().push((
        Some("demo".into()),
        InlineHook {
            id: "ih_1".into(),
            kind: InlineHookKind::Registration,
            url: "https://crm.shop.example/registration".into(),
            sealed_secret: sealed,
            timeout_ms: 2_000,
            failure_mode: FailureMode::Closed,
        },
    ));
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert_eq!(
        resume(&w, &left, &location),
        Err(Error::RegistrationDenied(None))
    );
    assert!(account(&w, "ada@example.com").is_none(), "nothing created");
    let events = w.t.events.summary();
    assert!(events
        .iter()
        .any(|(t, o)| t == "user.registration.create" && o.contains("FAILURE")));

    // A known identity signs in without asking the hook again.
    w.t.inline_hooks.hooks.borrow_mut().clear();
    signed_in(&w);
    let created = account(&w, "ada@example.com").expect("created once the hook is gone");
    w.t.inline_hooks.hooks.borrow_mut().push((
        Some("demo".into()),
        InlineHook {
            id: "ih_2".into(),
            kind: InlineHookKind::Registration,
            url: "https://crm.shop.example/registration".into(),
            sealed_secret: String::new(),
            timeout_ms: 2_000,
            failure_mode: FailureMode::Closed,
        },
    ));
    signed_in(&w);
    assert_eq!(account(&w, "ada@example.com").unwrap().id, created.id);
}

/// A world whose person leaves through the GitHub preset (`github`, github.com, a
/// sealed client secret), with `emails` as GitHub's `GET /user/emails`.
fn github_world(emails: Value) -> World {
    let mut w = world();
    let kek = crate::testing::key_encryption_key(1);
    let sealed = kek
        .seal(
            b"github-s3cret",
            &super::Connection::secret_record("github"),
            &SeededRandom::new(3),
        )
        .unwrap();
    let mut connection = oidc_connection("github", "https://github.com");
    connection.kind = super::ConnectionKind::Github;
    connection.display_name = "GitHub".into();
    connection.client_id = "Iv1.portcullis".into();
    connection.scopes = vec!["read:user".into(), "user:email".into()];
    connection.sealed_client_secret = Some(sealed);
    w.t.users.add_connection(connection);
    w.upstream.borrow_mut().github_emails = emails;
    w.connection = "github";
    w
}

#[test]
fn github_sign_in_creates_the_account_with_the_verified_primary_address_and_the_numeric_id() {
    let w = github_world(json!([
        {"email": "ada@example.com", "primary": true, "verified": true, "visibility": "public"},
        {"email": "ada@work.example", "primary": false, "verified": true, "visibility": null}
    ]));
    let completed = signed_in(&w);
    let user = pollster::block_on(w.t.ports().users.find_by_email("ada@example.com"))
        .unwrap()
        .expect("created just in time");
    assert!(user.email_verified, "GitHub verified the primary address");
    assert_eq!(user.name.as_deref(), Some("The Octocat"));
    let linked = pollster::block_on(w.t.ports().connections.identity("github", "583231")).unwrap();
    assert_eq!(
        linked.unwrap().user_id,
        user.id,
        "the subject is the numeric id"
    );
    let _ = completed;
    let events = w.t.events.events.borrow();
    assert!(events
        .iter()
        .any(|e| e.event_type == crate::events::types::AUTH_VIA_SOCIAL));
}

#[test]
fn github_unverified_email_ignored_never_links_an_existing_account() {
    let w = github_world(json!([
        {"email": "ada@example.com", "primary": true, "verified": false, "visibility": "public"}
    ]));
    // Ada's account exists, with a verified address; GitHub trusted for its domain.
    let mut ada = user("u-ada", "ada@example.com");
    ada.email_verified = true;
    pollster::block_on(w.t.ports().users.create(&ada)).unwrap();
    w.t.users.connections.borrow_mut()[1]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let left = leave(&w);
    let location = come_back(&w, &left);
    // No verified primary address: GitHub gave none that counts, and the page hears
    // only that signing in with the provider failed.
    assert!(
        location.ends_with("#portcullis_federation_error=server_error"),
        "{location}"
    );
    assert!(
        pollster::block_on(w.t.ports().connections.identities_for("u-ada"))
            .unwrap()
            .is_empty(),
        "an unverified GitHub address links nothing"
    );
    assert!(
        pollster::block_on(w.t.ports().connections.identity("github", "583231"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn github_a_refused_code_rfc6749_5_2_in_a_200_creates_nothing() {
    let w = github_world(json!([
        {"email": "ada@example.com", "primary": true, "verified": true}
    ]));
    let left = leave(&w);
    let answer = callback(&w, &left, &[("code", "stolen-code")]).unwrap();
    assert!(
        matches!(&answer, Answer::Refused { error, .. } if error == "server_error"),
        "{answer:?}"
    );
    assert!(
        pollster::block_on(w.t.ports().users.find_by_email("ada@example.com"))
            .unwrap()
            .is_none()
    );
}

/// A world whose person leaves through the multi-tenant Microsoft preset.
fn microsoft_world() -> World {
    let mut w = world();
    let mut connection =
        oidc_connection("microsoft", crate::federation::settings::MICROSOFT_COMMON);
    connection.kind = super::ConnectionKind::Microsoft;
    w.t.users.add_connection(connection);
    w.connection = "microsoft";
    w
}

/// What the callback makes of the token the played Microsoft issues with `claims`.
fn microsoft_answer(claims: Value) -> Result<Answer, Error> {
    let w = microsoft_world();
    w.upstream.borrow_mut().claims = claims;
    let left = leave(&w);
    callback(&w, &left, &[])
}

#[test]
fn microsoft_multi_tenant_issuer_is_the_template_with_the_tokens_own_tid() {
    match microsoft_answer(json!({})) {
        Ok(Answer::Verified { verified, .. }) => {
            assert_eq!(verified.subject, "ms-subject-1");
            // Microsoft does not say the address is verified (nOAuth): it never links
            // an account by itself.
            assert!(!verified.email_verified);
        }
        other => panic!("expected a verified answer, got {other:?}"),
    }
    let other_tenant = format!("https://login.microsoftonline.com/{TENANT_B}/v2.0");
    let ok = microsoft_answer(json!({"iss": other_tenant, "tid": TENANT_B}));
    assert!(
        matches!(ok, Ok(Answer::Verified { .. })),
        "any tenant, consistently"
    );
}

#[test]
fn microsoft_an_issuer_of_another_tenant_than_tid_or_no_tid_is_refused() {
    let tenant_b = format!("https://login.microsoftonline.com/{TENANT_B}/v2.0");
    for claims in [
        // Tenant B's issuer on a token that says it is tenant A's.
        json!({"iss": tenant_b}),
        // No tid, or one that is not a tenant id.
        json!({"tid": null}),
        json!({"tid": "common", "iss": "https://login.microsoftonline.com/common/v2.0"}),
        json!({"tid": "x/y", "iss": "https://login.microsoftonline.com/x/y/v2.0"}),
        // The template itself, unfilled.
        json!({"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"}),
        // Another host.
        json!({"iss": format!("https://login.evil.example/{TENANT_A}/v2.0")}),
    ] {
        assert_eq!(
            refused(microsoft_answer(claims.clone())),
            "server_error",
            "{claims}"
        );
    }
}

#[test]
fn microsoft_template_fits_one_segment_only() {
    use super::id_token::fits_tenant_template;
    let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
    assert!(fits_tenant_template(
        template,
        "https://login.microsoftonline.com/common/v2.0"
    ));
    assert!(!fits_tenant_template(
        template,
        "https://login.microsoftonline.com/a/b/v2.0"
    ));
    assert!(!fits_tenant_template(
        template,
        "https://login.microsoftonline.com//v2.0"
    ));
    assert!(!fits_tenant_template(
        "https://idp.example",
        "https://idp.example"
    ));
}

#[test]
fn a_generic_oidc_connection_never_takes_an_issuer_template() {
    // Only the Microsoft preset reads `{tenantid}`: an OpenID Provider publishing a
    // template for a generic connection is refused at discovery.
    let w = world();
    w.t.users.add_connection(oidc_connection(
        "ms-generic",
        crate::federation::settings::MICROSOFT_COMMON,
    ));
    let ports = w.t.ports();
    let connection = pollster::block_on(super::find(&ports, "demo", "ms-generic")).unwrap();
    assert!(pollster::block_on(super::provider::load(&ports, &connection)).is_err());
}

fn start_with_hint(w: &World, email: &str) -> portcullis_shared::api::FlowStarted {
    let ports = w.t.ports();
    let context = context();
    pollster::block_on(flows::start(
        &ports,
        caller(&context),
        StartFlow {
            client_id: "demo".into(),
            login_hint: Some(email.into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            scope: Some("openid email".into()),
            nonce: None,
            acr_values: None,
        },
    ))
    .unwrap()
}

#[test]
fn home_realm_discovery_sends_a_claimed_domain_to_its_provider_whether_or_not_an_account_exists() {
    use portcullis_shared::api::Step;
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .home_realm_domains = vec!["corp.example".into()];
    password_account(&w, "ada@corp.example", true);
    let known = start_with_hint(&w, "ada@corp.example");
    let unknown = start_with_hint(&w, "nobody@CORP.example");
    for started in [&known, &unknown] {
        assert_eq!(started.next, Step::Provider);
        assert_eq!(started.connection.as_deref(), Some("corp"));
    }
    let shapes = [known, unknown].map(|mut s| {
        s.flow_id.clear();
        serde_json::to_string(&s).unwrap()
    });
    assert_eq!(shapes[0], shapes[1], "the same answer, account or not");

    let elsewhere = start_with_hint(&w, "ada@example.com");
    assert_eq!(elsewhere.next, Step::Password);
    assert_eq!(elsewhere.connection, None);
    // Nor a subdomain, nor a look-alike.
    for email in ["ada@sub.corp.example", "ada@corp.example.evil.test"] {
        assert_eq!(start_with_hint(&w, email).next, Step::Password, "{email}");
    }
    // A connection the client does not offer claims nothing for it.
    w.t.users.connections.borrow_mut()[0]
        .settings
        .enabled_clients = Some(vec!["other".into()]);
    w.t.cache.clear();
    assert_eq!(start_with_hint(&w, "ada@corp.example").next, Step::Password);
}

#[test]
fn login_hint_and_domain_hint_go_upstream_for_a_claimed_domain() {
    let w = world();
    w.t.users.connections.borrow_mut()[0]
        .settings
        .home_realm_domains = vec!["corp.example".into()];
    let started = start_with_hint(&w, "ada@corp.example");
    let ports = w.t.ports();
    let context = context();
    let leave = pollster::block_on(flows::federation::depart(
        &ports,
        caller(&context),
        &started.flow_id,
        "corp",
        &FederationStart {
            return_to: Some(format!("{SHOP}/account")),
        },
    ))
    .unwrap();
    let ticket = value(&query(&leave.redirect_to), "ticket");
    let response = pollster::block_on(upstream::start(&ports, SELF, &ticket)).unwrap();
    let params = query(response.header("location").unwrap());
    assert_eq!(value(&params, "login_hint"), "ada@corp.example");
    assert_eq!(value(&params, "domain_hint"), "corp.example");
}

/// A world whose person leaves through the Apple preset: Services ID
/// `com.example.web`, team `TEAM123456`, the sealed key `KEY1234567`.
fn apple_world() -> World {
    let mut w = world();
    let kek = crate::testing::key_encryption_key(1);
    let sealed = kek
        .seal(
            crate::testing::APPLE_AUTH_KEY.as_bytes(),
            &super::Connection::secret_record("apple"),
            &SeededRandom::new(3),
        )
        .unwrap();
    let mut connection = oidc_connection("apple", super::settings::APPLE);
    connection.kind = super::ConnectionKind::Apple;
    connection.display_name = "Apple".into();
    connection.client_id = "com.example.web".into();
    connection.scopes = vec!["openid".into(), "name".into(), "email".into()];
    connection.sealed_client_secret = Some(sealed);
    connection.options.apple = Some(super::connection::AppleSettings {
        team_id: "TEAM123456".into(),
        key_id: "KEY1234567".into(),
    });
    w.t.users.add_connection(connection);
    w.connection = "apple";
    w
}

const FIRST_CONSENT: &str =
    r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"ada@example.com"}"#;

/// The whole way back with Apple's form POST fields `extra` (`user`, say).
fn apple_signed_in(w: &World, extra: &[(&str, &str)]) -> Completed {
    let left = leave(w);
    let answer = callback(w, &left, extra).unwrap();
    let location =
        pollster::block_on(flows::federation::arrive(&w.t.ports(), &context(), answer)).unwrap();
    resume(w, &left, &location).unwrap()
}

#[test]
fn apple_leaves_with_form_post_and_a_browser_cookie_that_survives_a_cross_site_post() {
    let w = apple_world();
    let Left {
        params, set_cookie, ..
    } = leave(&w);
    assert_eq!(value(&params, "response_mode"), "form_post");
    assert_eq!(value(&params, "response_type"), "code");
    assert_eq!(value(&params, "client_id"), "com.example.web");
    assert!(!value(&params, "nonce").is_empty());
    let cookie = set_cookie;
    assert!(cookie.contains("SameSite=None"), "{cookie}");
    assert!(
        cookie.contains("; Secure"),
        "SameSite=None needs Secure: {cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/callback/"),
        "{cookie}"
    );
}

#[test]
fn apple_form_post_first_consent_user_names_the_new_account_its_email_is_ignored() {
    let w = apple_world();
    apple_signed_in(&w, &[("user", FIRST_CONSENT)]);
    let created = account(&w, "ada@example.com").expect("created just in time");
    assert_eq!(created.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(created.given_name.as_deref(), Some("Ada"));
    assert_eq!(created.family_name.as_deref(), Some("Lovelace"));
    assert!(
        created.email_verified,
        "email_verified \"true\" as a string"
    );
    let events = w.t.events.summary();
    assert!(events
        .iter()
        .any(|(t, _)| t == crate::events::types::AUTH_VIA_SOCIAL));
}

#[test]
fn apple_forged_user_on_a_later_sign_in_changes_no_name() {
    let w = apple_world();
    apple_signed_in(&w, &[("user", FIRST_CONSENT)]);
    // A later answer with a `user` field (nobody signs it) renames nobody.
    let forged = r#"{"name":{"firstName":"Eve","lastName":"Mallory"}}"#;
    apple_signed_in(&w, &[("user", forged)]);
    let ada = account(&w, "ada@example.com").unwrap();
    assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ada.given_name.as_deref(), Some("Ada"));
}

#[test]
fn apple_user_never_renames_an_existing_account_it_links_to() {
    let w = apple_world();
    let mut ada = user("u-ada", "ada@example.com");
    ada.email_verified = true;
    ada.name = Some("Ada Local".into());
    pollster::block_on(w.t.ports().users.create(&ada)).unwrap();
    w.t.users.connections.borrow_mut()[1]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let forged = r#"{"name":{"firstName":"Eve","lastName":"Mallory"}}"#;
    apple_signed_in(&w, &[("user", forged)]);
    assert_eq!(identities(&w, "u-ada"), 1, "linked: trusted and verified");
    let after = account(&w, "ada@example.com").unwrap();
    assert_eq!(after.name.as_deref(), Some("Ada Local"));
    assert_eq!(after.given_name, None);
}

#[test]
fn apple_a_form_post_without_the_cookie_or_replayed_is_refused() {
    let w = apple_world();
    let left = leave(&w);
    let params = vec![
        ("code".to_string(), "the-code".to_string()),
        ("state".to_string(), left.state.clone()),
        ("user".to_string(), FIRST_CONSENT.to_string()),
    ];
    let no_cookie = pollster::block_on(upstream::callback(
        &w.t.ports(),
        SELF,
        "apple",
        &params,
        None,
    ));
    assert_eq!(no_cookie, Err(Error::StateInvalid));
    // The state was spent by that attempt: the real browser's POST is refused too.
    assert_eq!(callback(&w, &left, &[]), Err(Error::StateInvalid));
    // A form POST that worked, replayed with its cookie: the state is spent.
    let left = leave(&w);
    assert!(matches!(
        callback(&w, &left, &[]),
        Ok(Answer::Verified { .. })
    ));
    assert_eq!(callback(&w, &left, &[]), Err(Error::StateInvalid));
    assert!(account(&w, "ada@example.com").is_none());
}

#[test]
fn apple_the_token_endpoint_gets_a_fresh_es256_client_secret_signed_with_the_sealed_key() {
    let w = apple_world();
    apple_signed_in(&w, &[]);
    let secret = w.upstream.borrow().apple_client_secret.clone().unwrap();
    assert!(apple_client_secret_ok(&secret));
    // A secret Apple does not accept (another team's): the exchange fails and nothing
    // is created.
    let w = apple_world();
    w.t.users.connections.borrow_mut()[1]
        .settings
        .options
        .apple
        .as_mut()
        .unwrap()
        .team_id = "OTHERTEAM1".into();
    let left = leave(&w);
    assert_eq!(refused(callback(&w, &left, &[])), "server_error");
    assert!(account(&w, "ada@example.com").is_none());
}

#[test]
fn apple_private_relay_address_is_the_new_accounts_verified_address() {
    let w = apple_world();
    w.upstream.borrow_mut().claims = json!({
        "email": "x7kq2@privaterelay.appleid.com", "email_verified": null,
        "is_private_email": "true",
    });
    apple_signed_in(&w, &[]);
    let created = account(&w, "x7kq2@privaterelay.appleid.com").expect("created");
    assert!(created.email_verified);
}

#[test]
fn apple_email_verified_false_as_a_string_never_links() {
    let w = apple_world();
    let mut ada = user("u-ada", "ada@example.com");
    ada.email_verified = true;
    pollster::block_on(w.t.ports().users.create(&ada)).unwrap();
    w.t.users.connections.borrow_mut()[1]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    w.upstream.borrow_mut().claims = json!({"email_verified": "false"});
    let left = leave(&w);
    let answer = callback(&w, &left, &[]).unwrap();
    let location =
        pollster::block_on(flows::federation::arrive(&w.t.ports(), &context(), answer)).unwrap();
    assert_eq!(
        resume(&w, &left, &location).err(),
        Some(Error::LinkProofRequired)
    );
    assert_eq!(identities(&w, "u-ada"), 0);
}

/// Sets the `corp` connection's options.
fn corp_options(w: &World, change: impl FnOnce(&mut super::connection::ConnectionOptions)) {
    change(&mut w.t.users.connections.borrow_mut()[0].settings.options);
}

#[test]
fn claim_mapping_fills_the_new_accounts_profile_each_value_checked_by_the_schema() {
    let w = world();
    corp_options(&w, |o| {
        o.claims = [
            ("name", "nickname"),
            ("locale", "locale"),
            ("zoneinfo", "zoneinfo"),
        ]
        .into_iter()
        .map(|(a, c)| (a.to_string(), c.to_string()))
        .collect();
    });
    w.upstream.borrow_mut().claims = json!({
        "name": "Ada Upstream", "nickname": "Countess", "locale": "fr-FR",
        "zoneinfo": "Not/A_Zone", "given_name": "Ada",
    });
    signed_in(&w);
    let created = account(&w, "ada@example.com").unwrap();
    assert_eq!(
        created.name.as_deref(),
        Some("Countess"),
        "the mapped claim"
    );
    assert_eq!(
        created.given_name, None,
        "an explicit mapping replaces the default"
    );
    assert_eq!(created.profile.get("locale"), Some(&json!("fr-FR")));
    assert_eq!(
        created.profile.get("zoneinfo"),
        None,
        "not a time zone: left out"
    );
}

#[test]
fn the_default_mapping_takes_the_names() {
    let w = world();
    w.upstream.borrow_mut().claims = json!({"name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "locale": "fr-FR"});
    signed_in(&w);
    let created = account(&w, "ada@example.com").unwrap();
    assert_eq!(created.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(created.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(created.profile.get("locale"), None);
}

#[test]
fn userinfo_claims_fill_the_profile_when_the_connection_asks() {
    let w = world();
    corp_options(&w, |o| {
        o.userinfo = true;
        o.claims = [("locale".to_string(), "locale".to_string())].into();
    });
    w.upstream.borrow_mut().userinfo = json!({"sub": "upstream-1", "locale": "de-DE"});
    signed_in(&w);
    let created = account(&w, "ada@example.com").unwrap();
    assert_eq!(created.profile.get("locale"), Some(&json!("de-DE")));
}

#[test]
fn oidc_core_5_3_2_userinfo_of_another_subject_refuses_the_sign_in_and_creates_nothing() {
    let w = world();
    corp_options(&w, |o| o.userinfo = true);
    w.upstream.borrow_mut().userinfo = json!({"sub": "someone-else", "name": "Eve"});
    let left = leave(&w);
    assert_eq!(refused(callback(&w, &left, &[])), "server_error");
    assert!(account(&w, "ada@example.com").is_none());
}

#[test]
fn an_unverified_email_from_userinfo_never_links() {
    let w = world();
    corp_options(&w, |o| o.userinfo = true);
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    let mut ada = user("u-ada", "ada@example.com");
    ada.email_verified = true;
    pollster::block_on(w.t.ports().users.create(&ada)).unwrap();
    // The ID token carries no address; userinfo gives Ada's, unverified.
    w.upstream.borrow_mut().claims = json!({"email": null, "email_verified": null});
    w.upstream.borrow_mut().userinfo =
        json!({"sub": "upstream-1", "email": "ada@example.com", "email_verified": false});
    let left = leave(&w);
    let answer = callback(&w, &left, &[]).unwrap();
    let location =
        pollster::block_on(flows::federation::arrive(&w.t.ports(), &context(), answer)).unwrap();
    assert_eq!(
        resume(&w, &left, &location).err(),
        Some(Error::LinkProofRequired)
    );
    assert_eq!(identities(&w, "u-ada"), 0);
}

/// The subjects of the mail sent to `to`.
fn mail_to(w: &World, to: &str) -> Vec<String> {
    w.t.mailer
        .sent
        .borrow()
        .iter()
        .filter(|m| m.to == to)
        .map(|m| m.subject.clone())
        .collect()
}

/// Ada's `count`th mail names Corp SSO and says `word`, and `event` is in the log.
fn told(w: &World, count: usize, word: &str, event: &str) {
    let subjects = mail_to(w, "ada@example.com");
    assert_eq!(subjects.len(), count, "{subjects:?}");
    let last = &subjects[count - 1];
    assert!(
        last.contains("Corp SSO") && last.contains(word),
        "{subjects:?}"
    );
    assert!(
        w.t.events.summary().iter().any(|(t, _)| t == event),
        "{event}"
    );
}

#[test]
fn linking_to_an_existing_account_emails_its_owner_and_logs_user_identity_link() {
    // Proven first (an untrusted connection).
    let w = world();
    password_account(&w, "ada@example.com", true);
    let left = leave(&w);
    let location = come_back(&w, &left);
    assert!(
        mail_to(&w, "ada@example.com").is_empty(),
        "nothing linked yet"
    );
    prove_with_password(&w, &left, Some(&ticket_of(&location))).unwrap();
    told(&w, 1, "linked", "user.identity.link");

    // Linked automatically (trusted): the owner hears of it all the same.
    let w = world();
    password_account(&w, "ada@example.com", true);
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    signed_in(&w);
    assert_eq!(mail_to(&w, "ada@example.com").len(), 1);
    // A later sign-in through the linked identity links nothing and mails nothing.
    signed_in(&w);
    assert_eq!(mail_to(&w, "ada@example.com").len(), 1);
}

/// Ada, with a password account, signs in through the provider trusted for her domain
/// (linking it), then unlinks it from her account; her account's id.
fn link_then_unlink(w: &World) -> String {
    let local = password_account(w, "ada@example.com", true);
    w.t.users.connections.borrow_mut()[0]
        .settings
        .trusted_email_domains = vec!["example.com".into()];
    signed_in(w);
    let ports = w.t.ports();
    let context = context();
    let me = crate::passkeys::account::Account {
        user: account(w, "ada@example.com").unwrap(),
        client: crate::testing::demo_client(),
        auth_time: Some(T0),
        multi_factor: false,
        grant: None,
    };
    let request = crate::passkeys::account::AccountRequest {
        issuer: SELF,
        authorization: None,
        origin: Some(SHOP),
        context: &context,
    };
    let listed = pollster::block_on(super::identities::list(&ports, &me)).unwrap();
    let id = listed.identities[0].id.clone();
    pollster::block_on(super::identities::unlink(&ports, &request, &me, &id)).unwrap();
    assert_eq!(identities(w, &local.id), 0);
    local.id
}

#[test]
fn unlinking_emails_the_owner_and_logs_user_identity_unlink() {
    let w = world();
    link_then_unlink(&w);
    told(&w, 2, "removed", "user.identity.unlink");
}

#[test]
fn a_new_account_made_through_a_provider_gets_no_link_mail() {
    let w = world();
    signed_in(&w);
    assert!(mail_to(&w, "ada@example.com").is_empty());
}

mod upstream_tokens;
