//! The widget's entry points in the browser, as the loader calls them: `mount` renders
//! everything, `hydrate` adopts the first screen the edge rendered.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::{self, Start};
use crate::session::{Mode, Session};
use crate::{api, events, text, DEFAULT_SCOPE};

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
/// - `options`: `{issuer, clientId, flow?, mode?, loginHint?, scope?, passkeyAutofill?,
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
    start(container, host, &options, None)
}

/// Adopts the first screen that the edge rendered into `container` (the HTML of
/// `/v1/clients/{id}/first-screen`, inserted exactly as sent), as [`mount`] would have
/// rendered it. `options` as for [`mount`], plus `config`: the client configuration that
/// came with the HTML (JSON), which is the starting state the edge rendered. `loginHint`
/// carries what the person typed into the email field meanwhile.
#[cfg(feature = "hydrate")]
#[wasm_bindgen]
pub fn hydrate(
    container: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    options: js_sys::Object,
) -> Result<Widget, JsValue> {
    let config = option(&options, "config")
        .and_then(|json| crate::read::client_config(&crate::read::parse(&json)?))
        .ok_or("portcullis: hydrate needs the client configuration")?;
    start(container, host, &options, Some(config))
}

/// Mounts (`config` unknown) or hydrates (`config` the first screen was rendered with).
fn start(
    container: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    options: &js_sys::Object,
    config: Option<portcullis_shared::api::ClientConfig>,
) -> Result<Widget, JsValue> {
    let issuer = option(options, "issuer").ok_or("portcullis: mount needs an issuer")?;
    let client_id = option(options, "clientId").ok_or("portcullis: mount needs a clientId")?;
    let mode = match option(options, "flow") {
        Some(flow_id) => Mode::Hosted { flow_id },
        None => Mode::Embedded {
            scope: option(options, "scope").unwrap_or_else(|| DEFAULT_SCOPE.into()),
        },
    };
    let hosted = matches!(mode, Mode::Hosted { .. });
    let login_hint = option(options, "loginHint");
    let reset_token = option(options, "resetToken");
    let look = app::Look {
        preset: option(options, "theme"),
        apply: js_sys::Reflect::get(options, &JsValue::from_str("applyTheme"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok()),
    };
    let autofill = js_sys::Reflect::get(options, &JsValue::from_str("passkeyAutofill"))
        .ok()
        .and_then(|value| value.as_bool())
        != Some(false);
    let text = words(options);
    // The autofill request the loader made while the wasm loaded, for the session to adopt.
    let early_autofill = js_sys::Reflect::get(options, &JsValue::from_str("autofill"))
        .ok()
        .filter(JsValue::is_object)
        .and_then(|early| {
            let controller = js_sys::Reflect::get(&early, &JsValue::from_str("controller")).ok()?;
            let ready = js_sys::Reflect::get(&early, &JsValue::from_str("ready")).ok()?;
            Some((
                controller.dyn_into::<web_sys::AbortController>().ok()?,
                ready.dyn_into::<js_sys::Promise>().ok()?,
            ))
        });
    // `mode="account"`: the signed-in area shows the whole account.
    let account_area = option(options, "mode").as_deref() == Some("account");
    let hydrating = config.is_some();
    let api = api::Api::new(issuer, client_id, hosted, text.lang());
    let events = events::Events::new(host);

    // The session's signals belong to the widget's reactive owner, created by mount_to
    // (or hydrate_from).
    let created = Rc::new(Cell::new(None));
    let slot = created.clone();
    let app = move || {
        let session = Session::new(api, events, mode, login_hint, autofill, reset_token, text);
        session.set_account_area(account_area);
        if let Some((controller, ready)) = early_autofill.clone() {
            session.adopt_early_autofill(controller, ready);
        }
        slot.set(Some(session));
        let start = match config {
            Some(config) => Start::Hydrate(config),
            None => Start::Fetch,
        };
        app::view(session, look, start)
    };
    #[cfg(feature = "hydrate")]
    if hydrating {
        leptos::mount::hydrate_from(container, app).forget();
        return finish(&created);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = hydrating;
    leptos::mount::mount_to(container, app).forget();
    finish(&created)
}

fn finish(created: &Cell<Option<Session>>) -> Result<Widget, JsValue> {
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
    wasm_bindgen_futures::spawn_local(crate::screens::split::prefetch());
}

/// The visitor's language: `lang` and its catalogue (`messages`, JSON) as the loader
/// fetched them. English without them, or when the catalogue does not parse.
fn words(options: &js_sys::Object) -> text::Text {
    let (Some(lang), Some(messages)) = (option(options, "lang"), option(options, "messages"))
    else {
        return text::Text::english();
    };
    text::Text::load(&lang, &messages).unwrap_or_else(|| {
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
