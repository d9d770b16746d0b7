//! The route table: the `/v1` JSON API and the OAuth 2.0 / OpenID Connect endpoints.
//! Handlers only extract, call the core, and map the result.

use portcullis_shared::api::{
    ClientConfig, DevMail, DevMailbox, EmailCode, EmailSignIn, Health, PasskeyChallenge,
    PasskeySignUp, PasswordReset, PasswordSignIn, PasswordSignUp, RecoveryRequest, RenamePasskey,
    StartFlow,
};
use portcullis_shared::api::{CompletedBody, Notice};
use portcullis_shared::oauth::OAuthErrorCode;

use super::json_body;
use crate::email;
use crate::error::Error;
use crate::events::RequestContext;
use crate::flows::{self, Caller, Completed, StepInput};
use crate::http::{Method, Request, Response, MAX_BODY_BYTES};
use crate::i18n::Words;
use crate::oauth::token::{self, Failure, Incoming};
use crate::oauth::token_request::TokenError;
use crate::oauth::{authorize, discovery, introspection, keys, logout, revocation, userinfo};
use crate::passkeys::account;
use crate::ports::Ports;
use crate::sessions;

pub(super) async fn dispatch(ports: &Ports<'_>, request: &Request) -> Result<Response, Error> {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let context = RequestContext {
        ip_address: request.header("cf-connecting-ip").map(str::to_string),
        user_agent: request.header("user-agent").map(str::to_string),
        accept_language: request.header("accept-language").map(str::to_string),
    };
    let caller = Caller {
        origin: request.header("origin"),
        self_origin: &request.self_origin,
        context: &context,
    };
    let issuer = request.self_origin.as_str();
    let get = matches!(request.method, Method::Get | Method::Head);
    let post = request.method == Method::Post;
    match segments.as_slice() {
        ["v1", "health"] if get => Ok(health()),
        ["v1", "clients", client_id] if get => client_config(ports, client_id).await,
        ["v1", "flows"] if post => {
            let body: StartFlow = json_body(request)?;
            let started = flows::start(ports, caller, body).await?;
            Ok(Response::json(201, &started))
        }
        ["v1", "flows", flow_id] if request.method == Method::Delete => {
            flows::cancel(ports, flow_id).await?;
            Ok(Response::empty(204))
        }
        ["v1", "flows", flow_id, "password"] if post => {
            let input = StepInput::Password(json_body::<PasswordSignIn>(request)?);
            Ok(completed(
                flows::step(ports, caller, flow_id, input).await?,
                issuer,
            ))
        }
        ["v1", "flows", flow_id, "sign-up"] if post => {
            let input = StepInput::SignUp(json_body::<PasswordSignUp>(request)?);
            Ok(completed(
                flows::step(ports, caller, flow_id, input).await?,
                issuer,
            ))
        }
        ["v1", "flows", flow_id, "passkey", "options"] if post => {
            let body: PasskeyChallenge = json_body(request)?;
            let options = flows::passkey_options(ports, caller, flow_id, &body).await?;
            Ok(Response::json(200, &options).with_header("cache-control", "no-store"))
        }
        ["v1", "flows", flow_id, "passkey"] if post => {
            let input = StepInput::Passkey(Box::new(json_body(request)?));
            Ok(completed(
                flows::step(ports, caller, flow_id, input).await?,
                issuer,
            ))
        }
        ["v1", "flows", flow_id, "passkey", "sign-up", "options"] if post => {
            let body: PasskeySignUp = json_body(request)?;
            let options = flows::passkey_sign_up_options(ports, caller, flow_id, &body).await?;
            Ok(Response::json(200, &options).with_header("cache-control", "no-store"))
        }
        ["v1", "flows", flow_id, "passkey", "sign-up"] if post => {
            let input = StepInput::PasskeySignUp(Box::new(json_body(request)?));
            Ok(completed(
                flows::step(ports, caller, flow_id, input).await?,
                issuer,
            ))
        }
        ["v1", "flows", flow_id, "email"] if post => {
            let body: EmailSignIn = json_body(request)?;
            let sent = flows::email::start(ports, caller, flow_id, &body).await?;
            Ok(Response::json(202, &sent))
        }
        ["v1", "flows", flow_id, "email", "code"] if post => {
            let input = StepInput::EmailCode(json_body::<EmailCode>(request)?);
            Ok(completed(
                flows::step(ports, caller, flow_id, input).await?,
                issuer,
            ))
        }
        ["v1", "recovery", "password"] if post => {
            let body: RecoveryRequest = json_body(request)?;
            let expires_in = email::recovery::request_reset(ports, caller, &body).await?;
            Ok(Response::json(
                202,
                &serde_json::json!({ "expires_in": expires_in }),
            ))
        }
        ["v1", "recovery", "password", "reset"] if post => {
            let body: PasswordReset = json_body(request)?;
            email::recovery::reset(ports, caller, &body).await?;
            Ok(Response::empty(204))
        }
        ["v1", "recovery", "account"] if post => {
            let body: RecoveryRequest = json_body(request)?;
            let expires_in = email::recovery::remind(ports, caller, &body).await?;
            Ok(Response::json(
                202,
                &serde_json::json!({ "expires_in": expires_in }),
            ))
        }
        ["v1", "dev", "mailbox"] if get => dev_mailbox(ports, request).await,
        ["dev", file] if get => dev_mailbox_page(ports, file),
        ["email-link"] if get || post => {
            let params = request.query_params();
            let words = Words::for_tag(query_value(&params, "lang").unwrap_or("en"));
            Ok(crate::pages::link_expired(&words))
        }
        ["v1", "me", "passkeys", rest @ ..] => {
            let me = account::AccountRequest {
                issuer,
                authorization: request.header("authorization"),
                origin: request.header("origin"),
                context: &context,
            };
            my_passkeys(ports, request, &me, rest).await
        }
        [".well-known", "webauthn"] if get => related_origins(ports, issuer).await,
        [".well-known", "openid-configuration" | "oauth-authorization-server"] if get => {
            Ok(Response::json(200, &discovery::metadata(issuer))
                .with_header("cache-control", "public, max-age=300"))
        }
        [".well-known", "jwks.json"] if get => {
            let ring = keys::load(ports)
                .await
                .map_err(|e| Error::Internal(format!("signing keys: {e:?}")))?;
            Ok(Response::json(200, &ring.published)
                .with_header("cache-control", "public, max-age=300"))
        }
        ["authorize"] if get => {
            authorize::handle(
                ports,
                issuer,
                &request.query_params(),
                request.header("cookie"),
            )
            .await
        }
        ["token"] if post => Ok(oauth_result(
            ports,
            token_endpoint(ports, request, issuer, &context).await,
        )),
        ["userinfo"] if get || post => {
            Ok(userinfo::handle(ports, issuer, request.header("authorization")).await)
        }
        ["revoke"] if post => Ok(oauth_result(
            ports,
            revoke_endpoint(ports, request, issuer, &context).await,
        )),
        ["introspect"] if post => Ok(oauth_result(
            ports,
            introspect_endpoint(ports, request, issuer).await,
        )),
        ["logout"] if get || post => {
            let params = if post {
                request.form_params().unwrap_or_default()
            } else {
                request.query_params()
            };
            logout::handle(
                ports,
                issuer,
                request.method,
                &params,
                request.header("cookie"),
                &context,
            )
            .await
        }
        ["v1", "health"]
        | ["v1", "clients", _]
        | ["v1", "flows"]
        | ["v1", "flows", _]
        | ["v1", "flows", _, "password" | "sign-up" | "passkey"]
        | ["v1", "flows", _, "passkey", "options" | "sign-up"]
        | ["v1", "flows", _, "passkey", "sign-up", "options"]
        | ["v1", "flows", _, "email"]
        | ["v1", "flows", _, "email", "code"]
        | ["v1", "recovery", "password" | "account"]
        | ["v1", "recovery", "password", "reset"]
        | ["v1", "dev", "mailbox"]
        | ["email-link"]
        | [".well-known", "openid-configuration" | "oauth-authorization-server" | "jwks.json"]
        | [".well-known", "webauthn"]
        | ["authorize" | "token" | "userinfo" | "revoke" | "introspect" | "logout"] => {
            Err(Error::MethodNotAllowed)
        }
        _ => Err(Error::NoRoute),
    }
}

