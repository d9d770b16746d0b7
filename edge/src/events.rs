//! Building System Log events and appending them.
//!
//! An event that cannot be stored is logged to the platform log and does not fail the
//! person's request: a sign-in must not depend on the audit trail's availability, and
//! the failure is visible to operators.

pub use portcullis_shared::system_log::SystemLogEvent;
use portcullis_shared::system_log::{
    EventClient, EventRequest, EventUrl, Outcome, OutcomeResult, Party, Severity,
};

use crate::crypto::random::SecureRandom;
use crate::ports::Ports;
pub use crate::time::{parse_rfc3339, rfc3339};
use crate::users::User;

/// Where a request came from, as far as the platform tells us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The request's `Accept-Language`: the widget sends the language it shows.
    pub accept_language: Option<String>,
    /// The remembered-device handle in the request's cookie (see [`crate::risk::device`]).
    pub device: Option<String>,
    /// The token of a device remembered after a second factor, which the widget sends
    /// with a flow's steps (`Portcullis-Device`, see [`crate::mfa::remembered`]).
    pub device_token: Option<String>,
    /// The request's URL as the System Log shows it ([`logged_url`]: no codes, tokens or
    /// secrets).
    pub url: Option<String>,
}

impl RequestContext {
    /// The language to write to this person in: the best match for `Accept-Language`.
    pub fn language(&self) -> &'static str {
        let wanted = self
            .accept_language
            .as_deref()
            .map(portcullis_shared::messages::accept_language);
        portcullis_shared::messages::negotiate(wanted.unwrap_or_default())
    }

    /// The messages of [`RequestContext::language`] (emails, pages).
    pub fn words(&self) -> crate::i18n::Words {
        crate::i18n::Words::for_tag(self.language())
    }
}

/// Query parameters whose values are credentials or proofs: left out of logged URLs.
const SECRET_PARAMETERS: [&str; 12] = [
    "code",
    "token",
    "secret",
    "client_secret",
    "password",
    "access_token",
    "refresh_token",
    "id_token",
    "id_token_hint",
    "code_verifier",
    "assertion",
    "client_assertion",
];

/// The URL of a request as the System Log keeps it (`request.url.fullUrl`): the
/// deployment's origin, the path with a flow's handle (a bearer credential for the
/// flow) replaced by `{flow_id}`, and the query without the parameters that carry codes,
/// tokens or secrets.
pub fn logged_url(self_origin: &str, path: &str, query: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').collect();
    if let ["", "v1", "flows", handle, ..] = segments.as_mut_slice() {
        *handle = "{flow_id}";
    }
    let path = segments.join("/");
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| !SECRET_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        return format!("{self_origin}{path}");
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{self_origin}{path}?{query}")
}

