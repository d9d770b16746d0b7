//! The console's frame: sign-in with the widget, then the administrator's views, or a
//! clear refusal for someone who is not an administrator.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::api::{self, Failure, Token};
use crate::clients::Clients;
use crate::groups::Groups;
use crate::text::Text;
use crate::views::{Log, Users};

/// The console client: only its tokens carry a person's admin rights.
const CONSOLE_CLIENT_ID: &str = "portcullis-console";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Users,
    Groups,
    Clients,
    Log,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Users, Tab::Groups, Tab::Clients, Tab::Log];

    /// The tab's name in the catalogue.
    fn key(self) -> &'static str {
        match self {
            Tab::Users => "nav-users",
            Tab::Groups => "nav-groups",
            Tab::Clients => "nav-clients",
            Tab::Log => "nav-log",
        }
    }
}

/// Where the console is.
#[derive(Clone, PartialEq)]
enum State {
    SignedOut,
    /// Asking the admin API whether the person administers.
    Checking,
    Admin(Token),
    /// Signed in, but the admin API refused (not an administrator, or sign in again).
    Refused(Failure),
}

/// Calls `then` with the `portcullis:*` event `name` from the widget, whatever element
/// it is dispatched on (the capture phase sees events that do not bubble).
fn on_widget_event(name: &str, then: impl Fn(JsValue) + 'static) {
    let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        let detail = event
            .dyn_ref::<web_sys::CustomEvent>()
            .map_or(JsValue::NULL, web_sys::CustomEvent::detail);
        then(detail);
    });
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let _ = document.add_event_listener_with_callback_and_bool(
            name,
            listener.as_ref().unchecked_ref(),
            true,
        );
    }
    // The console listens as long as the page lives.
    listener.forget();
}

/// Signs the widget out (it then announces `portcullis:signed-out`).
fn sign_out_widget() {
    let widget = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("console-sign-in"));
    if let Some(widget) = widget {
        let method = js_sys::Reflect::get(&widget, &JsValue::from_str("signOut"));
        if let Ok(method) = method.and_then(|m| m.dyn_into::<js_sys::Function>()) {
            let _ = method.call0(&widget);
        }
    }
}

#[component]
pub fn App(
    /// The visitor's language.
    text: Text,
) -> impl IntoView {
    let state = RwSignal::new(State::SignedOut);
    let tab = RwSignal::new(Tab::Users);
    on_widget_event("portcullis:signed-in", move |detail| {
        let token = js_sys::Reflect::get(&detail, &JsValue::from_str("access_token"))
            .ok()
            .and_then(|t| t.as_string());
        let Some(token) = token.map(Token) else {
            return;
        };
        state.set(State::Checking);
        leptos::task::spawn_local(async move {
            // Every administrator may read users: the one question that says whether
            // this person administers, before anything is shown.
            let answer = api::call("GET", "/scim/v2/Users?count=1", &token).await;
            state.set(match answer {
                Ok(_) => State::Admin(token),
                Err(failure) => State::Refused(failure),
            });
        });
    });
    on_widget_event("portcullis:signed-out", move |_| {
        state.set(State::SignedOut)
    });

    let signed_in = move || !matches!(state.get(), State::SignedOut);
    let body = move || match state.get() {
        State::SignedOut => view! { <p>{text.get("sign-in-intro")}</p> }.into_any(),
        State::Checking => view! { <p role="status">{text.get("loading")}</p> }.into_any(),
        State::Refused(failure) => {
            let message = if failure == Failure::Refused {
                text.get("refused")
            } else {
                text.get("sign-in-again")
            };
            view! { <p role="alert" id="console-refusal">{message}</p> }.into_any()
        }
        State::Admin(token) => view! {
            <nav aria-label=text.get("nav-label")>
                {Tab::ALL.map(|each| view! {
                    <button type="button" aria-pressed=move || (tab.get() == each).to_string()
                        on:click=move |_| tab.set(each)>{text.get(each.key())}</button>
                })}
            </nav>
            {
                let token = token.clone();
                move || match tab.get() {
                    Tab::Users => view! { <Users text token=token.clone() /> }.into_any(),
                    Tab::Groups => view! { <Groups text token=token.clone() /> }.into_any(),
                    Tab::Clients => view! { <Clients text token=token.clone() /> }.into_any(),
                    Tab::Log => view! { <Log text token=token.clone() /> }.into_any(),
                }
            }
        }
        .into_any(),
    };
    view! {
        <div class="pc-root console" lang=text.lang() dir=text.dir()>
            <header>
                <h1>{text.get("title")}</h1>
                <button type="button" hidden=move || !signed_in() on:click=move |_| sign_out_widget()>
                    {text.get("sign-out")}
                </button>
            </header>
            <main>
                <section hidden=signed_in aria-label=text.get("sign-in-heading")>
                    <portcullis-signin id="console-sign-in" client-id=CONSOLE_CLIENT_ID scope="openid email"></portcullis-signin>
                </section>
                {body}
            </main>
        </div>
    }
}
