//! Registered clients (the applications people sign in to) and who may call on their behalf.

use portcullis_shared::theme::Theme;
use serde::{Deserialize, Serialize};

use crate::oauth::scope::Scopes;

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    Public,
    Confidential,
}

/// When the client asks for a second factor (see [`crate::mfa::requirement`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// Never, unless the relying party asks for it (`acr_values`).
    #[default]
    Off,
    /// From people who enrolled a factor (and, when risk is elevated, from them too).
    Optional,
    /// From everyone: people without a factor enrol one at their next sign-in.
    Required,
}

impl MfaPolicy {
    /// The stored form (`clients.mfa`); `None` for anything else.
    pub fn parse(stored: &str) -> Option<MfaPolicy> {
        match stored {
            "off" => Some(MfaPolicy::Off),
            "optional" => Some(MfaPolicy::Optional),
            "required" => Some(MfaPolicy::Required),
            _ => None,
        }
    }
}

/// A profile attribute a custom claim can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileAttribute {
    Name,
    GivenName,
    FamilyName,
    Email,
    EmailVerified,
    /// The provisioning system's id for the person (SCIM `externalId`).
    ExternalId,
}

impl ProfileAttribute {
    pub const NAMES: [&'static str; 6] = [
        "name",
        "given_name",
        "family_name",
        "email",
        "email_verified",
        "external_id",
    ];
}

/// One custom claim: `claim` carries `attribute` when `scope` was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomClaim {
    pub scope: String,
    pub claim: String,
    pub attribute: ProfileAttribute,
}

/// What a client puts in tokens beyond the standard claims and `groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimMapping {
    pub custom: Vec<CustomClaim>,
    /// Groups whose names start with this prefix become `roles` (prefix removed) for the
    /// `roles` scope; `None`: no `roles` claim.
    pub roles_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub client_type: ClientType,
    /// Exact redirect URIs (RFC 6749 §3.1.2), compared byte for byte.
    pub redirect_uris: Vec<String>,
    /// Web origins (`scheme://host[:port]`) whose pages may embed the widget for this client.
    pub allowed_origins: Vec<String>,
    /// Scopes this client may request.
    pub allowed_scopes: Scopes,
    /// `sha256:<hex>` of a confidential client's secret.
    pub secret_hash: Option<String>,
    /// Grant types this client may use at `/token`.
    pub grant_types: Vec<String>,
    /// Exact URIs RP-initiated logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Only people with a verified email address may sign in.
    pub requires_verified_email: bool,
    /// Whether people must prove a second factor to sign in here.
    pub mfa: MfaPolicy,
    /// A code emailed to the account's verified address may stand as the second factor
    /// after a password (see [`crate::mfa::email_code`]).
    pub email_second_factor: bool,
    /// The brand theme served with the client's public configuration.
    pub theme: Option<Theme>,
    pub access_token_ttl: u64,
    pub id_token_ttl: u64,
    pub refresh_token_ttl: u64,
    /// Which of a person's groups go into the `groups` claim (for the `groups` scope):
    /// exact names, or prefixes ending in `*`. `None`: the client maps no groups.
    pub groups_claim: Option<Vec<String>>,
    /// Custom scopes with claims from the profile, and the `roles` prefix (see
    /// [`crate::oauth::custom_claims`]).
    pub claims: ClaimMapping,
    /// The profile attributes and documents the client asks for at sign-in (see
    /// [`crate::profile::policy`]).
    pub profile: crate::profile::policy::ProfilePolicy,
    /// Adaptive MFA and attack protection; all off unless the client turns them on.
    pub protection: Protection,
}

/// When a sign-in to the client is challenged for a second factor because of its risk
/// (see [`crate::risk`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdaptiveMfa {
    /// Risk is assessed and logged, never challenged.
    #[default]
    Never,
    /// Challenged when the assessment is high.
    HighRisk,
    /// Every sign-in is challenged.
    Always,
}

impl AdaptiveMfa {
    /// The stored form (`clients.adaptive_mfa`).
    pub fn parse(stored: &str) -> Option<AdaptiveMfa> {
        match stored {
            "never" => Some(AdaptiveMfa::Never),
            "high_risk" => Some(AdaptiveMfa::HighRisk),
            "always" => Some(AdaptiveMfa::Always),
            _ => None,
        }
    }
}

/// A client's attack protection settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protection {
    pub adaptive_mfa: AdaptiveMfa,
    /// A Cloudflare Turnstile token is required at sign-up and at password sign-in to an
    /// account under attack (see [`crate::attack::turnstile`]).
    pub human_check: bool,
    /// New passwords are checked against Have I Been Pwned's Pwned Passwords (see
    /// [`crate::attack::breached`]).
    pub breached_password_check: bool,
}

/// A stored theme: a preset name or a theme as JSON. `None` when it is neither or does
/// not validate, so a broken theme costs the brand look, never the sign-in.
pub fn parse_theme(stored: &str) -> Option<Theme> {
    let stored = stored.trim();
    let theme = if stored.starts_with('{') {
        serde_json::from_str(stored).ok()?
    } else {
        Theme::preset(stored)?
    };
    theme.validate().ok().map(|()| theme)
}

