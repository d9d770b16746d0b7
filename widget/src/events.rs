//! `portcullis:*` DOM events dispatched on the host element.

use portcullis_shared::events::{ErrorDetail, StepDetail, ERROR, READY, STEP};
use portcullis_shared::ApiError;
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

/// Dispatches widget events on the host element, crossing the shadow boundary.
#[derive(Clone)]
pub struct Events {
    host: HtmlElement,
}

impl Events {
    pub fn new(host: HtmlElement) -> Events {
        Events { host }
    }

    pub fn ready(&self) {
        self.dispatch(READY, &serde_json::json!({}));
    }

    pub fn step(&self, detail: &StepDetail) {
        self.dispatch(STEP, detail);
    }

    pub fn error(&self, error: &ApiError) {
        let detail = ErrorDetail {
            code: error.code,
            message: error.message.clone(),
        };
        self.dispatch(ERROR, &detail);
    }

    fn dispatch<T: Serialize>(&self, name: &str, detail: &T) {
        let detail = serde_json::to_string(detail)
            .ok()
            .and_then(|json| js_sys::JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL);
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
            // A listener throwing must not break the widget.
            let _ = self.host.dispatch_event(&event);
        }
    }
}
