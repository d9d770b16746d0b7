//! A connection: an upstream provider people sign in with, as data (the `connections`
//! table, managed with `scripts/connections`), and the identities people hold there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::crypto::sealing::{KeyEncryptionKey, OpenFailed};
use crate::time::UnixMillis;

/// How Portcullis talks to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Any OpenID Connect provider, found by Discovery (OIDC Discovery 1.0 §4) from its
    /// issuer: a company's own identity provider, Google, Microsoft Entra ID.
    Oidc,
    /// GitHub (OAuth 2.0 and its REST API; see [`super::github`]).
    Github,
    /// Microsoft's identity platform (work, school and personal accounts): OpenID
    /// Connect by discovery, with the multi-tenant issuer template checked against each
    /// token's `tid`.
    Microsoft,
    /// Sign in with Apple: OpenID Connect by discovery, answered with
    /// `response_mode=form_post`, the client secret an ES256 JWT made at the edge (see
    /// [`super::apple`]).
    Apple,
}

impl ConnectionKind {
    /// The stored form (`connections.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Oidc => "oidc",
            ConnectionKind::Github => "github",
            ConnectionKind::Microsoft => "microsoft",
            ConnectionKind::Apple => "apple",
        }
    }

    /// The stored form (`connections.kind`); `None` for anything else.
    pub fn parse(stored: &str) -> Option<ConnectionKind> {
        match stored {
            "oidc" => Some(ConnectionKind::Oidc),
            "github" => Some(ConnectionKind::Github),
            "microsoft" => Some(ConnectionKind::Microsoft),
            "apple" => Some(ConnectionKind::Apple),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Unreserved characters only: it is a path segment of the callback URL.
    pub id: String,
    pub kind: ConnectionKind,
    /// What the button says: "Continue with {display_name}".
    pub display_name: String,
    /// The provider's issuer identifier (OIDC Discovery §2), compared exactly.
    pub issuer: String,
    /// Portcullis's client id at the provider.
    pub client_id: String,
    /// The client secret, sealed under the key-encryption key for `connection:<id>`.
    pub sealed_client_secret: Option<String>,
    pub scopes: Vec<String>,
    /// Domains whose addresses this provider is trusted to assert when it says they are
    /// verified (Google for `gmail.com`, a company's IdP for its own domain).
    pub trusted_email_domains: Vec<String>,
    /// The clients that offer this connection; `None`: every client.
    pub enabled_clients: Option<Vec<String>>,
    /// Email domains whose addresses, typed on the first screen, go straight to this
    /// provider (home-realm discovery).
    pub home_realm_domains: Vec<String>,
    pub options: ConnectionOptions,
}

/// What Portcullis needs to make Apple's client secret: the ES256 JWT is signed with
/// the connection's sealed private key (Apple's `AuthKey_<key id>.p8`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppleSettings {
    /// The Apple Developer team id: the client secret's `iss`.
    pub team_id: String,
    /// The id of the Sign in with Apple key: the client secret's `kid`.
    pub key_id: String,
}

/// A connection's settings beyond the common ones (the `options` column, JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionOptions {
    /// Only for the `apple` kind, and required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apple: Option<AppleSettings>,
    /// Which upstream claim fills each profile attribute of an account the provider's
    /// answer creates (attribute → claim). Empty: the names from the claims of the same
    /// names (`name`, `given_name`, `family_name`).
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
    /// Whether the provider's userinfo endpoint (OIDC Core §5.3) is asked for claims
    /// after the ID token validated.
    #[serde(default)]
    pub userinfo: bool,
    /// Whether the provider's access and refresh tokens are kept (sealed) for each
    /// identity signing in through it, for the site's back end to call the provider's
    /// API; off: nothing of them outlives the callback.
    #[serde(default)]
    pub store_tokens: bool,
}

/// The claim mapping of a connection that names none.
pub const DEFAULT_CLAIMS: [&str; 3] = ["name", "given_name", "family_name"];

impl ConnectionOptions {
    /// `(profile attribute, upstream claim)` pairs that fill a new account's profile.
    pub fn claim_mapping(&self) -> Vec<(&str, &str)> {
        if self.claims.is_empty() {
            DEFAULT_CLAIMS.iter().map(|c| (*c, *c)).collect()
        } else {
            self.claims
                .iter()
                .map(|(attribute, claim)| (attribute.as_str(), claim.as_str()))
                .collect()
        }
    }
}

impl Connection {
    pub fn enabled_for(&self, client_id: &str) -> bool {
        self.enabled_clients
            .as_ref()
            .is_none_or(|clients| clients.iter().any(|c| c == client_id))
    }

    /// Whether the provider's word that `email` is verified is enough to link it to a
    /// local account with that address.
    pub fn trusts_email(&self, email: &str) -> bool {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        self.trusted_email_domains
            .iter()
            .any(|trusted| trusted.eq_ignore_ascii_case(domain))
    }

    /// Whether an address at `domain` goes straight to this provider.
    pub fn claims_domain(&self, domain: &str) -> bool {
        self.home_realm_domains
            .iter()
            .any(|claimed| claimed.eq_ignore_ascii_case(domain))
    }

    /// The record a sealed client secret is bound to.
    pub fn secret_record(id: &str) -> String {
        format!("connection:{id}")
    }

    /// Opens the client secret, if the connection has one.
    pub fn client_secret(&self, kek: &KeyEncryptionKey) -> Result<Option<String>, OpenFailed> {
        let Some(sealed) = &self.sealed_client_secret else {
            return Ok(None);
        };
        let bytes = kek.open(sealed, &Connection::secret_record(&self.id))?;
        String::from_utf8(bytes).map(Some).map_err(|_| OpenFailed)
    }
}

/// A person's identity at a provider, linked to their account: `(connection, subject)`,
/// never an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedIdentity {
    pub id: String,
    pub connection_id: String,
    /// The provider's `sub`: unique and never reassigned within its issuer.
    pub subject: String,
    pub user_id: String,
    /// The address the provider gave when it was linked (shown, never matched on).
    pub email: Option<String>,
    pub created_at: UnixMillis,
    pub last_used_at: Option<UnixMillis>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{key_encryption_key, oidc_connection, SeededRandom};

    #[test]
    fn trust_is_per_domain_exactly() {
        let mut connection = oidc_connection("corp", "https://idp.example");
        connection.trusted_email_domains = vec!["example.com".into()];
        assert!(connection.trusts_email("ada@example.com"));
        assert!(connection.trusts_email("ada@EXAMPLE.com"));
        assert!(!connection.trusts_email("ada@sub.example.com"));
        assert!(!connection.trusts_email("ada@example.com.evil.test"));
        assert!(!connection.trusts_email("example.com"));
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_own_connection() {
        let kek = key_encryption_key(1);
        let random = SeededRandom::new(7);
        let mut connection = oidc_connection("corp", "https://idp.example");
        connection.sealed_client_secret = Some(
            kek.seal(b"s3cret", &Connection::secret_record("corp"), &random)
                .unwrap(),
        );
        assert_eq!(
            connection.client_secret(&kek).unwrap().as_deref(),
            Some("s3cret")
        );
        connection.id = "other".into();
        assert!(connection.client_secret(&kek).is_err());
    }

    #[test]
    fn enabled_clients_limit_where_the_button_shows() {
        let mut connection = oidc_connection("corp", "https://idp.example");
        assert!(connection.enabled_for("demo"));
        connection.enabled_clients = Some(vec!["other".into()]);
        assert!(!connection.enabled_for("demo"));
    }
}
