//! The admin API's clients: `/admin/v1/clients` lists and registers, `/admin/v1/clients/{id}`
//! reads, replaces (`PUT`), changes (`PATCH`, a JSON merge patch, RFC 7396) and deletes,
//! and `POST /admin/v1/clients/{id}/secret` gives a confidential client a new secret,
//! shown in that one response only (only its SHA-256 is stored).
//!
//! Every call needs a client's own token with `admin.clients.manage` (see
//! [`crate::admin`]), is checked against the rules of [`crate::client_settings`] (the
//! ones `scripts/clients` runs), and is recorded in the System Log with the caller as its
//! actor. A change drops the client from this isolate's cache at once; other isolates
//! see it within the cache's time to live ([`crate::cache`]).

use serde_json::{json, Value};

use crate::admin::AdminScope;
pub use crate::admin_error::{AdminErrorCode, Failure};
use crate::client_settings::{self, ClientInput, ClientResource, Refusal};
use crate::clients::ClientType;
use crate::crypto::{sha256_hex, token::random_handle};
use crate::events::{types, RequestContext};
use crate::http::{Method, Request, Response};
use crate::ports::Ports;
use portcullis_shared::route::Route;
use portcullis_shared::system_log::Party;

/// The answer to an admin clients request.
pub async fn handle(
    ports: &Ports<'_>,
    request: &Request,
    route: Route<'_>,
    context: &RequestContext,
) -> Response {
    let result = async {
        let admin =
            crate::admin_error::authenticate(ports, request, AdminScope::ClientsManage, context)
                .await?;
        let call = Call {
            ports,
            context,
            admin: &admin,
        };
        call.route(request, route).await
    };
    crate::admin_error::respond(ports, request, result.await)
}

/// One authenticated call.
struct Call<'a, 'p> {
    ports: &'a Ports<'p>,
    context: &'a RequestContext,
    admin: &'a crate::admin::Admin,
}

impl Call<'_, '_> {
    async fn route(&self, request: &Request, route: Route<'_>) -> Result<Response, Failure> {
        match (route, request.method) {
            (Route::AdminClients, Method::Post) => {
                self.create(crate::admin_error::body(request)?).await
            }
            (Route::AdminClients, _) => {
                let clients = self.ports.clients.list().await?;
                self.record(types::ADMIN_READ, "An admin listed the clients", None)
                    .await;
                Ok(Response::json(200, &clients))
            }
            (Route::AdminClient(id), Method::Put) => {
                self.update(id, |_| crate::admin_error::body(request)).await
            }
            (Route::AdminClient(id), Method::Patch) => {
                let patch: Value = crate::admin_error::body(request)?;
                self.update(id, |current| {
                    crate::admin_error::merge_patch(&current.settings, &patch)
                })
                .await
            }
            (Route::AdminClient(id), Method::Delete) => self.delete(id).await,
            (Route::AdminClient(id), _) => {
                let client = self.existing(id).await?;
                self.record(types::ADMIN_READ, "An admin read a client", Some(&client))
                    .await;
                Ok(Response::json(200, &client))
            }
            (Route::AdminClientSecret(id), _) => self.rotate_secret(id).await,
            _ => Err(Failure::NotFound),
        }
    }

    async fn create(&self, input: ClientInput) -> Result<Response, Failure> {
        let settings =
            client_settings::validate(&input, &self.new_id()?).map_err(Failure::Invalid)?;
        let secret = match settings.client_type {
            ClientType::Confidential => Some(self.new_secret()?),
            ClientType::Public => None,
        };
        let now = self.ports.clock.now();
        let hash = secret.as_deref().map(secret_hash);
        self.ports
            .clients
            .create(&settings, hash.as_deref(), now)
            .await?;
        self.forget().await;
        let created = self
            .ports
            .clients
            .read(&settings.id)
            .await?
            .ok_or_else(|| Failure::Unavailable("a created client was not read back".into()))?;
        self.record(
            types::APP_CREATE,
            "An admin registered a client",
            Some(&created),
        )
        .await;
        let mut shown = serde_json::to_value(&created)
            .map_err(|e| Failure::Unavailable(format!("client json: {e}")))?;
        if let Some(secret) = secret {
            shown["client_secret"] = Value::String(secret);
        }
        let location = Route::AdminClient(&settings.id).path();
        Ok(Response::json(201, &shown).with_header("location", &location))
    }

