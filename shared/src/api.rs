//! Request and response bodies of the edge's `/v1` JSON API.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// `GET /v1/health`: the edge is up and its storage answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when every check passed.
    pub status: String,
    /// The edge's package version.
    pub version: String,
}

/// `GET /v1/clients/{client_id}`: what a widget may know about the client it serves.
///
/// Public and cacheable: it carries nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub client_id: String,
    /// Shown to people as "Sign in to {name}".
    pub name: String,
    /// The client's brand theme, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<crate::theme::Theme>,
    /// The client may get access tokens for the account API (`/v1/me`): it allows the
    /// `account` and `offline_access` scopes and the `refresh_token` grant, which the
    /// widget needs to manage the signed-in person's passkeys (see the API docs).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub account_api: bool,
    /// The Cloudflare Turnstile site key to render, when the client asks for a human check
    /// at sign-up and at sign-in to an account under attack; its token goes in the
    /// request's `turnstile_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_site_key: Option<String>,
    /// Where to load the Turnstile script from, with `turnstile_site_key`: Cloudflare's
    /// (explicit rendering), or the one the edge's operator set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_script_url: Option<String>,
    /// The sign-in providers (federation connections) to offer on the first screen, in
    /// the order the client shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<ConnectionButton>,
}

/// `GET /v1/clients/{id}/first-screen`: the widget's first screen, rendered by the edge
/// for one language and theme, with the configuration it was rendered from (the state
/// the widget hydrates it with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstScreenBody {
    pub config: ClientConfig,
    /// The BCP 47 tag of the language the screen is in.
    pub lang: String,
    /// `"rtl"` for Arabic, Persian and Hebrew, else `"ltr"`.
    pub dir: String,
    /// The card's HTML, with hydration markers (`<!>` comments): insert it as sent.
    pub html: String,
    /// The theme's stylesheet, when the page's preset or the client has a theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub css: Option<String>,
}

/// A sign-in provider as the widget shows it: a button "Continue with {name}".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionButton {
    pub id: String,
    pub name: String,
}

/// `POST /v1/flows/{flow_id}/federation/{connection}`: leave for the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationStart {
    /// The page to come back to (an allowed origin of the flow's client); the edge
    /// appends `#portcullis_federation=…` (or `#portcullis_federation_error=…`) to it.
    /// Hosted flows leave it out and come back to the hosted sign-in page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// Response to [`FederationStart`]: navigate the whole page here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationRedirect {
    pub redirect_to: String,
}

/// `POST /v1/flows/{flow_id}/federation`: come back from the provider with the ticket
/// the edge put in the returning page's fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationResume {
    pub ticket: Secret,
}

/// An upstream identity linked to the signed-in account (`GET /v1/me/identities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySummary {
    pub id: String,
    pub connection: String,
    /// The address the provider gave when the identity was linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
}

/// Response to `GET /v1/me/identities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityList {
    pub identities: Vec<IdentitySummary>,
}

/// `POST /v1/flows`: begin a first-party sign-in flow for a client.
///
/// An embedded widget sends `client_id` and a PKCE `code_challenge` (S256): the flow ends
/// in an authorization code that only the holder of the verifier can redeem at `/token`.
/// The hosted sign-in page does not call this: `/authorize` starts its flow and passes the
/// handle in the page URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartFlow {
    pub client_id: String,
    /// The identifier the person typed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// RFC 7636 §4.2 `BASE64URL(SHA256(code_verifier))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// Only `S256` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_method: Option<String>,
    /// Space-separated scopes; defaults to `openid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Echoed into the ID token (OIDC Core §3.1.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// OIDC Core §3.1.2.1: space-separated `acr` values the relying party asks for;
    /// [`ACR_MULTI_FACTOR`] (see discovery's `acr_values_supported`) asks for a second
    /// factor whatever the client's policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
}

/// `acr` when the sign-in proved more than one factor (`amr` holds `mfa`): the OpenID
/// PAPE multi-factor policy. Asked for in `acr_values`, and by the account API
/// (RFC 9470) before a person's second factors change.
pub const ACR_MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

/// The next thing the widget must ask of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Ask for an email address.
    Identify,
    /// Ask for the account's password.
    Password,
    /// The address's domain belongs to a company's sign-in provider (home-realm
    /// discovery): sign in there, as with its button (`connection` in
    /// [`FlowStarted`]). Chosen by the domain alone, whether or not an account exists.
    Provider,
}

