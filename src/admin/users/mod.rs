//! System > User Management > Users: list, create, view (with the applications the user
//! owns), edit, enable and disable.

mod form;
mod list;
mod show;
mod status;

use crate::db::models::user::{self, User};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/users")
            .route("", web::get().to(list::show))
            .route("/new", web::get().to(form::new_form))
            .route("/new", web::post().to(form::create))
            .route("/{id}", web::get().to(show::show))
            .route("/{id}/edit", web::get().to(form::edit_form))
            .route("/{id}/edit", web::post().to(form::save))
            .route("/{id}/enable", web::post().to(status::enable))
            .route("/{id}/disable", web::get().to(status::confirm_disable))
            .route("/{id}/disable", web::post().to(status::disable))
            .default_service(web::to(super::not_found)),
    );
}

pub fn view_url(id: i64) -> String {
    format!("/admin/users/{id}")
}

async fn load(state: &AppState, id: i64) -> Result<User, AppError> {
    crate::db::query(&state.pool, move |conn| user::get(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}
