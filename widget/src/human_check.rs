//! Cloudflare Turnstile, the human check a client may ask for at password sign-up.
//!
//! Nothing of it loads for other clients, nor on the first screen: the script (the URL
//! the client's configuration names) is added to the page the first time a screen that
//! needs the check shows, once per page, and the challenge is rendered explicitly
//! (`turnstile.render`) into an element of that screen, in the widget's language. Its
//! token goes with the next request, which spends it (the edge accepts each once), so
//! taking it resets the challenge for another try.

use std::cell::RefCell;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::fields::Message;
use crate::session::Session;

thread_local! {
    /// The page's one load of the script, settled once it has run.
    static LOADING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The page's `turnstile` object, once the script at `url` has run.
async fn turnstile(url: &str) -> Option<JsValue> {
    let window = web_sys::window()?;
    let promise = LOADING.with(|loading| {
        let mut loading = loading.borrow_mut();
        if let Some(promise) = loading.as_ref() {
            return Some(promise.clone());
        }
        let document = window.document()?;
        let script = document.create_element("script").ok()?;
        script.set_attribute("src", url).ok()?;
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            let _ = script.add_event_listener_with_callback("load", &resolve);
            let _ = script.add_event_listener_with_callback("error", &reject);
        });
        document.head()?.append_child(&script).ok()?;
        *loading = Some(promise.clone());
        Some(promise)
    })?;
    if JsFuture::from(promise).await.is_err() {
        // Not loaded: the next screen that needs it tries again.
        LOADING.with(|loading| loading.borrow_mut().take());
        return None;
    }
    get(&window.into(), "turnstile")
}

/// Calls `turnstile.{method}(arg)`.
fn call(turnstile: &JsValue, method: &str, arg: &JsValue) -> Option<JsValue> {
    let function = get(turnstile, method)?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    function.call1(turnstile, arg).ok()
}

/// The challenge on one screen: its token (once solved) and the rendered challenge's id.
#[derive(Clone, Copy)]
pub struct HumanCheck {
    token: Message,
    id: Message,
    node: NodeRef<Div>,
}

impl HumanCheck {
    /// The screen's check, if the client asks for one.
    pub fn wanted(session: Session) -> Option<HumanCheck> {
        session.human_check()?;
        Some(HumanCheck {
            token: RwSignal::new(None),
            id: RwSignal::new(None),
            node: NodeRef::new(),
        })
    }

    /// The solved challenge's token, for one request: the challenge starts again for the
    /// next. `None` while it is not solved.
    pub fn take(self) -> Option<String> {
        let token = self.token.get_untracked()?;
        self.token.set(None);
        if let Some(turnstile) = web_sys::window().and_then(|w| get(&w.into(), "turnstile")) {
            let id = self.id.get_untracked().unwrap_or_default();
            call(&turnstile, "reset", &id.into());
        }
        Some(token)
    }

    /// Where the challenge shows; it is loaded and rendered once the element is there.
    pub fn view(self, session: Session) -> impl IntoView {
        self.node.on_load(move |element| {
            let Some((site_key, url)) = session.human_check() else {
                return;
            };
            let lang = session.text().lang();
            leptos::task::spawn_local(async move {
                let Some(turnstile) = turnstile(&url).await else {
                    return;
                };
                let token = self.token;
                // The challenge may outlive the screen: its callbacks then change nothing.
                let solved = Closure::<dyn FnMut(JsValue)>::new(move |t: JsValue| {
                    let _ = token.try_set(t.as_string());
                });
                let lapsed = Closure::<dyn FnMut()>::new(move || {
                    let _ = token.try_set(None);
                });
                let lapsed = lapsed.into_js_value();
                let options = js_sys::Object::new();
                for (key, value) in [
                    ("sitekey", JsValue::from_str(&site_key)),
                    ("language", JsValue::from_str(lang)),
                    ("callback", solved.into_js_value()),
                    ("expired-callback", lapsed.clone()),
                    ("error-callback", lapsed),
                ] {
                    let _ = js_sys::Reflect::set(&options, &key.into(), &value);
                }
                let id = get(&turnstile, "render")
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .and_then(|f| f.call2(&turnstile, &element, &options).ok());
                let _ = self.id.try_set(id.and_then(|id| id.as_string()));
            });
        });
        view! { <div class="pc-human-check" part="human-check" node_ref=self.node></div> }
    }
}
