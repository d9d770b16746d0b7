//! The route table: the `/v1` JSON API and the OAuth 2.0 / OpenID Connect endpoints.
//! Handlers only extract, call the core, and map the result.

use portcullis_shared::api::{
    ClientConfig, DevMail, DevMailbox, EmailCode, EmailSignIn, FactorCode, Health,
    PasskeyChallenge, PasskeySignUp, PasswordReset, PasswordSignIn, PasswordSignUp,
    RecoveryRequest, RenamePasskey, StartFlow,
};
use portcullis_shared::api::{
    CompletedBody, ConnectionButton, EmailChangeConfirm, EmailChangeRequest, FederationResume,
    FederationStart, Notice, PasswordChange,
};
use portcullis_shared::consent::ConsentChange;
use portcullis_shared::oauth::OAuthErrorCode;

use super::json_body;
use super::route::{Endpoint, Route};
use crate::consent;
use crate::email;
use crate::error::Error;
use crate::events::RequestContext;
use crate::federation::upstream;
use crate::flows::second_factor::{self, CodeKind};
use crate::flows::{self, Caller, Completed, StepInput};
use crate::http::{Method, Request, Response, MAX_BODY_BYTES};
use crate::i18n::Words;
use crate::mfa;
use crate::oauth::token::{self, Failure, Incoming};
use crate::oauth::token_request::TokenError;
use crate::oauth::{authorize, discovery, introspection, keys, logout, revocation, userinfo};
use crate::passkeys::account;
use crate::ports::Ports;
use crate::risk::device;
use crate::sessions;