    /// Replaces a client with what `next` makes of its current resource, checked by
    /// the same rules as a registration. The id cannot change.
    async fn update(
        &self,
        id: &str,
        next: impl FnOnce(&ClientResource) -> Result<ClientInput, Failure>,
    ) -> Result<Response, Failure> {
        let current = self.existing(id).await?;
        let mut input = next(&current)?;
        if input.id.as_deref().is_some_and(|given| given != id) {
            return Err(Failure::Invalid(Refusal {
                field: "id",
                problem: "a client's id cannot change".into(),
            }));
        }
        input.id = Some(id.to_string());
        let settings = client_settings::validate(&input, id).map_err(Failure::Invalid)?;
        if !self
            .ports
            .clients
            .replace(&settings, self.ports.clock.now())
            .await?
        {
            return Err(Failure::NotFound);
        }
        self.forget().await;
        let updated = self.existing(id).await?;
        self.record(
            types::APP_UPDATE,
            "An admin changed a client",
            Some(&updated),
        )
        .await;
        Ok(Response::json(200, &updated))
    }

    async fn delete(&self, id: &str) -> Result<Response, Failure> {
        let current = self.existing(id).await?;
        if !self.ports.clients.delete(id).await? {
            return Err(Failure::NotFound);
        }
        self.forget().await;
        self.record(
            types::APP_DELETE,
            "An admin deleted a client",
            Some(&current),
        )
        .await;
        Ok(Response::empty(204))
    }

    async fn rotate_secret(&self, id: &str) -> Result<Response, Failure> {
        let current = self.existing(id).await?;
        if current.settings.client_type != ClientType::Confidential {
            return Err(Failure::PublicClient);
        }
        let secret = self.new_secret()?;
        let now = self.ports.clock.now();
        if !self
            .ports
            .clients
            .set_secret(id, &secret_hash(&secret), now)
            .await?
        {
            return Err(Failure::NotFound);
        }
        self.forget().await;
        self.record(
            types::APP_SECRET_ROTATE,
            "An admin gave a client a new secret",
            Some(&current),
        )
        .await;
        Ok(Response::json(
            200,
            &json!({"id": id, "client_secret": secret}),
        ))
    }

    /// The registered client `id`, enabled or not.
    async fn existing(&self, id: &str) -> Result<ClientResource, Failure> {
        self.ports.clients.read(id).await?.ok_or(Failure::NotFound)
    }

    /// A client changed: this isolate forgets what it keeps at once, every other within
    /// its version check interval (see [`crate::cache_version`]).
    async fn forget(&self) {
        crate::cache_version::changed(self.ports).await;
    }

    fn new_id(&self) -> Result<String, Failure> {
        let mut bytes = [0u8; 16];
        self.ports
            .random
            .fill(&mut bytes)
            .map_err(|_| Failure::Unavailable("no randomness for a client id".into()))?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    fn new_secret(&self) -> Result<String, Failure> {
        random_handle(self.ports.random)
            .map_err(|_| Failure::Unavailable("no randomness for a client secret".into()))
    }

    async fn record(
        &self,
        event_type: &'static str,
        display_message: &'static str,
        client: Option<&ClientResource>,
    ) {
        let target = client.map(|c| Party {
            id: c.settings.id.clone(),
            kind: "AppInstance".into(),
            alternate_id: None,
            display_name: Some(c.settings.name.clone()),
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

/// What the edge stores of a secret: `sha256:` and the hex SHA-256 of its UTF-8.
fn secret_hash(secret: &str) -> String {
    format!("sha256:{}", sha256_hex(secret))
}

#[cfg(test)]
pub(crate) mod tests;
