//! What a connection must be: the one set of rules behind the admin API's
//! `/admin/v1/connections` and `scripts/connections` (which runs them through the
//! `connection-settings` program of this crate), so a connection accepted by one is
//! accepted by the other.
//!
//! [`validate`] turns what an operator sent ([`ConnectionInput`], JSON) into the complete
//! settings of a connection ([`ConnectionSettings`]), or names the first field that is
//! wrong ([`Refusal`]). The client secret is checked here too but is never part of the
//! settings: whoever stores it seals it first, and nothing reads it back.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::connection::{Connection, ConnectionKind};
use crate::client_settings::{
    check_scheme_and_host, each, parse_client_id, parse_url, quoted, refuse, unique, Refusal,
};

/// The kinds an operator may choose, as written in `kind`.
pub const KINDS: [&str; 3] = ["oidc", "github", "microsoft"];
/// github.com itself; any other `github` issuer is a GitHub Enterprise Server.
pub const GITHUB_COM: &str = "https://github.com";
/// The scopes a `github` connection asks for when none are given: the profile and the
/// addresses.
pub const GITHUB_DEFAULT_SCOPES: [&str; 2] = ["read:user", "user:email"];
/// Microsoft's multi-tenant endpoints (any work, school or personal account).
pub const MICROSOFT_COMMON: &str = "https://login.microsoftonline.com/common/v2.0";
/// The scopes an OpenID Connect connection asks for when none are given.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];
/// The highest `position` (buttons are shown by position, then id).
pub const MAX_POSITION: u32 = 1000;
/// The longest client id or client secret accepted (providers' are far shorter).
pub const MAX_CREDENTIAL_CHARS: usize = 1024;

/// A connection as an operator describes it. Absent fields take their defaults; the
/// read-only fields of [`ConnectionResource`] may be sent back and are ignored; any other
/// field is refused (a typo never silently keeps a default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub display_name: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Write-only: sealed before it is stored, never in an answer.
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub trusted_email_domains: Vec<String>,
    /// Domains whose addresses go straight to this provider (home-realm discovery).
    #[serde(default)]
    pub home_realm_domains: Vec<String>,
    /// `null` or absent: every client offers the connection.
    pub enabled_clients: Option<Vec<String>>,
    pub position: Option<u32>,
    pub enabled: Option<bool>,
    // Read-only fields of a resource sent back (GET, edit, PUT): ignored.
    #[serde(default)]
    pub has_secret: Option<IgnoredAny>,
    #[serde(default)]
    pub created_at: Option<IgnoredAny>,
    #[serde(default)]
    pub updated_at: Option<IgnoredAny>,
    #[serde(default)]
    pub callback_url: Option<IgnoredAny>,
}

/// A connection's complete, valid settings: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSettings {
    pub id: String,
    pub kind: ConnectionKind,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub trusted_email_domains: Vec<String>,
    pub home_realm_domains: Vec<String>,
    pub enabled_clients: Option<Vec<String>>,
    pub position: u32,
    pub enabled: bool,
}

impl ConnectionSettings {
    /// The connection the sign-in flows use, with its sealed secret.
    pub fn connection(&self, sealed_client_secret: Option<String>) -> Connection {
        Connection {
            id: self.id.clone(),
            kind: self.kind,
            display_name: self.display_name.clone(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            sealed_client_secret,
            scopes: self.scopes.clone(),
            trusted_email_domains: self.trusted_email_domains.clone(),
            enabled_clients: self.enabled_clients.clone(),
            home_realm_domains: self.home_realm_domains.clone(),
        }
    }
}

/// What a change does to the sealed client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChange<'a> {
    Keep,
    /// The new secret, sealed.
    Set(&'a str),
    Remove,
}

/// A stored connection as the admin API shows it: never the secret, only whether one
/// is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionResource {
    #[serde(flatten)]
    pub settings: ConnectionSettings,
    pub has_secret: bool,
    pub created_at: u64,
    pub updated_at: u64,
}

/// A connection id is a path segment of the callback URL (`/callback/{id}`) that the
/// provider must know exactly: 1–63 of `a–z 0–9 _ -`, starting with a letter or digit.
pub fn parse_connection_id(id: &str) -> Result<String, Refusal> {
    let bytes = id.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    if ok {
        Ok(id.to_string())
    } else {
        refuse(
            "id",
            format!(
                "invalid connection id {}: use 1–63 of a–z 0–9 _ - (starting with a letter or digit)",
                quoted(id)
            ),
        )
    }
}

