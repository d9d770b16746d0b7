//! The Portcullis sign-in widget.
//!
//! `widget.js` (the loader in `loader/`) defines the `<portcullis-signin>` element,
//! prepares its shadow root and calls [`mount`]; everything the person sees is rendered
//! here with Leptos.

mod api;
mod app;
mod events;
mod fields;
mod human_check;
mod pkce;
mod screens;
mod session;
mod task;
mod text;
mod theme;
mod webauthn;

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::session::{Mode, Session};

/// Requested by embedded flows unless the page asks for another scope.
const DEFAULT_SCOPE: &str = "openid profile email";

/// A mounted widget, as the loader holds it.
#[wasm_bindgen]
pub struct Widget {
    session: Session,
}

#[wasm_bindgen]
impl Widget {
    /// Signs the person out of the widget, as its "Sign out" button does.
    #[wasm_bindgen(js_name = signOut)]
    pub fn sign_out(&self) {
        self.session.sign_out();
    }
}

/// Mounts the sign-in widget into `container`.
///
/// - `container`: the element inside the widget's (shadow) root to render into.
/// - `host`: the `<portcullis-signin>` element; `portcullis:*` events are dispatched on it.
/// - `options`: `{issuer, clientId, flow?, loginHint?, scope?, passkeyAutofill?,
///   resetToken?}` as the loader documents them. With `flow` the widget is on the hosted
///   sign-in page and continues that flow; without, it is embedded and starts its own.
///   `passkeyAutofill: false` keeps passkeys out of the email field's autofill menu.
///   `resetToken` (the password reset page) starts on "Choose a new password".
///   `lang` and `messages` (that language's catalogue, JSON) are the visitor's language
///   as the loader negotiated and fetched it; English without them.
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    options: js_sys::Object,
) -> Result<Widget, JsValue> {
    let issuer = option(&options, "issuer").ok_or("portcullis: mount needs an issuer")?;
    let client_id = option(&options, "clientId").ok_or("portcullis: mount needs a clientId")?;
    let mode = match option(&options, "flow") {
        Some(flow_id) => Mode::Hosted { flow_id },
        None => Mode::Embedded {
            scope: option(&options, "scope").unwrap_or_else(|| DEFAULT_SCOPE.into()),
        },
    };
    let hosted = matches!(mode, Mode::Hosted { .. });
    let login_hint = option(&options, "loginHint");
    let reset_token = option(&options, "resetToken");
    let look = app::Look {
        preset: option(&options, "theme"),
        apply: js_sys::Reflect::get(&options, &JsValue::from_str("applyTheme"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok()),
    };
    let autofill = js_sys::Reflect::get(&options, &JsValue::from_str("passkeyAutofill"))
        .ok()
        .and_then(|value| value.as_bool())
        != Some(false);
    let text = words(&options);
    let api = api::Api::new(issuer, client_id, hosted, text.lang());
    let events = events::Events::new(host);

    // The session's signals belong to the widget's reactive owner, created by mount_to.
    let created = Rc::new(Cell::new(None));
    let slot = created.clone();
    leptos::mount::mount_to(container, move || {
        let session = Session::new(api, events, mode, login_hint, autofill, reset_token, text);
        slot.set(Some(session));
        app::view(session, look)
    })
    .forget();
    let session = created
        .take()
        .ok_or("portcullis: the widget did not mount")?;
    Ok(Widget { session })
}

/// Fetches the modules of the screens after the first, the likeliest next step first.
/// The loader calls it when the browser is idle after the first screen showed, so that
/// the next step shows without waiting on the network; calling it again does nothing.
#[wasm_bindgen]
pub fn prefetch() {
    wasm_bindgen_futures::spawn_local(screens::split::prefetch());
}

/// The visitor's language: `lang` and its catalogue (`messages`, JSON) as the loader
/// fetched them. English without them, or when the catalogue does not parse.
fn words(options: &js_sys::Object) -> text::Text {
    let (Some(lang), Some(messages)) = (option(options, "lang"), option(options, "messages"))
    else {
        return text::Text::english();
    };
    text::Text::load(&lang, &messages).unwrap_or_else(|_| {
        let line = format!("portcullis: the {lang} messages do not parse; showing English");
        web_sys::console::warn_1(&line.into());
        text::Text::english()
    })
}

/// A non-empty string member of the options object.
fn option(options: &js_sys::Object, key: &str) -> Option<String> {
    js_sys::Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .as_string()
        .filter(|value| !value.trim().is_empty())
}