/// Event types this edge records.
pub mod types {
    pub const REGISTRATION: &str = "user.registration.create";
    pub const SESSION_START: &str = "user.session.start";
    pub const SESSION_END: &str = "user.session.end";
    pub const AUTH_VIA_PASSWORD: &str = "user.authentication.auth_via_password";
    pub const AUTH_VIA_WEBAUTHN: &str = "user.authentication.auth_via_webauthn";
    pub const AUTH_VIA_MFA: &str = "user.authentication.auth_via_mfa";
    /// A passkey's signature counter did not increase (WebAuthn §6.1.1): a possible clone.
    pub const WEBAUTHN_COUNTER_REGRESSED: &str = "user.authentication.webauthn_counter_regressed";
    pub const FACTOR_ACTIVATE: &str = "user.mfa.factor.activate";
    pub const FACTOR_UPDATE: &str = "user.mfa.factor.update";
    pub const FACTOR_DEACTIVATE: &str = "user.mfa.factor.deactivate";
    /// A sign-in through an enterprise or generic OpenID Connect provider.
    pub const AUTH_VIA_IDP: &str = "user.authentication.auth_via_IDP";
    /// A sign-in through a social provider (Google, Apple, Microsoft, GitHub).
    pub const AUTH_VIA_SOCIAL: &str = "user.authentication.auth_via_social";
    pub const IDENTITY_LINK: &str = "user.identity.link";
    pub const IDENTITY_UNLINK: &str = "user.identity.unlink";
    /// An administrator read an identity's kept upstream access token (refreshed if
    /// it had expired).
    pub const IDENTITY_TOKENS_READ: &str = "user.identity.tokens.read";
    /// An administrator erased an identity's kept upstream tokens.
    pub const IDENTITY_TOKENS_ERASE: &str = "user.identity.tokens.erase";
    pub const AUTH_VIA_EMAIL: &str = "user.authentication.auth_via_email";
    pub const EMAIL_VERIFY: &str = "user.email.verify";
    pub const EMAIL_SEND: &str = "system.email.send";
    pub const RESET_PASSWORD: &str = "user.account.reset_password";
    pub const UPDATE_PASSWORD: &str = "user.account.update_password";
    pub const RESET_CREDENTIALS: &str = "user.account.reset_credentials";
    pub const TOKEN_GRANT: &str = "app.oauth2.as.token.grant";
    pub const TOKEN_REVOKE: &str = "app.oauth2.as.token.revoke";
    pub const REFRESH_REUSE: &str = "app.oauth2.as.token.detect_reuse";
    pub const KEY_ROTATE: &str = "system.signing_key.rotate";
    /// Adaptive sign-on: a sign-in's risk and the decision on it.
    pub const EVALUATE_SIGN_ON: &str = "policy.evaluate_sign_on";
    pub const THREAT_DETECTED: &str = "security.threat.detected";
    /// A Turnstile token was missing, reused or refused.
    pub const HUMAN_CHECK_FAILED: &str = "security.request.blocked";
    /// A new password is in Have I Been Pwned's Pwned Passwords.
    pub const BREACHED_PASSWORD: &str = "security.breached_credential.detected";
    /// Have I Been Pwned could not be asked: the password was accepted unchecked.
    pub const BREACH_CHECK_UNAVAILABLE: &str = "system.breached_password_check.unavailable";
    /// Every remembered device of an account was forgotten.
    pub const DEVICES_FORGET: &str = "user.account.forget_devices";
    /// An administrator (a client with admin scopes) created a user.
    pub const USER_CREATE: &str = "user.lifecycle.create";
    /// An administrator changed a user's profile.
    pub const USER_UPDATE_PROFILE: &str = "user.account.update_profile";
    /// A person's new email address, proven by a code, replaced the old one.
    pub const UPDATE_PRIMARY_EMAIL: &str = "user.account.update_primary_email";
    pub const USER_SUSPEND: &str = "user.lifecycle.suspend";
    /// STAGED or DEPROVISIONED → ACTIVE.
    pub const USER_ACTIVATE: &str = "user.lifecycle.activate";
    /// → DEPROVISIONED (deactivated; the profile is kept).
    pub const USER_DEACTIVATE: &str = "user.lifecycle.deactivate";
    pub const USER_UNSUSPEND: &str = "user.lifecycle.unsuspend";
    /// An administrator had a password-reset link sent to a user.
    pub const USER_RESET_PASSWORD: &str = "user.lifecycle.reset_password";
    /// An administrator ended a user's sign-in and second-factor limits.
    pub const USER_UNLOCK: &str = "user.account.unlock";
    /// An administrator removed a user's authenticator apps and recovery codes.
    pub const USER_RESET_FACTORS: &str = "user.mfa.factor.reset_all";
    /// An administrator ended a user's sessions and revoked their tokens.
    pub const USER_SESSIONS_CLEAR: &str = "user.session.clear";
    /// A user was deleted: personal data erased, the pseudonymous id kept.
    pub const USER_DELETE: &str = "user.lifecycle.delete.completed";
    /// A person granted a consent purpose (see [`crate::consent`]).
    pub const CONSENT_GRANT: &str = "user.consent.grant";
    /// A person withdrew a consent purpose, or a Global Privacy Control signal did.
    pub const CONSENT_WITHDRAW: &str = "user.consent.withdraw";
    /// A person downloaded what the deployment holds about them (`GET /v1/me/export`).
    pub const DATA_EXPORT: &str = "user.account.export_data";
    /// A person asked for their account's deletion (`DELETE /v1/me`), Okta's name.
    pub const USER_DELETE_REQUESTED: &str = "user.lifecycle.delete.initiated";
    /// The emailed link cancelled a scheduled deletion.
    pub const USER_DELETE_CANCELLED: &str = "user.lifecycle.delete.cancelled";
    pub const GROUP_CREATE: &str = "group.lifecycle.create";
    pub const GROUP_UPDATE: &str = "group.profile.update";
    pub const GROUP_DELETE: &str = "group.lifecycle.delete";
    pub const GROUP_MEMBERSHIP_ADD: &str = "group.user_membership.add";
    pub const GROUP_MEMBERSHIP_REMOVE: &str = "group.user_membership.remove";
    /// An administrator read users or the System Log.
    pub const ADMIN_READ: &str = "system.admin_api.read";
    /// An admin API call was refused (no valid token, or a scope missing).
    pub const ADMIN_DENIED: &str = "system.admin_api.access_denied";
    /// An administrator registered a client.
    pub const APP_CREATE: &str = "application.lifecycle.create";
    /// An administrator changed a client's settings.
    pub const APP_UPDATE: &str = "application.lifecycle.update";
    pub const APP_DELETE: &str = "application.lifecycle.delete";
    /// An administrator gave a confidential client a new secret (the old one stops working).
    pub const APP_SECRET_ROTATE: &str = "application.client_secret.rotate";
    /// An administrator registered, changed or removed a federation connection (Okta's
    /// identity provider events).
    pub const IDP_CREATE: &str = "system.idp.lifecycle.create";
    pub const IDP_UPDATE: &str = "system.idp.lifecycle.update";
    pub const IDP_DELETE: &str = "system.idp.lifecycle.delete";
    /// An inline hook was called: its decision and latency, or why it failed.
    pub const INLINE_HOOK_CALL: &str = "system.inline_hook.call";
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct EventSpec<'a> {
    pub event_type: &'static str,
    pub display_message: &'static str,
    pub success: bool,
    /// Why it failed (for administrators only).
    pub reason: Option<&'a str>,
    /// The user's `sub`, if known.
    pub actor_id: Option<&'a str>,
    /// What the person typed or the account's email.
    pub actor_email: Option<&'a str>,
    /// The account's name, when it has one.
    pub actor_name: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

impl<'a> EventSpec<'a> {
    /// A successful action of `user` in `client_id`.
    pub fn user_success(
        event_type: &'static str,
        display_message: &'static str,
        user: &'a User,
        client_id: &'a str,
    ) -> EventSpec<'a> {
        EventSpec {
            event_type,
            display_message,
            success: true,
            reason: None,
            actor_id: Some(&user.id),
            actor_email: Some(&user.email),
            actor_name: user.name.as_deref(),
            client_id: Some(client_id),
        }
    }

