//! What a client registration must be: the one set of rules behind the admin API's
//! `/admin/v1/clients` and `scripts/clients` (which runs them through the
//! `client-settings` program of this crate), so a client accepted by one is accepted by
//! the other.
//!
//! [`validate`] turns what an operator sent ([`ClientInput`], JSON) into the complete
//! settings of a client ([`ClientSettings`]), or names the first field that is wrong
//! ([`Refusal`]). Redirect URIs and origins are stored exactly as given, because the edge
//! compares them byte for byte (RFC 9700 §4.1.3): anything a URL parser would have to
//! repair is refused instead.

use crate::profile::policy::ProfilePolicy;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clients::{parse_theme, AdaptiveMfa, Client, ClientType, MfaPolicy, Protection};
pub use crate::clients::{ClaimMapping, CustomClaim, ProfileAttribute};
use crate::oauth::claim_names::{RESERVED_CLAIMS, ROLES_SCOPE};

/// The grant types a client may be registered for (no implicit, no password grant).
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
/// `account` is the account API's scope: the sign-in widget needs it to manage passkeys.
pub const DEFAULT_SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "account"];
pub const DEFAULT_GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];
/// When a sign-in's risk asks for a second factor (the stored form has `_` for `-`).
pub const ADAPTIVE_MFA: [&str; 3] = ["never", "high-risk", "always"];
pub const MFA_POLICIES: [&str; 3] = ["off", "optional", "required"];
pub const EMAIL_VERIFICATION: [&str; 2] = ["optional", "required"];

/// A token lifetime's field, with its default, minimum and maximum in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlRule {
    pub field: &'static str,
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

pub const ACCESS_TOKEN_TTL: TtlRule = TtlRule {
    field: "access_token_ttl",
    default: 600,
    min: 60,
    max: 86_400,
};
pub const ID_TOKEN_TTL: TtlRule = TtlRule {
    field: "id_token_ttl",
    default: 600,
    min: 60,
    max: 86_400,
};
pub const REFRESH_TOKEN_TTL: TtlRule = TtlRule {
    field: "refresh_token_ttl",
    default: 2_592_000,
    min: 300,
    max: 31_536_000,
};

/// A lifetime as sent: seconds, or a number with a unit (`90s`, `10m`, `12h`, `30d`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TtlInput {
    Seconds(u64),
    Text(String),
}

/// A client as an operator describes it. Absent fields take their defaults; the
/// read-only fields of [`ClientResource`] may be sent back and are ignored; any other
/// field is refused (a typo never silently keeps a default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub client_type: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub email_verification: Option<String>,
    pub mfa: Option<String>,
    #[serde(default)]
    pub email_second_factor: bool,
    /// A preset name, or a theme object (`shared/src/theme.rs`).
    pub theme: Option<Value>,
    pub adaptive_mfa: Option<String>,
    #[serde(default)]
    pub human_check: bool,
    #[serde(default)]
    pub breached_password_check: bool,
    #[serde(default)]
    pub groups_claim: Option<Vec<String>>,
    /// Custom scopes and the profile attributes their claims carry.
    #[serde(default)]
    pub custom_claims: Vec<CustomClaim>,
    /// Groups with this prefix become the `roles` claim (prefix removed).
    #[serde(default)]
    pub roles_prefix: Option<String>,
    /// The profile attributes and documents asked at sign-in.
    #[serde(default)]
    pub profile: ProfilePolicy,
    pub access_token_ttl: Option<TtlInput>,
    pub id_token_ttl: Option<TtlInput>,
    pub refresh_token_ttl: Option<TtlInput>,
    #[serde(default, rename = "has_secret")]
    _has_secret: Option<IgnoredAny>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<IgnoredAny>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<IgnoredAny>,
    #[serde(default, rename = "disabled_at")]
    _disabled_at: Option<IgnoredAny>,
}

/// A valid client's settings, in the wire form of the admin API (which is also what
/// `scripts/clients --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `optional` or `required`.
    pub email_verification: String,
    /// `off`, `optional` or `required`.
    pub mfa: String,
    /// A code emailed to the account's verified address may be the second factor after
    /// a password (see [`crate::mfa::email_code`]).
    #[serde(default)]
    pub email_second_factor: bool,
    /// A preset name or a theme object; `None` for the default look.
    pub theme: Option<Value>,
    /// `never`, `high-risk` or `always`.
    pub adaptive_mfa: String,
    pub human_check: bool,
    pub breached_password_check: bool,
    /// Group names and `prefix*` patterns for the `groups` claim; `None`: no groups.
    pub groups_claim: Option<Vec<String>>,
    /// Claims from the profile, each for a custom scope.
    pub custom_claims: Vec<CustomClaim>,
    /// The prefix of the groups that are the `roles` claim; `None`: no roles.
    pub roles_prefix: Option<String>,
    /// The profile attributes and documents asked at sign-in (see
    /// [`crate::profile::policy`]); absent when it asks nothing.
    #[serde(default, skip_serializing_if = "ProfilePolicy::is_empty")]
    pub profile: ProfilePolicy,
    pub access_token_ttl: u64,
    pub id_token_ttl: u64,
    pub refresh_token_ttl: u64,
}

