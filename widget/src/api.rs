//! The widget's client for the edge's `/v1` API.

use portcullis_shared::api::{ClientConfig, FlowStarted, StartFlow};
use portcullis_shared::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestMode};

/// Where the edge is and which client this widget acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    issuer: String,
    client_id: String,
}

impl Api {
    pub fn new(issuer: String, client_id: String) -> Api {
        Api {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id,
        }
    }

    pub async fn client_config(&self) -> Result<ClientConfig, ApiError> {
        let path = format!("/v1/clients/{}", encode_segment(&self.client_id));
        self.call("GET", &path, None).await
    }

    pub async fn start_flow(&self, login_hint: String) -> Result<FlowStarted, ApiError> {
        let body = StartFlow {
            client_id: self.client_id.clone(),
            login_hint: Some(login_hint),
        };
        let body = serde_json::to_string(&body).map_err(|_| network_error())?;
        self.call("POST", "/v1/flows", Some(body)).await
    }

    pub async fn cancel_flow(&self, flow_id: &str) -> Result<(), ApiError> {
        let path = format!("/v1/flows/{}", encode_segment(flow_id));
        self.call::<serde_json::Value>("DELETE", &path, None)
            .await
            .map(|_| ())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ApiError> {
        let text = self
            .fetch(method, path, body)
            .await
            .map_err(|_| network_error())?;
        let (status, text) = text;
        if (200..300).contains(&status) {
            // 204 carries no body; callers that expect none ask for `serde_json::Value`.
            let text = if text.is_empty() {
                "null".to_string()
            } else {
                text
            };
            serde_json::from_str(&text).map_err(|_| network_error())
        } else {
            Err(serde_json::from_str::<ApiError>(&text).unwrap_or_else(|_| network_error()))
        }
    }

    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), JsValue> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_mode(RequestMode::Cors);
        if let Some(body) = body {
            let headers = web_sys::Headers::new()?;
            headers.set("content-type", "application/json")?;
            init.set_headers(&headers);
            init.set_body(&JsValue::from_str(&body));
        }
        let url = format!("{}{}", self.issuer, path);
        let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()?;
        let text = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((response.status(), text))
    }
}

/// The error shown when the edge cannot be reached or answers with something unreadable.
fn network_error() -> ApiError {
    ApiError {
        code: ErrorCode::ServerError,
        message: "Cannot reach the sign-in service. Check your connection and try again.".into(),
        password: None,
    }
}

/// Percent-encodes a path segment so ids cannot change the path.
fn encode_segment(segment: &str) -> String {
    js_sys::encode_uri_component(segment).into()
}
