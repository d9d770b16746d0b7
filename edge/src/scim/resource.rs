//! The SCIM User resource (RFC 7643 §4.1) and how it maps onto a Portcullis user: one
//! address per person (`userName` is the address, `emails` lists it once), one name
//! (`displayName` and `name.formatted` are the same), `active` for the lifecycle, and
//! `externalId` for the provisioning system's own id. Writes are read into
//! [`UserFields`]; PATCH operations (RFC 7644 §3.5.2) apply to those fields.

use serde_json::{json, Map, Value};

use super::ScimError;
use crate::time::rfc3339;
use crate::users::{normalize_email, User, UserStatus};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Longest name accepted, as elsewhere in the product.
const MAX_NAME_LEN: usize = 200;
const MAX_EXTERNAL_ID_LEN: usize = 255;

/// What an administrator may set on a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    /// Normalised address.
    pub email: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub external_id: Option<String>,
    pub active: bool,
}

impl UserFields {
    pub fn of(user: &User) -> UserFields {
        UserFields {
            email: user.email.clone(),
            name: user.name.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            external_id: user.external_id.clone(),
            active: user.status == UserStatus::Active,
        }
    }

    /// A full resource (POST, PUT): `userName` required; absent optional attributes are
    /// cleared (RFC 7644 §3.5.1), except `active`, which stays as it was (`current`) so
    /// that a replace never re-enables a suspended person by omission.
    pub fn from_resource(body: &Value, current: Option<bool>) -> Result<UserFields, ScimError> {
        let object = resource_object(body, USER_SCHEMA)?;
        let mut fields = UserFields {
            email: String::new(),
            name: None,
            given_name: None,
            family_name: None,
            external_id: None,
            active: current.unwrap_or(true),
        };
        let mut user_name = None;
        let mut emails = None;
        let mut display_name = None;
        for (key, value) in object {
            match key.to_ascii_lowercase().as_str() {
                // RFC 7643 §3.1: read-only attributes sent by the client are ignored.
                "schemas" | "id" | "meta" => {}
                "username" => user_name = Some(value),
                "emails" => emails = Some(value),
                // After `name`, whichever order the body has: a `name` without
                // `formatted` must not clear the `displayName` sent beside it.
                "displayname" => display_name = Some(value),
                other => fields.set(other, value)?,
            }
        }
        if let Some(display_name) = display_name {
            fields.set("displayname", display_name)?;
        }
        let user_name =
            user_name.ok_or_else(|| ScimError::invalid_value("`userName` is required."))?;
        fields.set("username", user_name)?;
        if let Some(emails) = emails {
            fields.check_emails(emails)?;
        }
        Ok(fields)
    }

