//! The Portcullis admin console, served at `/admin/`: an administrator signs in with the
//! widget (client `portcullis-console`), then finds people, changes their status, manages
//! groups and clients and reads the System Log, through the admin API only. The access token stays in this
//! module's memory; nothing is kept in storage.

// Leptos's nested view types are deep; the native test build lays them all out.
#![recursion_limit = "256"]

mod api;
mod app;
mod clients;
mod groups;
mod text;
mod views;

use wasm_bindgen::prelude::*;

/// Mounts the console into `root` in the visitor's language (negotiated here against the
/// catalogues under `/admin/locales/`).
#[wasm_bindgen]
pub async fn start(root: web_sys::HtmlElement) {
    let text = text::Text::load().await;
    leptos::mount::mount_to(root, move || leptos::view! { <app::App text /> }).forget();
}