impl ClientSettings {
    /// `clients.theme` as stored: the preset name, or the theme's JSON.
    pub fn stored_theme(&self) -> Option<String> {
        match &self.theme {
            Some(Value::String(preset)) => Some(preset.clone()),
            Some(theme) => Some(theme.to_string()),
            None => None,
        }
    }

    /// `clients.adaptive_mfa` as stored.
    pub fn stored_adaptive_mfa(&self) -> String {
        self.adaptive_mfa.replace('-', "_")
    }

    /// The client the core runs with these settings.
    pub fn to_client(&self, secret_hash: Option<String>) -> Client {
        let adaptive_mfa = AdaptiveMfa::parse(&self.stored_adaptive_mfa()).unwrap_or_default();
        Client {
            id: self.id.clone(),
            name: self.name.clone(),
            client_type: self.client_type,
            redirect_uris: self.redirect_uris.clone(),
            allowed_origins: self.allowed_origins.clone(),
            allowed_scopes: self.allowed_scopes.iter().cloned().collect(),
            secret_hash,
            grant_types: self.grant_types.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            requires_verified_email: self.email_verification == "required",
            mfa: MfaPolicy::parse(&self.mfa).unwrap_or_default(),
            email_second_factor: self.email_second_factor,
            theme: self.stored_theme().as_deref().and_then(parse_theme),
            access_token_ttl: self.access_token_ttl,
            id_token_ttl: self.id_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            groups_claim: self.groups_claim.clone(),
            claims: ClaimMapping {
                custom: self.custom_claims.clone(),
                roles_prefix: self.roles_prefix.clone(),
            },
            profile: self.profile.clone(),
            protection: Protection {
                adaptive_mfa,
                human_check: self.human_check,
                breached_password_check: self.breached_password_check,
            },
        }
    }

    /// The settings a client runs with (a custom theme shows as its object).
    pub fn of_client(client: &Client) -> ClientSettings {
        ClientSettings {
            id: client.id.clone(),
            name: client.name.clone(),
            client_type: client.client_type,
            redirect_uris: client.redirect_uris.clone(),
            allowed_origins: client.allowed_origins.clone(),
            allowed_scopes: client.allowed_scopes.to_vec(),
            grant_types: client.grant_types.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            email_verification: if client.requires_verified_email {
                "required"
            } else {
                "optional"
            }
            .into(),
            mfa: match client.mfa {
                MfaPolicy::Off => "off",
                MfaPolicy::Optional => "optional",
                MfaPolicy::Required => "required",
            }
            .into(),
            email_second_factor: client.email_second_factor,
            theme: client
                .theme
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok()),
            adaptive_mfa: match client.protection.adaptive_mfa {
                AdaptiveMfa::Never => "never",
                AdaptiveMfa::HighRisk => "high-risk",
                AdaptiveMfa::Always => "always",
            }
            .into(),
            human_check: client.protection.human_check,
            breached_password_check: client.protection.breached_password_check,
            groups_claim: client.groups_claim.clone(),
            custom_claims: client.claims.custom.clone(),
            roles_prefix: client.claims.roles_prefix.clone(),
            profile: client.profile.clone(),
            access_token_ttl: client.access_token_ttl,
            id_token_ttl: client.id_token_ttl,
            refresh_token_ttl: client.refresh_token_ttl,
        }
    }

    /// The settings of a stored client (the inverse of the `stored_` forms).
    pub fn theme_from_stored(stored: Option<&str>) -> Option<Value> {
        let stored = stored?;
        if stored.trim_start().starts_with('{') {
            serde_json::from_str(stored).ok()
        } else {
            Some(Value::String(stored.to_string()))
        }
    }
}

/// A registered client as the admin API shows it: its settings, whether a secret is
/// set (never the secret or its hash), and when it was made, changed and disabled (Unix
/// milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientResource {
    #[serde(flatten)]
    pub settings: ClientSettings,
    pub has_secret: bool,
    pub created_at: u64,
    pub updated_at: u64,
    pub disabled_at: Option<u64>,
}

/// The first thing wrong with a registration: the field and what is wrong with it,
/// worded for the operator who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub field: &'static str,
    pub problem: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

pub(crate) fn refuse<T>(field: &'static str, problem: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        field,
        problem: problem.into(),
    })
}

pub(crate) fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Client ids go into URLs, form bodies and Basic credentials: 1–128 unreserved
/// characters, starting with a letter or digit.
pub fn parse_client_id(id: &str) -> Result<&str, Refusal> {
    let bytes = id.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
    if ok {
        Ok(id)
    } else {
        refuse(
            "id",
            format!(
                "invalid client id {}: use 1–128 of A–Z a–z 0–9 . _ ~ - (starting with a letter or digit)",
                quoted(id)
            ),
        )
    }
}