pub(super) async fn dispatch(ports: &Ports<'_>, request: &Request) -> Result<Response, Error> {
    let route = Route::parse(&request.path).ok_or(Error::NoRoute)?;
    if !route.allows(request.method) {
        return Err(Error::MethodNotAllowed);
    }
    let context = RequestContext {
        ip_address: request.header("cf-connecting-ip").map(str::to_string),
        user_agent: request.header("user-agent").map(str::to_string),
        accept_language: request.header("accept-language").map(str::to_string),
        device: device::handle_in(&request.self_origin, request.header("cookie"))
            .map(str::to_string),
        device_token: request.header(mfa::remembered::HEADER).map(str::to_string),
        url: Some(crate::events::logged_url(
            &request.self_origin,
            &request.path,
            &request.query,
        )),
    };
    let caller = Caller {
        origin: request.header("origin"),
        self_origin: &request.self_origin,
        context: &context,
        federation_ticket: request.header("portcullis-federation-ticket"),
    };
    let issuer = request.self_origin.as_str();
    let step = |flow_id, input| async move {
        let done = flows::step(ports, caller, flow_id, input).await?;
        Ok::<_, Error>(completed(done, issuer))
    };
    match route {
        Route::Health => Ok(health()),
        Route::Client(client_id) => {
            let config = client_config(ports, client_id).await?;
            // Public data: let browsers and the edge cache reuse it for a minute.
            Ok(Response::json(200, &config).with_header("cache-control", "public, max-age=60"))
        }
        Route::ClientFirstScreen(client_id) => crate::first_screen::respond(
            client_config(ports, client_id).await?,
            &request.query_params(),
            request.header("if-none-match"),
        ),
        Route::Flows => {
            let body: StartFlow = json_body(request)?;
            let started = flows::start(ports, caller, body).await?;
            Ok(Response::json(201, &started))
        }
        Route::Flow(flow_id) => {
            flows::cancel(ports, flow_id).await?;
            Ok(Response::empty(204))
        }
        Route::FlowPassword(flow_id) => {
            step(
                flow_id,
                StepInput::Password(json_body::<PasswordSignIn>(request)?),
            )
            .await
        }
        Route::FlowSignUp(flow_id) => {
            step(
                flow_id,
                StepInput::SignUp(json_body::<PasswordSignUp>(request)?),
            )
            .await
        }
        Route::FlowPasskeyOptions(flow_id) => {
            let body: PasskeyChallenge = json_body(request)?;
            let options = flows::passkey_options(ports, caller, flow_id, &body).await?;
            Ok(Response::json(200, &options).with_header("cache-control", "no-store"))
        }
        Route::FlowPasskey(flow_id) => {
            step(flow_id, StepInput::Passkey(Box::new(json_body(request)?))).await
        }
        Route::FlowPasskeySignUpOptions(flow_id) => {
            let body: PasskeySignUp = json_body(request)?;
            let options = flows::passkey_sign_up_options(ports, caller, flow_id, &body).await?;
            Ok(Response::json(200, &options).with_header("cache-control", "no-store"))
        }
        Route::FlowPasskeySignUp(flow_id) => {
            step(
                flow_id,
                StepInput::PasskeySignUp(Box::new(json_body(request)?)),
            )
            .await
        }
        Route::FlowEmail(flow_id) => {
            let body: EmailSignIn = json_body(request)?;
            let sent = flows::email::start(ports, caller, flow_id, &body).await?;
            Ok(Response::json(202, &sent))
        }
        Route::FlowEmailCode(flow_id) => {
            step(
                flow_id,
                StepInput::EmailCode(json_body::<EmailCode>(request)?),
            )
            .await
        }
        Route::FlowTotp(flow_id)
        | Route::FlowRecoveryCode(flow_id)
        | Route::FlowEmailFactor(flow_id) => {
            let body: FactorCode = json_body(request)?;
            let kind = match route {
                Route::FlowTotp(_) => CodeKind::Totp,
                Route::FlowEmailFactor(_) => CodeKind::EmailCode,
                _ => CodeKind::RecoveryCode,
            };
            let code = body.code.expose();
            let remember = body.remember_device;
            let done = second_factor::prove(ports, caller, flow_id, kind, code, remember).await?;
            Ok(completed(done, issuer))
        }
        Route::FlowEmailFactorSend(flow_id) => {
            let sent = second_factor::send_email_code(ports, caller, flow_id).await?;
            Ok(Response::json(202, &sent))
        }
        Route::FlowProfile(flow_id) => {
            let answers = json_body(request)?;
            let done = flows::profiling::answer(ports, caller, flow_id, &answers).await?;
            Ok(completed(done, issuer))
        }
        Route::FlowSecurityKeyOptions(flow_id) => {
            let options = second_factor::security_key_options(ports, caller, flow_id).await?;
            Ok(Response::json(200, &options).with_header("cache-control", "no-store"))
        }
        Route::FlowSecurityKey(flow_id) => {
            let body: second_factor::KeyAssertion = json_body(request)?;
            let (credential, remember) = (&body.credential, body.remember_device);
            let done =
                second_factor::prove_security_key(ports, caller, flow_id, credential, remember)
                    .await?;
            Ok(completed(done, issuer))
        }
        Route::FlowTotpEnrolment(flow_id) => {
            let shown = second_factor::enrol(ports, caller, flow_id).await?;
            Ok(Response::json(200, &shown).with_header("cache-control", "no-store"))
        }
        Route::FlowTotpEnrolmentConfirm(flow_id) => {
            let body: FactorCode = json_body(request)?;
            let done = second_factor::confirm(ports, caller, flow_id, body.code.expose()).await?;
            Ok(completed(done, issuer))
        }
        Route::FlowFederation(flow_id, connection) => {
            let body: FederationStart = json_body(request)?;
            let leave =
                flows::federation::depart(ports, caller, flow_id, connection, &body).await?;
            Ok(Response::json(200, &leave).with_header("cache-control", "no-store"))
        }
        Route::FlowFederated(flow_id) => {
            step(
                flow_id,
                StepInput::Federated(json_body::<FederationResume>(request)?),
            )
            .await
        }
        Route::FederationStart => {
            let params = request.query_params();
            let ticket = query_value(&params, "ticket").unwrap_or_default();
            Ok(upstream::start(ports, issuer, ticket)
                .await
                .unwrap_or_else(|err| federation_error_page(ports, &err)))
        }
        Route::FederationCallback(connection) => {
            let params = if request.method == Method::Post {
                request.form_params().unwrap_or_default()
            } else {
                request.query_params()
            };
            let cookie = request.header("cookie");
            let arrived = async {
                let answer = upstream::callback(ports, issuer, connection, &params, cookie).await?;
                flows::federation::arrive(ports, &context, answer).await
            };
            Ok(match arrived.await {
                Ok(location) => crate::http::redirect(&location),
                Err(err) => federation_error_page(ports, &err),
            })
        }
        Route::MyIdentities | Route::MyIdentity(_) => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let response = match route {
                Route::MyIdentity(id) => {
                    crate::federation::identities::unlink(ports, &me, &account, id).await?;
                    Response::empty(204)
                }
                _ => Response::json(
                    200,
                    &crate::federation::identities::list(ports, &account).await?,
                ),
            };
            Ok(response.with_header("cache-control", "no-store"))
        }
        Route::RecoveryPassword => {
            let body: RecoveryRequest = json_body(request)?;
            let expires_in = email::recovery::request_reset(ports, caller, &body).await?;
            Ok(Response::json(
                202,
                &serde_json::json!({ "expires_in": expires_in }),
            ))
        }
        Route::RecoveryPasswordReset => {
            let body: PasswordReset = json_body(request)?;
            email::recovery::reset(ports, caller, &body).await?;
            Ok(Response::empty(204))
        }
        Route::RecoveryAccount => {
            let body: RecoveryRequest = json_body(request)?;
            let expires_in = email::recovery::remind(ports, caller, &body).await?;
            Ok(Response::json(
                202,
                &serde_json::json!({ "expires_in": expires_in }),
            ))
        }
        Route::DevMailbox => dev_mailbox(ports, request).await,
        Route::DevMailboxPage(file) => dev_mailbox_page(ports, file),
        Route::EmailLink => {
            let params = request.query_params();
            let words = Words::for_tag(query_value(&params, "lang").unwrap_or("en"));
            Ok(crate::pages::link_expired(&words))
        }
        Route::MyPasskeys | Route::MyPasskeyOptions | Route::MyPasskey(_) => {
            let me = account_request(request, issuer, &context);
            my_passkeys(ports, request, &me, route).await
        }
        Route::MyDevices => {
            let me = account_request(request, issuer, &context);
            let me = account::authenticate(ports, &me).await?;
            let forgotten = device::forget_all(ports, &context, &me.user, &me.client.id).await?;
            Ok(
                Response::json(200, &serde_json::json!({ "forgotten": forgotten }))
                    .with_header("cache-control", "no-store"),
            )
        }
        Route::MyDevice(id) => {
            let me = account_request(request, issuer, &context);
            let me = account::authenticate(ports, &me).await?;
            device::forget_one(ports, &context, &me.user, &me.client.id, id).await?;
            Ok(Response::empty(204))
        }
        Route::MyFactors
        | Route::MyTotp
        | Route::MyTotpConfirm
        | Route::MyFactor(_)
        | Route::MyRecoveryCodes => {
            let me = account_request(request, issuer, &context);
            my_factors(ports, request, &me, route).await
        }
        Route::Me => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let scheduled = crate::account_deletion::request(ports, &me, &account).await?;
            Ok(Response::json(202, &scheduled).with_header("cache-control", "no-store"))
        }
        Route::CancelDeletion => {
            let params = if request.method == Method::Post {
                request.form_params().unwrap_or_default()
            } else {
                request.query_params()
            };
            let words = Words::for_tag(query_value(&params, "lang").unwrap_or("en"));
            let token = query_value(&params, "token").unwrap_or_default();
            if request.method == Method::Post {
                crate::account_deletion::cancel(ports, &context, &words, token).await
            } else {
                Ok(crate::account_deletion::cancel_form(&words, token))
            }
        }
        Route::MyProfile => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let profile = if request.method == Method::Patch {
                let change: serde_json::Map<String, serde_json::Value> = json_body(request)?;
                crate::account_profile::update(ports, &context, &account, &change).await?
            } else {
                crate::account_profile::read(&account)
            };
            Ok(Response::json(200, &profile).with_header("cache-control", "no-store"))
        }
        Route::MyEmail | Route::MyEmailConfirm => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let response = if route == Route::MyEmail {
                let body: EmailChangeRequest = json_body(request)?;
                let started = crate::account_email::request(ports, &me, &account, &body.email);
                Response::json(202, &started.await?)
            } else {
                let body: EmailChangeConfirm = json_body(request)?;
                let (id, code) = (&body.change_id, body.code.expose());
                let changed = crate::account_email::confirm(ports, &me, &account, id, code);
                Response::json(200, &changed.await?)
            };
            Ok(response.with_header("cache-control", "no-store"))
        }
        Route::MyPassword => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let body: PasswordChange = json_body(request)?;
            crate::account_password::change(ports, &me, &account, &body).await?;
            Ok(Response::empty(204).with_header("cache-control", "no-store"))
        }
        Route::MySessions
        | Route::MySession(_)
        | Route::MyApplications
        | Route::MyApplication(_) => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            my_sessions(ports, request.method, &context, &account, route).await
        }
        Route::MyExport => {
            let me = account_request(request, issuer, &context);
            let account = account::authenticate(ports, &me).await?;
            let export = crate::account_data::export(ports, &context, &account).await?;
            Ok(Response::json(200, &export).with_header("cache-control", "no-store"))
        }
        Route::MyConsents | Route::MyConsentReceipt(_) => {
            let me = account_request(request, issuer, &context);
            my_consents(ports, request, &me, route).await
        }
        Route::RelatedOrigins => related_origins(ports, issuer).await,
        Route::Discovery => Ok(Response::json(200, &discovery::metadata(issuer))
            .with_header("cache-control", "public, max-age=300")),
        Route::Jwks => {
            let ring = keys::load(ports)
                .await
                .map_err(|e| Error::Internal(format!("signing keys: {e:?}")))?;
            Ok(jwks_response(&ring, request.header("if-none-match")))
        }
        Route::Authorize => {
            authorize::handle(
                ports,
                issuer,
                &request.query_params(),
                request.header("cookie"),
            )
            .await
        }
        Route::Token => Ok(oauth_result(
            ports,
            token_endpoint(ports, request, issuer, &context).await,
        )),
        Route::Userinfo => {
            Ok(userinfo::handle(ports, issuer, request.header("authorization")).await)
        }
        Route::Revoke => Ok(oauth_result(
            ports,
            revoke_endpoint(ports, request, issuer, &context).await,
        )),
        Route::Introspect => Ok(oauth_result(
            ports,
            introspect_endpoint(ports, request, issuer).await,
        )),
        Route::ScimUsers
        | Route::ScimUser(_)
        | Route::ScimGroups
        | Route::ScimGroup(_)
        | Route::ScimServiceProviderConfig
        | Route::ScimSchemas
        | Route::ScimResourceTypes => {
            Ok(crate::scim::handle(ports, request, route, &context).await)
        }
        Route::Logs => Ok(crate::logs::handle(ports, request, &context).await),
        Route::AdminClients | Route::AdminClient(_) | Route::AdminClientSecret(_) => {
            Ok(crate::admin_clients::handle(ports, request, route, &context).await)
        }
        Route::AdminUser(id) => Ok(crate::admin_users::read(ports, request, id, &context).await),
        Route::AdminConnections | Route::AdminConnection(_) => {
            Ok(crate::admin_connections::handle(ports, request, route, &context).await)
        }
        Route::AdminUserLifecycle(id, action) => {
            Ok(crate::admin_users::lifecycle(ports, request, id, action, &context).await)
        }
        Route::AdminUserIdentityTokens(id, connection) => Ok(crate::admin_upstream_tokens::handle(
            ports, request, id, connection, &context,
        )
        .await),
        Route::AdminHooks
        | Route::AdminHook(_)
        | Route::AdminHookSecret(_)
        | Route::AdminHookDeliveries(_)
        | Route::AdminInlineHooks
        | Route::AdminInlineHook(_) => {
            Ok(crate::hooks::admin::handle(ports, request, route, &context).await)
        }
        Route::Logout => {
            let params = if request.method == Method::Post {
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
    }
}

