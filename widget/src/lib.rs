//! The Portcullis sign-in widget.
//!
//! `widget.js` (the loader in `loader/`) defines the `<portcullis-signin>` element and
//! prepares its shadow root. Where the edge sent the first screen as HTML (rendered from
//! these same views by [`first_screen`] on the edge), the loader shows it at once and
//! calls `hydrate`, which adopts that markup; otherwise it calls `mount`, which renders
//! everything here with Leptos.

// The whole widget's view type, nested screen in screen, is deep for hydration's async path.
#![recursion_limit = "256"]
// The edge's build (`ssr`) renders only the first screen: the rest is there, unused.
#![cfg_attr(feature = "ssr", allow(dead_code, unused_imports))]

mod api;
mod app;
#[cfg(not(feature = "ssr"))]
mod browser;
mod events;
mod fields;
#[cfg(feature = "ssr")]
pub mod first_screen;
mod human_check;
mod json;
mod pkce;
mod read;
mod screens;
mod session;
mod task;
mod text;
mod theme;
mod webauthn;

#[cfg(not(feature = "ssr"))]
pub use browser::*;

/// Requested by embedded flows unless the page asks for another scope.
const DEFAULT_SCOPE: &str = "openid profile email";
