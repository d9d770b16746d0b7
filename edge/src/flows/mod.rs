//! First-party sign-in flows, after the IETF draft "OAuth 2.0 for First-Party
//! Applications": the widget starts a flow for a client, receives an opaque handle, and
//! moves through steps with it until the flow ends in an authorization code.
//!
//! - Embedded flows (the widget on the client's own site) are started by the widget with
//!   a PKCE challenge and end with the code handed to the widget, which redeems it at
//!   `/token` with its verifier.
//! - Hosted flows are started by `/authorize`; the hosted sign-in page drives them, and
//!   they end with the SSO cookie set and a redirect to the client with the code.
//!
//! The flow lives in the [`OneTimeStore`]: each step takes it, and puts it back only if
//! the flow goes on (a failed password, counted), so it ends exactly once.
//!
//! [`OneTimeStore`]: crate::ports::OneTimeStore

use portcullis_shared::api::{
    EmailCode, FederationResume, FlowOutcome, FlowStarted, PasskeyChallenge, PasskeySignUp,
    PasswordSignIn, PasswordSignUp, StartFlow, Step,
};
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

use crate::accounts::{self, Attempt};
use crate::address_proof::Proof;
use crate::amr::{Amr, Method};
use crate::clients::Client;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::mfa::{Enrolled, Risk, StepUp};
use crate::oauth::authorization_request::AuthorizationRequest;
use crate::oauth::code::{self, PendingAuthorization, CODE_TTL_SECONDS};
use crate::oauth::pkce::CodeChallenge;
use crate::oauth::scope::Scopes;
use crate::one_time::OneTime;
use crate::passkeys;
use crate::policy::{self, PolicyRefusal};
use crate::ports::{Ports, UnixMillis};
use crate::risk;
use crate::sessions;
use crate::throttle::{Failures, IpPrefix};
use crate::users::User;

/// How long a started flow stays usable.
pub const FLOW_TTL_SECONDS: u64 = 600;
/// Failed password attempts a flow survives; the next failure ends it.
pub const MAX_FAILURES: u32 = 5;

const MAX_CLIENT_ID_LEN: usize = 128;
/// RFC 5321 §4.5.3.1.3 caps a path at 256 octets; a little slack for display names.
const MAX_LOGIN_HINT_LEN: usize = 320;
const MAX_NONCE_LEN: usize = 512;
const MAX_ACR_VALUES_LEN: usize = 512;

/// What the store keeps for a flow between steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FlowRecord {
    client_id: String,
    login_hint: Option<String>,
    expires_at: UnixMillis,
    failures: u32,
    authorization: PendingAuthorization,
    /// Set while the flow waits for the person to verify their address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifying: Option<email::Verifying>,
    /// Set while the flow waits for a second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second_factor: Option<second_factor::Waiting>,
    /// Set when the browser came back from a sign-in provider, until it resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    federated: Option<federation::Returned>,
    /// A provider's identity to link once the person signs in to this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_link: Option<crate::federation::linking::PendingLink>,
    /// Set while the flow asks for profile details before it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profiling: Option<profiling::Asking>,
}

/// Flows in progress, named by their handles (a bearer secret the widget holds).
const FLOWS: OneTime<FlowRecord> = OneTime::new("flow");

impl FlowRecord {
    /// Counts a failed credential; the flow ends at [`MAX_FAILURES`].
    fn fail(&mut self) -> Result<(), Error> {
        self.failures += 1;
        if self.failures >= MAX_FAILURES {
            return Err(Error::TooManyAttempts);
        }
        Ok(())
    }
}

/// Who is asking, as far as the browser tells us.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The `Origin` header, if the request came from a web page.
    pub origin: Option<&'a str>,
    /// This deployment's own origin (the issuer).
    pub self_origin: &'a str,
    pub context: &'a RequestContext,
    /// The `Portcullis-Federation-Ticket` header: the page that came back from a sign-in
    /// provider sends its ticket with the steps that prove the account to link.
    pub federation_ticket: Option<&'a str>,
}

