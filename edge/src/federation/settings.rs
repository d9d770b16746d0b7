//! What a connection must be: the one set of rules behind the admin API's
//! `/admin/v1/connections` and `scripts/connections` (which runs them through the
//! `connection-settings` program of this crate), so a connection accepted by one is
//! accepted by the other.
//!
//! [`validate`] turns what an operator sent ([`ConnectionInput`], JSON) into the complete
//! settings of a connection ([`ConnectionSettings`]), or names the first field that is
//! wrong ([`Refusal`]). The client secret is checked here too but is never part of the
//! settings: whoever stores it seals it first, and nothing reads it back.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::connection::{AppleSettings, Connection, ConnectionKind, ConnectionOptions};
use crate::client_settings::{
    check_scheme_and_host, each, parse_client_id, parse_url, quoted, refuse, unique, Refusal,
};

/// The kinds an operator may choose, as written in `kind`.
pub const KINDS: [&str; 4] = ["oidc", "github", "microsoft", "apple"];
/// github.com itself; any other `github` issuer is a GitHub Enterprise Server.
pub const GITHUB_COM: &str = "https://github.com";
/// The scopes a `github` connection asks for when none are given: the profile and the
/// addresses.
pub const GITHUB_DEFAULT_SCOPES: [&str; 2] = ["read:user", "user:email"];
/// Microsoft's multi-tenant endpoints (any work, school or personal account).
pub const MICROSOFT_COMMON: &str = "https://login.microsoftonline.com/common/v2.0";
/// Apple's issuer.
pub const APPLE: &str = "https://appleid.apple.com";
/// The scopes an `apple` connection asks for when none are given (Apple's `name` and
/// `email`; the name arrives only on the first consent).
pub const APPLE_DEFAULT_SCOPES: [&str; 3] = ["openid", "name", "email"];
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
    /// Required for the `apple` kind: the team id and key id of its client secret.
    pub apple: Option<AppleSettings>,
    /// Profile attribute → upstream claim, for accounts the provider's answer creates.
    pub claims: Option<BTreeMap<String, String>>,
    /// Whether the provider's userinfo endpoint is asked too.
    pub userinfo: Option<bool>,
    /// Whether the provider's tokens are kept, sealed, for each identity.
    pub store_tokens: Option<bool>,
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
    #[serde(flatten)]
    pub options: ConnectionOptions,
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
            options: self.options.clone(),
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
        (ConnectionKind::Apple, None) => APPLE.to_string(),
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
    match input.client_secret.as_deref() {
        // Apple's "secret" is the private key the edge signs the client secret with.
        Some(key)
            if kind == ConnectionKind::Apple
                && crate::crypto::es256::Es256Signer::from_pkcs8_pem("check", key).is_err() =>
        {
            return refuse(
                "client_secret",
                "must be the Sign in with Apple private key (the AuthKey_….p8 file: a \
                 PKCS #8 P-256 key in PEM)",
            );
        }
        Some(_) if kind == ConnectionKind::Apple => {}
        Some(secret) => {
            parse_credential(secret, "client_secret")?;
        }
        None => {}
    }
    let scopes = match &input.scopes {
        None if kind == ConnectionKind::Github => GITHUB_DEFAULT_SCOPES.map(String::from).to_vec(),
        None if kind == ConnectionKind::Apple => APPLE_DEFAULT_SCOPES.map(String::from).to_vec(),
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
    let options = parse_options(kind, input)?;
    Ok(ConnectionSettings {
        options,
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

/// A stored connection's home-realm domains, as [`check_home_realm_claims`] compares
/// them (what `scripts/connections` reads from the database).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HomeRealmClaim {
    pub id: String,
    pub home_realm_domains: Vec<String>,
}

/// Refuses `settings` when another of `all` (the stored connections) already claims one
/// of its home-realm domains: an address there would go to whichever comes first, so a
/// domain names one provider.
pub fn check_home_realms(
    settings: &ConnectionSettings,
    all: &[ConnectionResource],
) -> Result<(), Refusal> {
    check_home_realm_claims(
        settings,
        all.iter().map(|c| {
            (
                c.settings.id.as_str(),
                c.settings.home_realm_domains.as_slice(),
            )
        }),
    )
}

/// [`check_home_realms`] against `(connection id, its home-realm domains)` pairs.
pub fn check_home_realm_claims<'a>(
    settings: &ConnectionSettings,
    claims: impl IntoIterator<Item = (&'a str, &'a [String])>,
) -> Result<(), Refusal> {
    for (id, domains) in claims.into_iter().filter(|(id, _)| *id != settings.id) {
        if let Some(domain) = settings
            .home_realm_domains
            .iter()
            .find(|d| domains.contains(d))
        {
            return refuse(
                "home_realm_domains",
                format!(
                    "{} is claimed by connection {} already: a domain goes to one provider",
                    quoted(domain),
                    quoted(id)
                ),
            );
        }
    }
    Ok(())
}

/// An Apple team or key id: ten of `A–Z 0–9`, as Apple issues them.
fn parse_apple_id(value: &str) -> Result<String, Refusal> {
    if value.len() == 10
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(value.to_string())
    } else {
        refuse(
            "apple",
            format!(
                "invalid Apple id {}: team_id and key_id are ten of A–Z 0–9",
                quoted(value)
            ),
        )
    }
}

/// A claim name: 1–64 of `A–Z a–z 0–9 _ - . :` (Apple's, Google's and Microsoft's all are).
fn parse_claim_name(value: &str) -> Result<String, Refusal> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        Ok(value.to_string())
    } else {
        refuse("claims", format!("invalid claim name {}", quoted(value)))
    }
}

