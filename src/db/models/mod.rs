//! One file per table: the row, the insert struct, the changeset and the queries.

pub mod admin_session;
pub mod audit_event;
pub mod authorization_code;
pub mod change_counter;
pub mod client;
pub mod client_secret;
pub mod consent;
pub mod credential_delivery;
pub mod mail_outbox;
pub mod notice_rule;
pub mod notice_template;
pub mod notice_template_history;
pub mod organization;
pub mod pending_authorization;
pub mod refresh_token;
pub mod revoked_access_token;
pub mod scope;
pub mod sso_session;
pub mod throttle_failure;
pub mod usage;
pub mod user;
pub mod user_role;
