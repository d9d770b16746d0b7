//! The widget's client for the edge: the first-party `/v1` JSON API and the OAuth 2.0
//! token endpoint.

use portcullis_shared::api::{
    ClientConfig, EmailCode, EmailSent, EmailSignIn, FactorCode, FactorList, FactorSummary,
    FederationRedirect, FederationResume, FederationStart, FlowOutcome, FlowStarted, IdentityList,
    IdentitySummary, PasskeyChallenge, PasskeyList, PasskeySignUp, PasskeySummary,
    PasswordRejected, PasswordReset, PasswordSignIn, PasswordSignUp, RecoveryRequest,
    RememberedDevice, RenamePasskey, SecondFactorMethod, StartFlow,
};
use portcullis_shared::profile::{
    AskedAttribute, AttributeType, AttributeView, ConsentDocument, FieldError, FieldProblem,
    ProfileAnswers,
};
use portcullis_shared::route::Route;
use portcullis_shared::ErrorCode;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode};

use crate::json;
use crate::read::{self, Json};
use crate::webauthn::{Ceremony, Options};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// Where the edge is, which client this widget acts for, and whether cookies go along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    issuer: String,
    client_id: String,
    /// `omit` when embedded on another site (no ambient credentials cross-origin);
    /// `same-origin` on the edge's hosted page, so the edge can set its session cookie.
    credentials: RequestCredentials,
    /// The language the widget shows, sent as `Accept-Language` so that the edge writes
    /// its emails in it.
    lang: &'static str,
    /// After coming back from a sign-in provider whose identity waits to be linked: the
    /// ticket, sent with the steps that prove the account (`Portcullis-Federation-Ticket`).
    federation_ticket: std::rc::Rc<std::cell::RefCell<Option<String>>>,
}

/// Why a call to the edge did not succeed, sorted the way the widget reacts to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `invalid_credentials`: the email or the password is wrong, never said which.
    InvalidCredentials,
    /// `password_rejected`: the new password breaks the policy; the person can fix it.
    PasswordRejected(PasswordRejected),
    /// `too_many_attempts`: the edge is slowing down guessing.
    TooManyAttempts,
    /// `flow_not_found`: the flow handle expired, was used up, or never existed.
    FlowExpired,
    /// `/token` refused the code (RFC 6749 §5.2 `error`).
    Grant(String),
    /// The edge could not be reached or answered with something unreadable.
    Network,
    /// The flow wants a step this widget cannot show (a newer edge).
    UnsupportedStep,
    /// The browser's half of a passkey ceremony did not produce a credential.
    Passkey(Ceremony),
    /// `webauthn_unknown_credential`: no account has the passkey that was used (it may
    /// have been deleted from the account but not from the device).
    UnknownPasskey,
    /// Another `webauthn_*` code: the edge could not verify the passkey; the code says
    /// which WebAuthn check failed, which is for logs, not for people.
    PasskeyRejected(String),
    /// `unauthorized`: the access token the widget holds is no longer accepted.
    Unauthorized,
    /// `reauthentication_required`: changing passkeys needs a more recent sign-in
    /// (RFC 9470); the person signs in again.
    ReauthenticationRequired,
    /// `mfa_required`: changing the account's second factors needs a sign-in that
    /// proved one (RFC 9470 `acr_values`); the person signs in again, with it.
    MfaRequired,
    /// `passkey_not_found`: the passkey is not on the account (deleted meanwhile).
    PasskeyNotFound,
    /// `last_sign_in_method`: deleting the passkey would leave no way to sign in.
    LastSignInMethod,
    /// `code_invalid`: the emailed code is wrong; a few more tries remain.
    CodeInvalid,
    /// `code_expired`: no live code (expired, used, replaced, or too many wrong tries).
    CodeExpired,
    /// `link_expired`: the emailed link expired or was used.
    LinkExpired,
    /// `factor_code_invalid`: the authenticator-app or recovery code is wrong, expired or
    /// was used already.
    FactorCodeInvalid,
    /// `registration_denied`: the site refused the sign-up, with its own words for the
    /// person (already in their language) when it gave any.
    RegistrationDenied(Option<String>),
    /// Signing in with a provider did not work: `access_denied` (the person cancelled
    /// there), another error the provider gave, or `federation_failed`.
    Provider(String),
    /// `link_proof_required`: the person signs in to (or creates) their account here
    /// before the provider's identity is linked to it.
    LinkProofRequired,
    /// `invalid_profile`: what is wrong with each detail, in the person's language.
    InvalidProfile(Vec<FieldError>),
    /// Any other API error; its message is for people and is shown as it is.
    Other { code: String, message: String },
}

impl Failure {
    /// The `code` reported in `portcullis:error`.
    pub fn code(&self) -> &str {
        match self {
            Failure::InvalidCredentials => ErrorCode::InvalidCredentials.as_str(),
            Failure::PasswordRejected(_) => ErrorCode::PasswordRejected.as_str(),
            Failure::TooManyAttempts => ErrorCode::TooManyAttempts.as_str(),
            Failure::FlowExpired => ErrorCode::FlowNotFound.as_str(),
            Failure::Grant(error) => error,
            Failure::Network => ErrorCode::ServerError.as_str(),
            Failure::UnsupportedStep => "unsupported_step",
            Failure::Passkey(ceremony) => match ceremony {
                Ceremony::Cancelled => "passkey_cancelled",
                Ceremony::AlreadyRegistered => "passkey_already_registered",
                Ceremony::Aborted => "passkey_aborted",
                Ceremony::Unsupported => "passkey_unsupported",
                Ceremony::Failed => "passkey_failed",
            },
            Failure::UnknownPasskey => ErrorCode::WebauthnUnknownCredential.as_str(),
            Failure::PasskeyRejected(code) => code,
            Failure::Unauthorized => ErrorCode::Unauthorized.as_str(),
            Failure::ReauthenticationRequired => ErrorCode::ReauthenticationRequired.as_str(),
            Failure::MfaRequired => ErrorCode::MfaRequired.as_str(),
            Failure::PasskeyNotFound => ErrorCode::PasskeyNotFound.as_str(),
            Failure::LastSignInMethod => ErrorCode::LastSignInMethod.as_str(),
            Failure::CodeInvalid => ErrorCode::CodeInvalid.as_str(),
            Failure::CodeExpired => ErrorCode::CodeExpired.as_str(),
            Failure::LinkExpired => ErrorCode::LinkExpired.as_str(),
            Failure::FactorCodeInvalid => ErrorCode::FactorCodeInvalid.as_str(),
            Failure::RegistrationDenied(_) => ErrorCode::RegistrationDenied.as_str(),
            Failure::Provider(code) => code,
            Failure::LinkProofRequired => ErrorCode::LinkProofRequired.as_str(),
            Failure::InvalidProfile(_) => ErrorCode::InvalidProfile.as_str(),
            Failure::Other { code, .. } => code,
        }
    }
}

