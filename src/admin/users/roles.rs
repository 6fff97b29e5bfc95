//! Grant and revoke a user's role in an organization, from the user's page. Global
//! administrators grant in every organization, organization administrators in their own.

use super::{load, view_url};
use crate::access::{Permission, Record, Role};
use crate::admin::auth::CheckedPost;
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::FormData;
use crate::admin::keep_refusals;
use crate::error::AppError;
use crate::roles;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn grant(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let user = load(&session, &state, path.into_inner(), Permission::ViewUsers).await?;
    let organization_id = form
        .get("organization_id")
        .parse::<i64>()
        .map_err(|_| AppError::NotFound)?;
    session.require(
        Permission::ManageRoles,
        Record::Organization(organization_id),
    )?;
    let Some(role) = Role::parse(form.get("role")) else {
        let message = "Choose a role from the list.".to_owned();
        return flash_and_redirect(&state, &session, message, &view_url(user.id)).await;
    };
    let (id, actor, now) = (user.id, session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(roles::grant(conn, id, organization_id, role, &actor, now))
    })
    .await?;
    let message = match result {
        Ok(()) => format!("{} is now {}.", user.username, role.label().to_lowercase()),
        Err(refusal) => refusal.to_string(),
    };
    flash_and_redirect(&state, &session, message, &view_url(id)).await
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn revoke(
    post: CheckedPost,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, organization_id) = path.into_inner();
    let user = load(&post.session, &post.state, id, Permission::ViewUsers).await?;
    post.session.require(
        Permission::ManageRoles,
        Record::Organization(organization_id),
    )?;
    let result = post
        .perform(move |conn, actor, now| roles::revoke(conn, id, organization_id, actor, now))
        .await?;
    let message = match result {
        Ok(()) => format!("Revoked the role of {}.", user.username),
        Err(refusal) => refusal.to_string(),
    };
    post.flash(message, &view_url(id)).await
}