/// Response to `POST /v1/flows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStarted {
    /// Opaque handle for the rest of the flow; it ends when the flow completes.
    pub flow_id: String,
    /// Seconds until the handle expires.
    pub expires_in: u64,
    pub next: Step,
    /// With [`Step::Provider`]: the connection to sign in with
    /// (`POST /v1/flows/{flow_id}/federation/{connection}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
}

/// `POST /v1/flows/{flow_id}/password`: sign in with email and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSignIn {
    pub email: String,
    pub password: Secret,
    /// A Cloudflare Turnstile token, where the client asks for one (see `turnstile_site_key`
    /// in [`ClientConfig`]): needed when the account is under attack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_token: Option<Secret>,
}

/// `POST /v1/flows/{flow_id}/sign-up`: create an account with email and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSignUp {
    pub email: String,
    pub password: Secret,
    /// How the person wants to be addressed (`name` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A Cloudflare Turnstile token, where the client asks for one (see `turnstile_site_key`
    /// in [`ClientConfig`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_token: Option<Secret>,
}

/// How a finished flow hands over: what the widget does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FlowOutcome {
    /// Embedded flow: redeem this code at `/token` with the PKCE verifier
    /// (`grant_type=authorization_code`, no `redirect_uri`).
    AuthorizationCode {
        authorization_code: String,
        /// Seconds until the code expires.
        expires_in: u64,
    },
    /// Hosted flow: the session cookie is set; navigate the window to `redirect_to`
    /// (the client's redirect URI with `code`, `state` and `iss`).
    Redirect { redirect_to: String },
    /// The client only signs in people whose address is verified: an email with a code
    /// is on its way. Send the code to `POST /v1/flows/{flow_id}/email/code`.
    VerifyEmail(EmailSent),
    /// The first factor was right; prove a second one with one of `methods`
    /// (`POST /v1/flows/{flow_id}/mfa/totp` or `…/mfa/recovery-code`).
    SecondFactor { methods: Vec<SecondFactorMethod> },
    /// The first factor was right, and the client requires a second factor the account
    /// does not have yet: enrol an authenticator app
    /// (`POST /v1/flows/{flow_id}/mfa/totp/enrolment`, then `…/enrolment/confirm`).
    EnrolSecondFactor,
    /// The person is signed in, and the client asks for a few more details or for
    /// agreement to a document (version) first: answer with
    /// `POST /v1/flows/{flow_id}/profile`; optional ones may be left out (skipped).
    ProfileRequired {
        attributes: Vec<crate::profile::AskedAttribute>,
        documents: Vec<crate::profile::ConsentDocument>,
    },
}

/// A way to prove a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorMethod {
    /// A code from an authenticator app (RFC 6238).
    Totp,
    /// One of the account's single-use recovery codes.
    RecoveryCode,
    /// One of the account's passkeys or security keys
    /// (`POST /v1/flows/{flow_id}/mfa/webauthn/options`, then `…/mfa/webauthn`).
    SecurityKey,
    /// A code emailed to the account's verified address, where the client allows it
    /// (`POST /v1/flows/{flow_id}/mfa/email/send`, then `…/mfa/email`).
    EmailCode,
}

/// `POST /v1/flows/{flow_id}/mfa/totp`, `…/mfa/recovery-code`,
/// `…/mfa/totp/enrolment/confirm` and `POST /v1/me/factors/totp/confirm`: a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorCode {
    pub code: Secret,
    /// At `…/mfa/totp` and `…/mfa/recovery-code`: remember this device for 30 days, so
    /// that its next sign-ins to this client skip the second factor (the outcome then
    /// carries a `device_token`). Ignored elsewhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remember_device: bool,
}

/// A new authenticator app to set up: scan `qr_svg` (the `otpauth_uri` as a QR code) or
/// type `secret`, then confirm with the first code the app shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The shared secret in base32 (RFC 4648 §6), for typing by hand.
    pub secret: String,
    /// The Key Uri Format authenticator apps read from the QR code.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as an SVG document.
    pub qr_svg: String,
}

/// A factor of the signed-in account (`GET /v1/me/factors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorSummary {
    pub id: String,
    /// `totp` (an authenticator app).
    pub kind: SecondFactorMethod,
    pub name: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<u64>,
}

/// A device remembered after a second factor (`GET /v1/me/factors`); forget it with
/// `DELETE /v1/me/devices/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedDevice {
    pub id: String,
    /// The browser and system it was remembered on, such as `Firefox · Linux`.
    pub name: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// Seconds since the Unix epoch: 30 days after `created_at`, never extended.
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<u64>,
}