/// `/v1/me/passkeys[/…]`: the signed-in person's passkeys.
async fn my_passkeys(
    ports: &Ports<'_>,
    request: &Request,
    me: &account::AccountRequest<'_>,
    rest: &[&str],
) -> Result<Response, Error> {
    let method = request.method;
    let known = matches!(
        (rest, method),
        ([], Method::Get | Method::Head | Method::Post)
            | (["options"], Method::Post)
            | ([_], Method::Patch | Method::Delete)
    );
    if !known {
        return Err(match rest {
            [] | ["options"] | [_] => Error::MethodNotAllowed,
            _ => Error::NoRoute,
        });
    }
    let account = account::authenticate(ports, me).await?;
    let response = match (rest, method) {
        ([], Method::Post) => {
            let credential = json_body(request)?;
            Response::json(201, &account::add(ports, me, &account, &credential).await?)
        }
        ([], _) => Response::json(200, &account::list(ports, me.issuer, &account).await?),
        (["options"], _) => {
            Response::json(200, &account::options(ports, me.issuer, &account).await?)
        }
        ([id], Method::Patch) => {
            let body: RenamePasskey = json_body(request)?;
            let renamed = account::rename(ports, me, &account, id, &body.name).await?;
            Response::json(200, &renamed)
        }
        ([id], _) => {
            account::delete(ports, me, &account, id).await?;
            Response::empty(204)
        }
        _ => return Err(Error::NoRoute),
    };
    Ok(response.with_header("cache-control", "no-store"))
}

