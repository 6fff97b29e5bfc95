//! One integration-test binary: each module is a surface of Tessera, driven over real HTTP
//! against a server on its own port with its own database.

mod helpers;
mod scope_catalog;
mod secret_rotation;
mod smtp_sink;
mod webdriver;

mod admin_auth;
mod app_types;
mod applications;
mod applications_grid;
mod applications_tokens;
mod authorize;
mod authorize_interop;
mod authorize_support;
mod browser;
mod browser_app_types;
mod cli;
mod credentials_browser;
mod credentials_delivery;
mod foundation;
mod http_property;
mod instances;
mod interop;
mod mail_outbox;
mod mail_smtp;
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
mod observability;
mod private_files;
mod races;
mod raw_inputs;
mod roles;
mod roles_browser;
mod throttling;
mod tokens_follow_changes;
mod users_and_organizations;
