//! Back-office sign-in: the session guard, CSRF, sign-in and sign-out, first-run setup.

pub mod csrf;
mod login;
mod logout;
mod session;
mod setup;

pub use session::{ActorInfo, SignedIn, flash_and_redirect, start_session};

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(logout::submit))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit));
}

/// The address a request came from, for the audit log and per-address throttling.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}