/// One session of the signed-in person: a sign-in to an application and the tokens it
/// keeps issuing (`GET /v1/me/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Names the session in `DELETE /v1/me/sessions/{id}`; not a token.
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    /// When the person signed in (Unix seconds).
    pub signed_in_at: u64,
    /// When the session began (Unix seconds).
    pub created_at: u64,
    pub expires_at: u64,
    /// How the person signed in (RFC 8176 `amr`).
    pub amr: Vec<String>,
    /// The ISO 3166-1 country the session was started from, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The browser or app that started it (its `User-Agent`), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Whether the caller's token belongs to this session.
    pub current: bool,
}

/// `GET /v1/me/sessions`: newest sign-in first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionSummary>,
}

/// `DELETE /v1/me/sessions`: how many sessions were ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: usize,
}

/// An application holding live grants of the signed-in person, with what they gave it
/// (`GET /v1/me/applications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub client_id: String,
    pub name: String,
    /// The scopes granted, over all its sessions.
    pub scopes: Vec<String>,
    /// When the person first granted it access among the live grants (Unix seconds).
    pub granted_at: u64,
    /// How many live sessions it holds.
    pub sessions: usize,
    /// The purposes the person consented to for this application, as recorded now.
    pub consents: Vec<crate::consent::ConsentRecordView>,
}

/// `GET /v1/me/applications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationSummary>,
}

/// `GET /v1/me/factors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorList {
    pub factors: Vec<FactorSummary>,
    /// Unused recovery codes left.
    pub recovery_codes_left: u32,
    /// Devices that skip the second factor, newest last.
    #[serde(default)]
    pub remembered_devices: Vec<RememberedDevice>,
}

/// `POST /v1/me/factors/totp/confirm`: the app added and, when it is the account's
/// first, its recovery codes (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpAdded {
    pub factor: FactorSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// New recovery codes, shown once (`POST /v1/me/recovery-codes`, and with the flow
/// outcome after a first enrolment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `POST /v1/flows/{flow_id}/email`: email a one-time sign-in code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSignIn {
    pub email: String,
}

/// An email with a code was sent — or, for an address without an account,
/// nothing that says so was sent to the caller: the answer is the same either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSent {
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Digits in the code.
    pub code_length: u8,
}

/// `POST /v1/me/email`: the address the signed-in person wants instead of theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeRequest {
    pub email: String,
}

/// The answer to `POST /v1/me/email`, the same whether or not the address is free: the
/// handle of the change, which the code sent to the new address confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeStarted {
    pub change_id: String,
    /// Seconds the code works.
    pub expires_in: u64,
}

/// `POST /v1/me/email/confirm`: the change and the code sent to its new address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeConfirm {
    pub change_id: String,
    pub code: Secret,
}

/// The answer to `POST /v1/me/email/confirm`: the account's address now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChanged {
    pub email: String,
    pub email_verified: bool,
}

/// `POST /v1/flows/{flow_id}/email/code`: the code from the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCode {
    pub code: Secret,
}

/// The body of a step that ended a flow: the outcome, and what the person must be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletedBody<'a> {
    #[serde(flatten)]
    pub outcome: &'a FlowOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// After a first enrolment: the account's recovery codes, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<&'a [String]>,
    /// After a second factor with `remember_device`, or a sign-in that a remembered
    /// device let skip it: the device's token, to keep for this client and send as
    /// `Portcullis-Device` with the next flow's steps. It replaces the one sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<&'a str>,
}

/// Something about the account the person must be told when a flow ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The address was proven for the first time by the mailbox alone, so the password,
    /// passkeys, sessions and tokens set on the account before were removed (someone
    /// else may have set them: a pre-hijacked account).
    CredentialsRemoved,
}

/// `POST /v1/recovery/password` (a reset link) and `POST /v1/recovery/account` (a
/// reminder of how the account signs in). Answered `202` alike for every address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryRequest {
    pub client_id: String,
    pub email: String,
}

/// `POST /v1/me/password`: the signed-in person's new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub password: Secret,
}

/// `POST /v1/recovery/password/reset`: the token from the reset link and a new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub token: Secret,
    pub password: Secret,
}

/// One message in the development mailbox (`GET /v1/dev/mailbox?to=…`), which exists
/// only where the edge is configured to keep mail instead of sending it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

