//! People who sign in, and their SSO sessions.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::time::UnixMillis;

/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets; 254 for the address itself.
pub const MAX_EMAIL_LEN: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created by an administrator or a provisioning system and not yet activated: no
    /// way of signing in works and no email goes to the address (Okta's STAGED).
    Staged,
    Active,
    Suspended,
    /// Deactivated by an administrator (Okta's DEPROVISIONED): no sign-in, every token
    /// and grant dead, the profile kept so the account can be activated again.
    Deactivated,
    /// Deleted: personal data erased, the pseudonymous id kept for the System Log.
    Deprovisioned,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "staged",
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
            UserStatus::Deactivated => "deactivated",
            UserStatus::Deprovisioned => "deprovisioned",
        }
    }

    pub fn parse(value: &str) -> Option<UserStatus> {
        match value {
            "staged" => Some(UserStatus::Staged),
            "active" => Some(UserStatus::Active),
            "suspended" => Some(UserStatus::Suspended),
            "deactivated" => Some(UserStatus::Deactivated),
            "deprovisioned" => Some(UserStatus::Deprovisioned),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Opaque and stable: the `sub` claim.
    pub id: String,
    /// Normalised with [`normalize_email`].
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The provisioning system's own id for the person (SCIM `externalId`).
    pub external_id: Option<String>,
    /// Argon2id PHC string; `None` for accounts without a password.
    pub password_hash: Option<String>,
    pub status: UserStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    pub last_login_at: Option<UnixMillis>,
    /// Tokens and grants issued before this instant are dead (set by a password reset).
    pub tokens_valid_after: Option<UnixMillis>,
    /// The profile attributes kept beyond the columns above, by name, each checked
    /// against [`crate::profile::SCHEMA`].
    pub profile: Profile,
}

/// Profile attributes by name (see [`crate::profile`]).
pub type Profile = std::collections::BTreeMap<String, serde_json::Value>;

impl User {
    /// What the person's grants keep of them (see [`Holder`]).
    pub fn holder(&self) -> Holder {
        Holder {
            status: self.status,
            email: self.email.clone(),
            email_verified: self.email_verified,
            name: self.name.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            external_id: self.external_id.clone(),
            tokens_valid_after: self.tokens_valid_after,
            profile: self.profile.clone(),
            groups: None,
        }
    }
}

/// What a grant keeps of the person it was made for, in its Durable Object, so that
/// refresh, userinfo and introspection answer without reading the person from D1: their
/// standing (status, `tokens_valid_after`) and the claims tokens and userinfo release.
/// Every change to these goes to each of the person's grants as it is made (see
/// [`crate::holders`]); an erased person's grants keep nothing of the address or names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub status: UserStatus,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The provisioning system's id, for clients that map it into a custom claim.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Tokens and grants issued before this instant are dead (set by a password reset).
    pub tokens_valid_after: Option<UnixMillis>,
    /// The profile attributes, for the claims their scopes release.
    #[serde(default, skip_serializing_if = "Profile::is_empty")]
    pub profile: Profile,
    /// The names of the person's groups, by name, for the `groups` and `roles` claims;
    /// `None` in a grant stored before grants kept them (the claims then read the group
    /// store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl Holder {
    /// Whether a grant created at `created_at` is still honoured: not if the password
    /// was reset after it (with token revocation).
    pub fn accepts_grant_from(&self, created_at: UnixMillis) -> bool {
        self.tokens_valid_after
            .is_none_or(|after| created_at >= after)
    }

    /// [`Holder::accepts_grant_from`] for a token's `iat` (seconds): a token minted in
    /// the second of the reset is given the benefit of the doubt.
    pub fn accepts_token_issued_at(&self, iat_seconds: u64) -> bool {
        self.tokens_valid_after
            .is_none_or(|after| iat_seconds >= after.as_seconds())
    }
}

/// An SSO session: who signed in, when and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    /// When the person last authenticated (OIDC `auth_time`).
    pub auth_time: UnixMillis,
    /// Authentication methods used (RFC 8176), e.g. `["pwd"]`.
    pub amr: crate::amr::Amr,
    pub expires_at: UnixMillis,
}

/// The email address was not plausible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEmail;

/// Normalises an email address for storage and lookup: trimmed, NFC, lower case.
///
/// Lower-casing the local part is a deliberate choice (RFC 5321 lets it be case
/// sensitive, but no mainstream provider treats it so, and people type either case).
/// Only the shape is checked (one `@`, non-empty local part, a dotted domain, no spaces
/// or controls); whether the address receives mail is for verification to show.
pub fn normalize_email(raw: &str) -> Result<String, InvalidEmail> {
    let email: String = raw.trim().nfc().collect::<String>().to_lowercase();
    if email.len() > MAX_EMAIL_LEN || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail);
    }
    let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(InvalidEmail);
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_nfc() {
        assert_eq!(
            normalize_email("  Ada.Lovelace@Example.COM ").unwrap(),
            "ada.lovelace@example.com"
        );
        // "é" typed as e + combining acute becomes the precomposed form.
        assert_eq!(
            normalize_email("Re\u{301}ne@example.fr").unwrap(),
            "r\u{e9}ne@example.fr"
        );
    }

    #[test]
    fn implausible_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
            "a@b.com.",
        ] {
            assert_eq!(normalize_email(bad), Err(InvalidEmail), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(normalize_email(&long), Err(InvalidEmail));
    }
}
