//! One file per table: the row, the insert struct, the changeset and the queries.

pub mod admin_session;
pub mod audit_event;
pub mod client;
pub mod client_secret;
pub mod mail_outbox;
pub mod notice_rule;
pub mod notice_template;
pub mod notice_template_history;
pub mod organization;
pub mod refresh_token;
pub mod revoked_access_token;
pub mod user;