/// The request as the account API (`/v1/me/…`) reads it.
fn account_request<'a>(
    request: &'a Request,
    issuer: &'a str,
    context: &'a RequestContext,
) -> account::AccountRequest<'a> {
    account::AccountRequest {
        issuer,
        authorization: request.header("authorization"),
        origin: request.header("origin"),
        context,
    }
}

/// `/v1/me/passkeys[/…]`: the signed-in person's passkeys.
async fn my_passkeys(
    ports: &Ports<'_>,
    request: &Request,
    me: &account::AccountRequest<'_>,
    route: Route<'_>,
) -> Result<Response, Error> {
    let account = account::authenticate(ports, me).await?;
    let response = match (route, request.method) {
        (Route::MyPasskeys, Method::Post) => {
            let credential = json_body(request)?;
            Response::json(201, &account::add(ports, me, &account, &credential).await?)
        }
        (Route::MyPasskeys, _) => {
            Response::json(200, &account::list(ports, me.issuer, &account).await?)
        }
        (Route::MyPasskeyOptions, _) => {
            Response::json(200, &account::options(ports, me.issuer, &account).await?)
        }
        (Route::MyPasskey(id), Method::Patch) => {
            let body: RenamePasskey = json_body(request)?;
            let renamed = account::rename(ports, me, &account, id, &body.name).await?;
            Response::json(200, &renamed)
        }
        (Route::MyPasskey(id), _) => {
            account::delete(ports, me, &account, id).await?;
            Response::empty(204)
        }
        _ => return Err(Error::NoRoute),
    };
    Ok(response.with_header("cache-control", "no-store"))
}

