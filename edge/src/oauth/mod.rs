//! The OAuth 2.0 / OpenID Connect provider: one module per procedure, named after what
//! the specifications call it.

pub mod authorization_request;
pub mod authorization_response;
pub mod authorize;
pub mod claim_names;
pub mod claims;
pub mod client_authentication;
pub mod code;
pub mod custom_claims;
pub mod discovery;
pub mod grant;
pub mod groups_claim;
pub mod introspection;
pub mod jwks;
pub mod jws;
pub mod key_ring;
pub mod keys;
pub mod logout;
pub mod pkce;
pub mod resource;
pub mod revocation;
pub mod scope;
pub mod token;
pub mod token_request;
pub mod tokens;
pub mod userinfo;
