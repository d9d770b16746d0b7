//! SCIM Groups (RFC 7643 §4.2): `displayName` (unique, case-insensitively),
//! `externalId` and `members` (users, by id). Every call needs `admin.groups.manage`.
//! Lists filter only on `displayName eq "…"`, which is how provisioning systems look a
//! group up; anything else is `invalidFilter`.

use serde_json::{json, Map, Value};

use super::resource::{lookup, resource_object, PatchOperation};
use super::{Call, ScimError};
use crate::crypto::token::random_handle;
use crate::events::types;
use crate::ports::Group;
use crate::scim::filter::{self, Attribute, Filter, Kind, Op};
use crate::time::rfc3339;
use crate::users::UserStatus;
use portcullis_shared::route::Route;
use portcullis_shared::system_log::Party;

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const MAX_NAME_LEN: usize = 200;
/// Members one request may name.
const MAX_MEMBERS_PER_REQUEST: usize = 1000;

/// What a group filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupAttribute {
    DisplayName,
}

impl Attribute for GroupAttribute {
    fn named(path: &str) -> Option<GroupAttribute> {
        let lower = path.to_ascii_lowercase();
        let name = lower
            .strip_prefix(&format!("{}:", GROUP_SCHEMA.to_ascii_lowercase()))
            .unwrap_or(&lower);
        (name == "displayname").then_some(GroupAttribute::DisplayName)
    }

    fn kind(self) -> Kind {
        Kind::Text
    }
}

/// The name a group filter looks up.
fn filtered_name(text: &str) -> Result<String, ScimError> {
    let invalid = |detail: &str| ScimError::new(400, Some("invalidFilter"), detail);
    match filter::parse::<GroupAttribute>(text).map_err(|e| invalid(&e.0))? {
        Filter::Compare(GroupAttribute::DisplayName, Op::Eq, filter::Value::Text(name)) => Ok(name),
        _ => Err(invalid(
            "Groups are filtered with displayName eq \"…\" only.",
        )),
    }
}

fn display_name(value: &Value) -> Result<String, ScimError> {
    value
        .as_str()
        .map(str::trim)
        .filter(|n| {
            !n.is_empty() && n.chars().count() <= MAX_NAME_LEN && !n.chars().any(char::is_control)
        })
        .map(str::to_string)
        .ok_or_else(|| {
            ScimError::invalid_value("`displayName` must be a name of 1 to 200 characters.")
        })
}

/// The user ids of a `members` value: a list of `{"value": id}`.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let list = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list,
        // One member, as some systems send it.
        Value::Object(_) => std::slice::from_ref(value),
        _ => return Err(ScimError::invalid_value("`members` must be a list.")),
    };
    if list.len() > MAX_MEMBERS_PER_REQUEST {
        return Err(ScimError::invalid_value("Too many members in one request."));
    }
    list.iter()
        .map(|member| {
            member
                .get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    ScimError::invalid_value("Each member needs a `value`: the user's id.")
                })
        })
        .collect()
}

/// What an administrator may set on a group.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupFields {
    display_name: String,
    external_id: Option<String>,
    members: Vec<String>,
}

impl GroupFields {
    fn of(group: &Group) -> GroupFields {
        GroupFields {
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            members: group.members.clone(),
        }
    }

    fn from_resource(body: &Value) -> Result<GroupFields, ScimError> {
        let object = resource_object(body, GROUP_SCHEMA)?;
        let mut fields = GroupFields {
            display_name: String::new(),
            external_id: None,
            members: Vec::new(),
        };
        let mut named = false;
        for (key, value) in object {
            match key.to_ascii_lowercase().as_str() {
                "schemas" | "id" | "meta" => {}
                "displayname" => {
                    fields.display_name = display_name(value)?;
                    named = true;
                }
                other => fields.set(other, value)?,
            }
        }
        if !named {
            return Err(ScimError::invalid_value("`displayName` is required."));
        }
        Ok(fields)
    }

    fn set(&mut self, attribute: &str, value: &Value) -> Result<(), ScimError> {
        match attribute {
            "displayname" => self.display_name = display_name(value)?,
            "externalid" => {
                self.external_id = match value {
                    Value::Null => None,
                    Value::String(s) if s.len() <= 255 => Some(s.clone()),
                    _ => return Err(ScimError::invalid_value("`externalId` must be a string.")),
                }
            }
            "members" => self.members = dedup(member_ids(value)?),
            _ => {
                return Err(ScimError::invalid_syntax(&format!(
                    "Unknown attribute {attribute:?}."
                )))
            }
        }
        Ok(())
    }