/// `GET /v1/dev/mailbox?to=…`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMailbox {
    pub messages: Vec<DevMail>,
}

/// `POST /v1/flows/{flow_id}/passkey/options`: ask for a WebAuthn assertion challenge.
///
/// Without `email` the options carry an empty `allowCredentials` (usernameless sign-in,
/// or passkey autofill with `mediation: "conditional"`). With `email` they list that
/// account's passkeys; an address without passkeys (or without an account) gets a
/// plausible, stable list all the same, so the answer never tells whether it exists.
///
/// The response is `{"publicKey": PublicKeyCredentialRequestOptionsJSON}` (WebAuthn
/// Level 3 §5.1.4.1), ready for `PublicKeyCredential.parseRequestOptionsFromJSON`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `POST /v1/flows/{flow_id}/passkey/sign-up/options`: create an account whose only
/// sign-in method is a passkey. The response is `{"publicKey":
/// PublicKeyCredentialCreationOptionsJSON}`, ready for
/// `PublicKeyCredential.parseCreationOptionsFromJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySignUp {
    pub email: String,
    /// How the person wants to be addressed (`name` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One of the signed-in person's passkeys, as `GET /v1/me/passkeys` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    /// The credential id, base64url without padding (as `PublicKeyCredential.id`).
    pub id: String,
    /// A name the person chose, or one given at registration ("Passkey", "Passkey 2", …).
    pub name: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<u64>,
    /// The passkey is synced to a provider's cloud (backup state, WebAuthn §6.1.3).
    pub backed_up: bool,
}

/// `GET /v1/me/passkeys`: the signed-in person's passkeys, and what a page needs to keep
/// the browser's passkey list in sync with them (WebAuthn Level 3 Signal API:
/// `signalAllAcceptedCredentials({rpId, userId, allAcceptedCredentialIds})` and
/// `signalCurrentUserDetails({rpId, userId, name, displayName})`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyList {
    pub rp_id: String,
    /// The WebAuthn user handle, base64url without padding.
    pub user_id: String,
    /// The account's email address (the passkey's user name).
    pub name: String,
    pub display_name: String,
    pub passkeys: Vec<PasskeySummary>,
}

/// `PATCH /v1/me/passkeys/{id}`: rename a passkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenamePasskey {
    /// 1–64 characters after trimming.
    pub name: String,
}

/// Why a proposed password was refused (NIST SP 800-63B-4 §3.1.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// On the list of common or breached passwords.
    Common,
    /// Contains the email address or the service name.
    ContextSpecific,
}

/// The body of a `password_rejected` error, beside `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRejected {
    pub problem: PasswordProblem,
    /// The minimum length that applies to this account, in characters.
    pub min_length: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_flow_login_hint_is_optional() {
        let parsed: StartFlow = serde_json::from_str(r#"{"client_id":"demo"}"#).unwrap();
        assert_eq!(parsed.code_challenge, None);
        assert_eq!(parsed.login_hint, None);
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#"{"client_id":"demo"}"#
        );
    }

    #[test]
    fn step_wire_names() {
        assert_eq!(
            serde_json::to_string(&Step::Identify).unwrap(),
            "\"identify\""
        );
        assert_eq!(
            serde_json::to_string(&Step::Password).unwrap(),
            "\"password\""
        );
        assert_eq!(
            serde_json::to_string(&Step::Provider).unwrap(),
            "\"provider\""
        );
    }

    #[test]
    fn flow_outcome_is_tagged_by_status() {
        let code = FlowOutcome::AuthorizationCode {
            authorization_code: "c".into(),
            expires_in: 600,
        };
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            r#"{"status":"authorization_code","authorization_code":"c","expires_in":600}"#
        );
        let redirect = FlowOutcome::Redirect {
            redirect_to: "https://app.example/cb?code=c".into(),
        };
        assert_eq!(
            serde_json::to_string(&redirect).unwrap(),
            r#"{"status":"redirect","redirect_to":"https://app.example/cb?code=c"}"#
        );
    }

    #[test]
    fn password_problem_wire_names() {
        for (problem, wire) in [
            (PasswordProblem::TooShort, "\"too_short\""),
            (PasswordProblem::TooLong, "\"too_long\""),
            (PasswordProblem::Common, "\"common\""),
            (PasswordProblem::ContextSpecific, "\"context_specific\""),
        ] {
            assert_eq!(serde_json::to_string(&problem).unwrap(), wire);
        }
    }
}
