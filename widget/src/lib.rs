//! The Portcullis sign-in widget.
//!
//! `widget.js` (the loader in `loader/`) defines the `<portcullis-signin>` element,
//! prepares its shadow root and calls [`mount`]; everything the person sees is rendered
//! here with Leptos.

mod api;
mod app;
mod events;

use wasm_bindgen::prelude::*;

/// Mounts the sign-in widget into `container`.
///
/// - `container`: the element inside the widget's (shadow) root to render into.
/// - `host`: the `<portcullis-signin>` element; `portcullis:*` events are dispatched on it.
/// - `issuer`: the edge's origin, e.g. `https://id.example.com`.
/// - `client_id`: the registered client this page signs people in to.
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    issuer: String,
    client_id: String,
) {
    let api = api::Api::new(issuer, client_id);
    let events = events::Events::new(host);
    leptos::mount::mount_to(container, move || app::view(api, events)).forget();
}