    /// RFC 7644 §3.5.2 on a group, including member adds and removals as Entra ID and
    /// Okta send them.
    fn patch(&mut self, operation: &Value) -> Result<(), ScimError> {
        let PatchOperation {
            object,
            op,
            path,
            value,
        } = PatchOperation::read(operation)?;
        let path = path.map(str::to_ascii_lowercase);
        match (op.as_str(), path.as_deref()) {
            ("add", Some("members")) => {
                let added = member_ids(value.unwrap_or(&Value::Null))?;
                self.members = dedup(self.members.iter().cloned().chain(added).collect());
                Ok(())
            }
            ("replace", Some(path)) => {
                let value =
                    value.ok_or_else(|| ScimError::invalid_syntax("`replace` needs a value."))?;
                self.set(path, value)
            }
            ("add", Some(path)) => {
                let value =
                    value.ok_or_else(|| ScimError::invalid_syntax("`add` needs a value."))?;
                self.set(path, value)
            }
            ("add" | "replace", None) => {
                let attributes = value.and_then(Value::as_object).ok_or_else(|| {
                    ScimError::invalid_syntax("Without a path, the value must be an object.")
                })?;
                for (key, value) in attributes {
                    self.set(&key.to_ascii_lowercase(), value)?;
                }
                Ok(())
            }
            ("remove", Some("members")) => {
                match value {
                    // Entra ID: the members to remove in the value.
                    Some(value) => {
                        let gone = member_ids(value)?;
                        self.members.retain(|m| !gone.contains(m));
                    }
                    None => self.members.clear(),
                }
                Ok(())
            }
            ("remove", Some(path)) if path.starts_with("members[") => {
                // `members[value eq "id"]`: the one filter a member path takes.
                let inner = path
                    .strip_prefix("members[")
                    .and_then(|p| p.strip_suffix(']'))
                    .ok_or_else(|| {
                        ScimError::new(
                            400,
                            Some("invalidPath"),
                            "A member path is members[value eq \"id\"].",
                        )
                    })?;
                let id = member_filter(inner, object)?;
                self.members.retain(|m| m != &id);
                Ok(())
            }
            ("remove", Some("externalid")) => {
                self.external_id = None;
                Ok(())
            }
            ("remove", Some(_)) => Err(ScimError::new(
                400,
                Some("mutability"),
                "Only members and externalId can be removed.",
            )),
            ("remove", None) => Err(ScimError::new(
                400,
                Some("noTarget"),
                "`remove` needs a path.",
            )),
            _ => Err(ScimError::invalid_syntax(&format!("Unknown op {op:?}."))),
        }
    }
}

/// The id a `value eq "id"` member filter names, read case-sensitively from the
/// original path (ids are case-exact).
fn member_filter(lower: &str, operation: &Map<String, Value>) -> Result<String, ScimError> {
    let original = lookup(operation, "path")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let start = original.find('[').map_or(0, |i| i + 1);
    let inner = original.get(start..start + lower.len()).unwrap_or(lower);
    let invalid = || {
        ScimError::new(
            400,
            Some("invalidPath"),
            "A member path is members[value eq \"id\"].",
        )
    };
    let rest = inner.trim();
    let (attribute, rest) = rest.split_once(' ').ok_or_else(invalid)?;
    let (op, value) = rest.trim().split_once(' ').ok_or_else(invalid)?;
    if !attribute.eq_ignore_ascii_case("value") || !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.contains('"'))
        .map(str::to_string)
        .ok_or_else(invalid)
}

fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen
}

fn version(group: &Group) -> String {
    format!("W/\"{}\"", group.updated_at.0)
}

fn group_party(group: &Group) -> Party {
    Party {
        id: group.id.clone(),
        kind: "UserGroup".into(),
        alternate_id: None,
        display_name: Some(group.display_name.clone()),
    }
}