/// A [`FlowOutcome`] as it arrives, read from the browser's parse of the JSON: serde
/// reads an internally tagged enum by buffering the whole object first (its private
/// `Content` type), and even a flat derived reader costs the widget wasm that
/// `JSON.parse` does not. A test checks it against the shared type's wire form.
struct OutcomeBody {
    status: String,
    authorization_code: Option<String>,
    expires_in: u64,
    redirect_to: Option<String>,
    code_length: u8,
    /// `credentials_removed` when proving the address removed what was set before it.
    notice: Option<String>,
    /// With `second_factor`: the ways the person may prove it.
    methods: Vec<String>,
    /// After a first enrolment: the recovery codes, shown once.
    recovery_codes: Vec<String>,
    /// With `profile_required`: the attributes and documents to ask for.
    profile: Option<(Vec<AskedAttribute>, Vec<ConsentDocument>)>,
}

/// The attributes a `profile_required` outcome asks for; one that cannot be read is left
/// out.
fn asked_attributes<J: Json>(body: &J) -> Vec<AskedAttribute> {
    let read = |item: &J| {
        let view = item.member("attribute")?;
        let text = |key| read::text(&view, key);
        Some(AskedAttribute {
            attribute: AttributeView {
                name: text("name")?,
                kind: AttributeType::parse(&text("type")?)?,
                options: read::strings(&view, "options"),
                editable: read::flag(&view, "editable").unwrap_or(true),
                input_type: text("input_type")?,
                autocomplete: text("autocomplete"),
            },
            required: read::flag(item, "required").unwrap_or(false),
        })
    };
    read::objects(body, "attributes")
        .iter()
        .filter_map(read)
        .collect()
}

/// The documents a `profile_required` outcome asks the person to agree to.
fn consent_documents<J: Json>(body: &J) -> Vec<ConsentDocument> {
    let read = |item: &J| {
        let text = |key| read::text(item, key);
        Some(ConsentDocument {
            purpose: text("purpose")?,
            version: text("version")?,
            text_sha256: text("text_sha256")?,
            url: text("url"),
            required: read::flag(item, "required").unwrap_or(false),
        })
    };
    read::objects(body, "documents")
        .iter()
        .filter_map(read)
        .collect()
}

impl OutcomeBody {
    /// `None` without a `status`; other members default when missing or mistyped.
    fn read<J: Json>(body: &J) -> Option<OutcomeBody> {
        let text = |key| read::text(body, key);
        let status = text("status")?;
        Some(OutcomeBody {
            authorization_code: text("authorization_code"),
            expires_in: read::whole(body, "expires_in").unwrap_or_default(),
            redirect_to: text("redirect_to"),
            code_length: read::whole(body, "code_length").unwrap_or_default(),
            notice: text("notice"),
            methods: read::strings(body, "methods"),
            recovery_codes: read::strings(body, "recovery_codes"),
            profile: (status == "profile_required")
                .then(|| (asked_attributes(body), consent_documents(body))),
            status,
        })
    }

    fn into_outcome(self) -> Result<FlowOutcome, Failure> {
        match (
            self.status.as_str(),
            self.authorization_code,
            self.redirect_to,
        ) {
            ("authorization_code", Some(authorization_code), _) => {
                Ok(FlowOutcome::AuthorizationCode {
                    authorization_code,
                    expires_in: self.expires_in,
                })
            }
            ("redirect", _, Some(redirect_to)) => Ok(FlowOutcome::Redirect { redirect_to }),
            ("verify_email", _, _) if self.code_length > 0 => {
                Ok(FlowOutcome::VerifyEmail(EmailSent {
                    expires_in: self.expires_in,
                    code_length: self.code_length,
                }))
            }
            ("second_factor", _, _) => Ok(FlowOutcome::SecondFactor {
                // Ways newer than this widget are left out: it offers what it can show.
                methods: self
                    .methods
                    .iter()
                    .filter_map(|m| match m.as_str() {
                        "totp" => Some(SecondFactorMethod::Totp),
                        "recovery_code" => Some(SecondFactorMethod::RecoveryCode),
                        "security_key" => Some(SecondFactorMethod::SecurityKey),
                        "email_code" => Some(SecondFactorMethod::EmailCode),
                        _ => None,
                    })
                    .collect(),
            }),
            ("enrol_second_factor", _, _) => Ok(FlowOutcome::EnrolSecondFactor),
            ("profile_required", _, _) => {
                let (attributes, documents) = self.profile.ok_or(Failure::UnsupportedStep)?;
                Ok(FlowOutcome::ProfileRequired {
                    attributes,
                    documents,
                })
            }
            _ => Err(Failure::UnsupportedStep),
        }
    }
}

/// RFC 6749 §5.1 access token response (with OpenID Connect Core §3.1.3.3's `id_token`),
/// kept as the JavaScript object `/token` answered with: `portcullis:signed-in` hands it
/// to the page as it is (`{access_token, token_type, expires_in, id_token, scope,
/// refresh_token?}`); the widget keeps only the access token (see [`AccessToken`]). Holds
/// bearer secrets.
pub struct Tokens(js_sys::Object);

impl Tokens {
    /// Parses a `/token` success body; `None` unless it has §5.1's required members.
    fn parse(text: &str) -> Option<Tokens> {
        let value = js_sys::JSON::parse(text).ok()?;
        let object = value.dyn_into::<js_sys::Object>().ok()?;
        let has = |key: &str| read::text(&JsValue::from(&object), key).is_some();
        (has("access_token") && has("token_type")).then_some(Tokens(object))
    }

