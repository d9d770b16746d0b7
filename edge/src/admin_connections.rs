//! The admin API's federation connections: `/admin/v1/connections` lists and registers,
//! `/admin/v1/connections/{id}` reads, replaces (`PUT`), changes (`PATCH`, a JSON merge
//! patch, RFC 7396) and deletes.
//!
//! - Reading needs a client's own token with `admin.connections.read` (or
//!   `admin.connections.manage`); every change needs `admin.connections.manage` (see
//!   [`crate::admin`]). A refused call changes nothing and is logged.
//! - Every connection is checked against the rules of
//!   [`crate::federation::settings`] (the ones `scripts/connections` runs).
//! - `client_secret` is write-only: sealed under the key-encryption key for
//!   `connection:<id>` before it is stored; answers and the System Log carry only
//!   `has_secret`.
//! - A connection's `id` and `issuer` never change: an identity is (connection,
//!   subject at that issuer), so another issuer's subjects must not inherit it. Deleting
//!   a connection deletes the identities linked through it.
//! - Every call is a System Log event naming the calling client as its actor; a change
//!   drops the connections this isolate keeps, other isolates follow within the cache's
//!   version check ([`crate::cache_version`]).

use serde_json::{json, Value};

use crate::admin::{Admin, AdminScope};
use crate::admin_error::{self, Failure};
use crate::client_settings::Refusal;
use crate::events::{types, RequestContext};
use crate::federation::connection::Connection;
use crate::federation::settings::{
    self, ConnectionInput, ConnectionResource, ConnectionSettings, SecretChange,
};
use crate::federation::upstream::callback_url;
use crate::http::{Method, Request, Response};
use crate::ports::Ports;
use portcullis_shared::route::Route;
use portcullis_shared::system_log::Party;

/// The answer to an admin connections request.
pub async fn handle(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
    context: &RequestContext,
) -> Response {
    let result = async {
        let needed = match request.method {
            Method::Get | Method::Head => AdminScope::ConnectionsRead,
            _ => AdminScope::ConnectionsManage,
        };
        let admin = admin_error::authenticate(ports, request, needed, context).await?;
        let call = Call {
            ports,
            request,
            context,
            admin: &admin,
        };
        call.route(route).await
    };
    admin_error::respond(ports, request, result.await)
}

/// One authenticated call.
struct Call<'a, 'p> {
    ports: &'a Ports<'p>,
    request: &'a Request,
    context: &'a RequestContext,
    admin: &'a Admin,
}

impl Call<'_, '_> {
    async fn route(&self, route: Route<'_>) -> Result<Response, Failure> {
        match (route, self.request.method) {
            (Route::AdminConnections, Method::Post) => {
                self.create(admin_error::body(self.request)?).await
            }
            (Route::AdminConnections, _) => {
                let all = self.ports.connections.all_connections().await?;
                self.record(types::ADMIN_READ, "An admin listed the connections", None)
                    .await;
                let shown: Vec<Value> = all.iter().map(|c| self.shown(c)).collect();
                Ok(Response::json(200, &shown))
            }
            (Route::AdminConnection(id), Method::Put) => {
                let input: ConnectionInput = admin_error::body(self.request)?;
                self.update(id, |_| Ok((input, SecretRequest::SetOrKeep)))
                    .await
            }
            (Route::AdminConnection(id), Method::Patch) => {
                let patch: Value = admin_error::body(self.request)?;
                self.update(id, |current| merge_patch(current, &patch))
                    .await
            }
            (Route::AdminConnection(id), Method::Delete) => self.delete(id).await,
            (Route::AdminConnection(id), _) => {
                let connection = self.existing(id).await?;
                self.record(
                    types::ADMIN_READ,
                    "An admin read a connection",
                    Some(&connection.settings),
                )
                .await;
                Ok(Response::json(200, &self.shown(&connection)))
            }
            _ => Err(Failure::NotFound),
        }
    }

    /// No two connections claim one home-realm domain.
    async fn check_home_realms(&self, settings: &ConnectionSettings) -> Result<(), Failure> {
        let all = self.ports.connections.all_connections().await?;
        settings::check_home_realms(settings, &all).map_err(Failure::InvalidConnection)
    }

    async fn create(&self, input: ConnectionInput) -> Result<Response, Failure> {
        let settings = settings::validate(&input).map_err(Failure::InvalidConnection)?;
        self.check_home_realms(&settings).await?;
        let sealed = match input.client_secret.as_deref() {
            Some(secret) => Some(self.seal(&settings.id, secret)?),
            None => None,
        };
        let now = self.ports.clock.now();
        self.ports
            .connections
            .create_connection(&settings, sealed.as_deref(), now)
            .await
            .map_err(|err| match Failure::from(err) {
                Failure::Exists => Failure::ConnectionExists,
                other => other,
            })?;
        crate::cache_version::changed(self.ports).await;
        let created = self.existing(&settings.id).await?;
        self.record(
            types::IDP_CREATE,
            "An admin registered a connection",
            Some(&settings),
        )
        .await;
        let location = Route::AdminConnection(&settings.id).path();
        Ok(Response::json(201, &self.shown(&created)).with_header("location", &location))
    }