fn parse_name(name: Option<&str>) -> Result<String, Refusal> {
    let name = match name {
        Some(name) if !name.trim().is_empty() => name,
        _ => return refuse("name", "is required and must not be blank"),
    };
    if name.chars().any(|c| c.is_control()) {
        return refuse("name", "must not contain control characters");
    }
    if name.chars().count() > 100 {
        return refuse("name", "must be at most 100 characters");
    }
    Ok(name.trim().to_string())
}

/// The parts of an absolute URL that the rules look at.
pub(crate) struct UrlParts<'a> {
    /// Lower case.
    pub(crate) scheme: String,
    /// Everything between `//` and the path, query or fragment (`None`: no `//`).
    pub(crate) authority: Option<&'a str>,
    /// Lower case, without user information and port.
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

pub(crate) fn parse_url<'a>(value: &'a str, field: &'static str) -> Result<UrlParts<'a>, Refusal> {
    if value.is_empty() {
        return refuse(field, "must not be empty");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse(
            field,
            format!(
                "{} contains whitespace or control characters",
                quoted(value)
            ),
        );
    }
    let not_absolute = || refuse(field, format!("{} is not an absolute URL", quoted(value)));
    let Some((scheme, rest)) = value.split_once(':') else {
        return not_absolute();
    };
    let scheme_ok = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return not_absolute();
    }
    let scheme = scheme.to_ascii_lowercase();
    let Some(after) = rest.strip_prefix("//") else {
        // `javascript:…`, `mailto:…`: absolute, but without a host.
        return Ok(UrlParts {
            scheme,
            authority: None,
            host: String::new(),
            port: None,
        });
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rfind(':') {
        Some(i) if !host_port[i..].contains(']') => (&host_port[..i], Some(&host_port[i + 1..])),
        _ => (host_port, None),
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) => match digits.parse::<u16>() {
            Ok(port) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return not_absolute(),
        },
    };
    if host.is_empty() && matches!(scheme.as_str(), "http" | "https") {
        return not_absolute();
    }
    Ok(UrlParts {
        scheme,
        authority: Some(authority),
        host: host.to_ascii_lowercase(),
        port,
    })
}

pub(crate) fn check_scheme_and_host(
    url: &UrlParts,
    value: &str,
    field: &'static str,
) -> Result<(), Refusal> {
    let loopback = matches!(url.host.as_str(), "localhost" | "127.0.0.1");
    if url.scheme == "https" || (url.scheme == "http" && loopback) {
        return Ok(());
    }
    refuse(
        field,
        format!(
            "{} must use https (http only for localhost or 127.0.0.1)",
            quoted(value)
        ),
    )
}

/// A redirect URI (RFC 6749 §3.1.2): absolute, https or http on loopback, no fragment
/// (§3.1.2: "MUST NOT include a fragment component"), no user information.
pub fn parse_redirect_uri(value: &str, field: &'static str) -> Result<String, Refusal> {
    let url = parse_url(value, field)?;
    check_scheme_and_host(&url, value, field)?;
    if value.contains('#') {
        return refuse(
            field,
            format!("{} must not contain a fragment (#…)", quoted(value)),
        );
    }
    if url.authority.is_some_and(|a| a.contains('@')) {
        return refuse(
            field,
            format!(
                "{} must not contain user information (user:pass@)",
                quoted(value)
            ),
        );
    }
    if url.authority.is_none_or(str::is_empty) {
        return refuse(
            field,
            format!("{} must be of the form scheme://host/path", quoted(value)),
        );
    }
    Ok(value.to_string())
}

/// A web origin as browsers send it in `Origin` (RFC 6454 §6.2): `scheme://host[:port]`,
/// lower case, no default port, no path. The edge compares it exactly, so it must
/// already be in that form.
pub fn parse_origin(value: &str) -> Result<String, Refusal> {
    const FIELD: &str = "allowed_origins";
    let url = parse_url(value, FIELD)?;
    check_scheme_and_host(&url, value, FIELD)?;
    let default_port = match url.scheme.as_str() {
        "https" => 443,
        _ => 80,
    };
    let host_ok = url
        .host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    let user_info = url.authority.is_some_and(|a| a.contains('@'));
    let canonical = match url.port.filter(|p| *p != default_port) {
        Some(port) => format!("{}://{}:{port}", url.scheme, url.host),
        None => format!("{}://{}", url.scheme, url.host),
    };
    if canonical == value && host_ok && !user_info {
        return Ok(value.to_string());
    }
    let hint = if host_ok && !url.host.is_empty() {
        format!("; did you mean {}?", quoted(&canonical))
    } else {
        String::new()
    };
    refuse(
        FIELD,
        format!(
            "{} must be exactly scheme://host[:port], without path or trailing slash{hint}",
            quoted(value)
        ),
    )
}

/// A scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`.
pub fn parse_scope(value: &str) -> Result<String, Refusal> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
    if ok {
        Ok(value.to_string())
    } else {
        refuse(
            "allowed_scopes",
            format!("invalid scope {} (RFC 6749 §3.3)", quoted(value)),
        )
    }
}

