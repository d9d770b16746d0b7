//! RFC 6749 §3.3 scopes: the one parser, shared with the widget.

pub use portcullis_shared::scope::{has, Scopes};
