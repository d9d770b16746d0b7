//! Passwords per NIST SP 800-63B-4: what is accepted ([`policy`]) and how it is stored
//! ([`hashing`]).

pub mod hashing;
pub mod policy;