fn parse_kind(kind: Option<&str>) -> Result<ConnectionKind, Refusal> {
    let kind = kind.unwrap_or("oidc");
    match ConnectionKind::parse(kind) {
        Some(parsed) if KINDS.contains(&kind) => Ok(parsed),
        _ => refuse(
            "kind",
            format!("unknown kind {}: one of {}", quoted(kind), KINDS.join(", ")),
        ),
    }
}

/// What the button says after "Continue with": 1–100 characters, no control characters.
fn parse_display_name(name: Option<&str>) -> Result<String, Refusal> {
    const FIELD: &str = "display_name";
    let name = match name {
        Some(name) if !name.trim().is_empty() => name,
        _ => return refuse(FIELD, "is required and must not be blank"),
    };
    if name.chars().any(char::is_control) {
        return refuse(FIELD, "must not contain control characters");
    }
    if name.chars().count() > 100 {
        return refuse(FIELD, "must be at most 100 characters");
    }
    Ok(name.trim().to_string())
}

/// An issuer identifier (OIDC Discovery 1.0 §2, RFC 8414 §2): https (plain http only
/// to this machine), with no query, fragment or user information. Compared exactly
/// with the provider's `iss`, so kept exactly as given.
pub fn parse_issuer(value: Option<&str>) -> Result<String, Refusal> {
    const FIELD: &str = "issuer";
    let Some(value) = value else {
        return refuse(FIELD, "is required");
    };
    let url = parse_url(value, FIELD)?;
    check_scheme_and_host(&url, value, FIELD)?;
    if value.contains(['?', '#']) {
        return refuse(
            FIELD,
            format!("{} must have no query or fragment", quoted(value)),
        );
    }
    if url
        .authority
        .is_none_or(|a| a.is_empty() || a.contains('@'))
    {
        return refuse(
            FIELD,
            format!(
                "{} must be https://host[/path], without user information",
                quoted(value)
            ),
        );
    }
    Ok(value.to_string())
}

/// A credential Portcullis holds at the provider: 1–1024 characters, no whitespace or
/// control characters at either end or inside.
fn parse_credential(value: &str, field: &'static str) -> Result<String, Refusal> {
    if value.is_empty() {
        return refuse(field, "must not be empty");
    }
    if value.chars().count() > MAX_CREDENTIAL_CHARS {
        return refuse(
            field,
            format!("must be at most {MAX_CREDENTIAL_CHARS} characters"),
        );
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse(field, "must not contain whitespace or control characters");
    }
    Ok(value.to_string())
}

/// A scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`.
fn parse_scope(value: &str) -> Result<String, Refusal> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
    if ok {
        Ok(value.to_string())
    } else {
        refuse(
            "scopes",
            format!("invalid scope {} (RFC 6749 §3.3)", quoted(value)),
        )
    }
}

/// An email domain the provider is trusted to assert verified addresses of: a DNS
/// name of at least two labels, stored in lower case.
pub fn parse_email_domain(value: &str) -> Result<String, Refusal> {
    parse_domain(value, "trusted_email_domains")
}

/// An email domain (a DNS name of at least two labels) for `field`, in lower case.
fn parse_domain(value: &str, field: &'static str) -> Result<String, Refusal> {
    let domain = value.trim().to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let top_ok = labels
        .last()
        .is_some_and(|top| top.len() >= 2 && top.bytes().all(|b| b.is_ascii_alphabetic()));
    if domain.len() <= 253 && labels.len() >= 2 && labels.iter().all(|l| label_ok(l)) && top_ok {
        Ok(domain)
    } else {
        refuse(field, format!("invalid email domain {}", quoted(value)))
    }
}

fn parse_enabled_client(value: &str) -> Result<String, Refusal> {
    parse_client_id(value)
        .map(str::to_string)
        .map_err(|refusal| Refusal {
            field: "enabled_clients",
            problem: refusal.problem,
        })
}

