//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): authorization code
//! flow with PKCE only.
//!
//! - An invalid client or redirect URI is shown on an error page, never redirected to
//!   (RFC 6749 §4.1.2.1); other errors go back to the validated redirect URI.
//! - A live SSO session answers at once, unless `prompt=login` or `max_age` asks for a
//!   fresh sign-in (OIDC Core §3.1.2.1) or the client's policy does not admit its person
//!   ([`crate::policy::admits`], as at interactive sign-in); `prompt=none` without a
//!   usable session is `login_required` (`interaction_required` when the person only
//!   has to verify their address or prove a second factor, §3.1.2.6).
//! - A session that proved one factor is not reused where [`mfa::requirement`] asks for
//!   two (the client's MFA policy, or `acr_values` asking for the multi-factor `acr`).
//! - Otherwise a hosted flow starts and the browser goes to the hosted sign-in page.
//! - Every response to the client carries `iss` (RFC 9207 §2).

use portcullis_shared::oauth::OAuthErrorCode;

use crate::error::Error;
use crate::http::{redirect, Response};
use crate::mfa::{self, Enrolled, Requirement, Risk};
use crate::oauth::authorization_request::{self, Params, Prompt, Rejection};
use crate::oauth::authorization_response::{code_response, with_query};
use crate::oauth::code::{self, PendingAuthorization};
use crate::pages::error_page;
use crate::policy::{self, PolicyRefusal};
use crate::ports::Ports;
use crate::time::UnixMillis;
use crate::{flows, sessions};

fn error_redirect(
    redirect_uri: &str,
    error: OAuthErrorCode,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> Response {
    let mut params = vec![
        ("error", error.as_str()),
        ("error_description", description),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer));
    redirect(&with_query(redirect_uri, &params))
}

/// Handles `GET /authorize`.
pub async fn handle(
    ports: &Ports<'_>,
    issuer: &str,
    params: &Params,
    cookie: Option<&str>,
) -> Result<Response, Error> {
    let client_id = match authorization_request::client_id(params) {
        Ok(id) => id,
        Err(rejection) => return Ok(rejected(rejection, issuer)),
    };
    let Some(client) = crate::client_lookup::find(ports, &client_id).await? else {
        return Ok(error_page(
            400,
            "The application (client_id) is not registered.",
        ));
    };
    let request = match authorization_request::validate(params, &client) {
        Ok(request) => request,
        Err(rejection) => return Ok(rejected(rejection, issuer)),
    };

    let now = ports.clock.now();
    let session = sessions::current(ports, issuer, cookie).await?;
    let user = match &session {
        Some(s) => ports.users.find_by_id(&s.user_id).await?,
        None => None,
    };
    // The same client policy as interactive sign-in: a session the client would not have
    // admitted is not reused.
    let admitted = user.as_ref().map(|u| policy::admits(&client, u));
    let fresh_enough = |auth_time: UnixMillis| match request.max_age {
        Some(max_age) => now.0.saturating_sub(auth_time.0) <= max_age.saturating_mul(1000),
        None => true,
    };
    // The one MFA decision too: a session that proved one factor is not reused where
    // the client or the relying party (`acr_values`) wants two.
    let second_factor_owed = match (&session, &user) {
        (Some(s), Some(u)) => {
            let enrolled = Enrolled::of_user(ports, u).await?;
            mfa::requirement(&client, &enrolled, &s.amr, request.step_up, Risk::default())
                != Requirement::Satisfied
        }
        _ => false,
    };
    let reusable = match (&session, &user, admitted) {
        (Some(s), Some(_), Some(Ok(())))
            if request.prompt != Some(Prompt::Login)
                && fresh_enough(s.auth_time)
                && !second_factor_owed =>
        {
            Some(s)
        }
        _ => None,
    };

    if let (Some(session), Some(user)) = (reusable, &user) {
        let pending = PendingAuthorization::from_request(&request);
        let record = pending.record(&client.id, &user.id, session.auth_time, &session.amr);
        let code = code::issue(ports, &record).await?;
        return Ok(redirect(&code_response(
            &request.redirect_uri,
            &code,
            request.state.as_deref(),
            issuer,
        )));
    }
    if request.prompt == Some(Prompt::None) {
        // OIDC Core §3.1.2.6: signed in, but the client needs a step from the person
        // first (verifying their address) is `interaction_required`; otherwise someone
        // must sign in.
        let (error, description) = match admitted {
            Some(Err(PolicyRefusal::EmailUnverified)) => (
                OAuthErrorCode::InteractionRequired,
                "The person must verify their email address.",
            ),
            Some(Ok(())) if second_factor_owed => (
                OAuthErrorCode::InteractionRequired,
                "The person must prove a second factor.",
            ),
            _ => (OAuthErrorCode::LoginRequired, "The person must sign in."),
        };
        return Ok(error_redirect(
            &request.redirect_uri,
            error,
            description,
            request.state.as_deref(),
            issuer,
        ));
    }
    let flow_id = flows::start_hosted(ports, &request).await?;
    let mut page = vec![
        ("flow", flow_id.as_str()),
        ("client_id", client.id.as_str()),
    ];
    if let Some(hint) = request.login_hint.as_deref() {
        page.push(("login_hint", hint));
    }
    if let Some(tags) = request.ui_locales.as_deref() {
        page.push(("ui_locales", tags));
    }
    Ok(redirect(&with_query("/signin", &page)))
}

fn rejected(rejection: Rejection, issuer: &str) -> Response {
    match rejection {
        Rejection::ShowError { reason } => error_page(400, reason),
        Rejection::Redirect {
            redirect_uri,
            error,
            description,
            state,
        } => error_redirect(&redirect_uri, error, description, state.as_deref(), issuer),
    }
}
