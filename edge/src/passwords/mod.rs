//! Passwords per NIST SP 800-63B-4: what is accepted ([`policy`], checked against the
//! [`blocklist`]) and how it is stored ([`hashing`]).

pub mod blocklist;
pub mod hashing;
pub mod policy;
