//! The authorization server.

pub mod keys;
