//! Claims a client declares for itself: custom scopes that carry claims taken from the
//! person's profile, and a `roles` claim made of the person's groups that start with the
//! client's prefix (the prefix removed). Like the `groups` claim (see
//! [`crate::oauth::groups_claim`]) they appear in ID and access tokens only when their
//! scope was asked for and granted; what a claim allows stays with the client's API.

use serde_json::{Map, Value};

use crate::clients::Client;
pub use crate::clients::{ClaimMapping, CustomClaim, ProfileAttribute};
pub use crate::oauth::claim_names::{ROLES_CLAIM, ROLES_SCOPE};
use crate::oauth::tokens::Subject;
use crate::ports::{Ports, StoreError};
use crate::users::Holder;

/// Whether a person signing in to `client` may be asked for `scope`: a scope this
/// deployment defines, or one of the client's custom claim scopes.
pub fn supports_person_scope(client: &Client, scope: &str) -> bool {
    crate::oauth::authorization_request::SUPPORTED_SCOPES.contains(&scope)
        || client.has_custom_claim_scope(scope)
}

/// `attribute`'s value for `user` (as their grant keeps them), if it has one.
pub fn attribute_of(attribute: ProfileAttribute, user: &Holder) -> Option<Value> {
    let text = |value: &Option<String>| value.clone().map(Value::String);
    match attribute {
        ProfileAttribute::Name => text(&user.name),
        ProfileAttribute::GivenName => text(&user.given_name),
        ProfileAttribute::FamilyName => text(&user.family_name),
        ProfileAttribute::Email => Some(Value::String(user.email.clone())),
        ProfileAttribute::EmailVerified => Some(Value::Bool(user.email_verified)),
        ProfileAttribute::ExternalId => text(&user.external_id),
    }
}

/// The roles in `groups` for `prefix`: the names that start with it, without it, in
/// order; a group named exactly the prefix gives no role.
pub fn roles(prefix: &str, groups: &[String]) -> Vec<String> {
    groups
        .iter()
        .filter_map(|g| g.strip_prefix(prefix))
        .filter(|role| !role.is_empty())
        .map(str::to_string)
        .collect()
}

/// The claims `mapping` gives `user` for the `granted` scopes, with the person's group
/// names for `roles`.
pub fn claims(
    mapping: &ClaimMapping,
    user: &Holder,
    granted: &crate::oauth::scope::Scopes,
    groups: Option<&[String]>,
) -> Map<String, Value> {
    let mut claims = Map::new();
    for custom in mapping.custom.iter().filter(|c| granted.has(&c.scope)) {
        if let Some(value) = attribute_of(custom.attribute, user) {
            claims.insert(custom.claim.clone(), value);
        }
    }
    if let (Some(prefix), Some(groups)) = (&mapping.roles_prefix, groups) {
        if granted.has(ROLES_SCOPE) {
            let roles = roles(prefix, groups)
                .into_iter()
                .map(Value::String)
                .collect();
            claims.insert(ROLES_CLAIM.into(), Value::Array(roles));
        }
    }
    claims
}

/// The client's claims for the tokens of `subject` (none for a client's own token).
pub async fn for_subject(
    ports: &Ports<'_>,
    subject: &Subject<'_>,
) -> Result<Map<String, Value>, StoreError> {
    let Some(person) = subject.person else {
        return Ok(Map::new());
    };
    let mapping = &subject.client.claims;
    let wants_roles = mapping.roles_prefix.is_some() && subject.scopes.has(ROLES_SCOPE);
    let groups = if wants_roles {
        Some(crate::holders::groups_of(ports, person.id, person.holder).await?)
    } else {
        None
    };
    Ok(claims(
        mapping,
        person.holder,
        subject.scopes,
        groups.as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scope::Scopes;

    fn mapping() -> ClaimMapping {
        ClaimMapping {
            custom: vec![
                CustomClaim {
                    scope: "hr".into(),
                    claim: "employee_id".into(),
                    attribute: ProfileAttribute::ExternalId,
                },
                CustomClaim {
                    scope: "hr".into(),
                    claim: "full_name".into(),
                    attribute: ProfileAttribute::Name,
                },
                CustomClaim {
                    scope: "mail".into(),
                    claim: "work_email".into(),
                    attribute: ProfileAttribute::Email,
                },
            ],
            roles_prefix: Some("shop-".into()),
        }
    }

    #[test]
    fn custom_claims_appear_only_for_their_granted_scope_and_only_with_a_value() {
        let user = crate::users::User {
            external_id: Some("E-42".into()),
            name: None,
            ..crate::testing::user("u1", "ada@example.com")
        }
        .holder();
        let hr = claims(&mapping(), &user, &Scopes::parse("openid hr"), None);
        assert_eq!(hr.get("employee_id"), Some(&Value::String("E-42".into())));
        assert!(!hr.contains_key("full_name"), "no name, no claim");
        assert!(!hr.contains_key("work_email"), "mail was not granted");
        assert!(!hr.contains_key("roles"));
        assert!(claims(&mapping(), &user, &Scopes::parse("openid email"), None).is_empty());
    }

    #[test]
    fn roles_are_the_groups_with_the_clients_prefix_without_it_and_only_for_the_roles_scope() {
        let groups: Vec<String> = [
            "shop-admins",
            "hr-payroll",
            "shop-",
            "Shop-buyers",
            "shop-buyers",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(roles("shop-", &groups), ["admins", "buyers"]);
        let user = crate::testing::user("u1", "ada@example.com").holder();
        let with = claims(
            &mapping(),
            &user,
            &Scopes::parse("openid roles"),
            Some(&groups),
        );
        assert_eq!(with["roles"], serde_json::json!(["admins", "buyers"]));
        let without = claims(&mapping(), &user, &Scopes::parse("openid"), Some(&groups));
        assert!(!without.contains_key("roles"));
        let none = ClaimMapping::default();
        assert!(claims(
            &none,
            &user,
            &Scopes::parse("openid roles hr"),
            Some(&groups)
        )
        .is_empty());
    }
}