fn parse_options(
    kind: ConnectionKind,
    input: &ConnectionInput,
) -> Result<ConnectionOptions, Refusal> {
    let apple = match (kind, &input.apple) {
        (ConnectionKind::Apple, Some(apple)) => Some(AppleSettings {
            team_id: parse_apple_id(&apple.team_id)?,
            key_id: parse_apple_id(&apple.key_id)?,
        }),
        (ConnectionKind::Apple, None) => {
            return refuse(
                "apple",
                "is required for an apple connection: {\"team_id\": …, \"key_id\": …}",
            )
        }
        (_, Some(_)) => return refuse("apple", "is only for an apple connection"),
        (_, None) => None,
    };
    let mut claims = BTreeMap::new();
    for (attribute, claim) in input.claims.iter().flatten() {
        // Only attributes the person or an administrator keep; never what only the
        // site's own code may set.
        let known = crate::profile::attribute(attribute)
            .is_some_and(|a| a.access != crate::profile::Access::Hook);
        if !known {
            return refuse(
                "claims",
                format!("{} is not a profile attribute", quoted(attribute)),
            );
        }
        claims.insert(attribute.clone(), parse_claim_name(claim)?);
    }
    let userinfo = input.userinfo.unwrap_or(false);
    if userinfo && matches!(kind, ConnectionKind::Github | ConnectionKind::Apple) {
        return refuse(
            "userinfo",
            "this provider has no userinfo endpoint (OIDC Core §5.3)",
        );
    }
    Ok(ConnectionOptions {
        apple,
        claims,
        userinfo,
        store_tokens: input.store_tokens.unwrap_or(false),
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

    fn apple() -> serde_json::Value {
        json!({"id": "apple", "kind": "apple", "display_name": "Apple",
               "client_id": "com.example.web",
               "client_secret": crate::testing::APPLE_AUTH_KEY,
               "apple": {"team_id": "TEAM123456", "key_id": "KEY1234567"}})
    }

    #[test]
    fn the_apple_preset_needs_its_team_and_key_ids_and_a_p256_key_as_its_secret() {
        let settings = validate(&input(apple())).unwrap();
        assert_eq!(settings.issuer, "https://appleid.apple.com");
        assert_eq!(settings.scopes, ["openid", "name", "email"]);
        assert_eq!(
            settings.options.apple.as_ref().unwrap().team_id,
            "TEAM123456"
        );
        let mut no_ids = apple();
        no_ids.as_object_mut().unwrap().remove("apple");
        assert_eq!(refused(no_ids).field, "apple");
        let mut bad_id = apple();
        bad_id["apple"]["key_id"] = json!("key");
        assert_eq!(refused(bad_id).field, "apple");
        let mut not_a_key = apple();
        not_a_key["client_secret"] = json!("s3cret");
        assert_eq!(refused(not_a_key).field, "client_secret");
        assert_eq!(
            refused(with(
                "apple",
                json!({"team_id": "TEAM123456", "key_id": "KEY1234567"})
            ))
            .field,
            "apple",
            "only for an apple connection"
        );
        let mut userinfo = apple();
        userinfo["userinfo"] = json!(true);
        assert_eq!(refused(userinfo).field, "userinfo");
    }

    #[test]
    fn claims_map_profile_attributes_to_claim_names() {
        let settings = validate(&input(with(
            "claims",
            json!({"name": "nickname", "locale": "locale"}),
        )))
        .unwrap();
        assert_eq!(settings.options.claims["name"], "nickname");
        for bad in [
            json!({"crm_segment": "segment"}),
            json!({"shoe_size": "size"}),
            json!({"name": "a b"}),
            json!({"name": ""}),
        ] {
            assert_eq!(
                refused(with("claims", bad.clone())).field,
                "claims",
                "{bad}"
            );
        }
        let mut github = corp();
        github["kind"] = json!("github");
        github["userinfo"] = json!(true);
        assert_eq!(refused(github).field, "userinfo");
        assert!(
            validate(&input(with("userinfo", json!(true))))
                .unwrap()
                .options
                .userinfo
        );
    }

    #[test]
    fn store_tokens_is_off_unless_asked_and_a_boolean() {
        assert!(!validate(&input(corp())).unwrap().options.store_tokens);
        let on = validate(&input(with("store_tokens", json!(true)))).unwrap();
        assert!(on.options.store_tokens);
        // The resource says it back, and what it says reads as the same settings.
        let shown = serde_json::to_value(&on).unwrap();
        assert_eq!(shown["store_tokens"], true);
        assert!(
            serde_json::from_value::<ConnectionInput>(with("store_tokens", json!("yes"))).is_err()
        );
    }

    #[test]
    fn a_home_realm_domain_is_claimed_by_one_connection_only() {
        let claimed =
            validate(&input(with("home_realm_domains", json!(["corp.example"])))).unwrap();
        let stored = |settings: &ConnectionSettings| ConnectionResource {
            settings: settings.clone(),
            has_secret: false,
            created_at: 0,
            updated_at: 0,
        };
        let mut other = corp();
        other["id"] = json!("other");
        other["home_realm_domains"] = json!(["other.example", "Corp.Example"]);
        let other = validate(&input(other)).unwrap();
        let refusal = check_home_realms(&other, &[stored(&claimed)]).unwrap_err();
        assert_eq!(refusal.field, "home_realm_domains");
        assert!(refusal.problem.contains("corp.example") && refusal.problem.contains("corp"));
        // Its own claim (a change to the same connection) is no conflict.
        assert!(check_home_realms(&claimed, &[stored(&claimed)]).is_ok());
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