fn parse_grant_type(value: &str) -> Result<String, Refusal> {
    if GRANT_TYPES.contains(&value) {
        Ok(value.to_string())
    } else {
        refuse(
            "grant_types",
            format!(
                "unknown grant type {}: use {}",
                quoted(value),
                GRANT_TYPES.join(", ")
            ),
        )
    }
}

/// A lifetime within its rule's bounds.
pub fn parse_ttl(value: Option<&TtlInput>, rule: TtlRule) -> Result<u64, Refusal> {
    let seconds = match value {
        None => return Ok(rule.default),
        Some(TtlInput::Seconds(seconds)) => Some(*seconds),
        Some(TtlInput::Text(text)) => {
            let (digits, unit) = match text.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], Some(c)),
                _ => (text.as_str(), None),
            };
            let factor = match unit {
                None | Some('s') => Some(1),
                Some('m') => Some(60),
                Some('h') => Some(3600),
                Some('d') => Some(86_400),
                Some(_) => None,
            };
            let number = (!digits.is_empty()
                && digits.len() <= 9
                && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<u64>().ok())
            .flatten();
            match (number, factor) {
                (Some(n), Some(f)) => Some(n * f),
                _ => None,
            }
        }
    };
    let Some(seconds) = seconds else {
        return refuse(
            rule.field,
            "use seconds, or a number with s, m, h or d".to_string(),
        );
    };
    if seconds < rule.min || seconds > rule.max {
        return refuse(
            rule.field,
            format!(
                "must be between {} and {} seconds (got {seconds})",
                rule.min, rule.max
            ),
        );
    }
    Ok(seconds)
}

/// A group name, or a prefix ending in `*`, for the `groups` claim.
pub fn parse_group_pattern(value: &str) -> Result<String, Refusal> {
    let pattern = value.trim();
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if pattern.is_empty()
        || pattern.chars().count() > 200
        || pattern.chars().any(char::is_control)
        || body.contains('*')
    {
        return refuse(
            "groups_claim",
            format!(
                "invalid pattern {}: a group name, or a prefix ending in *",
                quoted(value)
            ),
        );
    }
    Ok(pattern.to_string())
}

fn one_of(
    value: Option<&str>,
    default: &str,
    allowed: &[&str],
    field: &'static str,
) -> Result<String, Refusal> {
    let value = value.unwrap_or(default);
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        refuse(
            field,
            format!(
                "unknown value {}: one of {}",
                quoted(value),
                allowed.join(", ")
            ),
        )
    }
}

fn parse_theme_input(theme: Option<&Value>) -> Result<Option<Value>, Refusal> {
    match theme {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(preset)) if portcullis_shared::theme::PRESETS.contains(&preset.as_str()) => {
            Ok(Some(Value::String(preset.clone())))
        }
        Some(Value::String(preset)) => refuse(
            "theme",
            format!(
                "unknown theme {}: one of {}",
                quoted(preset),
                portcullis_shared::theme::PRESETS.join(", ")
            ),
        ),
        Some(theme @ Value::Object(_)) => match parse_theme(&theme.to_string()) {
            Some(_) => Ok(Some(theme.clone())),
            None => refuse(
                "theme",
                "is not a valid theme (see shared/src/theme.rs: light, dark, color_scheme, radius_px, space_px, font, button, with #rrggbb colours)",
            ),
        },
        Some(_) => refuse("theme", "must be a preset name or a theme object"),
    }
}

/// Scopes whose meaning the standards or this provider fix: not for custom claims.
const STANDARD_SCOPES: [&str; 9] = [
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
    "account",
    "groups",
    ROLES_SCOPE,
];

/// Claims a custom claim may not be: what tokens rely on (the same list token hooks
/// are held to) and what this provider sets itself.
fn reserved_claim(name: &str) -> bool {
    RESERVED_CLAIMS.contains(&name)
        || matches!(
            name,
            "groups" | "roles" | "address" | "phone_number_verified"
        )
        || crate::profile::attribute(name).is_some_and(|a| a.scope.is_some())
}

/// Custom claims: each a claim name of 1–64 lower-case letters, digits and `_`
/// (starting with a letter) that no standard claim has, carried by a custom scope the
/// client is allowed, each claim once.
fn parse_custom_claims(
    claims: &[CustomClaim],
    allowed_scopes: &[String],
) -> Result<Vec<CustomClaim>, Refusal> {
    const FIELD: &str = "custom_claims";
    let mut seen: Vec<&str> = Vec::new();
    for custom in claims {
        let name = custom.claim.as_str();
        let shaped = name.len() <= 64
            && name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !shaped {
            return refuse(
                FIELD,
                format!(
                    "invalid claim name {}: 1–64 of a–z 0–9 _, starting with a letter",
                    quoted(name)
                ),
            );
        }
        if reserved_claim(name) {
            return refuse(
                FIELD,
                format!(
                    "{} is a standard claim and cannot be a custom one",
                    quoted(name)
                ),
            );
        }
        if seen.contains(&name) {
            return refuse(FIELD, format!("the claim {} is given twice", quoted(name)));
        }
        seen.push(name);
        parse_scope(&custom.scope).map_err(|r| Refusal { field: FIELD, ..r })?;
        if STANDARD_SCOPES.contains(&custom.scope.as_str()) {
            return refuse(
                FIELD,
                format!(
                    "{} is a standard scope; custom claims need a scope of their own",
                    quoted(&custom.scope)
                ),
            );
        }
        if !allowed_scopes.contains(&custom.scope) {
            return refuse(
                FIELD,
                format!(
                    "the scope {} of claim {} is not among the client's allowed_scopes",
                    quoted(&custom.scope),
                    quoted(name)
                ),
            );
        }
    }
    Ok(claims.to_vec())
}

