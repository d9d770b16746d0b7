//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: how a customer's HR system or identity
//! provider provisions people. Users can be created, read, listed with filters and
//! pages, replaced, patched and deleted; `/ServiceProviderConfig`, `/Schemas` and
//! `/ResourceTypes` describe what is supported.
//!
//! Every call needs a client's own access token with an admin scope (see
//! [`crate::admin`]): `admin.users.read` to read, `admin.users.manage` to change. Every
//! call is recorded in the System Log with the client as its actor.
//!
//! Lifecycle: `POST /Users?activate=false` creates the account STAGED (no way of
//! signing in works and nothing is emailed) and `active: true` activates it;
//! `active: false` suspends (sessions end, every token and grant issued
//! before stops working, refresh included); `active: true` reactivates (what was
//! revoked stays revoked); `DELETE` erases the person's personal data and keeps the
//! pseudonymous id that the System Log names.

pub mod filter;
mod groups;
mod metadata;
mod resource;

use serde_json::{json, Value};

use crate::admin::{self, Admin, AdminScope};
use crate::crypto::token::random_handle;
use crate::events::{self, types, AdminEventSpec, RequestContext};
use crate::http::{Method, Request, Response};
use crate::ports::{Ports, StoreError, UserQuery};
use crate::users::{User, UserStatus};
use portcullis_shared::route::Route;
use portcullis_shared::system_log::Party;
use resource::{to_resource, version, UserFields};

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// RFC 7644 §3.8: SCIM's media type.
pub const MEDIA_TYPE: &str = "application/scim+json";
/// The most users one list response holds (advertised as `filter.maxResults`).
pub const MAX_RESULTS: u64 = 200;
const DEFAULT_COUNT: u64 = 100;

/// A SCIM error (RFC 7644 §3.12): what the caller is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// For the operators' log only.
    pub log: Option<String>,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: &str) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.to_string(),
            log: None,
        }
    }

    pub fn invalid_syntax(detail: &str) -> ScimError {
        ScimError::new(400, Some("invalidSyntax"), detail)
    }

    pub fn invalid_value(detail: &str) -> ScimError {
        ScimError::new(400, Some("invalidValue"), detail)
    }

    fn not_found() -> ScimError {
        ScimError::new(404, None, "No such resource.")
    }

    /// RFC 7644 §3.12: `413` for a body larger than this service reads.
    pub fn too_large() -> ScimError {
        ScimError::new(413, None, "The request body is too large.")
    }

    fn response(&self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(kind), Some(object)) = (self.scim_type, body.as_object_mut()) {
            object.insert("scimType".into(), Value::String(kind.into()));
        }
        scim_json(self.status, &body)
    }
}

impl From<StoreError> for ScimError {
    fn from(err: StoreError) -> ScimError {
        match err {
            StoreError::Conflict => {
                ScimError::new(409, Some("uniqueness"), "Another user has this userName.")
            }
            StoreError::Unavailable(detail) => ScimError {
                log: Some(detail),
                ..ScimError::new(503, None, "The service is temporarily unavailable.")
            },
        }
    }
}

/// RFC 7644 §3.12: the SCIM error for a body larger than this service reads.
pub fn too_large_response() -> Response {
    ScimError::too_large().response()
}

fn scim_json(status: u16, body: &Value) -> Response {
    Response::json(status, body).with_header("content-type", MEDIA_TYPE)
}

/// The answer to a SCIM request; its errors in SCIM's shape.
pub async fn handle(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
    context: &RequestContext,
) -> Response {
    let issuer = request.self_origin.as_str();
    let result = match route {
        Route::ScimServiceProviderConfig => {
            Ok(scim_json(200, &metadata::service_provider_config(issuer)))
        }
        Route::ScimSchemas => Ok(scim_json(200, &metadata::schemas(issuer))),
        Route::ScimResourceTypes => Ok(scim_json(200, &metadata::resource_types(issuer))),
        Route::ScimUsers | Route::ScimUser(_) | Route::ScimGroups | Route::ScimGroup(_) => {
            authenticated(ports, request, route, context).await
        }
        _ => Err(ScimError::not_found()),
    };
    match result {
        Ok(response) => response,
        Err(error) => {
            if let Some(log) = &error.log {
                ports
                    .diagnostics
                    .log(&format!("scim {}: {log}", request.path));
            }
            error.response()
        }
    }
}

