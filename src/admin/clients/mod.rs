//! System > User Management > OAuth Applications.

mod authorization;
mod credentials;
mod delete;
mod edit;
mod form;
mod grid;
mod new;
mod secrets;
mod show;
mod status;

use crate::access::{Permission, Record};
use crate::admin::auth::SignedIn;
use crate::db::models::client::{self, Client};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::web;

/// The grid, and the prefix of every application's page.
pub const GRID_URL: &str = "/admin/oauth-applications";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/oauth-applications")
            .route("", web::get().to(grid::show))
            .route("/new", web::get().to(new::form))
            .route("/new", web::post().to(new::create))
            .route("/{id}", web::get().to(show::show))
            .route("/{id}/edit", web::get().to(edit::form))
            .route("/{id}/edit", web::post().to(edit::save))
            .route("/{id}/activate", web::post().to(status::activate))
            .route(
                "/{id}/deactivate",
                web::get().to(status::confirm_deactivate),
            )
            .route("/{id}/deactivate", web::post().to(status::deactivate))
            .route("/{id}/authorization", web::get().to(authorization::form))
            .route("/{id}/authorization", web::post().to(authorization::submit))
            .route("/{id}/secrets/new", web::get().to(secrets::new))
            .route(
                "/{id}/credentials-link",
                web::post().to(credentials::resend),
            )
            .route("/{id}/secrets", web::post().to(secrets::add))
            .route(
                "/{id}/secrets/{secret}/disable",
                web::get().to(secrets::confirm_disable),
            )
            .route(
                "/{id}/secrets/{secret}/disable",
                web::post().to(secrets::disable),
            )
            .route("/{id}/delete", web::get().to(delete::confirm))
            .route("/{id}/delete", web::post().to(delete::delete))
            .default_service(web::to(super::not_found)),
    );
}

pub fn view_url(id: i64) -> String {
    format!("{GRID_URL}/{id}")
}

/// The application `id`, if the signed-in user may do `permission` with it; an application
/// the user may not see answers 404 like one that does not exist.
pub async fn load(
    session: &SignedIn,
    state: &AppState,
    id: i64,
    permission: Permission,
) -> Result<Client, AppError> {
    let client = crate::db::query(&state.pool, move |conn| client::get(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    session.require(permission, Record::application(&client))?;
    Ok(client)
}