/// The JWKS, cacheable by relying parties and proxies for five minutes (a rotated key is
/// published before it signs anything, see [`keys`]), with an entity tag so that a
/// revalidation costs a `304` and no body (RFC 9110 §13.1.2).
fn jwks_response(ring: &keys::KeyRing, if_none_match: Option<&str>) -> Response {
    let etag = ring.jwks_etag();
    let matches = if_none_match.is_some_and(|header| {
        header.trim() == "*"
            || header
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == etag)
    });
    let response = if matches {
        Response::empty(304)
    } else {
        let mut response = Response::empty(200);
        response.body = ring.jwks_json().as_bytes().to_vec();
        response.with_header("content-type", "application/json")
    };
    response
        .with_header("cache-control", "public, max-age=300")
        .with_header("etag", etag)
}

/// `/v1/me/factors[/…]` and `/v1/me/recovery-codes`: the signed-in person's second
/// factors.
async fn my_factors(
    ports: &Ports<'_>,
    request: &Request,
    me: &account::AccountRequest<'_>,
    route: Route<'_>,
) -> Result<Response, Error> {
    let account = account::authenticate(ports, me).await?;
    let response = match route {
        Route::MyFactors => Response::json(200, &mfa::account::list(ports, &account).await?),
        Route::MyTotp => Response::json(200, &mfa::account::begin(ports, &account).await?),
        Route::MyTotpConfirm => {
            let body: FactorCode = json_body(request)?;
            let added = mfa::account::confirm(ports, me, &account, body.code.expose()).await?;
            Response::json(201, &added)
        }
        Route::MyFactor(id) => {
            mfa::account::remove(ports, me, &account, id).await?;
            Response::empty(204)
        }
        Route::MyRecoveryCodes => {
            let codes = mfa::account::renew_recovery_codes(ports, me, &account).await?;
            Response::json(200, &codes)
        }
        _ => return Err(Error::NoRoute),
    };
    Ok(response.with_header("cache-control", "no-store"))
}