/// A complete, valid connection from `input`, or the first problem.
pub fn validate(input: &ConnectionInput) -> Result<ConnectionSettings, Refusal> {
    let id = match input.id.as_deref() {
        Some(id) => parse_connection_id(id)?,
        None => return refuse("id", "is required"),
    };
    let kind = parse_kind(input.kind.as_deref())?;
    let display_name = parse_display_name(input.display_name.as_deref())?;
    // A preset knows its provider's issuer; an operator may still name another (a
    // GitHub Enterprise Server).
    let issuer = match (kind, input.issuer.as_deref()) {
        (ConnectionKind::Github, None) => GITHUB_COM.to_string(),
        (ConnectionKind::Microsoft, None) => MICROSOFT_COMMON.to_string(),
        (_, issuer) => parse_issuer(issuer)?,
    };
    let client_id = match input.client_id.as_deref() {
        Some(value) => parse_credential(value, "client_id")?,
        None => {
            return refuse(
                "client_id",
                "(Portcullis's client id at the provider) is required",
            )
        }
    };
    if let Some(secret) = input.client_secret.as_deref() {
        parse_credential(secret, "client_secret")?;
    }
    let scopes = match &input.scopes {
        None if kind == ConnectionKind::Github => GITHUB_DEFAULT_SCOPES.map(String::from).to_vec(),
        None => DEFAULT_SCOPES.map(String::from).to_vec(),
        Some(scopes) => unique(each(scopes, parse_scope)?),
    };
    if kind != ConnectionKind::Github && !scopes.iter().any(|s| s == "openid") {
        return refuse("scopes", "must include openid (OIDC Core §3.1.2.1)");
    }
    let trusted_email_domains = unique(each(&input.trusted_email_domains, parse_email_domain)?);
    if kind == ConnectionKind::Microsoft
        && !trusted_email_domains.is_empty()
        && ["/common/", "/organizations/", "/consumers/"]
            .iter()
            .any(|tenant| issuer.contains(tenant))
    {
        return refuse(
            "trusted_email_domains",
            "a multi-tenant Microsoft connection cannot be trusted for a domain: any tenant \
             can assert any address; use the issuer of your own tenant instead",
        );
    }
    let home_realm_domains = unique(each(&input.home_realm_domains, |d| {
        parse_domain(d, "home_realm_domains")
    })?);
    let enabled_clients = match &input.enabled_clients {
        None => None,
        Some(clients) if clients.is_empty() => {
            return refuse(
                "enabled_clients",
                "must list at least one client, or be null for every client (disable the connection to hide it)",
            )
        }
        Some(clients) => Some(unique(each(clients, parse_enabled_client)?)),
    };
    let position = input.position.unwrap_or(0);
    if position > MAX_POSITION {
        return refuse("position", format!("must be 0–{MAX_POSITION}"));
    }
    Ok(ConnectionSettings {
        id,
        kind,
        display_name,
        issuer,
        client_id,
        scopes,
        trusted_email_domains,
        home_realm_domains,
        enabled_clients,
        position,
        enabled: input.enabled.unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(value: serde_json::Value) -> ConnectionInput {
        serde_json::from_value(value).unwrap()
    }

    fn corp() -> serde_json::Value {
        json!({"id": "corp", "display_name": "Corp SSO", "issuer": "https://idp.example",
               "client_id": "portcullis"})
    }

    fn refused(value: serde_json::Value) -> Refusal {
        validate(&input(value)).unwrap_err()
    }

    fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
        let mut connection = corp();
        connection[field] = value;
        connection
    }

    #[test]
    fn a_minimal_connection_takes_the_defaults() {
        let settings = validate(&input(corp())).unwrap();
        assert_eq!(settings.kind, ConnectionKind::Oidc);
        assert_eq!(settings.scopes, ["openid", "email", "profile"]);
        assert!(settings.trusted_email_domains.is_empty());
        assert_eq!(settings.enabled_clients, None);
        assert_eq!(settings.position, 0);
        assert!(settings.enabled);
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases = [
            (with("id", json!("Corp")), "id"),
            (with("id", json!("a/b")), "id"),
            (with("id", json!("x".repeat(64))), "id"),
            (with("kind", json!("saml")), "kind"),
            (with("display_name", json!("  ")), "display_name"),
            (with("display_name", json!("a\u{7}b")), "display_name"),
            (with("issuer", json!("ftp://idp.example")), "issuer"),
            (with("issuer", json!("http://idp.example")), "issuer"),
            (
                with("issuer", json!("https://idp.example/?tenant=1")),
                "issuer",
            ),
            (with("issuer", json!("https://idp.example/#x")), "issuer"),
            (with("issuer", json!("https://user@idp.example")), "issuer"),
            (with("issuer", json!("idp.example")), "issuer"),
            (with("client_id", json!("")), "client_id"),
            (with("client_id", json!("a b")), "client_id"),
            (with("client_secret", json!("")), "client_secret"),
            (
                with("client_secret", json!("x".repeat(1025))),
                "client_secret",
            ),
            (with("scopes", json!(["email"])), "scopes"),
            (with("scopes", json!(["openid", "a\"b"])), "scopes"),
            (
                with("trusted_email_domains", json!(["localhost"])),
                "trusted_email_domains",
            ),
            (
                with("trusted_email_domains", json!(["*.example.com"])),
                "trusted_email_domains",
            ),
            (
                with("trusted_email_domains", json!(["a..example"])),
                "trusted_email_domains",
            ),
            (
                with("home_realm_domains", json!(["example"])),
                "home_realm_domains",
            ),
            (with("enabled_clients", json!([])), "enabled_clients"),
            (with("enabled_clients", json!(["a b"])), "enabled_clients"),
            (with("position", json!(1001)), "position"),
        ];
        for (value, field) in cases {
            assert_eq!(refused(value.clone()).field, field, "{value}");
        }
        let mut no_id = corp();
        no_id.as_object_mut().unwrap().remove("id");
        assert_eq!(refused(no_id).field, "id");
        let mut no_issuer = corp();
        no_issuer.as_object_mut().unwrap().remove("issuer");
        assert_eq!(refused(no_issuer).field, "issuer");
    }

    #[test]
    fn the_github_preset_defaults_to_github_com_and_its_scopes() {
        let mut value = corp();
        value["kind"] = json!("github");
        value.as_object_mut().unwrap().remove("issuer");
        let settings = validate(&input(value.clone())).unwrap();
        assert_eq!(settings.kind, ConnectionKind::Github);
        assert_eq!(settings.issuer, "https://github.com");
        assert_eq!(settings.scopes, ["read:user", "user:email"]);
        value["issuer"] = json!("https://git.corp.example");
        value["scopes"] = json!(["user:email"]);
        let enterprise = validate(&input(value)).unwrap();
        assert_eq!(enterprise.issuer, "https://git.corp.example");
        assert_eq!(enterprise.scopes, ["user:email"], "no openid needed");
    }

    #[test]
    fn the_microsoft_preset_is_multi_tenant_by_default_and_then_trusted_for_no_domain() {
        let mut value = corp();
        value["kind"] = json!("microsoft");
        value.as_object_mut().unwrap().remove("issuer");
        value["trusted_email_domains"] = json!([]);
        let settings = validate(&input(value.clone())).unwrap();
        assert_eq!(settings.issuer, MICROSOFT_COMMON);
        value["trusted_email_domains"] = json!(["example.com"]);
        assert_eq!(refused(value.clone()).field, "trusted_email_domains");
        value["issuer"] =
            json!("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0");
        assert!(validate(&input(value)).is_ok(), "one tenant may be trusted");
    }

    #[test]
    fn plain_http_issuers_only_on_this_machine() {
        for issuer in ["http://localhost:9000", "http://127.0.0.1:9000/oidc"] {
            assert!(validate(&input(with("issuer", json!(issuer)))).is_ok());
        }
    }

    #[test]
    fn lists_are_kept_in_order_without_repeats_and_domains_in_lower_case() {
        let mut value = corp();
        value["scopes"] = json!(["openid", "email", "openid"]);
        value["trusted_email_domains"] = json!(["Example.COM", "example.com"]);
        value["enabled_clients"] = json!(["demo", "shop", "demo"]);
        let settings = validate(&input(value)).unwrap();
        assert_eq!(settings.scopes, ["openid", "email"]);
        assert_eq!(settings.trusted_email_domains, ["example.com"]);
        assert_eq!(settings.enabled_clients.unwrap(), ["demo", "shop"]);
    }

    #[test]
    fn unknown_fields_are_refused_and_read_only_ones_ignored() {
        assert!(serde_json::from_value::<ConnectionInput>(with("issuer_url", json!("x"))).is_err());
        let mut value = corp();
        value["has_secret"] = json!(true);
        value["created_at"] = json!(1);
        assert!(validate(&input(value)).is_ok());
    }

    #[test]
    fn the_secret_is_checked_but_never_part_of_the_settings() {
        let settings = validate(&input(with("client_secret", json!("s3cret")))).unwrap();
        assert!(!serde_json::to_string(&settings).unwrap().contains("s3cret"));
    }
}
