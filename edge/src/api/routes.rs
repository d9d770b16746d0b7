//! The route table of the `/v1` API.

use portcullis_shared::api::{ClientConfig, Health, StartFlow};

use super::json_body;
use crate::error::Error;
use crate::flows::{self, Caller};
use crate::http::{Method, Request, Response};
use crate::ports::Ports;

pub(super) async fn dispatch(ports: &Ports<'_>, request: &Request) -> Result<Response, Error> {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let caller = Caller {
        origin: request.header("origin"),
        self_origin: &request.self_origin,
    };
    match (segments.as_slice(), request.method) {
        (["v1", "health"], Method::Get | Method::Head) => Ok(health()),
        (["v1", "clients", client_id], Method::Get | Method::Head) => {
            client_config(ports, client_id).await
        }
        (["v1", "flows"], Method::Post) => {
            let body: StartFlow = json_body(request)?;
            let started = flows::start(ports, caller, body).await?;
            Ok(Response::json(201, &started))
        }
        (["v1", "flows", flow_id], Method::Delete) => {
            flows::cancel(ports, flow_id).await?;
            Ok(Response::empty(204))
        }
        (["v1", "health"] | ["v1", "clients", _] | ["v1", "flows"] | ["v1", "flows", _], _) => {
            Err(Error::MethodNotAllowed)
        }
        _ => Err(Error::NoRoute),
    }
}

fn health() -> Response {
    Response::json(
        200,
        &Health {
            status: "ok".into(),
            version: crate::VERSION.into(),
        },
    )
}

async fn client_config(ports: &Ports<'_>, client_id: &str) -> Result<Response, Error> {
    let client = ports
        .clients
        .find(client_id)
        .await?
        .ok_or(Error::UnknownClient)?;
    let config = ClientConfig {
        client_id: client.id,
        name: client.name,
    };
    // Public data: let browsers and the edge cache reuse it for a minute.
    Ok(Response::json(200, &config).with_header("cache-control", "public, max-age=60"))
}
