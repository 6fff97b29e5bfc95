//! Delete an application and everything issued to it, after a confirmation page.

use super::{GRID_URL, load, view_url};
use crate::access::Permission;
use crate::admin::auth::CheckedPost;
use crate::admin::auth::SignedIn;
use crate::admin::confirm::{Question, ask};
use crate::clients::{self, ClientError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn confirm(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let client = load(&session, &state, id, Permission::DeleteApplication).await?;
    ask(
        &session,
        &state,
        Question {
            section: "applications",
            verb: "Delete",
            subject: &client.name,
            message: "The application, its secrets and every token issued to it are removed \
                      for good. This cannot be undone.",
            action: format!("{}/delete", view_url(client.id)),
            cancel_url: view_url(client.id),
        },
    )
}

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn delete(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(
        &post.session,
        &post.state,
        id,
        Permission::DeleteApplication,
    )
    .await?;
    let result = post
        .perform(move |conn, actor, now| clients::delete(conn, id, actor, now))
        .await?;
    post.state.mail_queued();
    match result {
        Ok(client) => {
            post.flash(format!("Deleted {}.", client.name), GRID_URL)
                .await
        }
        Err(ClientError::NotFound) => Err(AppError::NotFound),
        Err(refusal) => post.flash(refusal.to_string(), &view_url(id)).await,
    }
}
