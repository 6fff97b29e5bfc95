//! Enable and disable users. Disabling asks first: it signs the user out everywhere.

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::CheckedPost;
use crate::admin::auth::SignedIn;
use crate::admin::confirm::{Question, ask};
use crate::error::AppError;
use crate::state::AppState;
use crate::users::{self, UserError};
use actix_web::{HttpResponse, web};

pub async fn confirm_disable(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = load(&session, &state, path.into_inner(), Permission::ManageUsers).await?;
    ask(
        &session,
        &state,
        Question {
            section: "users",
            verb: "Disable",
            subject: &user.username,
            message: "The user is signed out everywhere, cannot sign in, and every token acting \
                      as this user stops working at once.",
            action: format!("{}/disable", view_url(user.id)),
            cancel_url: view_url(user.id),
        },
    )
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn enable(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(&post.session, &post.state, id, Permission::ManageUsers).await?;
    let result = post
        .perform(move |conn, actor, now| users::enable(conn, id, actor, now))
        .await?;
    report(
        &post,
        id,
        result.map(|u| format!("Enabled {}.", u.username)),
    )
    .await
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn disable(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(&post.session, &post.state, id, Permission::ManageUsers).await?;
    let result = post
        .perform(move |conn, actor, now| users::disable(conn, id, actor, now))
        .await?;
    let done = |u: crate::db::models::user::User| {
        format!(
            "Disabled {}: sessions ended and tokens revoked.",
            u.username
        )
    };
    report(&post, id, result.map(done)).await
}

/// Shows the outcome, or why it was refused, on the user's page.
async fn report(
    post: &CheckedPost,
    id: i64,
    result: Result<String, UserError>,
) -> Result<HttpResponse, AppError> {
    let message = match result {
        Ok(message) => message,
        Err(UserError::NotFound) => return Err(AppError::NotFound),
        Err(refusal) => refusal.to_string(),
    };
    post.flash(message, &view_url(id)).await
}