/// A finished flow: what the widget is told, and the SSO session a hosted flow started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub outcome: FlowOutcome,
    /// The new session cookie's handle (hosted flows only).
    pub session: Option<String>,
    /// The remembered-device cookie's handle (see [`risk::device`]).
    pub device: Option<String>,
    /// What proving the address did on the way, for the person to be told.
    pub proof: Proof,
    /// Recovery codes made on the way (a first enrolment), shown once.
    pub recovery_codes: Option<Vec<String>>,
    /// The token of a device remembered after a second factor (see
    /// [`crate::mfa::remembered`]), for the widget to keep.
    pub device_token: Option<String>,
}

pub(crate) async fn client_for(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    client_id: &str,
) -> Result<Client, Error> {
    let client = crate::client_lookup::find(ports, client_id)
        .await?
        .ok_or(Error::UnknownClient)?;
    if !client.allows_origin(caller.origin, caller.self_origin) {
        return Err(Error::OriginNotAllowed {
            origin: caller.origin.unwrap_or_default().to_string(),
        });
    }
    Ok(client)
}

fn clean_hint(hint: Option<String>) -> Result<Option<String>, Error> {
    match hint {
        Some(hint) if hint.chars().count() > MAX_LOGIN_HINT_LEN => {
            Err(Error::InvalidField("login_hint"))
        }
        Some(hint) if hint.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

async fn store(ports: &Ports<'_>, record: &FlowRecord) -> Result<String, Error> {
    FLOWS.issue(ports, record, record.expires_at).await
}

async fn put(ports: &Ports<'_>, flow_id: &str, record: &FlowRecord) -> Result<(), Error> {
    FLOWS.put(ports, flow_id, record, record.expires_at).await
}

async fn take(ports: &Ports<'_>, flow_id: &str) -> Result<FlowRecord, Error> {
    FLOWS.take(ports, flow_id).await?.ok_or(Error::FlowNotFound)
}

/// Takes the flow `flow_id` for a step, with its client, if the calling page may act for
/// it; otherwise the flow stays where it can go on.
async fn take_for(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<(FlowRecord, Client), Error> {
    let record = take(ports, flow_id).await?;
    match client_for(ports, caller, &record.client_id).await {
        Ok(client) => Ok((record, client)),
        // A refused page must not keep or spend the flow for the page that may use it.
        Err(err @ Error::OriginNotAllowed { .. }) => Err(err),
        Err(err) => {
            put(ports, flow_id, &record).await?;
            Err(err)
        }
    }
}

/// The client of the live flow `flow_id`, if the calling page may act for it. Leaves the
/// flow in place: for steps that prepare something (passkey options) without using it.
async fn live_client(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
) -> Result<Client, Error> {
    let record = FLOWS
        .peek(ports, flow_id)
        .await?
        .ok_or(Error::FlowNotFound)?;
    client_for(ports, caller, &record.client_id).await
}

/// Passkey sign-in options for the flow (see [`passkeys::sign_in`]).
pub async fn passkey_options(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    request: &PasskeyChallenge,
) -> Result<RequestChallengeResponse, Error> {
    live_client(ports, caller, flow_id).await?;
    let rp_id = passkeys::rp_id(ports, caller.self_origin);
    passkeys::sign_in::options(ports, &rp_id, flow_id, request.email.as_deref()).await
}

/// Passkey-only sign-up options for the flow (see [`passkeys::sign_up`]).
pub async fn passkey_sign_up_options(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    request: &PasskeySignUp,
) -> Result<CreationChallengeResponse, Error> {
    let client = live_client(ports, caller, flow_id).await?;
    let rp_id = passkeys::rp_id(ports, caller.self_origin);
    passkeys::sign_up::options(ports, &rp_id, &client.name, flow_id, request).await
}

/// Starts an embedded flow for `request.client_id` if the calling page may act for it.
pub async fn start(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    request: StartFlow,
) -> Result<FlowStarted, Error> {
    if request.client_id.is_empty() || request.client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(Error::InvalidField("client_id"));
    }
    let login_hint = clean_hint(request.login_hint)?;
    if request
        .nonce
        .as_ref()
        .is_some_and(|n| n.len() > MAX_NONCE_LEN)
    {
        return Err(Error::InvalidField("nonce"));
    }
    if request
        .acr_values
        .as_ref()
        .is_some_and(|a| a.len() > MAX_ACR_VALUES_LEN)
    {
        return Err(Error::InvalidField("acr_values"));
    }
    // Who is asking comes first: an unknown client or a refused page learns nothing more.
    let client = client_for(ports, caller, &request.client_id).await?;
    // RFC 7636 §4.4.1: the flow ends in a code, so PKCE is required, S256 only.
    let challenge = CodeChallenge::parse(
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    )
    .map_err(|_| Error::InvalidField("code_challenge"))?;
    let scopes = Scopes::parse(request.scope.as_deref().unwrap_or("openid"));
    let supported = scopes
        .iter()
        .all(|s| crate::oauth::custom_claims::supports_person_scope(&client, s));
    if scopes.is_empty() || !client.allowed_scopes.covers(&scopes) || !supported {
        return Err(Error::InvalidField("scope"));
    }
    // Home-realm discovery: by the address's domain alone (never whether it has an
    // account), the client's connection that claims it.
    let home_realm = match &login_hint {
        Some(email) => crate::federation::home_realm(ports, &client.id, email).await?,
        None => None,
    };
    let next = match (&home_realm, &login_hint) {
        (Some(_), _) => Step::Provider,
        (None, Some(_)) => Step::Password,
        (None, None) => Step::Identify,
    };
    let record = FlowRecord {
        client_id: client.id,
        login_hint,
        expires_at: ports.clock.now().plus_seconds(FLOW_TTL_SECONDS),
        failures: 0,
        verifying: None,
        second_factor: None,
        federated: None,
        pending_link: None,
        profiling: None,
        authorization: PendingAuthorization {
            redirect_uri: None,
            state: None,
            scopes,
            nonce: request.nonce,
            code_challenge: challenge,
            step_up: StepUp::from_acr_values(request.acr_values.as_deref()),
        },
    };
    let flow_id = store(ports, &record).await?;
    Ok(FlowStarted {
        flow_id,
        expires_in: FLOW_TTL_SECONDS,
        next,
        connection: home_realm,
    })
}

/// Starts a hosted flow for a validated authorization request; returns its handle.
pub async fn start_hosted(
    ports: &Ports<'_>,
    request: &AuthorizationRequest,
) -> Result<String, Error> {
    let record = FlowRecord {
        client_id: request.client_id.clone(),
        login_hint: request.login_hint.clone(),
        expires_at: ports.clock.now().plus_seconds(FLOW_TTL_SECONDS),
        failures: 0,
        verifying: None,
        second_factor: None,
        federated: None,
        pending_link: None,
        profiling: None,
        authorization: PendingAuthorization::from_request(request),
    };
    store(ports, &record).await
}

/// Ends a flow so its handle can no longer be used ("use another account").
///
/// The handle is a bearer secret: whoever holds it may cancel the flow.
pub async fn cancel(ports: &Ports<'_>, flow_id: &str) -> Result<(), Error> {
    take(ports, flow_id).await.map(|_| ())
}

/// What the person sent at a step.
pub enum StepInput {
    /// Sign in with email and password.
    Password(PasswordSignIn),
    /// Create an account with email and password.
    SignUp(PasswordSignUp),
    /// Sign in with a passkey: the browser's `PublicKeyCredential.toJSON()`.
    Passkey(Box<PublicKeyCredential>),
    /// Create an account whose only sign-in method is this new passkey.
    PasskeySignUp(Box<RegisterPublicKeyCredential>),
    /// The code from an email of this flow.
    EmailCode(EmailCode),
    /// Back from a sign-in provider, with the ticket from the returning page.
    Federated(FederationResume),
}

impl StepInput {
    /// RFC 8176 authentication method references for a sign-in by this step: a password,
    /// a passkey (a key held by an authenticator, with user verification, so
    /// multi-factor), or a one-time secret sent by email. (An email that only verifies
    /// the address keeps the method of the step before it; see [`email`].)
    fn amr(&self) -> Amr {
        Amr::of(match self {
            StepInput::Password(_) | StepInput::SignUp(_) => &[Method::Pwd],
            // RFC 8176 `hwk` needs a key proven to live in hardware (attestation we do
            // not require); a passkey may be synced, so it is a software-secured key.
            // User verification is required, so it is multi-factor.
            StepInput::Passkey(_) | StepInput::PasskeySignUp(_) => {
                &[Method::Swk, Method::User, Method::Mfa]
            }
            StepInput::EmailCode(_) => &[Method::Otp],
            StepInput::Federated(_) => &[Method::Fed],
        })
    }
}

/// Runs one step of a flow: authenticates or registers the person, then completes the
/// flow or keeps it for another try.
pub async fn step(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    input: StepInput,
) -> Result<Completed, Error> {
    let (mut record, client) = take_for(ports, caller, flow_id).await?;
    let turnstile_token = match &input {
        StepInput::Password(body) => body.turnstile_token.as_ref(),
        StepInput::SignUp(body) => body.turnstile_token.as_ref(),
        _ => None,
    };
    let attempt = Attempt {
        client_id: &client.id,
        context: caller.context,
        protection: client.protection,
        turnstile_token: turnstile_token.map(|t| t.expose()),
    };
    let rp = || passkeys::relying_party(ports, caller.self_origin, &client.allowed_origins);
    let mut proof = Proof::default();
    // Known before the ceremony uses its challenge, for the answer to a taken address.
    let sign_up_email = match &input {
        StepInput::SignUp(body) => Some(body.email.clone()),
        StepInput::PasskeySignUp(credential) if client.requires_verified_email => {
            passkeys::sign_up::email_of(ports, credential).await
        }
        _ => None,
    };
    // Set when a correct password is not enough: the account is under attack.
    let mut needs_second_proof = false;
    let mut failures = Failures::default();
    let mut password_step = |signed_in: accounts::SignedIn| {
        needs_second_proof = signed_in.needs_second_proof;
        failures = signed_in.failures;
        signed_in.user
    };
    let result = match &input {
        StepInput::Password(body) => {
            accounts::sign_in(ports, &attempt, &body.email, body.password.expose())
                .await
                .map(&mut password_step)
        }
        StepInput::SignUp(body) => {
            let name = body.name.as_deref();
            accounts::sign_up(ports, &attempt, &body.email, body.password.expose(), name)
                .await
                .map(&mut password_step)
        }
        StepInput::Passkey(credential) => {
            passkeys::sign_in::verify(ports, &attempt, &rp(), flow_id, credential).await
        }
        StepInput::PasskeySignUp(credential) => {
            passkeys::sign_up::verify(ports, &attempt, &rp(), flow_id, credential).await
        }
        StepInput::EmailCode(body) => {
            let ip = IpPrefix::of(caller.context.ip_address.as_deref());
            let code = crate::email::codes::check(ports, flow_id, body.code.expose(), ip).await;
            email::proven(ports, &attempt, &record, code)
                .await
                .map(|(user, done)| {
                    proof = done;
                    user
                })
        }
        StepInput::Federated(body) => {
            federation::resume(ports, &mut record, body.ticket.expose()).await
        }
    }
    .map(|user| {
        // An email that verified the address keeps the method of the step before it.
        let amr = match (&input, &record.verifying) {
            (StepInput::EmailCode(_), Some(pending)) if pending.user_id == user.id => {
                pending.amr.clone()
            }
            _ => input.amr(),
        };
        (user, amr)
    });
    match result {
        Ok((user, amr)) => {
            // The emailed code that completes the flow is a second method.
            let amr = if needs_second_proof {
                amr.with(Method::Otp)
            } else {
                amr
            };
            // The one client policy check, as at silent SSO and refresh: an address the
            // client needs verified is verified here, by a code typed in this flow.
            let unverified = match policy::admits(&client, &user) {
                Ok(()) => false,
                Err(PolicyRefusal::EmailUnverified) => true,
                Err(PolicyRefusal::Inactive) => {
                    return keep(ports, flow_id, record, Error::InvalidCredentials).await
                }
            };
            // Adaptive sign-on, after the first factor and the policy check. An emailed
            // code that finishes a pending verification is the answer to a challenge (or
            // to the address check), not a new sign-in to assess.
            let challenge =
                if matches!(input, StepInput::EmailCode(_)) && record.verifying.is_some() {
                    false
                } else {
                    let two_factors = amr.is_multi_factor() || amr.contains(Method::Otp);
                    let policy = client.protection.adaptive_mfa;
                    let evaluation = risk::evaluate(
                        ports,
                        caller.context,
                        &user,
                        &client.id,
                        policy,
                        failures,
                        two_factors || needs_second_proof,
                    )
                    .await?;
                    evaluation.challenge
                };
            // The second factor a challenge asks for: the account's own (an authenticator
            // app, a security key) where it has one, else a code emailed to its address.
            let by_email = challenge && !Enrolled::of(ports, &user.id).await?.any();
            let amr = if by_email { amr.with(Method::Otp) } else { amr };
            if needs_second_proof || unverified || by_email {
                return email::verify_first(ports, caller, flow_id, record, &client, &user, amr)
                    .await;
            }
            let risk = if challenge {
                Risk::Elevated
            } else {
                Risk::NotElevated
            };
            second_factor::gate(
                ports, caller, flow_id, record, &client, &user, amr, proof, risk,
            )
            .await
        }
        // With verification required, a taken address gets the same answer as a new one;
        // its owner is told by email.
        Err(Error::SignUpRefused) if client.requires_verified_email => match &sign_up_email {
            Some(typed) => {
                email::account_exists(ports, caller, flow_id, record, &client, typed).await
            }
            None => keep(ports, flow_id, record, Error::SignUpRefused).await,
        },
        Err(Error::WrongUnderAttack) => {
            let typed = match &input {
                StepInput::Password(body) => body.email.as_str(),
                _ => "",
            };
            email::unprovable(ports, flow_id, record, typed).await
        }
        Err(err) => keep(ports, flow_id, record, err).await,
    }
}

/// Puts the flow back after a failed step (counting failed credentials) so the person
/// can try again, until [`MAX_FAILURES`].
async fn keep(
    ports: &Ports<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    err: Error,
) -> Result<Completed, Error> {
    if matches!(
        err,
        Error::InvalidCredentials
            | Error::SignUpRefused
            | Error::Ceremony(_)
            | Error::CodeInvalid
            | Error::CodeExpired
            | Error::LinkExpired
            | Error::FactorCodeInvalid
    ) {
        record.fail()?;
    }
    put(ports, flow_id, &record).await?;
    Err(err)
}

/// Every factor is proven: asks for what the client's profiling policy wants now (a
/// flow that just made recovery codes shows them first, and asks at a later sign-in),
/// or ends the flow.
#[allow(clippy::too_many_arguments)]
async fn complete(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    flow_id: &str,
    mut record: FlowRecord,
    user: &User,
    amr: Amr,
    proof: Proof,
    recovery_codes: Option<Vec<String>>,
) -> Result<Completed, Error> {
    if recovery_codes.is_none() {
        if let Some(asking) =
            profiling::ask_if_due(ports, flow_id, &mut record, user, &amr, proof).await?
        {
            return Ok(asking);
        }
    }
    finish(ports, caller, record, user, amr, proof, recovery_codes).await
}

/// Ends the flow: the authorization code, and for a hosted flow the SSO session.
async fn finish(
    ports: &Ports<'_>,
    caller: Caller<'_>,
    record: FlowRecord,
    user: &User,
    amr: Amr,
    proof: Proof,
    recovery_codes: Option<Vec<String>>,
) -> Result<Completed, Error> {
    if let Some(pending) = &record.pending_link {
        federation::link_if_same_browser(ports, caller, &record.client_id, pending, user).await?;
    }
    let auth = record.authorization;
    let now = ports.clock.now();
    let code = code::issue(ports, &auth.record(&record.client_id, &user.id, now, &amr)).await?;
    let device = risk::signed_in(ports, caller.context, &user.id).await;
    events::record(
        ports,
        caller.context,
        EventSpec::user_success(
            types::SESSION_START,
            "User login to Portcullis",
            user,
            &record.client_id,
        ),
    )
    .await;
    match auth.redirect_uri {
        None => Ok(Completed {
            outcome: FlowOutcome::AuthorizationCode {
                authorization_code: code,
                expires_in: CODE_TTL_SECONDS,
            },
            session: None,
            device,
            proof,
            recovery_codes,
            device_token: None,
        }),
        Some(redirect_uri) => {
            let session = sessions::start(ports, &user.id, &amr, now).await?;
            let redirect_to = crate::oauth::authorization_response::code_response(
                &redirect_uri,
                &code,
                auth.state.as_deref(),
                caller.self_origin,
            );
            Ok(Completed {
                outcome: FlowOutcome::Redirect { redirect_to },
                session: Some(session),
                device,
                proof,
                recovery_codes,
                device_token: None,
            })
        }
    }
}

pub mod email;
pub mod federation;
pub mod profiling;
pub mod second_factor;

#[cfg(test)]
mod tests;
