//! OAuth 2.0 and OpenID Connect: one module per procedure, named as the specs name them.

pub mod authorization_request;
pub mod claims;
pub mod client_authentication;
pub mod jwks;
pub mod jws;
pub mod pkce;
pub mod token_request;
