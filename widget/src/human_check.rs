//! Cloudflare Turnstile, the human check a client may ask for at password sign-up.
//!
//! Nothing of it loads for other clients, nor on the first screen: the script (the URL
//! the client's configuration names) is added to the page the first time a screen that
//! needs the check shows, once per page, and the challenge is rendered explicitly
//! (`turnstile.render`) into an element of that screen, in the widget's language. Its
//! token goes with the next request, which spends it (the edge accepts each once), so
//! taking it resets the challenge for another try.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::fields::Message;
use crate::session::Session;

/// Marks the page's one script element of Turnstile.
const MARK: &str = "data-portcullis-turnstile";

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The page's `turnstile` object, once its script has run.
fn loaded() -> Option<JsValue> {
    get(&web_sys::window()?.into(), "turnstile")
}

/// A JavaScript function calling `f`. Every callback here has this one shape, so the
/// widget compiles one closure adapter for all of them.
fn callback(f: impl FnMut(JsValue) + 'static) -> JsValue {
    Closure::<dyn FnMut(JsValue)>::new(f).into_js_value()
}

/// Calls `then` once the script at `url` has run: at once if it has, else when the
/// page's one script element of it (added now if there is none) loads.
fn when_loaded(url: &str, then: JsValue) -> Option<()> {
    let then: &js_sys::Function = then.unchecked_ref();
    if loaded().is_some() {
        then.call0(&JsValue::NULL).ok()?;
        return Some(());
    }
    let document = web_sys::window()?.document()?;
    let script = match document.query_selector(&format!("script[{MARK}]")).ok()? {
        Some(script) => script,
        None => {
            let script = document.create_element("script").ok()?;
            script.set_attribute("src", url).ok()?;
            script.set_attribute(MARK, "").ok()?;
            document.head()?.append_child(&script).ok()?;
            script
        }
    };
    script.add_event_listener_with_callback("load", then).ok()
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
        if let Some(turnstile) = loaded() {
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
            let (token, id) = (self.token, self.id);
            // The challenge may outlive the screen: its callbacks then change nothing.
            let render = move |_| {
                let Some(turnstile) = loaded() else {
                    return;
                };
                let lapsed = callback(move |_| {
                    let _ = token.try_set(None);
                });
                let options = js_sys::Object::new();
                for (key, value) in [
                    ("sitekey", JsValue::from_str(&site_key)),
                    ("language", JsValue::from_str(lang)),
                    (
                        "callback",
                        callback(move |t| drop(token.try_set(t.as_string()))),
                    ),
                    ("expired-callback", lapsed.clone()),
                    ("error-callback", lapsed),
                ] {
                    let _ = js_sys::Reflect::set(&options, &key.into(), &value);
                }
                let rendered = get(&turnstile, "render")
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .and_then(|f| f.call2(&turnstile, &element, &options).ok());
                let _ = id.try_set(rendered.and_then(|id| id.as_string()));
            };
            when_loaded(&url, callback(render));
        });
        view! { <div class="pc-human-check" part="human-check" node_ref=self.node></div> }
    }
}