/// The `roles` prefix: 1–100 characters, no control characters or `*`; the client must
/// be allowed the `roles` scope that asks for the claim.
fn parse_roles_prefix(
    prefix: Option<&str>,
    allowed_scopes: &[String],
) -> Result<Option<String>, Refusal> {
    const FIELD: &str = "roles_prefix";
    let Some(prefix) = prefix else {
        return Ok(None);
    };
    if prefix.is_empty()
        || prefix.chars().count() > 100
        || prefix.chars().any(|c| c.is_control() || c == '*')
    {
        return refuse(
            FIELD,
            format!(
                "invalid prefix {}: 1–100 characters, without * or control characters",
                quoted(prefix)
            ),
        );
    }
    if !allowed_scopes.iter().any(|s| s == ROLES_SCOPE) {
        return refuse(
            FIELD,
            "needs the roles scope among the client's allowed_scopes",
        );
    }
    Ok(Some(prefix.to_string()))
}

/// Keeps the first of each value, in order.
pub(crate) fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = Vec::with_capacity(values.len());
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

pub(crate) fn each<T>(
    values: &[String],
    parse: impl Fn(&str) -> Result<T, Refusal>,
) -> Result<Vec<T>, Refusal> {
    values.iter().map(|v| parse(v)).collect()
}

