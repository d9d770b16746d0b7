//! Attack protection a client can turn on (see [`crate::clients::Protection`]), each
//! through a port with a real HTTP implementation on the platform:
//!
//! - [`turnstile`]: a human check (Cloudflare Turnstile) at sign-up and at password
//!   sign-in to an account under attack;
//! - [`breached`]: new passwords checked against Have I Been Pwned's Pwned Passwords with
//!   the k-anonymity range API, failing open.

pub mod breached;
pub mod turnstile;
