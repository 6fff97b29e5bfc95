//! System > User Management > Users: list, create, view (with the applications the user
//! owns), edit, enable and disable.

mod form;
mod list;
mod roles;
mod show;
mod status;

use crate::access::{Permission, Record};
use crate::admin::auth::SignedIn;
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
            .route("/{id}/roles", web::post().to(roles::grant))
            .route("/{id}/roles/{org}/revoke", web::post().to(roles::revoke))
            .default_service(web::to(super::not_found)),
    );
}

pub fn view_url(id: i64) -> String {
    format!("/admin/users/{id}")
}

/// The user `id`, if the signed-in user may do `permission` with them: everyone sees
/// themselves; a user of an organization the signed-in user has no role in answers 404;
/// only global administrators change a global administrator.
async fn load(
    session: &SignedIn,
    state: &AppState,
    id: i64,
    permission: Permission,
) -> Result<User, AppError> {
    let user = crate::db::query(&state.pool, move |conn| user::get(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    if permission == Permission::ViewUsers && user.id == session.user.id {
        return Ok(user);
    }
    session.require(permission, Record::user(&user))?;
    if user.is_admin && permission != Permission::ViewUsers && !session.access.global_admin {
        return Err(AppError::Forbidden(
            "only global administrators change a global administrator",
        ));
    }
    Ok(user)
}
