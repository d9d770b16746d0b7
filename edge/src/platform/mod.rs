//! Runtime bindings. Only `cloudflare` exists today; it is the one module that imports
//! the `worker` crate.

pub mod cloudflare;
