//! Tessera: a back-office for OAuth 2.0 applications and the authorization server that
//! issues their tokens, in one process over one database.

pub mod access;
pub mod account;
pub mod admin;
pub mod audit;
pub mod authorization_settings;
pub mod client_address;
pub mod clients;
pub mod clock;
pub mod collect;
pub mod config;
pub mod consents;
pub mod csrf;
pub mod db;
pub mod domain;
pub mod error;
pub mod extractors;
pub mod files;
pub mod health;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod oauth;
pub mod organizations;
pub mod passwords;
pub mod readmodel;
pub mod roles;
pub mod scopes;
pub mod sign_in_throttle;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod supervise;
pub mod throttle;
pub mod usage;
pub mod users;