impl Client {
    /// Whether a browser request carrying `Origin: origin` may act for this client.
    ///
    /// Pages served by this deployment itself (the hosted sign-in page) are always allowed;
    /// any other origin must be listed exactly. Requests without an `Origin` header do not
    /// come from a browser page and are not subject to this check.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    /// Whether the sign-in widget can get account API tokens for this client: the
    /// `account` scope, and a refresh token (`offline_access` and the `refresh_token`
    /// grant) to ask for one beside the page's own tokens (RFC 8707 §2.2).
    pub fn allows_account_api(&self) -> bool {
        let scope = |s: &str| self.allowed_scopes.has(s);
        scope(crate::oauth::resource::ACCOUNT_SCOPE)
            && scope("offline_access")
            && self.allows_grant("refresh_token")
    }

    /// Whether `scope` is one of this client's custom claim scopes (a person's scope).
    pub fn has_custom_claim_scope(&self, scope: &str) -> bool {
        self.claims.custom.iter().any(|c| c.scope == scope)
    }

    /// Whether `secret` is this confidential client's secret (constant-time).
    pub fn verify_secret(&self, secret: &str) -> bool {
        match self
            .secret_hash
            .as_deref()
            .and_then(|h| h.strip_prefix("sha256:"))
        {
            Some(expected) => {
                crate::crypto::constant_time_eq(&crate::crypto::sha256_hex(secret), expected)
            }
            None => false,
        }
    }

    pub fn allows_origin(&self, origin: Option<&str>, self_origin: &str) -> bool {
        match origin {
            None => true,
            Some(origin) => {
                origin == self_origin || self.allowed_origins.iter().any(|o| o == origin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_mfa_parses_its_stored_values_and_nothing_else() {
        assert_eq!(AdaptiveMfa::parse("never"), Some(AdaptiveMfa::Never));
        assert_eq!(AdaptiveMfa::parse("high_risk"), Some(AdaptiveMfa::HighRisk));
        assert_eq!(AdaptiveMfa::parse("always"), Some(AdaptiveMfa::Always));
        assert_eq!(AdaptiveMfa::parse("High_Risk"), None);
        assert_eq!(Protection::default().adaptive_mfa, AdaptiveMfa::Never);
        assert!(!Protection::default().human_check);
        assert!(!Protection::default().breached_password_check);
    }

    #[test]
    fn stored_themes_are_presets_or_valid_json_and_nothing_else() {
        assert_eq!(parse_theme("playful"), Theme::preset("playful"));
        let json = serde_json::to_string(&Theme::preset("midnight")).unwrap_or_default();
        assert_eq!(parse_theme(&json), Theme::preset("midnight"));
        assert_eq!(parse_theme("no-such-preset"), None);
        assert_eq!(parse_theme("{not json"), None);
        let bad = json.replace("#38bdf8", "red");
        assert_eq!(parse_theme(&bad), None);
    }

    fn client() -> Client {
        Client {
            profile: Default::default(),
            id: "demo".into(),
            name: "Demo".into(),
            client_type: ClientType::Public,
            redirect_uris: vec![],
            allowed_origins: vec!["https://shop.example".into()],
            allowed_scopes: Scopes::parse("openid"),
            secret_hash: Some(format!("sha256:{}", crate::crypto::sha256_hex("s3cret"))),
            grant_types: vec!["authorization_code".into()],
            post_logout_redirect_uris: vec![],
            requires_verified_email: false,
            mfa: MfaPolicy::Off,
            email_second_factor: false,
            theme: None,
            access_token_ttl: 600,
            id_token_ttl: 600,
            refresh_token_ttl: 3600,
            protection: Protection::default(),
            groups_claim: None,
            claims: Default::default(),
        }
    }

    #[test]
    fn rfc6749_2_3_1_secret_is_checked_against_its_hash() {
        let c = client();
        assert!(c.verify_secret("s3cret"));
        assert!(!c.verify_secret("s3cret "));
        assert!(!c.verify_secret(""));
        let public = Client {
            secret_hash: None,
            ..client()
        };
        assert!(!public.verify_secret(""));
    }

    #[test]
    fn listed_origin_is_allowed_exactly() {
        let c = client();
        assert!(c.allows_origin(Some("https://shop.example"), "https://id.example"));
        assert!(!c.allows_origin(Some("https://shop.example:8443"), "https://id.example"));
        assert!(!c.allows_origin(Some("http://shop.example"), "https://id.example"));
        assert!(!c.allows_origin(Some("https://SHOP.example.evil"), "https://id.example"));
    }

    #[test]
    fn own_origin_and_non_browser_callers_are_allowed() {
        let c = client();
        assert!(c.allows_origin(Some("https://id.example"), "https://id.example"));
        assert!(c.allows_origin(None, "https://id.example"));
    }

    #[test]
    fn the_null_origin_is_never_allowed() {
        assert!(!client().allows_origin(Some("null"), "https://id.example"));
    }
}