/// A complete, valid client from `input`; `generated_id` is the id when none was given.
/// Names the first problem otherwise.
pub fn validate(input: &ClientInput, generated_id: &str) -> Result<ClientSettings, Refusal> {
    let client_type = match input.client_type.as_deref().unwrap_or("public") {
        "public" => ClientType::Public,
        "confidential" => ClientType::Confidential,
        other => {
            return refuse(
                "client_type",
                format!("invalid type {}: use public or confidential", quoted(other)),
            )
        }
    };
    let id = parse_client_id(input.id.as_deref().unwrap_or(generated_id))?.to_string();
    let name = parse_name(input.name.as_deref())?;
    let redirect_uris = unique(each(&input.redirect_uris, |v| {
        parse_redirect_uri(v, "redirect_uris")
    })?);
    let allowed_origins = unique(each(&input.allowed_origins, parse_origin)?);
    let post_logout_redirect_uris = unique(each(&input.post_logout_redirect_uris, |v| {
        parse_redirect_uri(v, "post_logout_redirect_uris")
    })?);
    let allowed_scopes = match unique(each(&input.allowed_scopes, parse_scope)?) {
        scopes if scopes.is_empty() => DEFAULT_SCOPES.map(String::from).to_vec(),
        scopes => scopes,
    };
    let grant_types = match unique(each(&input.grant_types, parse_grant_type)?) {
        grants if grants.is_empty() => DEFAULT_GRANT_TYPES.map(String::from).to_vec(),
        grants => grants,
    };
    let grants = |g: &str| grant_types.iter().any(|t| t == g);
    if grants("client_credentials") && client_type != ClientType::Confidential {
        return refuse(
            "grant_types",
            "client_credentials is only for confidential clients (RFC 6749 §4.4)",
        );
    }
    if grants("refresh_token") && !grants("authorization_code") {
        return refuse(
            "grant_types",
            "refresh_token needs authorization_code: refresh tokens are issued only from an authorization code",
        );
    }
    if grants("authorization_code") && redirect_uris.is_empty() {
        return refuse(
            "redirect_uris",
            "authorization_code needs at least one redirect URI",
        );
    }
    let any_redirect = !(redirect_uris.is_empty() && post_logout_redirect_uris.is_empty());
    if any_redirect && !grants("authorization_code") {
        return refuse(
            "redirect_uris",
            "redirect URIs are only used with the authorization_code grant",
        );
    }
    let access_token_ttl = parse_ttl(input.access_token_ttl.as_ref(), ACCESS_TOKEN_TTL)?;
    let id_token_ttl = parse_ttl(input.id_token_ttl.as_ref(), ID_TOKEN_TTL)?;
    let refresh_token_ttl = parse_ttl(input.refresh_token_ttl.as_ref(), REFRESH_TOKEN_TTL)?;
    let patterns = input.groups_claim.as_deref().unwrap_or_default();
    let groups_claim = match unique(each(patterns, parse_group_pattern)?) {
        patterns if patterns.is_empty() => None,
        patterns => Some(patterns),
    };
    let custom_claims = parse_custom_claims(&input.custom_claims, &allowed_scopes)?;
    let roles_prefix = parse_roles_prefix(input.roles_prefix.as_deref(), &allowed_scopes)?;
    crate::profile::policy::check(&input.profile, &allowed_scopes)
        .or_else(|problem| refuse("profile", problem))?;
    let email_verification = one_of(
        input.email_verification.as_deref(),
        "optional",
        &EMAIL_VERIFICATION,
        "email_verification",
    )?;
    let adaptive_mfa = one_of(
        input.adaptive_mfa.as_deref(),
        "never",
        &ADAPTIVE_MFA,
        "adaptive_mfa",
    )?;
    let mfa = one_of(input.mfa.as_deref(), "off", &MFA_POLICIES, "mfa")?;
    let theme = parse_theme_input(input.theme.as_ref())?;
    Ok(ClientSettings {
        id,
        name,
        client_type,
        redirect_uris,
        allowed_origins,
        allowed_scopes,
        grant_types,
        post_logout_redirect_uris,
        email_verification,
        mfa,
        email_second_factor: input.email_second_factor,
        theme,
        adaptive_mfa,
        human_check: input.human_check,
        breached_password_check: input.breached_password_check,
        groups_claim,
        custom_claims,
        roles_prefix,
        profile: input.profile.clone(),
        access_token_ttl,
        id_token_ttl,
        refresh_token_ttl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> ClientInput {
        serde_json::from_value(value).unwrap()
    }

    fn refused(value: Value) -> Refusal {
        validate(&input(value), "generated").unwrap_err()
    }

    fn app(extra: Value) -> Value {
        let mut base = json!({"name": "App", "redirect_uris": ["https://app.example/cb"]});
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        base
    }

    #[test]
    fn rfc6749_3_1_2_redirect_uris_are_absolute_https_or_loopback_http_without_fragment() {
        for ok in [
            "https://shop.example/callback",
            "https://shop.example:8443/cb?tenant=a",
            "http://localhost:3000/cb",
            "http://127.0.0.1:8080/cb",
            "https://a.example/cb?x='",
        ] {
            assert_eq!(parse_redirect_uri(ok, "redirect_uris").as_deref(), Ok(ok));
        }
        let problem = |v: &str| parse_redirect_uri(v, "redirect_uris").unwrap_err().problem;
        assert!(problem("/callback").contains("not an absolute URL"));
        assert!(problem("shop.example/cb").contains("not an absolute URL"));
        assert!(problem("http://shop.example/cb").contains("must use https"));
        assert!(problem("http://localhost.evil.example/cb").contains("must use https"));
        assert!(problem("http://localhost@evil.example/cb").contains("must use https"));
        assert!(problem("javascript:alert(1)").contains("must use https"));
        assert!(problem("https://shop.example/cb#frag").contains("fragment"));
        assert!(problem("https://shop.example/cb#").contains("fragment"));
        assert!(problem("https://user:pw@shop.example/cb").contains("user information"));
        assert!(problem("https://shop.example/c b").contains("whitespace"));
        assert!(problem("https:shop.example/cb").contains("scheme://host/path"));
        assert!(problem("https://shop.example:99999/cb").contains("not an absolute URL"));
        assert!(problem("").contains("empty"));
    }

    #[test]
    fn rfc6454_6_2_origins_are_exactly_scheme_host_port() {
        assert_eq!(
            parse_origin("https://shop.example").as_deref(),
            Ok("https://shop.example")
        );
        assert_eq!(
            parse_origin("http://localhost:8787").as_deref(),
            Ok("http://localhost:8787")
        );
        let problem = |v: &str| parse_origin(v).unwrap_err().problem;
        assert!(problem("https://shop.example/").contains("did you mean \"https://shop.example\""));
        assert!(problem("https://shop.example/path").contains("scheme://host"));
        assert!(problem("https://Shop.example").contains("did you mean \"https://shop.example\""));
        assert!(
            problem("https://shop.example:443").contains("did you mean \"https://shop.example\"")
        );
        assert!(problem("HTTPS://shop.example").contains("did you mean \"https://shop.example\""));
        assert!(problem("https://u@shop.example").contains("scheme://host"));
        assert!(problem("http://shop.example").contains("must use https"));
        assert!(problem("null").contains("not an absolute URL"));
    }

    #[test]
    fn grant_types_known_ones_only_and_client_credentials_only_for_confidential_clients() {
        let plain = validate(&input(app(json!({}))), "x").unwrap();
        assert_eq!(plain.grant_types, ["authorization_code", "refresh_token"]);
        assert!(refused(app(json!({"grant_types": ["password"]})))
            .problem
            .contains("unknown grant type \"password\""));
        assert!(refused(app(json!({"grant_types": ["implicit"]})))
            .problem
            .contains("unknown grant type"));
        let api = json!({"name": "API", "grant_types": ["client_credentials"]});
        assert!(refused(api.clone())
            .problem
            .contains("only for confidential"));
        let mut confidential = api;
        confidential["client_type"] = json!("confidential");
        let api = validate(&input(confidential), "x").unwrap();
        assert_eq!(api.grant_types, ["client_credentials"]);
        assert_eq!(api.redirect_uris, Vec::<String>::new());
        let no_uri = refused(json!({"name": "App", "grant_types": ["authorization_code"]}));
        assert_eq!(no_uri.field, "redirect_uris");
        assert!(no_uri.problem.contains("at least one redirect URI"));
        assert!(refused(app(json!({"grant_types": ["refresh_token"]})))
            .problem
            .contains("needs authorization_code"));
        let stray = refused(json!({"name": "API", "client_type": "confidential",
            "grant_types": ["client_credentials"], "post_logout_redirect_uris": ["https://a.example/bye"]}));
        assert!(stray
            .problem
            .contains("only used with the authorization_code grant"));
    }

    #[test]
    fn ids_names_types_scopes_and_lifetimes_are_checked() {
        for bad in ["a b", "-x", "x'--", ""] {
            assert_eq!(refused(app(json!({"id": bad}))).field, "id", "{bad}");
        }
        assert_eq!(
            validate(&input(app(json!({}))), "gen-1").unwrap().id,
            "gen-1"
        );
        assert_eq!(refused(app(json!({"name": "  "}))).field, "name");
        assert_eq!(
            refused(json!({"redirect_uris": ["https://a.example/cb"]})).field,
            "name"
        );
        assert!(refused(app(json!({"name": "a\u{7}b"})))
            .problem
            .contains("control"));
        assert!(refused(app(json!({"name": "x".repeat(101)})))
            .problem
            .contains("100"));
        assert_eq!(
            validate(&input(app(json!({"name": " Shop "}))), "x")
                .unwrap()
                .name,
            "Shop"
        );
        assert!(refused(app(json!({"client_type": "private"})))
            .problem
            .contains("public or confidential"));
        assert!(refused(app(json!({"allowed_scopes": ["a\"b"]})))
            .problem
            .contains("invalid scope"));
        let scoped = validate(
            &input(app(
                json!({"allowed_scopes": ["openid", "email", "api:read", "email"]}),
            )),
            "x",
        )
        .unwrap();
        assert_eq!(scoped.allowed_scopes, ["openid", "email", "api:read"]);
        assert_eq!(
            validate(&input(app(json!({}))), "x")
                .unwrap()
                .allowed_scopes,
            DEFAULT_SCOPES
        );
        let ttl = |v: Value| validate(&input(app(v)), "x");
        assert_eq!(
            ttl(json!({"access_token_ttl": "5m"}))
                .unwrap()
                .access_token_ttl,
            300
        );
        assert_eq!(
            ttl(json!({"access_token_ttl": 90}))
                .unwrap()
                .access_token_ttl,
            90
        );
        assert_eq!(
            ttl(json!({"refresh_token_ttl": "30d"}))
                .unwrap()
                .refresh_token_ttl,
            2_592_000
        );
        assert!(ttl(json!({"access_token_ttl": "0"}))
            .unwrap_err()
            .problem
            .contains("between 60 and 86400"));
        assert!(ttl(json!({"id_token_ttl": "ten"}))
            .unwrap_err()
            .problem
            .contains("use seconds"));
        assert!(ttl(json!({"id_token_ttl": "10w"}))
            .unwrap_err()
            .problem
            .contains("use seconds"));
        assert!(ttl(json!({"id_token_ttl": "9999999999"}))
            .unwrap_err()
            .problem
            .contains("use seconds"));
    }

    #[test]
    fn adaptive_mfa_protection_mfa_and_email_take_known_values_only() {
        let plain = validate(&input(app(json!({}))), "x").unwrap();
        assert_eq!(
            (
                plain.adaptive_mfa.as_str(),
                plain.mfa.as_str(),
                plain.email_verification.as_str()
            ),
            ("never", "off", "optional")
        );
        assert!(!plain.human_check && !plain.breached_password_check);
        assert!(!plain.email_second_factor && !plain.to_client(None).email_second_factor);
        let guarded = validate(
            &input(app(json!({"adaptive_mfa": "high-risk", "human_check": true,
                "breached_password_check": true, "mfa": "required", "email_verification": "required",
                "email_second_factor": true}))),
            "x",
        )
        .unwrap();
        assert_eq!(guarded.stored_adaptive_mfa(), "high_risk");
        assert!(guarded.human_check && guarded.breached_password_check);
        let client = guarded.to_client(None);
        assert!(client.email_second_factor);
        assert!(ClientSettings::of_client(&client).email_second_factor);
        assert!(
            serde_json::from_value::<ClientInput>(json!({"email_second_factor": "yes"})).is_err()
        );
        for (field, value) in [
            ("adaptive_mfa", "sometimes"),
            ("adaptive_mfa", "high_risk"),
            ("mfa", "maybe"),
            ("email_verification", "verified"),
        ] {
            let refusal = refused(app(json!({ field: value })));
            assert_eq!(refusal.field, field);
            assert!(refusal.problem.contains("unknown value"));
        }
    }

    #[test]
    fn custom_claims_need_a_custom_allowed_scope_and_a_name_no_standard_claim_has() {
        let scopes = json!(["openid", "hr", "roles"]);
        let with = |claims: Value| {
            validate(
                &input(app(
                    json!({"allowed_scopes": scopes.clone(), "custom_claims": claims}),
                )),
                "x",
            )
        };
        let ok = with(json!([{"scope": "hr", "claim": "employee_id", "attribute": "external_id"}]))
            .unwrap();
        assert_eq!(ok.custom_claims[0].attribute, ProfileAttribute::ExternalId);
        assert_eq!(ok.to_client(None).claims.custom, ok.custom_claims);
        for (claims, problem) in [
            (
                json!([{"scope": "hr", "claim": "sub", "attribute": "email"}]),
                "standard claim",
            ),
            (
                json!([{"scope": "hr", "claim": "email", "attribute": "email"}]),
                "standard claim",
            ),
            (
                json!([{"scope": "hr", "claim": "roles", "attribute": "email"}]),
                "standard claim",
            ),
            (
                json!([{"scope": "hr", "claim": "Employee", "attribute": "email"}]),
                "invalid claim name",
            ),
            (
                json!([{"scope": "email", "claim": "work_email", "attribute": "email"}]),
                "standard scope",
            ),
            (
                json!([{"scope": "payroll", "claim": "pay", "attribute": "email"}]),
                "allowed_scopes",
            ),
            (
                json!([{"scope": "hr", "claim": "a", "attribute": "email"},
                    {"scope": "hr", "claim": "a", "attribute": "name"}]),
                "twice",
            ),
        ] {
            let refusal = with(claims.clone()).unwrap_err();
            assert_eq!(refusal.field, "custom_claims");
            assert!(
                refusal.problem.contains(problem),
                "{claims}: {}",
                refusal.problem
            );
        }
        // An attribute that is not a profile attribute is not even a client resource.
        assert!(
            serde_json::from_value::<ClientInput>(json!({"custom_claims":
            [{"scope": "hr", "claim": "pw", "attribute": "password_hash"}]}))
            .is_err()
        );

        let roles = |prefix: &str, scopes: Value| {
            validate(
                &input(app(
                    json!({"allowed_scopes": scopes, "roles_prefix": prefix}),
                )),
                "x",
            )
        };
        assert_eq!(
            roles("shop-", scopes.clone())
                .unwrap()
                .roles_prefix
                .as_deref(),
            Some("shop-")
        );
        assert_eq!(
            roles("shop-*", scopes.clone()).unwrap_err().field,
            "roles_prefix"
        );
        assert_eq!(roles("", scopes).unwrap_err().field, "roles_prefix");
        assert!(roles("shop-", json!(["openid"]))
            .unwrap_err()
            .problem
            .contains("roles scope"));
    }

    #[test]
    fn group_patterns_themes_and_unknown_fields() {
        let groups = validate(
            &input(app(
                json!({"groups_claim": ["shop-*", " Admins ", "shop-*"]}),
            )),
            "x",
        )
        .unwrap();
        assert_eq!(
            groups.groups_claim,
            Some(vec!["shop-*".into(), "Admins".into()])
        );
        for bad in ["", "a*b", "**", "x\u{1}"] {
            assert_eq!(
                refused(app(json!({"groups_claim": [bad]}))).field,
                "groups_claim",
                "{bad:?}"
            );
        }
        assert_eq!(
            validate(&input(app(json!({}))), "x").unwrap().groups_claim,
            None
        );

        let preset = validate(&input(app(json!({"theme": "playful"}))), "x").unwrap();
        assert_eq!(preset.stored_theme().as_deref(), Some("playful"));
        assert!(refused(app(json!({"theme": "loud"})))
            .problem
            .contains("unknown theme"));
        let object =
            serde_json::to_value(portcullis_shared::theme::Theme::preset("midnight").unwrap())
                .unwrap();
        let custom = validate(&input(app(json!({ "theme": object.clone() }))), "x").unwrap();
        assert_eq!(
            ClientSettings::theme_from_stored(custom.stored_theme().as_deref()),
            Some(object.clone())
        );
        let mut broken = object;
        broken["radius_px"] = json!("round");
        assert_eq!(refused(app(json!({ "theme": broken }))).field, "theme");
        assert_eq!(refused(app(json!({"theme": 3}))).field, "theme");

        assert!(
            serde_json::from_value::<ClientInput>(json!({"name": "x", "redirect_uri": []}))
                .is_err()
        );
        // What a read shows may be sent back.
        let shown = serde_json::to_value(ClientResource {
            settings: validate(&input(app(json!({}))), "x").unwrap(),
            has_secret: false,
            created_at: 1,
            updated_at: 2,
            disabled_at: None,
        })
        .unwrap();
        let again = validate(&input(shown), "y").unwrap();
        assert_eq!(again.id, "x");
    }
}