    /// Sets one top-level attribute (lower-cased name) from a JSON value.
    fn set(&mut self, attribute: &str, value: &Value) -> Result<(), ScimError> {
        match attribute {
            "username" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| ScimError::invalid_value("`userName` must be a string."))?;
                self.email = normalize_email(text).map_err(|_| {
                    ScimError::invalid_value("`userName` must be an email address.")
                })?;
            }
            "emails" => {
                // A replacement list: its primary (or only) address becomes the address.
                let address = primary_email(value)?;
                self.email = address;
            }
            "displayname" => self.name = optional_text(value, "displayName", MAX_NAME_LEN)?,
            "externalid" => {
                self.external_id = optional_text(value, "externalId", MAX_EXTERNAL_ID_LEN)?
            }
            "active" => self.active = boolean(value)?,
            "name" => {
                let object = match value {
                    Value::Null => &Map::new(),
                    Value::Object(object) => object,
                    _ => return Err(ScimError::invalid_value("`name` must be an object.")),
                };
                self.name = None;
                self.given_name = None;
                self.family_name = None;
                for (key, value) in object {
                    self.set_name_part(&key.to_ascii_lowercase(), value)?;
                }
            }
            "password" => {
                return Err(ScimError::invalid_value(
                    "Passwords are not set through SCIM: people set their own.",
                ))
            }
            _ => {
                return Err(ScimError::invalid_syntax(&format!(
                    "Unknown attribute {attribute:?}."
                )))
            }
        }
        Ok(())
    }

    fn set_name_part(&mut self, part: &str, value: &Value) -> Result<(), ScimError> {
        let text = optional_text(value, "name", MAX_NAME_LEN)?;
        match part {
            "formatted" => self.name = text,
            "givenname" => self.given_name = text,
            "familyname" => self.family_name = text,
            _ => {
                return Err(ScimError::invalid_syntax(&format!(
                    "Unknown attribute \"name.{part}\"."
                )))
            }
        }
        Ok(())
    }

    /// `emails`, when sent with `userName`, must name the same address.
    fn check_emails(&self, emails: &Value) -> Result<(), ScimError> {
        if matches!(emails, Value::Null) || emails.as_array().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        if primary_email(emails)? != self.email {
            return Err(ScimError::invalid_value(
                "The primary address in `emails` must be the `userName`.",
            ));
        }
        Ok(())
    }

    /// RFC 7644 §3.5.2: applies one PATCH operation.
    pub fn patch(&mut self, operation: &Value) -> Result<(), ScimError> {
        let PatchOperation {
            op, path, value, ..
        } = PatchOperation::read(operation)?;
        match (op.as_str(), path) {
            ("add" | "replace", None) => {
                let attributes = value.and_then(Value::as_object).ok_or_else(|| {
                    ScimError::invalid_syntax("Without a path, the value must be an object.")
                })?;
                for (key, value) in attributes {
                    self.set_path(&key.to_ascii_lowercase(), value)?;
                }
                Ok(())
            }
            ("add" | "replace", Some(path)) => {
                let value = value.ok_or_else(|| {
                    ScimError::invalid_syntax("`add` and `replace` need a value.")
                })?;
                self.set_path(&path.to_ascii_lowercase(), value)
            }
            ("remove", Some(path)) => self.remove(&path.to_ascii_lowercase()),
            ("remove", None) => Err(ScimError::new(
                400,
                Some("noTarget"),
                "`remove` needs a path.",
            )),
            _ => Err(ScimError::invalid_syntax(&format!("Unknown op {op:?}."))),
        }
    }

    fn set_path(&mut self, path: &str, value: &Value) -> Result<(), ScimError> {
        let path = path
            .strip_prefix(&format!("{}:", USER_SCHEMA.to_ascii_lowercase()))
            .unwrap_or(path);
        if let Some(part) = path.strip_prefix("name.") {
            return self.set_name_part(part, value);
        }
        // `emails[type eq "work"].value` (as Entra ID sends it): the one address.
        if path.starts_with("emails[") && path.ends_with("].value") || path == "emails.value" {
            let text = value
                .as_str()
                .ok_or_else(|| ScimError::invalid_value("An address must be a string."))?;
            return self.set("username", &Value::String(text.into()));
        }
        match path {
            "username" | "emails" | "displayname" | "externalid" | "active" | "name" => {
                self.set(path, value)
            }
            _ => Err(ScimError::new(
                400,
                Some("invalidPath"),
                &format!("The path {path:?} names no attribute that can be changed."),
            )),
        }
    }

    fn remove(&mut self, path: &str) -> Result<(), ScimError> {
        match path {
            "displayname" | "name.formatted" => self.name = None,
            "name.givenname" => self.given_name = None,
            "name.familyname" => self.family_name = None,
            "name" => {
                self.name = None;
                self.given_name = None;
                self.family_name = None;
            }
            "externalid" => self.external_id = None,
            "username" | "emails" | "active" => {
                return Err(ScimError::new(
                    400,
                    Some("mutability"),
                    "This attribute is required and cannot be removed.",
                ))
            }
            _ => {
                return Err(ScimError::new(
                    400,
                    Some("invalidPath"),
                    &format!("The path {path:?} names no attribute that can be removed."),
                ))
            }
        }
        Ok(())
    }
}

/// The members of a resource body that lists `schema` in `schemas` (RFC 7643 §3).
pub(super) fn resource_object<'a>(
    body: &'a Value,
    schema: &str,
) -> Result<&'a Map<String, Value>, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("The body must be a JSON object."))?;
    let listed = lookup(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(schema)));
    if !listed {
        return Err(ScimError::invalid_syntax(&format!(
            "`schemas` must list {schema}."
        )));
    }
    Ok(object)
}

