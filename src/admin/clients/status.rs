//! Activate and deactivate. Deactivation asks first, on a page of its own.

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::CheckedPost;
use crate::admin::auth::SignedIn;
use crate::admin::confirm::{Question, ask};
use crate::clients::{self, ClientError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn confirm_deactivate(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let client = load(&session, &state, id, Permission::DeactivateApplication).await?;
    ask(
        &session,
        &state,
        Question {
            section: "applications",
            verb: "Deactivate",
            subject: &client.name,
            message: "The token endpoint will refuse this application from now on, and every \
                      token it holds stops working. You can activate it again later.",
            action: format!("{}/deactivate", view_url(client.id)),
            cancel_url: view_url(client.id),
        },
    )
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn activate(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(
        &post.session,
        &post.state,
        id,
        Permission::ActivateApplication,
    )
    .await?;
    let result = post
        .perform(move |conn, actor, now| clients::activate(conn, id, actor, now))
        .await?;
    report(&post, id, result.map(|c| format!("Activated {}.", c.name))).await
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn deactivate(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(
        &post.session,
        &post.state,
        id,
        Permission::DeactivateApplication,
    )
    .await?;
    let result = post
        .perform(move |conn, actor, now| clients::deactivate(conn, id, actor, now))
        .await?;
    report(
        &post,
        id,
        result.map(|c| format!("Deactivated {}.", c.name)),
    )
    .await
}

/// Wakes the mail worker for the owner's notice and shows the outcome on the application's
/// page.
async fn report(
    post: &CheckedPost,
    id: i64,
    result: Result<String, ClientError>,
) -> Result<HttpResponse, AppError> {
    post.state.mail_queued();
    let message = match result {
        Ok(message) => message,
        Err(ClientError::NotFound) => return Err(AppError::NotFound),
        Err(refusal) => refusal.to_string(),
    };
    post.flash(message, &view_url(id)).await
}