    pub(crate) fn build(&self, ports: &Ports<'_>, context: &RequestContext) -> SystemLogEvent {
        let now = ports.clock.now();
        let actor = Party {
            id: self.actor_id.unwrap_or("unknown").to_string(),
            kind: "User".into(),
            alternate_id: self.actor_email.map(str::to_string),
            display_name: Some(
                self.actor_name
                    .or(self.actor_email)
                    .unwrap_or("Unknown")
                    .to_string(),
            ),
        };
        // Okta's shape: an event about a known person targets that person first (what
        // happened to whom), then the application it happened in.
        let person = self.actor_id.map(|_| actor.clone());
        let app = self.client_id.map(|id| Party {
            id: id.to_string(),
            kind: "AppInstance".into(),
            alternate_id: None,
            display_name: None,
        });
        let target = person.into_iter().chain(app).collect();
        SystemLogEvent {
            uuid: uuid_v4(ports.random),
            published: rfc3339(now),
            event_type: self.event_type.into(),
            severity: if self.success {
                Severity::Info
            } else {
                Severity::Warn
            },
            display_message: self.display_message.into(),
            actor,
            client: EventClient {
                id: self.client_id.map(str::to_string),
                ip_address: context.ip_address.clone(),
                user_agent: context.user_agent.clone(),
            },
            request: EventRequest {
                ip_address: context.ip_address.clone(),
                user_agent: context.user_agent.clone(),
                url: context.url.clone().map(|full_url| EventUrl { full_url }),
            },
            outcome: Outcome {
                result: if self.success {
                    OutcomeResult::Success
                } else {
                    OutcomeResult::Failure
                },
                reason: self.reason.map(str::to_string),
            },
            target,
        }
    }
}

/// Appends the event; if it cannot be stored, says so in the platform log.
pub async fn record(ports: &Ports<'_>, context: &RequestContext, spec: EventSpec<'_>) {
    append(ports, spec.build(ports, context)).await;
}

/// Who made an admin API call.
#[derive(Debug, Clone, Copy)]
pub enum AdminActor<'a> {
    /// A machine holding admin scopes (Okta's `PublicClientApp`).
    Client { id: &'a str, name: Option<&'a str> },
    /// An administrator signed in to the console client `client_id` (Okta's `User`).
    Person {
        id: &'a str,
        /// Empty when only the token's subject is known (a refused call).
        email: &'a str,
        name: Option<&'a str>,
        client_id: &'a str,
    },
    /// The caller could not be identified.
    Unknown,
}

/// An admin API call: the actor is the client or the administrator that made it, the
/// target what it acted on.
#[derive(Debug, Clone)]
pub struct AdminEventSpec<'a> {
    pub event_type: &'static str,
    pub display_message: &'static str,
    pub success: bool,
    pub reason: Option<&'a str>,
    pub actor: AdminActor<'a>,
    pub target: Vec<Party>,
}

impl<'a> AdminEventSpec<'a> {
    /// A successful admin call by `actor`.
    pub fn success(
        event_type: &'static str,
        display_message: &'static str,
        actor: AdminActor<'a>,
        target: Vec<Party>,
    ) -> AdminEventSpec<'a> {
        AdminEventSpec {
            event_type,
            display_message,
            success: true,
            reason: None,
            actor,
            target,
        }
    }
}