    /// Replaces a connection with what `next` makes of its current resource, checked by
    /// the same rules as a registration. The id, kind and issuer cannot change.
    async fn update(
        &self,
        id: &str,
        next: impl FnOnce(&ConnectionResource) -> Result<(ConnectionInput, SecretRequest), Failure>,
    ) -> Result<Response, Failure> {
        let current = self.existing(id).await?;
        let (mut input, secret_request) = next(&current)?;
        if input.id.as_deref().is_some_and(|given| given != id) {
            return Err(fixed("id"));
        }
        input.id = Some(id.to_string());
        let settings = settings::validate(&input).map_err(Failure::InvalidConnection)?;
        if settings.issuer != current.settings.issuer {
            return Err(fixed("issuer"));
        }
        if settings.kind != current.settings.kind {
            return Err(fixed("kind"));
        }
        self.check_home_realms(&settings).await?;
        let sealed = match input.client_secret.as_deref() {
            Some(secret) => Some(self.seal(id, secret)?),
            None => None,
        };
        let change = match (secret_request, sealed.as_deref()) {
            (SecretRequest::Remove, _) => SecretChange::Remove,
            (SecretRequest::SetOrKeep, Some(sealed)) => SecretChange::Set(sealed),
            (SecretRequest::SetOrKeep, None) => SecretChange::Keep,
        };
        if !self
            .ports
            .connections
            .replace_connection(&settings, change, self.ports.clock.now())
            .await?
        {
            return Err(Failure::ConnectionNotFound);
        }
        crate::cache_version::changed(self.ports).await;
        let updated = self.existing(id).await?;
        self.record(
            types::IDP_UPDATE,
            "An admin changed a connection",
            Some(&settings),
        )
        .await;
        Ok(Response::json(200, &self.shown(&updated)))
    }

    async fn delete(&self, id: &str) -> Result<Response, Failure> {
        let current = self.existing(id).await?;
        if !self.ports.connections.delete_connection(id).await? {
            return Err(Failure::ConnectionNotFound);
        }
        crate::cache_version::changed(self.ports).await;
        self.record(
            types::IDP_DELETE,
            "An admin deleted a connection",
            Some(&current.settings),
        )
        .await;
        Ok(Response::empty(204))
    }

    /// The connection `id`, enabled or not.
    async fn existing(&self, id: &str) -> Result<ConnectionResource, Failure> {
        self.ports
            .connections
            .connection(id)
            .await?
            .ok_or(Failure::ConnectionNotFound)
    }

    /// `secret` sealed for connection `id`.
    fn seal(&self, id: &str, secret: &str) -> Result<String, Failure> {
        let kek = self
            .ports
            .settings
            .key_encryption_key
            .as_ref()
            .ok_or_else(|| Failure::Unavailable("KEY_ENCRYPTION_KEY is not configured".into()))?;
        kek.seal(
            secret.as_bytes(),
            &Connection::secret_record(id),
            self.ports.random,
        )
        .map_err(|_| Failure::Unavailable("secure random source failed".into()))
    }

    /// The resource as answered: with the redirect URI to register at the provider.
    fn shown(&self, connection: &ConnectionResource) -> Value {
        let mut shown = json!(connection);
        shown["callback_url"] = Value::String(callback_url(
            &self.request.self_origin,
            &connection.settings.id,
        ));
        shown
    }

    async fn record(
        &self,
        event_type: &'static str,
        display_message: &'static str,
        connection: Option<&ConnectionSettings>,
    ) {
        let target = connection.map(|c| Party {
            id: c.id.clone(),
            kind: "IdentityProvider".into(),
            alternate_id: Some(c.issuer.clone()),
            display_name: Some(c.display_name.clone()),
        });
        self.admin
            .record(
                self.ports,
                self.context,
                event_type,
                display_message,
                target,
            )
            .await;
    }
}

/// A setting that cannot change once the connection exists.
fn fixed(field: &'static str) -> Failure {
    Failure::InvalidConnection(Refusal {
        field,
        problem: format!(
            "a connection's {field} cannot change: identities are linked per connection and \
             issuer; register a new connection instead"
        ),
    })
}

/// What a change asks of the secret besides the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretRequest {
    /// Set it if `client_secret` is given, else keep it (a secret is never read back,
    /// so a `PUT` of a resource as read must not drop it).
    SetOrKeep,
    /// `"client_secret": null` in a merge patch.
    Remove,
}

/// RFC 7396: `patch` applied to the current resource (see
/// [`admin_error::merge_patch`]); `"client_secret": null` removes the secret.
fn merge_patch(
    current: &ConnectionResource,
    patch: &Value,
) -> Result<(ConnectionInput, SecretRequest), Failure> {
    let input = admin_error::merge_patch(&current.settings, patch)?;
    let request = match patch.get("client_secret") {
        Some(Value::Null) => SecretRequest::Remove,
        _ => SecretRequest::SetOrKeep,
    };
    Ok((input, request))
}

#[cfg(test)]
mod tests;
