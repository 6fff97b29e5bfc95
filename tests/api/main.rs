//! One integration-test binary: each module is a surface of Tessera, driven over real HTTP
//! against a server on its own port with its own database.

mod helpers;

mod admin_auth;
mod cli;
mod foundation;