    /// §5.1: an omitted `scope` is the one requested; fill it in for the page.
    pub fn default_scope(&self, requested: &str) {
        if self.as_js().member("scope").is_none() {
            let _ = js_sys::Reflect::set(&self.0, &"scope".into(), &requested.into());
        }
    }

    pub fn as_js(&self) -> &JsValue {
        &self.0
    }

    /// The access token: the page's, or in an answer for the account API, the one the
    /// widget keeps while the person stays signed in.
    pub fn access_token(&self) -> Option<AccessToken> {
        read::text(self.as_js(), "access_token").map(AccessToken)
    }

    pub fn refresh_token(&self) -> Option<String> {
        read::text(self.as_js(), "refresh_token")
    }

    /// Replaces the refresh token the page will get, or with `None` leaves it out.
    pub fn set_refresh_token(&self, token: Option<&str>) {
        let key = JsValue::from_str("refresh_token");
        let _ = match token {
            Some(token) => js_sys::Reflect::set(&self.0, &key, &token.into()),
            None => js_sys::Reflect::delete_property(&self.0, &key),
        };
    }
}

/// An RFC 6750 bearer token, kept in memory only while the person is signed in.
/// Prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Reads a `202 {expires_in, code_length}` answer to `POST …/email` without serde.
fn email_sent<J: Json>(body: &J) -> Option<EmailSent> {
    Some(EmailSent {
        expires_in: read::whole(body, "expires_in")?,
        code_length: read::whole(body, "code_length")?,
    })
}