/// Appends an admin API call's event (see [`AdminEventSpec`]).
pub async fn record_admin(ports: &Ports<'_>, context: &RequestContext, spec: AdminEventSpec<'_>) {
    let (client_id, person) = match spec.actor {
        AdminActor::Client { id, .. } => (Some(id), None),
        AdminActor::Person {
            id,
            email,
            name,
            client_id,
        } => (Some(client_id), Some((id, email, name))),
        AdminActor::Unknown => (None, None),
    };
    let mut event = EventSpec {
        event_type: spec.event_type,
        display_message: spec.display_message,
        success: spec.success,
        reason: spec.reason,
        actor_id: person.map(|(id, _, _)| id),
        actor_email: person.and_then(|(_, email, _)| (!email.is_empty()).then_some(email)),
        actor_name: person.and_then(|(_, _, name)| name),
        client_id,
    }
    .build(ports, context);
    if let AdminActor::Client { id, name } = spec.actor {
        event.actor = Party {
            id: id.to_string(),
            kind: "PublicClientApp".into(),
            alternate_id: None,
            display_name: Some(name.unwrap_or(id).to_string()),
        };
    } else if let AdminActor::Unknown = spec.actor {
        event.actor = Party {
            id: "unknown".into(),
            kind: "PublicClientApp".into(),
            alternate_id: None,
            display_name: Some("Unknown".into()),
        };
    }
    event.target = spec.target;
    append(ports, event).await;
}

pub(crate) async fn append(ports: &Ports<'_>, event: SystemLogEvent) {
    if let Err(err) = ports.events.append(&event).await {
        ports.diagnostics.log(&format!(
            "system log: could not append {}: {err:?}",
            event.event_type
        ));
    }
}

/// A random (version 4) UUID, RFC 9562 §5.4. All zeroes if randomness failed: the event
/// still gets recorded.
fn uuid_v4(random: &dyn SecureRandom) -> String {
    let mut b = [0u8; 16];
    let _ = random.fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn rfc9562_uuid_v4_has_version_and_variant_bits() {
        let id = uuid_v4(&SeededRandom::new(3));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, uuid_v4(&SeededRandom::new(4)));
    }

    #[test]
    fn the_logged_url_keeps_no_code_token_secret_or_flow_handle() {
        assert_eq!(
            logged_url(
                "https://id.example",
                "/authorize",
                "client_id=shop&code_challenge=abc&state=s1&login_hint=a%40b.example"
            ),
            "https://id.example/authorize?client_id=shop&code_challenge=abc&state=s1&login_hint=a%40b.example"
        );
        let url = logged_url(
            "https://id.example",
            "/v1/flows/Zm9vYmFyLWZsb3ctaGFuZGxl/sign-up",
            "",
        );
        assert_eq!(url, "https://id.example/v1/flows/{flow_id}/sign-up");
        let url = logged_url(
            "https://id.example",
            "/email-link",
            "token=s3cret&Code=123456&client_secret=x&lang=de&refresh_token=r&id_token_hint=h",
        );
        assert_eq!(url, "https://id.example/email-link?lang=de");
        for secret in ["s3cret", "123456", "=x", "=r", "=h"] {
            assert!(!url.contains(secret));
        }
    }

    #[test]
    fn okta_shape_an_event_about_a_person_targets_them_and_names_the_actor() {
        let t = crate::testing::TestPorts::new();
        let ports = t.ports();
        let user = User {
            name: Some("Ada Lovelace".into()),
            ..crate::testing::user("u1", "ada@example.com")
        };
        let context = RequestContext {
            url: Some(logged_url(
                "https://id.example",
                "/v1/flows/abc/sign-up",
                "",
            )),
            ..RequestContext::default()
        };
        let event =
            EventSpec::user_success(types::REGISTRATION, "User registration", &user, "demo")
                .build(&ports, &context);
        let person = &event.target[0];
        assert_eq!((person.id.as_str(), person.kind.as_str()), ("u1", "User"));
        assert_eq!(person.alternate_id.as_deref(), Some("ada@example.com"));
        assert_eq!(person.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(event.target[1].kind, "AppInstance");
        assert_eq!(event.actor.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            event.request.url.as_ref().map(|u| u.full_url.as_str()),
            Some("https://id.example/v1/flows/{flow_id}/sign-up")
        );
        // Nobody identified: no person to target, and the actor still has a name.
        let unknown = EventSpec {
            event_type: types::AUTH_VIA_PASSWORD,
            display_message: "User authentication via password",
            success: false,
            reason: Some("unknown user"),
            actor_id: None,
            actor_email: None,
            actor_name: None,
            client_id: Some("demo"),
        }
        .build(&ports, &RequestContext::default());
        assert_eq!(unknown.target.len(), 1);
        assert_eq!(unknown.actor.display_name.as_deref(), Some("Unknown"));
        assert!(unknown.request.url.is_none());
    }
}
