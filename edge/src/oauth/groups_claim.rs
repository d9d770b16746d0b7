//! The `groups` claim: a person's groups, as a client maps them, in ID and access
//! tokens. It appears only when the client maps groups (its `groups_claim` patterns)
//! and the `groups` scope was asked for and granted, and it lists only the groups the
//! patterns match (exact names, or prefixes ending in `*`), so one client never learns
//! the person's other memberships. Deciding what a group allows stays with the client's
//! API, which reads the claim.

use crate::clients::Client;
use crate::oauth::tokens::Subject;
use crate::ports::{Ports, StoreError};

/// The scope that asks for the claim.
pub const GROUPS_SCOPE: &str = "groups";

/// Whether `pattern` (an exact name, or a prefix ending in `*`) matches `group`.
fn matches(pattern: &str, group: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => group.starts_with(prefix),
        None => pattern == group,
    }
}

/// The names of `groups` that `client` maps, in order.
pub fn mapped(client: &Client, groups: &[String]) -> Option<Vec<String>> {
    let patterns = client.groups_claim.as_ref()?;
    Some(
        groups
            .iter()
            .filter(|g| patterns.iter().any(|p| matches(p, g)))
            .cloned()
            .collect(),
    )
}

/// The claim for the tokens of `subject`, if it gets one.
pub async fn for_subject(
    ports: &Ports<'_>,
    subject: &Subject<'_>,
) -> Result<Option<Vec<String>>, StoreError> {
    let Some(person) = subject.person else {
        return Ok(None);
    };
    if subject.client.groups_claim.is_none() || !subject.scopes.has(GROUPS_SCOPE) {
        return Ok(None);
    }
    let names = crate::holders::groups_of(ports, person.id, person.holder).await?;
    Ok(mapped(subject.client, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_sees_only_the_groups_it_maps() {
        let client = Client {
            groups_claim: Some(vec!["shop-*".into(), "Admins".into()]),
            ..crate::testing::demo_client()
        };
        let groups: Vec<String> = ["shop-buyers", "Admins", "admins", "hr-payroll", "shop"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            mapped(&client, &groups),
            Some(vec!["shop-buyers".to_string(), "Admins".to_string()])
        );
        assert_eq!(mapped(&crate::testing::demo_client(), &groups), None);
    }
}