/// Reads a `GET /v1/me/passkeys` answer into the shared [`PasskeyList`] from the parsed
/// JavaScript object: serde's derived readers for its two structs cost the widget about
/// 10 KB of wasm. `None` if a required member is missing or of the wrong type.
fn passkey_list<J: Json>(body: &J) -> Option<PasskeyList> {
    let passkeys = body
        .member("passkeys")?
        .items()?
        .iter()
        .map(|p| {
            Some(PasskeySummary {
                id: read::text(p, "id")?,
                name: read::text(p, "name")?,
                created_at: read::whole(p, "created_at")?,
                last_used_at: read::whole(p, "last_used_at"),
                backed_up: read::flag(p, "backed_up")?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(PasskeyList {
        rp_id: read::text(body, "rp_id")?,
        user_id: read::text(body, "user_id")?,
        name: read::text(body, "name")?,
        display_name: read::text(body, "display_name")?,
        passkeys,
    })
}

/// Reads a `GET /v1/me/identities` answer without serde, like [`passkey_list`].
fn identity_list<J: Json>(body: &J) -> Option<IdentityList> {
    let identities = body
        .member("identities")?
        .items()?
        .iter()
        .map(|i| {
            Some(IdentitySummary {
                id: read::text(i, "id")?,
                connection: read::text(i, "connection")?,
                email: read::text(i, "email"),
                created_at: read::whole(i, "created_at")?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(IdentityList { identities })
}

/// Reads a `GET /v1/me/factors` answer without serde, like [`passkey_list`]; apps of a
/// kind newer than this widget are left out.
fn factor_list<J: Json>(body: &J) -> Option<FactorList> {
    let kind = |f: &J| match read::text(f, "kind").as_deref() {
        Some("totp") => Some(SecondFactorMethod::Totp),
        Some("security_key") => Some(SecondFactorMethod::SecurityKey),
        _ => None,
    };
    let factors = body
        .member("factors")?
        .items()?
        .iter()
        .filter_map(|f| Some((kind(f)?, f)))
        .map(|(kind, f)| {
            Some(FactorSummary {
                id: read::text(f, "id")?,
                kind,
                name: read::text(f, "name")?,
                created_at: read::whole(f, "created_at")?,
                last_used_at: read::whole(f, "last_used_at"),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let remembered_devices = read::objects(body, "remembered_devices")
        .iter()
        .map(|d| {
            Some(RememberedDevice {
                id: read::text(d, "id")?,
                name: read::text(d, "name")?,
                created_at: read::whole(d, "created_at")?,
                expires_at: read::whole(d, "expires_at")?,
                last_used_at: read::whole(d, "last_used_at"),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(FactorList {
        factors,
        recovery_codes_left: read::whole(body, "recovery_codes_left")?,
        remembered_devices,
    })
}

/// Where the widget keeps the token of a device remembered after a second factor: the
/// page's `localStorage`, one entry per issuer and client. An embedded widget has nothing
/// else that lasts (the edge's cookies do not reach it cross-site), and the host page can
/// read it: the token is worth something only with the account's password, for that one
/// account at that one client (see the security notes).
fn device_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A new authenticator app's `(secret, qr_svg)`, from a flow's or the account API's
/// `{secret, otpauth_uri, qr_svg}`.
fn new_app<J: Json>(body: &J) -> Result<(String, String), Failure> {
    let text = |key| read::text(body, key);
    text("secret").zip(text("qr_svg")).ok_or(Failure::Network)
}

impl Api {
    pub fn new(
        issuer: String,
        client_id: String,
        same_origin_session: bool,
        lang: &'static str,
    ) -> Api {
        Api {
            lang,
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id,
            federation_ticket: Default::default(),
            credentials: if same_origin_session {
                RequestCredentials::SameOrigin
            } else {
                RequestCredentials::Omit
            },
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn device_key(&self) -> String {
        format!("portcullis.device {} {}", self.issuer, self.client_id)
    }

    /// The token of this device, if a second factor remembered it for this client.
    fn device_token(&self) -> Option<String> {
        device_storage()?
            .get_item(&self.device_key())
            .ok()
            .flatten()
    }

    /// Keeps the `device_token` a flow step answered with, replacing the one sent.
    fn keep_device_token(&self, body: &JsValue) {
        let token = read::text(body, "device_token");
        if let (Some(token), Some(storage)) = (token, device_storage()) {
            let _ = storage.set_item(&self.device_key(), &token);
        }
    }

    /// The ticket to send with the next steps (`None`: stop sending it).
    pub fn set_federation_ticket(&self, ticket: Option<String>) {
        self.federation_ticket.replace(ticket);
    }

    /// Whether a ticket waits to go with the next steps.
    pub fn federation_ticket_pending(&self) -> bool {
        self.federation_ticket.borrow().is_some()
    }

    /// Where to send the whole page to sign in with `connection`.
    pub async fn federation_start(
        &self,
        flow_id: &str,
        connection: &str,
        body: &FederationStart,
    ) -> Result<FederationRedirect, Failure> {
        let route = Route::FlowFederation(flow_id, connection);
        let body = self
            .call_js("POST", route, Some(to_json(body)?), None, None)
            .await?;
        let redirect_to = body.member("redirect_to").and_then(|to| to.text());
        Ok(FederationRedirect {
            redirect_to: redirect_to.ok_or(Failure::Network)?,
        })
    }

    /// Back from the provider: resumes the flow with the ticket.
    pub async fn federation_resume(
        &self,
        flow_id: &str,
        body: &FederationResume,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowFederated(flow_id), to_json(body)?)
            .await
    }

    pub async fn client_config(&self) -> Result<ClientConfig, Failure> {
        let route = Route::Client(&self.client_id);
        let body = self.call_js("GET", route, None, None, None).await?;
        read::client_config(&body).ok_or(Failure::Network)
    }

    pub async fn start_flow(&self, body: &StartFlow) -> Result<FlowStarted, Failure> {
        let body = self
            .call_js("POST", Route::Flows, Some(to_json(body)?), None, None)
            .await?;
        read::flow_started(&body).ok_or(Failure::Network)
    }

    pub async fn cancel_flow(&self, flow_id: &str) -> Result<(), Failure> {
        self.request("DELETE", Route::Flow(flow_id), None, None, None)
            .await
            .map(|_| ())
    }

    pub async fn sign_in(
        &self,
        flow_id: &str,
        body: &PasswordSignIn,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowPassword(flow_id), to_json(body)?)
            .await
    }

    pub async fn sign_up(
        &self,
        flow_id: &str,
        body: &PasswordSignUp,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowSignUp(flow_id), to_json(body)?)
            .await
    }

    /// Assertion options for a passkey sign-in; with an email, for that account's passkeys.
    /// `signal` withdraws the request itself (the browser then reports nothing), as
    /// autofill does when the person signs in another way meanwhile.
    pub async fn passkey_options(
        &self,
        flow_id: &str,
        body: &PasskeyChallenge,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<Options, Failure> {
        let route = Route::FlowPasskeyOptions(flow_id);
        self.options(route, Some(to_json(body)?), None, signal)
            .await
    }

    /// Finishes a passkey sign-in with the assertion.
    pub async fn passkey_sign_in(
        &self,
        flow_id: &str,
        credential: &str,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowPasskey(flow_id), credential.into())
            .await
    }

    /// Creation options for an account whose only sign-in method is a passkey.
    pub async fn passkey_sign_up_options(
        &self,
        flow_id: &str,
        body: &PasskeySignUp,
    ) -> Result<Options, Failure> {
        let route = Route::FlowPasskeySignUpOptions(flow_id);
        self.options(route, Some(to_json(body)?), None, None).await
    }

    /// Creates the account with the new credential.
    pub async fn passkey_sign_up(
        &self,
        flow_id: &str,
        credential: &str,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowPasskeySignUp(flow_id), credential.into())
            .await
    }

    /// Emails a sign-in code and link for `email` (the same answer whether or not it has
    /// an account).
    pub async fn send_email(&self, flow_id: &str, email: &str) -> Result<EmailSent, Failure> {
        let body = to_json(&EmailSignIn {
            email: email.into(),
        })?;
        let route = Route::FlowEmail(flow_id);
        let sent = self.call_js("POST", route, Some(body), None, None).await?;
        email_sent(&sent).ok_or(Failure::Network)
    }

    /// The code from the email (`…/email/code`), and whether the edge removed the
    /// credentials set before this proof of the address (a notice for the person).
    pub async fn email_code(
        &self,
        flow_id: &str,
        code: &str,
    ) -> Result<(FlowOutcome, bool), Failure> {
        let body = to_json(&EmailCode { code: code.into() })?;
        let route = Route::FlowEmailCode(flow_id);
        let body = self.call_js("POST", route, Some(body), None, None).await?;
        let body = OutcomeBody::read(&body).ok_or(Failure::Network)?;
        let removed = body.notice.as_deref() == Some("credentials_removed");
        Ok((body.into_outcome()?, removed))
    }

    /// The second factor: a code at `route` (`…/mfa/totp`, `…/mfa/recovery-code` or
    /// `…/mfa/email`).
    pub async fn second_factor(
        &self,
        route: Route<'_>,
        code: &str,
        remember_device: bool,
    ) -> Result<(FlowOutcome, bool), Failure> {
        let body = to_json(&FactorCode {
            code: code.into(),
            remember_device,
        })?;
        let body = self.call_js("POST", route, Some(body), None, None).await?;
        let body = OutcomeBody::read(&body).ok_or(Failure::Network)?;
        let removed = body.notice.as_deref() == Some("credentials_removed");
        Ok((body.into_outcome()?, removed))
    }

    /// Emails a second-factor code to the account's verified address.
    pub async fn send_email_factor(&self, flow_id: &str) -> Result<EmailSent, Failure> {
        let route = Route::FlowEmailFactorSend(flow_id);
        let sent = self.call_js("POST", route, None, None, None).await?;
        email_sent(&sent).ok_or(Failure::Network)
    }

    /// Assertion options for the person's own passkeys and security keys, as the
    /// second factor.
    pub async fn security_key_options(&self, flow_id: &str) -> Result<Options, Failure> {
        self.options(Route::FlowSecurityKeyOptions(flow_id), None, None, None)
            .await
    }

    /// Finishes the second factor with the key's assertion.
    pub async fn security_key(
        &self,
        flow_id: &str,
        credential: &str,
        remember_device: bool,
    ) -> Result<FlowOutcome, Failure> {
        // The credential's JSON as the browser made it, with `remember_device` beside it.
        let body = js_sys::JSON::parse(credential).map_err(|_| Failure::Network)?;
        let key = JsValue::from_str("remember_device");
        js_sys::Reflect::set(&body, &key, &remember_device.into()).map_err(|_| Failure::Network)?;
        let body: String = js_sys::JSON::stringify(&body)
            .map_err(|_| Failure::Network)?
            .into();
        self.outcome(Route::FlowSecurityKey(flow_id), body).await
    }

    /// The answers to `profile_required`.
    pub async fn profile(
        &self,
        flow_id: &str,
        answers: &ProfileAnswers,
    ) -> Result<FlowOutcome, Failure> {
        self.outcome(Route::FlowProfile(flow_id), to_json(answers)?)
            .await
    }

    /// A new authenticator app's key for the flow's account: `(secret, qr_svg)`.
    pub async fn totp_enrolment(&self, flow_id: &str) -> Result<(String, String), Failure> {
        let route = Route::FlowTotpEnrolment(flow_id);
        let body = self.call_js("POST", route, None, None, None).await?;
        new_app(&body)
    }

    /// The new app's first code: the flow's outcome, whether older credentials were
    /// removed, and the account's recovery codes (shown once).
    pub async fn confirm_totp(
        &self,
        flow_id: &str,
        code: &str,
    ) -> Result<(FlowOutcome, bool, Vec<String>), Failure> {
        let body = to_json(&FactorCode {
            code: code.into(),
            remember_device: false,
        })?;
        let route = Route::FlowTotpEnrolmentConfirm(flow_id);
        let body = self.call_js("POST", route, Some(body), None, None).await?;
        let mut body = OutcomeBody::read(&body).ok_or(Failure::Network)?;
        let removed = body.notice.as_deref() == Some("credentials_removed");
        let codes = std::mem::take(&mut body.recovery_codes);
        Ok((body.into_outcome()?, removed, codes))
    }

    /// Emails a password reset link (`account: false`) or a reminder of how the account
    /// signs in (`account: true`) to `email`; answers the seconds a reset link works.
    pub async fn recover(&self, account: bool, email: &str) -> Result<u64, Failure> {
        let route = if account {
            Route::RecoveryAccount
        } else {
            Route::RecoveryPassword
        };
        let body = to_json(&RecoveryRequest {
            client_id: self.client_id.clone(),
            email: email.into(),
        })?;
        let sent = self.call_js("POST", route, Some(body), None, None).await?;
        Ok(read::whole(&sent, "expires_in").unwrap_or_default())
    }

    /// Sets a new password with the token from the emailed reset link.
    pub async fn reset_password(&self, body: &PasswordReset) -> Result<(), Failure> {
        self.request(
            "POST",
            Route::RecoveryPasswordReset,
            Some(to_json(body)?),
            None,
            None,
        )
        .await
        .map(|_| ())
    }

    /// The signed-in person's passkeys.
    pub async fn my_passkeys(&self, token: &AccessToken) -> Result<PasskeyList, Failure> {
        let body = self
            .call_js("GET", Route::MyPasskeys, None, Some(token), None)
            .await?;
        passkey_list(&body).ok_or(Failure::Network)
    }

    /// Creation options for another passkey on the signed-in account.
    pub async fn add_passkey_options(&self, token: &AccessToken) -> Result<Options, Failure> {
        self.options(
            Route::MyPasskeyOptions,
            Some("{}".into()),
            Some(token),
            None,
        )
        .await
    }

    pub async fn add_passkey(&self, token: &AccessToken, credential: &str) -> Result<(), Failure> {
        self.request(
            "POST",
            Route::MyPasskeys,
            Some(credential.into()),
            Some(token),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn rename_passkey(
        &self,
        token: &AccessToken,
        id: &str,
        body: &RenamePasskey,
    ) -> Result<(), Failure> {
        let route = Route::MyPasskey(id);
        self.request("PATCH", route, Some(to_json(body)?), Some(token), None)
            .await
            .map(|_| ())
    }

    pub async fn delete_passkey(&self, token: &AccessToken, id: &str) -> Result<(), Failure> {
        let route = Route::MyPasskey(id);
        self.request("DELETE", route, None, Some(token), None)
            .await
            .map(|_| ())
    }

    /// The signed-in person's authenticator apps and recovery codes left.
    pub async fn my_factors(&self, token: &AccessToken) -> Result<FactorList, Failure> {
        let body = self
            .call_js("GET", Route::MyFactors, None, Some(token), None)
            .await?;
        factor_list(&body).ok_or(Failure::Network)
    }

    /// A new authenticator app's key for the signed-in account: `(secret, qr_svg)`.
    pub async fn add_factor(&self, token: &AccessToken) -> Result<(String, String), Failure> {
        let body = self
            .call_js("POST", Route::MyTotp, None, Some(token), None)
            .await?;
        new_app(&body)
    }

    /// The new app's first code; the recovery codes that come with the account's first
    /// app (none for another).
    pub async fn confirm_factor(
        &self,
        token: &AccessToken,
        code: &str,
    ) -> Result<Vec<String>, Failure> {
        let body = to_json(&FactorCode {
            code: code.into(),
            remember_device: false,
        })?;
        let route = Route::MyTotpConfirm;
        let added = self
            .call_js("POST", route, Some(body), Some(token), None)
            .await?;
        Ok(read::strings(&added, "recovery_codes"))
    }

    pub async fn remove_factor(&self, token: &AccessToken, id: &str) -> Result<(), Failure> {
        let route = Route::MyFactor(id);
        self.request("DELETE", route, None, Some(token), None)
            .await
            .map(|_| ())
    }

    /// The provider identities linked to the signed-in account.
    pub async fn my_identities(&self, token: &AccessToken) -> Result<IdentityList, Failure> {
        let body = self
            .call_js("GET", Route::MyIdentities, None, Some(token), None)
            .await?;
        identity_list(&body).ok_or(Failure::Network)
    }

    /// Unlinks a provider identity (`DELETE /v1/me/identities/{id}`).
    pub async fn unlink_identity(&self, token: &AccessToken, id: &str) -> Result<(), Failure> {
        let route = Route::MyIdentity(id);
        self.request("DELETE", route, None, Some(token), None)
            .await
            .map(|_| ())
    }

    /// Forgets a device remembered after a second factor; the next sign-in there asks
    /// for the second factor again.
    pub async fn forget_device(&self, token: &AccessToken, id: &str) -> Result<(), Failure> {
        let route = Route::MyDevice(id);
        self.request("DELETE", route, None, Some(token), None)
            .await
            .map(|_| ())
    }

    /// Ten new recovery codes, replacing the old ones.
    pub async fn new_recovery_codes(&self, token: &AccessToken) -> Result<Vec<String>, Failure> {
        let route = Route::MyRecoveryCodes;
        let body = self.call_js("POST", route, None, Some(token), None).await?;
        Ok(read::strings(&body, "recovery_codes"))
    }

    /// A `{"publicKey": …}` options response, kept as JavaScript for the browser's own
    /// parser: the widget does not model WebAuthn's option types.
    async fn options(
        &self,
        route: Route<'_>,
        body: Option<String>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<Options, Failure> {
        let body = self.call_js("POST", route, body, token, signal).await?;
        Options::from_response(&body).ok_or(Failure::Network)
    }

    /// A step of a flow: what the flow does next.
    async fn outcome(&self, route: Route<'_>, body: String) -> Result<FlowOutcome, Failure> {
        let body = self.call_js("POST", route, Some(body), None, None).await?;
        OutcomeBody::read(&body)
            .ok_or(Failure::Network)?
            .into_outcome()
    }

    /// A `/v1` call whose answer is read as JavaScript, not with serde.
    async fn call_js(
        &self,
        method: &str,
        route: Route<'_>,
        body: Option<String>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<JsValue, Failure> {
        let text = self.request(method, route, body, token, signal).await?;
        let value = js_sys::JSON::parse(&text).map_err(|_| Failure::Network)?;
        self.keep_device_token(&value);
        Ok(value)
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.5: redeems an embedded flow's code. Public client,
    /// no `redirect_uri` (none was sent when the flow started).
    pub async fn redeem(&self, code: &str, verifier: &str) -> Result<Tokens, Failure> {
        let form = format!(
            "grant_type=authorization_code&code={}&code_verifier={}&client_id={}",
            encode(code),
            encode(verifier),
            encode(&self.client_id)
        );
        self.token(form).await
    }

    /// RFC 8707 §2.2: an access token for the account API (`{issuer}/v1/me`, its own
    /// audience), from the refresh token of the grant the page's tokens came from. The
    /// answer carries the rotated refresh token.
    pub async fn account_token(&self, refresh_token: &str) -> Result<Tokens, Failure> {
        let form = format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}&resource={}",
            encode(refresh_token),
            encode(&self.client_id),
            encode(&format!("{}/v1/me", self.issuer))
        );
        self.token(form).await
    }

    /// A `/token` request (RFC 6749 §3.2); its §5.1 answer or §5.2 error.
    async fn token(&self, form: String) -> Result<Tokens, Failure> {
        let path = Route::Token.path();
        let (status, text) = self
            .send("POST", &path, Some((FORM, form)), None, None)
            .await?;
        if (200..300).contains(&status) {
            Tokens::parse(&text).ok_or(Failure::Network)
        } else {
            // RFC 6749 §5.2's `error`.
            let error = read::parse(&text).and_then(|body| body.member("error")?.text());
            Err(error.map_or(Failure::Network, Failure::Grant))
        }
    }

    /// Every `/v1` request: a JSON body, the bearer token where the endpoint needs one,
    /// and a success body (which callers that expect none ignore, as a `204`'s) or the
    /// error sorted into a [`Failure`].
    async fn request(
        &self,
        method: &str,
        route: Route<'_>,
        body: Option<String>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<String, Failure> {
        self.request_at(method, &route.path(), body, token, signal)
            .await
    }

    /// An account API call of the signed-in area: its answer's text (empty after a
    /// `204`) or the error sorted into a [`Failure`].
    pub async fn me(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        token: &AccessToken,
    ) -> Result<String, Failure> {
        self.request_at(method, path, body, Some(token), None).await
    }

    /// [`Api::request`] to a path already made.
    async fn request_at(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<String, Failure> {
        let body = body.map(|body| (JSON, body));
        let (status, text) = self.send(method, path, body, token, signal).await?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(api_failure(&text))
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, String)>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<(u16, String), Failure> {
        self.fetch(method, path, body, token, signal)
            .await
            .map_err(|_| Failure::Network)
    }

    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, String)>,
        token: Option<&AccessToken>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<(u16, String), JsValue> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_mode(RequestMode::Cors);
        init.set_credentials(self.credentials);
        if let Some(signal) = signal {
            init.set_signal(Some(signal));
        }
        let headers = web_sys::Headers::new()?;
        headers.set("accept-language", self.lang)?;
        if let Some(token) = token {
            headers.set("authorization", &format!("Bearer {}", token.secret()))?;
        }
        if let Some(ticket) = self.federation_ticket.borrow().as_deref() {
            headers.set("portcullis-federation-ticket", ticket)?;
        }
        // Only a flow's steps look at it: no other request carries it.
        if path.starts_with("/v1/flows/") {
            if let Some(device) = self.device_token() {
                headers.set("portcullis-device", &device)?;
            }
        }
        if let Some((content_type, body)) = body {
            headers.set("content-type", content_type)?;
            init.set_body(&JsValue::from_str(&body));
        }
        init.set_headers(&headers);
        let url = format!("{}{}", self.issuer, path);
        let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()?;
        let text = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((response.status(), text))
    }
}

/// The `fields` of an `invalid_profile` error, read from the browser's parse (no serde
/// code for them in the wasm); a field that cannot be read is left out.
fn field_errors(text: &str) -> Vec<FieldError> {
    let Some(body) = read::parse(text) else {
        return Vec::new();
    };
    let read = |item: &read::Parsed| {
        let text = |key| read::text(item, key);
        Some(FieldError {
            field: text("field")?,
            code: FieldProblem::parse(&text("code")?)?,
            message: text("message")?,
        })
    };
    read::objects(&body, "fields")
        .iter()
        .filter_map(read)
        .collect()
}

/// Sorts a `/v1` error body; the one place wire codes become [`Failure`]s.
fn api_failure(text: &str) -> Failure {
    let Some(parsed) = read::parse(text) else {
        return Failure::Network;
    };
    let Some((code, message, site_message)) = read::error_body(&parsed) else {
        return Failure::Network;
    };
    let known = ErrorCode::ALL
        .into_iter()
        .find(|known| known.as_str() == code);
    match known {
        Some(ErrorCode::InvalidCredentials) => Failure::InvalidCredentials,
        Some(ErrorCode::TooManyAttempts) => Failure::TooManyAttempts,
        Some(ErrorCode::FlowNotFound) => Failure::FlowExpired,
        Some(ErrorCode::Unauthorized) => Failure::Unauthorized,
        Some(ErrorCode::ReauthenticationRequired) => Failure::ReauthenticationRequired,
        Some(ErrorCode::MfaRequired) => Failure::MfaRequired,
        Some(ErrorCode::PasskeyNotFound) => Failure::PasskeyNotFound,
        Some(ErrorCode::LastSignInMethod) => Failure::LastSignInMethod,
        Some(ErrorCode::WebauthnUnknownCredential) => Failure::UnknownPasskey,
        Some(ErrorCode::CodeInvalid) => Failure::CodeInvalid,
        Some(ErrorCode::CodeExpired) => Failure::CodeExpired,
        Some(ErrorCode::LinkExpired) => Failure::LinkExpired,
        Some(ErrorCode::FactorCodeInvalid) => Failure::FactorCodeInvalid,
        Some(ErrorCode::RegistrationDenied) => Failure::RegistrationDenied(site_message),
        Some(ErrorCode::FederationFailed) => Failure::Provider(code),
        Some(ErrorCode::LinkProofRequired) => Failure::LinkProofRequired,
        Some(ErrorCode::InvalidProfile) => Failure::InvalidProfile(field_errors(text)),
        // Every WebAuthn check, including ones newer than this widget.
        _ if code.starts_with("webauthn_") => Failure::PasskeyRejected(code),
        Some(ErrorCode::PasswordRejected) => match read::password_rejected(&parsed) {
            Some(rejected) => Failure::PasswordRejected(rejected),
            // A problem this widget does not know yet: the edge's own words.
            None => Failure::Other { code, message },
        },
        _ => Failure::Other { code, message },
    }
}

fn to_json<T: Serialize>(body: &T) -> Result<String, Failure> {
    json::to_string(body).map_err(|_| Failure::Network)
}

/// Percent-encodes a path segment or form value so ids cannot change the request.
pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_shared::api::PasswordProblem;

    #[test]
    fn error_codes_sort_into_failures() {
        assert_eq!(
            api_failure(r#"{"code":"invalid_credentials","message":"x"}"#),
            Failure::InvalidCredentials
        );
        assert_eq!(
            api_failure(r#"{"code":"too_many_attempts","message":"x"}"#),
            Failure::TooManyAttempts
        );
        assert_eq!(
            api_failure(r#"{"code":"flow_not_found","message":"x"}"#),
            Failure::FlowExpired
        );
        assert_eq!(
            api_failure(
                r#"{"code":"password_rejected","message":"x","problem":"too_short","min_length":15}"#
            ),
            Failure::PasswordRejected(PasswordRejected {
                problem: PasswordProblem::TooShort,
                min_length: 15
            })
        );
    }

    #[test]
    fn unknown_codes_and_problems_keep_the_edge_message() {
        assert_eq!(
            api_failure(r#"{"code":"something_new","message":"Try later."}"#),
            Failure::Other {
                code: "something_new".into(),
                message: "Try later.".into()
            }
        );
        assert_eq!(
            api_failure(r#"{"code":"password_rejected","message":"No.","problem":"new_rule"}"#),
            Failure::Other {
                code: "password_rejected".into(),
                message: "No.".into()
            }
        );
    }

    #[test]
    fn account_and_passkey_codes_sort_into_failures() {
        let failure = |code: &str| api_failure(&format!(r#"{{"code":"{code}","message":"x"}}"#));
        assert_eq!(failure("unauthorized"), Failure::Unauthorized);
        assert_eq!(
            failure("reauthentication_required"),
            Failure::ReauthenticationRequired
        );
        assert_eq!(
            Failure::ReauthenticationRequired.code(),
            "reauthentication_required"
        );
        // RFC 9470: a second factor is owed before the account's factors change.
        assert_eq!(failure("mfa_required"), Failure::MfaRequired);
        assert_eq!(Failure::MfaRequired.code(), "mfa_required");
        assert_eq!(failure("passkey_not_found"), Failure::PasskeyNotFound);
        assert_eq!(failure("last_sign_in_method"), Failure::LastSignInMethod);
        assert_eq!(failure("code_invalid"), Failure::CodeInvalid);
        assert_eq!(failure("code_expired"), Failure::CodeExpired);
        assert_eq!(failure("link_expired"), Failure::LinkExpired);
        assert_eq!(
            failure("registration_denied"),
            Failure::RegistrationDenied(None)
        );
        assert_eq!(
            api_failure(r#"{"code":"registration_denied","message":"x","site_message":"Non."}"#),
            Failure::RegistrationDenied(Some("Non.".into()))
        );
        assert_eq!(
            Failure::RegistrationDenied(None).code(),
            "registration_denied"
        );
        for code in ["code_invalid", "code_expired", "link_expired"] {
            assert_eq!(failure(code).code(), code);
        }
        assert_eq!(
            failure("webauthn_unknown_credential"),
            Failure::UnknownPasskey
        );
        for code in ErrorCode::ALL.map(ErrorCode::as_str) {
            if code.starts_with("webauthn_") && code != "webauthn_unknown_credential" {
                assert_eq!(failure(code), Failure::PasskeyRejected(code.into()));
                assert_eq!(failure(code).code(), code, "reported as it came");
            }
        }
        assert_eq!(
            failure("webauthn_from_the_future"),
            Failure::PasskeyRejected("webauthn_from_the_future".into())
        );
    }

    #[test]
    fn access_tokens_do_not_print() {
        assert_eq!(format!("{:?}", AccessToken("secret".into())), "[redacted]");
    }

    #[test]
    fn unreadable_bodies_are_network_failures() {
        assert_eq!(api_failure("<html>502</html>"), Failure::Network);
        assert_eq!(api_failure(""), Failure::Network);
    }

    #[test]
    fn flow_outcomes_read_as_the_shared_type_writes_them() {
        for outcome in [
            FlowOutcome::AuthorizationCode {
                authorization_code: "c".into(),
                expires_in: 600,
            },
            FlowOutcome::Redirect {
                redirect_to: "https://app.example/cb?code=c&state=s".into(),
            },
            FlowOutcome::VerifyEmail(EmailSent {
                expires_in: 600,
                code_length: 6,
            }),
            FlowOutcome::SecondFactor {
                methods: vec![
                    SecondFactorMethod::Totp,
                    SecondFactorMethod::SecurityKey,
                    SecondFactorMethod::RecoveryCode,
                ],
            },
            FlowOutcome::EnrolSecondFactor,
        ] {
            let wire = serde_json::to_string(&outcome).unwrap();
            assert_eq!(outcome_of(&wire), Ok(outcome));
        }
        assert_eq!(
            outcome_of(r#"{"status":"hand_scan"}"#),
            Err(Failure::UnsupportedStep)
        );
        assert_eq!(outcome_of(r#"{"no_status":1}"#), Err(Failure::Network));
        // A fraction is not a count of seconds: read as missing, not cut.
        assert_eq!(
            outcome_of(r#"{"status":"verify_email","expires_in":1.5,"code_length":6}"#),
            Ok(FlowOutcome::VerifyEmail(EmailSent {
                expires_in: 0,
                code_length: 6
            }))
        );
    }

    fn outcome_of(wire: &str) -> Result<FlowOutcome, Failure> {
        let parsed = read::parse(wire).unwrap();
        OutcomeBody::read(&parsed)
            .ok_or(Failure::Network)?
            .into_outcome()
    }

    #[test]
    fn a_profile_step_reads_its_attributes_and_documents_and_leaves_out_what_it_cannot_read() {
        use portcullis_shared::profile::AttributeType;
        let outcome = FlowOutcome::ProfileRequired {
            attributes: vec![AskedAttribute {
                attribute: AttributeView {
                    name: "country".into(),
                    kind: AttributeType::Country,
                    options: vec!["FI".into(), "SE".into()],
                    editable: false,
                    input_type: "select".into(),
                    autocomplete: Some("country".into()),
                },
                required: true,
            }],
            documents: vec![ConsentDocument {
                purpose: "terms".into(),
                version: "2".into(),
                text_sha256: "ab".repeat(32),
                url: Some("https://shop.example/terms".into()),
                required: true,
            }],
        };
        let wire = serde_json::to_string(&outcome).unwrap();
        assert_eq!(outcome_of(&wire), Ok(outcome.clone()));
        // An attribute of a type newer than the widget and a document without a version
        // are left out; the rest still reads.
        let mut value: serde_json::Value = serde_json::from_str(&wire).unwrap();
        value["attributes"][0]["attribute"]["type"] = "retina".into();
        value["documents"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"purpose": "x", "text_sha256": "y"}));
        let FlowOutcome::ProfileRequired {
            attributes,
            documents,
        } = outcome_of(&value.to_string()).unwrap()
        else {
            panic!("a profile step");
        };
        assert!(attributes.is_empty());
        assert_eq!(documents.len(), 1);
    }

    #[test]
    fn account_lists_read_as_the_shared_types_write_them() {
        let passkeys = PasskeyList {
            rp_id: "localhost".into(),
            user_id: "dXNlcg".into(),
            name: "ada@example.com".into(),
            display_name: "Ada".into(),
            passkeys: vec![PasskeySummary {
                id: "cred".into(),
                name: "Phone".into(),
                created_at: 1_700_000_000,
                last_used_at: None,
                backed_up: true,
            }],
        };
        let wire = read::parse(&serde_json::to_string(&passkeys).unwrap()).unwrap();
        assert_eq!(passkey_list(&wire), Some(passkeys));

        let factors = FactorList {
            factors: vec![FactorSummary {
                id: "f1".into(),
                kind: SecondFactorMethod::Totp,
                name: "Authenticator".into(),
                created_at: 1_700_000_000,
                last_used_at: Some(1_700_000_100),
            }],
            recovery_codes_left: 9,
            remembered_devices: vec![RememberedDevice {
                id: "d1".into(),
                name: "Firefox on Linux".into(),
                created_at: 1_700_000_000,
                expires_at: 1_702_592_000,
                last_used_at: None,
            }],
        };
        let wire = read::parse(&serde_json::to_string(&factors).unwrap()).unwrap();
        assert_eq!(factor_list(&wire), Some(factors));

        let identities = IdentityList {
            identities: vec![IdentitySummary {
                id: "i1".into(),
                connection: "google".into(),
                email: Some("ada@gmail.example".into()),
                created_at: 1_700_000_000,
            }],
        };
        let wire = read::parse(&serde_json::to_string(&identities).unwrap()).unwrap();
        assert_eq!(identity_list(&wire), Some(identities));

        let sent = EmailSent {
            expires_in: 600,
            code_length: 6,
        };
        let wire = read::parse(&serde_json::to_string(&sent).unwrap()).unwrap();
        assert_eq!(email_sent(&wire), Some(sent));
        assert_eq!(
            email_sent(&read::parse(r#"{"expires_in":600,"code_length":300}"#).unwrap()),
            None,
            "a code length past u8 is refused, not wrapped"
        );
    }

    #[test]
    fn profile_field_errors_read_and_unknown_problems_are_left_out() {
        let errors = field_errors(
            r#"{"code":"invalid_profile","fields":[{"field":"phone","code":"invalid_phone_number","message":"No."},{"field":"x","code":"from_the_future","message":"?"}]}"#,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "phone");
        assert!(field_errors("not json").is_empty());
    }
}
