//! A client's profiling policy: which profile attributes it asks for and when, and the
//! documents (terms, privacy policy, its own purposes) a person agrees to, each with its
//! current version and the SHA-256 of its text.
//!
//! Set per client through `/admin/v1/clients` and `scripts/clients` (`profile` field,
//! checked here for both); a client without one asks nothing. After a sign-in, the flow
//! asks the person for what [`ProfilePolicy::due`] returns before it ends (see
//! `crate::flows::profiling`).
//!
//! - `sign_up`: asked at the person's first sign-in to the client (their sign-up).
//! - `sign_in` with `n`: asked at their `n`th sign-in to the client ("later").
//! - `scope` with a scope: asked whenever the client asks that scope.
//!
//! An attribute already set is never asked again. A `required` attribute is asked at
//! every sign-in from its moment on until it is set, and the sign-in cannot end without
//! it; an optional one is asked at its moment only, and may be skipped. A required
//! document is asked whenever the person's current consent is not to its current version
//! (a new version asks again); an optional one at the first sign-in only.

use portcullis_shared::profile::{AskedAttribute, ConsentDocument};
use serde::{Deserialize, Serialize};

use super::{attribute, Access};
use crate::users::User;

/// When an attribute is asked for, written `sign_up`, `sign_in:3` or `scope:phone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Ask {
    SignUp,
    SignIn { n: u32 },
    Scope { scope: String },
}

impl TryFrom<String> for Ask {
    type Error = String;

    fn try_from(value: String) -> Result<Ask, String> {
        let bad = || format!("invalid ask {value:?}: use sign_up, sign_in:N or scope:NAME");
        match value.split_once(':') {
            None if value == "sign_up" => Ok(Ask::SignUp),
            Some(("sign_in", n)) => Ok(Ask::SignIn {
                n: n.parse().map_err(|_| bad())?,
            }),
            Some(("scope", scope)) if !scope.is_empty() => Ok(Ask::Scope {
                scope: scope.to_string(),
            }),
            _ => Err(bad()),
        }
    }
}

impl From<Ask> for String {
    fn from(ask: Ask) -> String {
        match ask {
            Ask::SignUp => "sign_up".into(),
            Ask::SignIn { n } => format!("sign_in:{n}"),
            Ask::Scope { scope } => format!("scope:{scope}"),
        }
    }
}

/// One attribute a client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeRule {
    pub attribute: String,
    pub ask: Ask,
    #[serde(default)]
    pub required: bool,
}

/// A client's profiling policy (`profile` in its settings).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePolicy {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<ConsentDocument>,
}

/// A consent purpose's current state for the person: the version they last granted.
pub struct Granted<'a> {
    pub purpose: &'a str,
    pub version: &'a str,
}

/// What a sign-in must ask before it ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Due {
    pub attributes: Vec<AskedAttribute>,
    pub documents: Vec<ConsentDocument>,
}

impl Due {
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.documents.is_empty()
    }
}

impl ProfilePolicy {
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.documents.is_empty()
    }

    /// What to ask `user` at their `sign_in`th sign-in (1: the first) to a client asking
    /// `scope`, given the purposes they have granted (each one's newest record).
    pub fn due(
        &self,
        user: &User,
        sign_in: u32,
        scope_asked: impl Fn(&str) -> bool,
        granted: &[Granted<'_>],
    ) -> Due {
        let attributes = self
            .attributes
            .iter()
            .filter_map(|rule| {
                let schema = attribute(&rule.attribute)?;
                if schema.value_of(user).is_some() {
                    return None;
                }
                let now = match &rule.ask {
                    Ask::SignUp if rule.required => true,
                    Ask::SignUp => sign_in == 1,
                    Ask::SignIn { n } if rule.required => sign_in >= *n,
                    Ask::SignIn { n } => sign_in == *n,
                    Ask::Scope { scope } => scope_asked(scope),
                };
                now.then(|| AskedAttribute {
                    attribute: schema.view(),
                    required: rule.required,
                })
            })
            .collect();
        let documents = self
            .documents
            .iter()
            .filter(|doc| {
                let current = granted.iter().find(|g| g.purpose == doc.purpose);
                match current {
                    Some(g) if g.version == doc.version => false,
                    Some(_) => doc.required,
                    None => doc.required || sign_in == 1,
                }
            })
            .cloned()
            .collect();
        Due {
            attributes,
            documents,
        }
    }
}

/// Checks a policy as an operator wrote it, against the profile schema and the client's
/// allowed scopes; the problem, for the `profile` field's refusal.
pub fn check(policy: &ProfilePolicy, allowed_scopes: &[String]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    for rule in &policy.attributes {
        let Some(schema) = attribute(&rule.attribute) else {
            return Err(format!(
                "no profile attribute is named {:?}",
                rule.attribute
            ));
        };
        if schema.access != Access::Person {
            return Err(format!(
                "{:?} is not an attribute the person may fill in",
                rule.attribute
            ));
        }
        if seen.contains(&rule.attribute.as_str()) {
            return Err(format!("{:?} is listed twice", rule.attribute));
        }
        seen.push(&rule.attribute);
        match &rule.ask {
            Ask::SignIn { n } if *n < 2 => {
                return Err(format!(
                    "{:?}: sign_in n starts at 2 (the first sign-in is sign_up)",
                    rule.attribute
                ))
            }
            Ask::Scope { scope } if !allowed_scopes.contains(scope) => {
                return Err(format!(
                    "{:?}: the scope {scope:?} is not among the client's allowed_scopes",
                    rule.attribute
                ))
            }
            _ => {}
        }
    }
    let mut purposes: Vec<&str> = Vec::new();
    for doc in &policy.documents {
        if !portcullis_shared::consent::valid_purpose(&doc.purpose) {
            return Err(format!("invalid purpose {:?}", doc.purpose));
        }
        if !portcullis_shared::consent::valid_version(&doc.version) {
            return Err(format!("invalid version of {:?}", doc.purpose));
        }
        if !portcullis_shared::consent::valid_sha256_hex(&doc.text_sha256) {
            return Err(format!(
                "text_sha256 of {:?} is not 64 lower-case hex digits",
                doc.purpose
            ));
        }
        if doc
            .url
            .as_deref()
            .is_some_and(|u| !u.starts_with("https://") && !u.starts_with("http://"))
        {
            return Err(format!(
                "the url of {:?} is not an http(s) URL",
                doc.purpose
            ));
        }
        if purposes.contains(&doc.purpose.as_str()) {
            return Err(format!("{:?} is listed twice", doc.purpose));
        }
        purposes.push(&doc.purpose);
    }
    Ok(())
}