/// `/.well-known/webauthn` (WebAuthn Level 3 §5.11 related origins): the origins that may
/// use this deployment's RP ID — its own and every client's allowed origins.
async fn related_origins(ports: &Ports<'_>, issuer: &str) -> Result<Response, Error> {
    let mut origins = vec![issuer.to_string()];
    for origin in ports.clients.allowed_origins().await? {
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(
        Response::json(200, &serde_json::json!({ "origins": origins }))
            .with_header("cache-control", "public, max-age=300"),
    )
}

fn query_value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// `GET /dev/mailbox.html` and its script and style: served by the worker, only where
/// mail is kept for development, so a deployment's static assets never hold them.
fn dev_mailbox_page(ports: &Ports<'_>, file: &str) -> Result<Response, Error> {
    ports.mailbox.ok_or(Error::NoRoute)?;
    let (content_type, body) = match file {
        "mailbox.html" => ("text/html; charset=utf-8", DEV_MAILBOX_HTML),
        "mailbox.js" => ("text/javascript; charset=utf-8", DEV_MAILBOX_JS),
        "mailbox.css" => ("text/css; charset=utf-8", DEV_MAILBOX_CSS),
        _ => return Err(Error::NoRoute),
    };
    Ok(Response {
        status: 200,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("cache-control".into(), "no-store".into()),
            (
                "content-security-policy".into(),
                // Emails are shown in sandboxed srcdoc frames, which inherit this policy:
                // their inline styles and images load, no script runs.
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src http: https: data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'".into(),
            ),
        ],
        body: body.as_bytes().to_vec(),
    })
}

const DEV_MAILBOX_HTML: &str = include_str!("../../../www/dev/mailbox.html");
const DEV_MAILBOX_JS: &str = include_str!("../../../www/dev/mailbox.js");
const DEV_MAILBOX_CSS: &str = include_str!("../../../www/dev/mailbox.css");