/// `/v1/me/consents[/receipts/{id}]`: the signed-in person's consent records.
async fn my_consents(
    ports: &Ports<'_>,
    request: &Request,
    me: &account::AccountRequest<'_>,
    route: Route<'_>,
) -> Result<Response, Error> {
    let account = account::authenticate(ports, me).await?;
    let response = match (route, request.method) {
        (Route::MyConsents, Method::Post) => {
            let change: ConsentChange = json_body(request)?;
            let gpc = consent::gpc_signal(request.header("sec-gpc"));
            let recorded = consent::record(ports, me.context, &account, &change, gpc).await?;
            Response::json(201, &recorded)
        }
        (Route::MyConsents, _) => Response::json(200, &consent::list(ports, &account).await?),
        (Route::MyConsentReceipt(id), _) => Response::json(
            200,
            &consent::receipt(ports, me.issuer, &account, id).await?,
        ),
        _ => return Err(Error::NoRoute),
    };
    Ok(response.with_header("cache-control", "no-store"))
}

/// `/v1/me/sessions[/…]` and `/v1/me/applications[/…]`: where the signed-in person is
/// signed in, and the applications holding access to their account.
async fn my_sessions(
    ports: &Ports<'_>,
    method: Method,
    context: &RequestContext,
    account: &account::Account,
    route: Route<'_>,
) -> Result<Response, Error> {
    use crate::account_sessions as sessions;
    let response = match (route, method) {
        (Route::MySessions, Method::Delete) => {
            Response::json(200, &sessions::end_others(ports, context, account).await?)
        }
        (Route::MySessions, _) => Response::json(200, &sessions::list(ports, account).await?),
        (Route::MySession(id), _) => {
            sessions::end(ports, context, account, id).await?;
            Response::empty(204)
        }
        (Route::MyApplications, _) => {
            Response::json(200, &sessions::applications(ports, account).await?)
        }
        (Route::MyApplication(id), _) => {
            sessions::revoke_application(ports, context, account, id).await?;
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
    for origin in crate::client_lookup::allowed_origins(ports).await?.iter() {
        if !origins.contains(origin) {
            origins.push(origin.clone());
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
            created_at: kept.created_at.as_seconds(),
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

async fn client_config(ports: &Ports<'_>, client_id: &str) -> Result<ClientConfig, Error> {
    let client = crate::client_lookup::find(ports, client_id)
        .await?
        .ok_or(Error::UnknownClient)?;
    let turnstile_site_key = client
        .protection
        .human_check
        .then(|| ports.settings.turnstile_site_key.clone())
        .flatten();
    let connections = crate::federation::for_client(ports, &client.id)
        .await?
        .into_iter()
        .map(|c| ConnectionButton {
            id: c.id,
            name: c.display_name,
        })
        .collect();
    let config = ClientConfig {
        connections,
        account_api: client.allows_account_api(),
        turnstile_script_url: turnstile_site_key
            .is_some()
            .then(|| ports.settings.turnstile_script_url.clone()),
        turnstile_site_key,
        client_id: client.id,
        name: client.name,
        theme: client.theme,
    };
    Ok(config)
}

/// A page for a browser whose way to or back from a provider cannot go on (an unknown,
/// used or foreign `state`, a spent ticket): there is no page to send it back to.
fn federation_error_page(ports: &Ports<'_>, err: &Error) -> Response {
    if let Some(detail) = err.detail() {
        ports.diagnostics.log(&format!("federation: {detail}"));
    }
    let status = if err.status() >= 500 { 503 } else { 400 };
    crate::pages::error_page(status, &err.public_message())
}

fn completed(done: Completed, issuer: &str) -> Response {
    let notice = done
        .proof
        .credentials_removed
        .then_some(Notice::CredentialsRemoved);
    let body = CompletedBody {
        outcome: &done.outcome,
        notice,
        recovery_codes: done.recovery_codes.as_deref(),
        device_token: done.device_token.as_deref(),
    };
    let mut response = Response::json(200, &body);
    if let Some(handle) = done.session {
        response = response.with_header("set-cookie", &sessions::set_cookie(&handle, issuer));
    }
    if let Some(handle) = done.device {
        response = response.with_added_header("set-cookie", &device::set_cookie(&handle, issuer));
    }
    response
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
