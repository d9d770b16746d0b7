//! Names of claims and scopes whose meaning this provider fixes, shared by the rules for
//! what token hooks and clients' custom claims may add.

/// Claims a token hook or a client's custom claim may never set or change: what relying
/// parties and resources rely on to trust a token (JWT, OIDC Core §2, RFC 9068 §2.2,
/// RFC 8693, RFC 9449) and what this provider decides itself.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "s_hash",
    "sid",
    "client_id",
    "scope",
    "scp",
    "cnf",
    "act",
    "may_act",
    "grant",
    "typ",
    "email",
    "email_verified",
    "name",
    "events",
    "nonce_supported",
];

/// The scope that asks for the `roles` claim (see [`crate::oauth::custom_claims`]).
pub const ROLES_SCOPE: &str = "roles";
/// The claim of [`ROLES_SCOPE`].
pub const ROLES_CLAIM: &str = "roles";
