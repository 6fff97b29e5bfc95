//! One integration-test binary: each module is a surface of Tessera, driven over real HTTP
//! against a server on its own port with its own database.

mod helpers;
mod smtp_sink;
mod webdriver;

mod admin_auth;
mod applications;
mod applications_grid;
mod applications_tokens;
mod browser;
mod cli;
mod foundation;
mod interop;
mod mail;
mod notice_templates;
mod notice_templates_browser;
mod oauth_bearer;
mod oauth_client_auth;
mod oauth_durability;
mod oauth_grants;
mod oauth_jwt;
mod oauth_revoke_introspect;
mod oauth_support;
mod oauth_token_endpoint;
mod users_and_organizations;
