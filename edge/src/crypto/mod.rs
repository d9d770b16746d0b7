//! The only module that touches key material and raw randomness.

pub mod es256;
pub mod token;