impl Call<'_> {
    fn group_location(&self, id: &str) -> String {
        format!(
            "{}{}",
            self.request.self_origin,
            Route::ScimGroup(id).path()
        )
    }

    fn group_resource(&self, group: &Group) -> Value {
        let members: Vec<Value> = group
            .members
            .iter()
            .map(|id| {
                json!({
                    "value": id,
                    "$ref": format!("{}{}", self.request.self_origin, Route::ScimUser(id).path()),
                    "type": "User",
                })
            })
            .collect();
        let mut resource = json!({
            "schemas": [GROUP_SCHEMA],
            "id": group.id,
            "displayName": group.display_name,
            "members": members,
            "meta": {
                "resourceType": "Group",
                "created": rfc3339(group.created_at),
                "lastModified": rfc3339(group.updated_at),
                "location": self.group_location(&group.id),
                "version": version(group),
            },
        });
        if let (Some(external), Some(object)) = (&group.external_id, resource.as_object_mut()) {
            object.insert("externalId".into(), Value::String(external.clone()));
        }
        resource
    }

    fn group_response(&self, status: u16, group: &Group) -> crate::http::Response {
        super::scim_json(status, &self.group_resource(group))
            .with_header("etag", &version(group))
            .with_header("location", &self.group_location(&group.id))
    }

    async fn find_group(&self, id: &str) -> Result<Group, ScimError> {
        self.ports
            .groups
            .find(id)
            .await?
            .ok_or_else(ScimError::not_found)
    }

    /// Every member must be a live user.
    async fn check_members(&self, members: &[String]) -> Result<(), ScimError> {
        for id in members {
            let live = self
                .ports
                .users
                .find_by_id(id)
                .await?
                .is_some_and(|u| u.status != UserStatus::Deprovisioned);
            if !live {
                return Err(ScimError::invalid_value(&format!(
                    "No user has the id {id:?}."
                )));
            }
        }
        Ok(())
    }

    async fn record_group(&self, event_type: &'static str, message: &'static str, group: &Group) {
        self.record_target(event_type, message, Some(group_party(group)))
            .await;
    }

    pub(super) async fn groups(
        &self,
        route: Route<'_>,
    ) -> Result<crate::http::Response, ScimError> {
        use crate::http::Method;
        match (route, self.request.method) {
            (Route::ScimGroups, Method::Post) => self.create_group().await,
            (Route::ScimGroups, _) => self.list_groups().await,
            (Route::ScimGroup(id), Method::Put) => {
                let fields = GroupFields::from_resource(&self.body()?)?;
                let current = self.find_group(id).await?;
                self.check_version(&version(&current))?;
                self.write_group(current, fields).await
            }
            (Route::ScimGroup(id), Method::Patch) => {
                let operations = self.patch_operations()?;
                let current = self.find_group(id).await?;
                self.check_version(&version(&current))?;
                let mut fields = GroupFields::of(&current);
                for operation in &operations {
                    fields.patch(operation)?;
                }
                self.write_group(current, fields).await
            }
            (Route::ScimGroup(id), Method::Delete) => {
                let current = self.find_group(id).await?;
                self.check_version(&version(&current))?;
                if !self.ports.groups.delete(id).await? {
                    return Err(ScimError::not_found());
                }
                self.pass_on(&current.members).await?;
                self.record_group(types::GROUP_DELETE, "An admin deleted a group", &current)
                    .await;
                Ok(crate::http::Response::empty(204))
            }
            (Route::ScimGroup(id), _) => {
                let group = self.find_group(id).await?;
                self.record_group(types::ADMIN_READ, "An admin read a group", &group)
                    .await;
                Ok(self.group_response(200, &group))
            }
            _ => Err(ScimError::not_found()),
        }
    }

    async fn create_group(&self) -> Result<crate::http::Response, ScimError> {
        let fields = GroupFields::from_resource(&self.body()?)?;
        self.check_members(&fields.members).await?;
        let now = self.ports.clock.now();
        let id = random_handle(self.ports.random).map_err(|_| ScimError {
            log: Some("random source failed".into()),
            ..ScimError::new(503, None, "The service is temporarily unavailable.")
        })?;
        let group = Group {
            id,
            display_name: fields.display_name,
            external_id: fields.external_id,
            members: fields.members,
            created_at: now,
            updated_at: now,
        };
        self.ports
            .groups
            .create(&group)
            .await
            .map_err(group_conflict)?;
        self.pass_on(&group.members).await?;
        self.record_group(types::GROUP_CREATE, "An admin created a group", &group)
            .await;
        for member in &group.members {
            self.record_membership(types::GROUP_MEMBERSHIP_ADD, &group, member)
                .await;
        }
        Ok(self.group_response(201, &group))
    }

    async fn list_groups(&self) -> Result<crate::http::Response, ScimError> {
        let page = self.page_parameters()?;
        let name = page.filter.as_deref().map(filtered_name).transpose()?;
        let (total, groups) = self
            .ports
            .groups
            .list(name.as_deref(), page.start_index - 1, page.count)
            .await?;
        self.record_target(types::ADMIN_READ, "An admin listed groups", None)
            .await;
        let resources: Vec<Value> = groups.iter().map(|g| self.group_resource(g)).collect();
        Ok(super::list_response(total, page.start_index, resources))
    }

    async fn write_group(
        &self,
        current: Group,
        fields: GroupFields,
    ) -> Result<crate::http::Response, ScimError> {
        let added: Vec<String> = fields
            .members
            .iter()
            .filter(|m| !current.members.contains(m))
            .cloned()
            .collect();
        self.check_members(&added).await?;
        let now = self.ports.clock.now();
        let group = Group {
            display_name: fields.display_name,
            external_id: fields.external_id,
            members: fields.members,
            updated_at: crate::time::UnixMillis(now.0.max(current.updated_at.0 + 1)),
            ..current.clone()
        };
        if !self
            .ports
            .groups
            .update(&group, current.updated_at)
            .await
            .map_err(group_conflict)?
        {
            return Err(ScimError::new(
                412,
                None,
                "The resource changed while this request was handled; read it again.",
            ));
        }
        let renamed = group.display_name != current.display_name;
        let touched: Vec<String> = if renamed {
            let mut everyone = current.members.clone();
            everyone.extend(added.iter().cloned());
            everyone
        } else {
            let removed = current
                .members
                .iter()
                .filter(|m| !group.members.contains(m));
            added.iter().chain(removed).cloned().collect()
        };
        self.pass_on(&touched).await?;
        if renamed || group.external_id != current.external_id {
            self.record_group(types::GROUP_UPDATE, "An admin changed a group", &group)
                .await;
        }
        for member in &added {
            self.record_membership(types::GROUP_MEMBERSHIP_ADD, &group, member)
                .await;
        }
        for member in current
            .members
            .iter()
            .filter(|m| !group.members.contains(m))
        {
            self.record_membership(types::GROUP_MEMBERSHIP_REMOVE, &group, member)
                .await;
        }
        Ok(self.group_response(200, &group))
    }

    /// Passes a change of the group to the grants of each person in `people` (members
    /// added, removed, or all of a renamed or deleted group), so that their next tokens'
    /// `groups` and `roles` claims show it: grants keep their person's groups
    /// ([`crate::holders`]).
    /// A group of many is passed on by the queue consumer ([`crate::holders::pass_on`]).
    async fn pass_on(&self, people: &[String]) -> Result<(), ScimError> {
        Ok(crate::holders::pass_on(self.ports, people).await?)
    }

    async fn record_membership(&self, event_type: &'static str, group: &Group, user_id: &str) {
        let message = if event_type == types::GROUP_MEMBERSHIP_ADD {
            "An admin added a person to a group"
        } else {
            "An admin removed a person from a group"
        };
        let user = Party {
            id: user_id.to_string(),
            kind: "User".into(),
            alternate_id: None,
            display_name: None,
        };
        self.record_targets(event_type, message, vec![user, group_party(group)])
            .await;
    }
}

