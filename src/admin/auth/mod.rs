//! Back-office sign-in: the session guard, CSRF, sign-in and sign-out, first-run setup.

mod checked_post;
pub mod csrf;
mod login;
mod logout;
mod session;
mod setup;

pub use checked_post::CheckedPost;
pub use session::{SignedIn, flash_and_redirect, start_session};

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::sign_in))
        .route("/logout", web::post().to(logout::sign_out))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::create_first_admin));
}
