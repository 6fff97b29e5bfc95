//! One integration-test binary: each module is a surface of Tessera, driven over real HTTP
//! against a server on its own port with its own database.

mod helpers;
mod webdriver;

mod admin_auth;
mod applications;
mod browser;
mod cli;
mod foundation;