/// One PATCH operation (RFC 7644 §3.5.2), its `op` lower-cased.
pub(super) struct PatchOperation<'a> {
    pub object: &'a Map<String, Value>,
    pub op: String,
    pub path: Option<&'a str>,
    pub value: Option<&'a Value>,
}

impl<'a> PatchOperation<'a> {
    pub fn read(operation: &'a Value) -> Result<PatchOperation<'a>, ScimError> {
        let object = operation
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("Each operation must be an object."))?;
        let op = lookup(object, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| ScimError::invalid_syntax("Each operation needs an `op`."))?;
        Ok(PatchOperation {
            object,
            op,
            path: lookup(object, "path").and_then(Value::as_str),
            value: lookup(object, "value"),
        })
    }
}

/// A member of a JSON object by case-insensitive name (RFC 7643 §2.1).
pub(super) fn lookup<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn optional_text(value: &Value, name: &str, max: usize) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text)
            if text.chars().count() <= max && !text.chars().any(char::is_control) =>
        {
            let trimmed = text.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        _ => Err(ScimError::invalid_value(&format!(
            "`{name}` must be a string of at most {max} characters."
        ))),
    }
}

/// A boolean; also the strings `"True"`/`"False"` that some provisioning systems send.
fn boolean(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value("`active` must be true or false.")),
    }
}

/// The primary (or only) address of an `emails` list, normalised.
fn primary_email(value: &Value) -> Result<String, ScimError> {
    let list = value
        .as_array()
        .ok_or_else(|| ScimError::invalid_value("`emails` must be a list."))?;
    let primary: Vec<&Value> = list
        .iter()
        .filter(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .collect();
    let chosen = match (primary.as_slice(), list.as_slice()) {
        ([one], _) => *one,
        ([], [one]) => one,
        _ => {
            return Err(ScimError::invalid_value(
                "`emails` must hold one address, or mark one primary.",
            ))
        }
    };
    let text = chosen
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::invalid_value("An address needs a `value`."))?;
    normalize_email(text).map_err(|_| ScimError::invalid_value("An address is not valid."))
}

/// RFC 7644 §3.14: the version of a user, as a weak entity tag.
pub fn version(user: &User) -> String {
    format!("W/\"{}\"", user.updated_at.0)
}

