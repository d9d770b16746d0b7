//! Wire types shared by the Portcullis edge and widget.
//!
//! Everything here is plain data with serde derives: what crosses the network between
//! the widget and the edge, or the DOM between the widget and the host page.

pub mod account_data;
pub mod api;
pub mod consent;
pub mod error;
pub mod events;
pub mod messages;
pub mod oauth;
pub mod profile;
pub mod route;
pub mod scope;
pub mod secret;
pub mod system_log;
pub mod theme;

pub use error::{ApiError, ErrorCode};