/// `GET /v1/dev/mailbox?to=…`: only where mail is kept for development.
async fn dev_mailbox(ports: &Ports<'_>, request: &Request) -> Result<Response, Error> {
    let mailbox = ports.mailbox.ok_or(Error::NoRoute)?;
    let params = request.query_params();
    let to = query_value(&params, "to").ok_or(Error::InvalidField("to"))?;
    let to = crate::users::normalize_email(to).map_err(|_| Error::InvalidField("to"))?;
    let messages = mailbox
        .messages(&to, 50)
        .await?
        .into_iter()
        .map(|kept| DevMail {
            id: kept.id,
            to: kept.mail.to,
            subject: kept.mail.subject,
            text: kept.mail.text,
            html: kept.mail.html,
            created_at: kept.created_at.0 / 1000,
        })
        .collect();
    Ok(Response::json(200, &DevMailbox { messages }).with_header("cache-control", "no-store"))
}

fn health() -> Response {
    Response::json(
        200,
        &Health {
            status: "ok".into(),
            version: crate::VERSION.into(),
        },
    )
}

async fn client_config(ports: &Ports<'_>, client_id: &str) -> Result<Response, Error> {
    let client = ports
        .clients
        .find(client_id)
        .await?
        .ok_or(Error::UnknownClient)?;
    let config = ClientConfig {
        account_api: client.allows_account_api(),
        client_id: client.id,
        name: client.name,
        theme: client.theme,
    };
    // Public data: let browsers and the edge cache reuse it for a minute.
    Ok(Response::json(200, &config).with_header("cache-control", "public, max-age=60"))
}

fn completed(done: Completed, issuer: &str) -> Response {
    let notice = done
        .proof
        .credentials_removed
        .then_some(Notice::CredentialsRemoved);
    let body = CompletedBody {
        outcome: &done.outcome,
        notice,
    };
    let response = Response::json(200, &body);
    match done.session {
        Some(handle) => response.with_header("set-cookie", &sessions::set_cookie(&handle, issuer)),
        None => response,
    }
}

/// The body of an OAuth endpoint: a form (RFC 6749 §3.2), of sane size.
fn form(request: &Request) -> Result<Vec<(String, String)>, Failure> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(TokenError::new(
            OAuthErrorCode::InvalidRequest,
            "The request body is too large.",
        )
        .into());
    }
    request.form_params().ok_or_else(|| {
        TokenError::new(
            OAuthErrorCode::InvalidRequest,
            "Send the parameters as application/x-www-form-urlencoded.",
        )
        .into()
    })
}

/// An RFC 6749 §5.2 error response, or the success.
fn oauth_result(ports: &Ports<'_>, result: Result<Response, Failure>) -> Response {
    match result {
        Ok(response) => response,
        Err(failure) => {
            if let Some(log) = &failure.log {
                ports.diagnostics.log(log);
            }
            let error = failure.error;
            let response = Response::json(
                error.status(),
                &serde_json::json!({"error": error.code.as_str(), "error_description": error.description}),
            )
            .with_header("pragma", "no-cache");
            if error.code == OAuthErrorCode::InvalidClient {
                // §5.2: 401 with the scheme the client may authenticate with.
                response.with_header("www-authenticate", "Basic realm=\"portcullis\"")
            } else {
                response
            }
        }
    }
}

async fn token_endpoint(
    ports: &Ports<'_>,
    request: &Request,
    issuer: &str,
    context: &RequestContext,
) -> Result<Response, Failure> {
    let params = form(request)?;
    let incoming = Incoming {
        issuer,
        authorization: request.header("authorization"),
        origin: request.header("origin"),
        params: &params,
        context,
    };
    let tokens = token::handle(ports, &incoming).await?;
    Ok(Response::json(200, &tokens).with_header("pragma", "no-cache"))
}

async fn revoke_endpoint(
    ports: &Ports<'_>,
    request: &Request,
    issuer: &str,
    context: &RequestContext,
) -> Result<Response, Failure> {
    let params = form(request)?;
    let (authorization, origin) = (request.header("authorization"), request.header("origin"));
    revocation::handle(ports, issuer, authorization, origin, &params, context).await?;
    Ok(Response::empty(200))
}

async fn introspect_endpoint(
    ports: &Ports<'_>,
    request: &Request,
    issuer: &str,
) -> Result<Response, Failure> {
    let params = form(request)?;
    let answer =
        introspection::handle(ports, issuer, request.header("authorization"), &params).await?;
    Ok(Response::json(200, &answer))
}