/// The resource of `user`, at `location` (RFC 7643 §4.1, §3.1 `meta`).
pub fn to_resource(user: &User, location: &str) -> Value {
    let name = json!({
        "formatted": user.name,
        "givenName": user.given_name,
        "familyName": user.family_name,
    });
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id,
        "userName": user.email,
        "name": strip_nulls(name),
        "emails": [{"value": user.email, "primary": true, "type": "work"}],
        "active": user.status == UserStatus::Active,
        "meta": {
            "resourceType": "User",
            "created": rfc3339(user.created_at),
            "lastModified": rfc3339(user.updated_at),
            "location": location,
            "version": version(user),
        },
    });
    if let Some(object) = resource.as_object_mut() {
        if let Some(name) = &user.name {
            object.insert("displayName".into(), Value::String(name.clone()));
        }
        if let Some(external) = &user.external_id {
            object.insert("externalId".into(), Value::String(external.clone()));
        }
    }
    resource
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            Value::Object(object.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    fn body(extra: Value) -> Value {
        let mut base = json!({"schemas": [USER_SCHEMA], "userName": "Grace@Example.com"});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    }

    #[test]
    fn rfc7643_4_1_a_resource_is_read_into_the_fields_a_user_has() {
        let fields = UserFields::from_resource(
            &body(json!({
                "name": {"givenName": "Grace", "familyName": "Hopper", "formatted": "Grace Hopper"},
                "emails": [{"value": "grace@example.com", "primary": true}],
                "externalId": "E-7",
                "ACTIVE": false,
                "id": "ignored",
                "meta": {"version": "ignored"},
            })),
            None,
        )
        .unwrap();
        assert_eq!(fields.email, "grace@example.com");
        assert_eq!(fields.name.as_deref(), Some("Grace Hopper"));
        assert_eq!(fields.given_name.as_deref(), Some("Grace"));
        assert_eq!(fields.external_id.as_deref(), Some("E-7"));
        assert!(!fields.active);
    }

    #[test]
    fn rfc7644_3_12_unknown_attributes_and_bad_values_are_refused() {
        let refused = |extra: Value| UserFields::from_resource(&body(extra), None).unwrap_err();
        assert_eq!(
            refused(json!({"nickName": "x"})).scim_type,
            Some("invalidSyntax")
        );
        assert_eq!(
            refused(json!({"name": {"middleName": "x"}})).scim_type,
            Some("invalidSyntax")
        );
        assert_eq!(
            refused(json!({"password": "hunter2"})).scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            refused(json!({"active": "maybe"})).scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            refused(json!({"userName": "not an address"})).scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            refused(json!({"emails": [{"value": "other@example.com"}]})).scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            refused(json!({"displayName": "x".repeat(201)})).scim_type,
            Some("invalidValue")
        );
        let no_schema = UserFields::from_resource(&json!({"userName": "a@b.co"}), None);
        assert_eq!(no_schema.unwrap_err().scim_type, Some("invalidSyntax"));
        let no_user_name = UserFields::from_resource(&json!({"schemas": [USER_SCHEMA]}), None);
        assert_eq!(no_user_name.unwrap_err().scim_type, Some("invalidValue"));
    }

    #[test]
    fn rfc7643_4_1_1_a_full_resource_keeps_display_name_beside_name_parts() {
        let fields = UserFields::from_resource(
            &json!({
                "schemas": [USER_SCHEMA],
                "userName": "grace@example.com",
                "name": {"givenName": "Grace", "familyName": "Hopper"},
                "displayName": "Amazing Grace",
            }),
            None,
        )
        .unwrap();
        assert_eq!(fields.name.as_deref(), Some("Amazing Grace"));
        assert_eq!(fields.given_name.as_deref(), Some("Grace"));
    }

    #[test]
    fn a_replace_without_active_keeps_the_lifecycle_state() {
        let kept = UserFields::from_resource(&body(json!({})), Some(false)).unwrap();
        assert!(!kept.active);
    }

    #[test]
    fn rfc7644_3_5_2_patch_operations_as_provisioning_systems_send_them() {
        let mut fields = UserFields::of(&user("u1", "ada@example.com"));
        for operation in [
            json!({"op": "Replace", "path": "active", "value": "False"}),
            json!({"op": "replace", "path": "name.givenName", "value": "Augusta"}),
            json!({"op": "add", "value": {"externalId": "X1", "name.familyName": "King"}}),
            json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ADA@lovelace.org"}),
            json!({"op": "remove", "path": "displayName"}),
        ] {
            fields.patch(&operation).unwrap();
        }
        assert!(!fields.active);
        assert_eq!(fields.given_name.as_deref(), Some("Augusta"));
        assert_eq!(fields.family_name.as_deref(), Some("King"));
        assert_eq!(fields.external_id.as_deref(), Some("X1"));
        assert_eq!(fields.email, "ada@lovelace.org");
        assert_eq!(fields.name, None);

        let refused = |op: Value| fields.clone().patch(&op).unwrap_err().scim_type;
        assert_eq!(
            refused(json!({"op": "remove", "path": "userName"})),
            Some("mutability")
        );
        assert_eq!(refused(json!({"op": "remove"})), Some("noTarget"));
        assert_eq!(
            refused(json!({"op": "replace", "path": "nickName", "value": "x"})),
            Some("invalidPath")
        );
        assert_eq!(
            refused(json!({"op": "move", "path": "active"})),
            Some("invalidSyntax")
        );
        assert_eq!(
            refused(json!({"op": "replace", "path": "active"})),
            Some("invalidSyntax")
        );
    }

    #[test]
    fn the_resource_carries_meta_and_a_weak_etag() {
        let mut u = user("u1", "ada@example.com");
        u.external_id = Some("E".into());
        let resource = to_resource(&u, "https://id.example/scim/v2/Users/u1");
        assert_eq!(resource["userName"], "ada@example.com");
        assert_eq!(resource["displayName"], "Ada");
        assert_eq!(resource["name"]["formatted"], "Ada");
        assert!(resource["name"].get("givenName").is_none());
        assert_eq!(resource["meta"]["version"], version(&u));
        assert!(version(&u).starts_with("W/\""));
        assert_eq!(resource["active"], true);
    }
}