fn group_conflict(err: crate::ports::StoreError) -> ScimError {
    match err {
        crate::ports::StoreError::Conflict => ScimError::new(
            409,
            Some("uniqueness"),
            "Another group has this displayName.",
        ),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[&str]) -> GroupFields {
        GroupFields {
            display_name: "Admins".into(),
            external_id: None,
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn rfc7644_3_5_2_member_patches_as_entra_id_and_okta_send_them() {
        let mut fields = group(&["a"]);
        for operation in [
            json!({"op": "Add", "path": "members", "value": [{"value": "b"}, {"value": "a"}]}),
            json!({"op": "remove", "path": "members[value eq \"a\"]"}),
            json!({"op": "add", "path": "members", "value": [{"value": "C"}]}),
            json!({"op": "Remove", "path": "members", "value": [{"value": "C"}]}),
            json!({"op": "replace", "path": "displayName", "value": "Auditors"}),
        ] {
            fields.patch(&operation).unwrap();
        }
        assert_eq!(fields.members, ["b"]);
        assert_eq!(fields.display_name, "Auditors");
        fields
            .patch(&json!({"op": "remove", "path": "members"}))
            .unwrap();
        assert!(fields.members.is_empty());
        let refused = |op: Value| group(&[]).patch(&op).unwrap_err().scim_type;
        assert_eq!(
            refused(json!({"op": "remove", "path": "displayName"})),
            Some("mutability")
        );
        assert_eq!(
            refused(json!({"op": "remove", "path": "members[display eq \"x\"]"})),
            Some("invalidPath")
        );
        assert_eq!(
            refused(json!({"op": "add", "path": "members", "value": [{"display": "x"}]})),
            Some("invalidValue")
        );
    }

    #[test]
    fn groups_are_looked_up_by_display_name_only() {
        assert_eq!(
            filtered_name("displayName eq \"Admins\"").unwrap(),
            "Admins"
        );
        for bad in [
            "displayName co \"A\"",
            "members pr",
            "id eq \"x\"",
            "displayName eq \"a\" or displayName eq \"b\"",
        ] {
            assert_eq!(
                filtered_name(bad).unwrap_err().scim_type,
                Some("invalidFilter"),
                "{bad}"
            );
        }
        let missing = GroupFields::from_resource(&json!({"schemas": [GROUP_SCHEMA]}));
        assert_eq!(missing.unwrap_err().scim_type, Some("invalidValue"));
        let unknown = GroupFields::from_resource(
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "x", "owner": "y"}),
        );
        assert_eq!(unknown.unwrap_err().scim_type, Some("invalidSyntax"));
    }
}