async fn authenticated(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
    context: &RequestContext,
) -> Result<Response, ScimError> {
    let needed = match (route, request.method) {
        (Route::ScimGroups | Route::ScimGroup(_), _) => AdminScope::GroupsManage,
        (_, Method::Get | Method::Head) => AdminScope::UsersRead,
        _ => AdminScope::UsersManage,
    };
    let issuer = request.self_origin.as_str();
    let admin = admin::authenticate(
        ports,
        issuer,
        request.header("authorization"),
        needed,
        context,
    )
    .await
    .map_err(|refusal| {
        let error = ScimError {
            log: match &refusal {
                admin::AdminRefusal::Unavailable(detail) => Some(detail.clone()),
                _ => None,
            },
            ..ScimError::new(refusal.status(), None, &refusal.description())
        };
        (error, refusal.challenge())
    });
    let admin = match admin {
        Ok(admin) => admin,
        Err((error, challenge)) => {
            let response = error.response();
            return Ok(match challenge {
                Some(challenge) => response.with_header("www-authenticate", &challenge),
                None => response,
            });
        }
    };
    let call = Call {
        ports,
        request,
        admin: &admin,
        context,
    };
    match (route, request.method) {
        (Route::ScimUsers, Method::Post) => call.create().await,
        (Route::ScimUsers, _) => call.list().await,
        (Route::ScimUser(id), Method::Put) => call.replace(id).await,
        (Route::ScimUser(id), Method::Patch) => call.patch(id).await,
        (Route::ScimUser(id), Method::Delete) => call.delete(id).await,
        (Route::ScimUser(id), _) => call.get(id).await,
        (Route::ScimGroups | Route::ScimGroup(_), _) => call.groups(route).await,
        _ => Err(ScimError::not_found()),
    }
}

/// The paging parameters of a list request.
struct PageParameters {
    start_index: u64,
    count: u64,
    filter: Option<String>,
}

