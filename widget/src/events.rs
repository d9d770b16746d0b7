//! `portcullis:*` DOM events dispatched on the host element.
//!
//! `ready`, `step` and `error` are described in `portcullis_shared::events`; the two
//! below exist only between the widget and its host page, so they live here.

use portcullis_shared::events::{StepDetail, ERROR, READY, STEP};
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

use crate::api::{Failure, Tokens};
use crate::text::{self, Text};

/// Dispatched when an embedded sign-in or sign-up completes; `detail` is the token
/// response: `{access_token, token_type, expires_in, id_token, scope, refresh_token?}`.
/// The widget keeps only the access token, in memory until sign-out, to manage the
/// person's passkeys.
pub const SIGNED_IN: &str = "portcullis:signed-in";
/// Dispatched when the person signs out of the widget (its button or `signOut()`);
/// `detail` is `{}`. The host page should forget the tokens it was given.
pub const SIGNED_OUT: &str = "portcullis:signed-out";

/// `detail` of events that carry nothing.
#[derive(Serialize)]
struct Empty {}

/// `detail` of `portcullis:error`.
#[derive(Serialize)]
struct ErrorEvent<'a> {
    code: &'a str,
    message: &'a str,
}

/// Dispatches widget events on the host element, crossing the shadow boundary.
#[derive(Clone)]
pub struct Events {
    /// `None` where the widget is rendered to HTML (on the edge): nothing to tell.
    host: Option<HtmlElement>,
}

impl Events {
    // Not in the edge's build (`ssr`), which renders for no element.
    #[cfg_attr(feature = "ssr", allow(dead_code))]
    pub fn new(host: HtmlElement) -> Events {
        Events { host: Some(host) }
    }

    /// For a widget rendered to HTML, which has no element and no page to tell.
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    pub fn none() -> Events {
        Events { host: None }
    }

    pub fn ready(&self) {
        self.dispatch(READY, &Empty {});
    }

    pub fn step(&self, detail: &StepDetail) {
        self.dispatch(STEP, detail);
    }

    /// The shape of `portcullis_shared::events::ErrorDetail`, with the code as a string:
    /// the widget also reports codes that are not `/v1` error codes (`/token` errors).
    pub fn error(&self, code: &str, message: &str) {
        self.dispatch(ERROR, &ErrorEvent { code, message });
    }

    /// Reports `failure` as `portcullis:error` with the words the person sees. What the
    /// edge said about a problem that is the site's to fix (an origin not on the client's
    /// allow-list, an unknown client) goes to the console, in English, for its developers.
    pub fn failed(&self, failure: &Failure, text: Text) {
        if let Failure::Other { code, message } = failure {
            let line = format!("portcullis: {code}: {message}");
            web_sys::console::error_1(&line.into());
        }
        self.error(failure.code(), &text::failure_message(text, failure));
    }

    pub fn signed_in(&self, tokens: &Tokens) {
        self.dispatch_value(SIGNED_IN, tokens.as_js());
    }

    pub fn signed_out(&self) {
        self.dispatch(SIGNED_OUT, &Empty {});
    }

    fn dispatch<T: Serialize>(&self, name: &str, detail: &T) {
        let detail = crate::json::to_string(detail)
            .ok()
            .and_then(|json| js_sys::JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL);
        self.dispatch_value(name, &detail);
    }

    fn dispatch_value(&self, name: &str, detail: &JsValue) {
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        let Some(host) = &self.host else {
            return;
        };
        if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
            // A listener throwing must not break the widget.
            let _ = host.dispatch_event(&event);
        }
    }
}