/// A SCIM list response (RFC 7644 §3.4.2).
fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Response {
    scim_json(
        200,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// One authenticated SCIM call.
struct Call<'a> {
    ports: &'a Ports<'a>,
    request: &'a Request,
    admin: &'a Admin,
    context: &'a RequestContext,
}

impl Call<'_> {
    fn location(&self, id: &str) -> String {
        format!("{}{}", self.request.self_origin, Route::ScimUser(id).path())
    }

    fn body(&self) -> Result<Value, ScimError> {
        let content_type = self.request.header("content-type").unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        if !media.eq_ignore_ascii_case(MEDIA_TYPE)
            && !media.eq_ignore_ascii_case("application/json")
        {
            return Err(ScimError::new(
                415,
                None,
                "Send the body as application/scim+json.",
            ));
        }
        serde_json::from_slice(&self.request.body)
            .map_err(|_| ScimError::invalid_syntax("The body is not valid JSON."))
    }

    async fn record(&self, event_type: &'static str, message: &'static str, target: Option<&User>) {
        self.record_target(event_type, message, target.map(user_party))
            .await;
    }

    async fn record_target(
        &self,
        event_type: &'static str,
        message: &'static str,
        target: Option<Party>,
    ) {
        self.record_targets(event_type, message, target.into_iter().collect())
            .await;
    }

    async fn record_targets(
        &self,
        event_type: &'static str,
        message: &'static str,
        target: Vec<Party>,
    ) {
        events::record_admin(
            self.ports,
            self.context,
            AdminEventSpec::success(event_type, message, self.admin.actor(), target),
        )
        .await;
    }

    /// The `Operations` of a PatchOp message (RFC 7644 §3.5.2).
    fn patch_operations(&self) -> Result<Vec<Value>, ScimError> {
        let body = self.body()?;
        let schemas_ok = body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(resource::PATCH_SCHEMA)));
        body.get("Operations")
            .or_else(|| body.get("operations"))
            .and_then(Value::as_array)
            .filter(|ops| schemas_ok && !ops.is_empty())
            .cloned()
            .ok_or_else(|| {
                ScimError::invalid_syntax("A PatchOp message with `Operations` is expected.")
            })
    }

    /// `startIndex`, `count` and `filter` of a list request (RFC 7644 §3.4.2.4): a
    /// `startIndex` below 1 is 1, a negative `count` is 0.
    fn page_parameters(&self) -> Result<PageParameters, ScimError> {
        let params = self.request.query_params();
        let one = |name: &str| -> Result<Option<&str>, ScimError> {
            let mut values = params
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str());
            let first = values.next();
            if values.next().is_some() {
                return Err(ScimError::invalid_syntax(&format!("`{name}` is repeated.")));
            }
            Ok(first)
        };
        let number = |name: &str, default: u64| -> Result<u64, ScimError> {
            match one(name)? {
                None => Ok(default),
                Some(text) => text
                    .parse::<i64>()
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(|_| {
                        ScimError::invalid_value(&format!("`{name}` must be an integer."))
                    }),
            }
        };
        Ok(PageParameters {
            start_index: number("startIndex", 1)?.max(1),
            count: number("count", DEFAULT_COUNT)?.min(MAX_RESULTS),
            filter: one("filter")?.map(str::to_string),
        })
    }

    /// The live (not deleted) user `id`.
    async fn find(&self, id: &str) -> Result<User, ScimError> {
        self.ports
            .users
            .find_by_id(id)
            .await?
            .filter(|u| u.status != UserStatus::Deprovisioned)
            .ok_or_else(ScimError::not_found)
    }

    fn resource(&self, status: u16, user: &User) -> Response {
        let location = self.location(&user.id);
        scim_json(status, &to_resource(user, &location))
            .with_header("etag", &version(user))
            .with_header("location", &location)
    }

    /// RFC 7644 §3.14: a write with `If-Match` happens only to the version it names.
    fn check_if_match(&self, user: &User) -> Result<(), ScimError> {
        self.check_version(&version(user))
    }

    fn check_version(&self, current: &str) -> Result<(), ScimError> {
        match self.request.header("if-match") {
            None => Ok(()),
            Some(tags) => {
                let matched = tags
                    .split(',')
                    .map(str::trim)
                    .any(|tag| tag == "*" || tag == current || format!("W/{tag}") == current);
                if matched {
                    Ok(())
                } else {
                    Err(ScimError::new(
                        412,
                        None,
                        "The resource has changed since the version in If-Match.",
                    ))
                }
            }
        }
    }

    async fn get(&self, id: &str) -> Result<Response, ScimError> {
        let user = self.find(id).await?;
        self.record(types::ADMIN_READ, "An admin read a user", Some(&user))
            .await;
        let unchanged = self
            .request
            .header("if-none-match")
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == version(&user)));
        if unchanged {
            return Ok(Response::empty(304).with_header("etag", &version(&user)));
        }
        Ok(self.resource(200, &user))
    }

    async fn list(&self) -> Result<Response, ScimError> {
        let PageParameters {
            start_index,
            count,
            filter,
        } = self.page_parameters()?;
        let filter = filter
            .as_deref()
            .map(filter::parse::<filter::UserAttribute>)
            .transpose()
            .map_err(|e| ScimError::new(400, Some("invalidFilter"), &e.0))?;
        let page = self
            .ports
            .directory
            .search(&UserQuery {
                filter,
                offset: start_index - 1,
                limit: count,
            })
            .await?;
        self.record(types::ADMIN_READ, "An admin listed users", None)
            .await;
        let resources: Vec<Value> = page
            .users
            .iter()
            .map(|u| to_resource(u, &self.location(&u.id)))
            .collect();
        Ok(list_response(page.total, start_index, resources))
    }

    async fn create(&self) -> Result<Response, ScimError> {
        let fields = UserFields::from_resource(&self.body()?, None)?;
        let now = self.ports.clock.now();
        let id = random_handle(self.ports.random).map_err(|_| ScimError {
            log: Some("random source failed".into()),
            ..ScimError::new(503, None, "The service is temporarily unavailable.")
        })?;
        let user = User {
            profile: Default::default(),
            id,
            email: fields.email,
            email_verified: false,
            name: fields.name,
            given_name: fields.given_name,
            family_name: fields.family_name,
            external_id: fields.external_id,
            password_hash: None,
            status: if self.staging()? {
                UserStatus::Staged
            } else if fields.active {
                UserStatus::Active
            } else {
                UserStatus::Suspended
            },
            created_at: now,
            updated_at: now,
            last_login_at: None,
            tokens_valid_after: None,
        };
        self.ports.users.create(&user).await?;
        self.record(types::USER_CREATE, "An admin created a user", Some(&user))
            .await;
        Ok(self.resource(201, &user))
    }

    /// Okta's `activate=false` on a create: the account is STAGED (no sign-in, no email)
    /// until an administrator activates it.
    fn staging(&self) -> Result<bool, ScimError> {
        let params = self.request.query_params();
        let mut values = params.iter().filter(|(k, _)| k == "activate");
        match (values.next().map(|(_, v)| v.as_str()), values.next()) {
            (None, _) | (Some("true"), None) => Ok(false),
            (Some("false"), None) => Ok(true),
            _ => Err(ScimError::invalid_value(
                "`activate` must be given once, as true or false.",
            )),
        }
    }

    async fn replace(&self, id: &str) -> Result<Response, ScimError> {
        let body = self.body()?;
        let current = self.find(id).await?;
        self.check_if_match(&current)?;
        let active = current.status == UserStatus::Active;
        let fields = UserFields::from_resource(&body, Some(active))?;
        self.write(current, fields).await
    }

    async fn patch(&self, id: &str) -> Result<Response, ScimError> {
        let operations = self.patch_operations()?;
        let current = self.find(id).await?;
        self.check_if_match(&current)?;
        let mut fields = UserFields::of(&current);
        for operation in &operations {
            fields.patch(operation)?;
        }
        self.write(current, fields).await
    }

    /// Stores `fields` over `current` (only if it has not changed meanwhile) and carries
    /// out a lifecycle transition.
    async fn write(&self, current: User, fields: UserFields) -> Result<Response, ScimError> {
        let now = self.ports.clock.now();
        let was_active = current.status == UserStatus::Active;
        let suspending = was_active && !fields.active;
        // A STAGED or DEPROVISIONED account stays so until `active: true` activates it.
        let dormant = matches!(current.status, UserStatus::Staged | UserStatus::Deactivated);
        let email_changed = fields.email != current.email;
        let user = User {
            email_verified: current.email_verified && !email_changed,
            status: match (fields.active, dormant) {
                (true, _) => UserStatus::Active,
                (false, true) => current.status,
                (false, false) => UserStatus::Suspended,
            },
            // Every change makes a new version, even two in one millisecond.
            updated_at: crate::time::UnixMillis(now.0.max(current.updated_at.0 + 1)),
            // Suspension ends every token and grant issued before it.
            tokens_valid_after: if suspending {
                Some(now)
            } else {
                current.tokens_valid_after
            },
            email: fields.email,
            name: fields.name,
            given_name: fields.given_name,
            family_name: fields.family_name,
            external_id: fields.external_id,
            ..current.clone()
        };
        if !self
            .ports
            .directory
            .update(&user, current.updated_at)
            .await?
        {
            return Err(ScimError::new(
                412,
                None,
                "The resource changed while this request was handled; read it again.",
            ));
        }
        if suspending {
            crate::lifecycle::end_sessions(self.ports, &user.id).await?;
            self.record(
                types::USER_SUSPEND,
                "An admin suspended a user",
                Some(&user),
            )
            .await;
        } else if dormant && fields.active {
            self.record(
                types::USER_ACTIVATE,
                "An admin activated a user",
                Some(&user),
            )
            .await;
        } else if !was_active && fields.active {
            self.record(
                types::USER_UNSUSPEND,
                "An admin reactivated a user",
                Some(&user),
            )
            .await;
        }
        if UserFields::of(&current).with_active(true) != UserFields::of(&user).with_active(true) {
            self.record(
                types::USER_UPDATE_PROFILE,
                "An admin changed a user's profile",
                Some(&user),
            )
            .await;
        }
        // The person's grants answer refresh, userinfo and introspection: they hear of a
        // suspension or a new address before the change is reported done. Every write
        // passes the person on, so repeating a write whose answer was a failure here
        // brings the grants up to date.
        crate::holders::sync(self.ports, &user.id).await?;
        Ok(self.resource(200, &user))
    }

    async fn delete(&self, id: &str) -> Result<Response, ScimError> {
        let current = self.find(id).await?;
        self.check_if_match(&current)?;
        // Only the pseudonymous id: the address is gone.
        let erased = crate::lifecycle::erase(self.ports, &current).await?;
        self.record(types::USER_DELETE, "An admin deleted a user", Some(&erased))
            .await;
        Ok(Response::empty(204))
    }
}

impl UserFields {
    fn with_active(self, active: bool) -> UserFields {
        UserFields { active, ..self }
    }
}

/// A user as an event target (Okta's shape): id, type, and the address and name while
/// they exist.
pub fn user_party(user: &User) -> Party {
    Party {
        id: user.id.clone(),
        kind: "User".into(),
        alternate_id: (!user.email.is_empty()).then(|| user.email.clone()),
        display_name: user.name.clone(),
    }
}

#[cfg(test)]
mod query_plan_tests;
#[cfg(test)]
pub(crate) mod tests;
