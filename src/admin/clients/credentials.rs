//! "Send a new link": a new one-time credentials link for the owner, in place of the one
//! they have not used; the old link stops working at once. Allowed to whoever may rotate
//! the application's secrets. The administrator never sees the link's secret, nor the link.

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::CheckedPost;
use crate::clients::delivery::{self, DeliveryError};
use crate::error::AppError;
use actix_web::{HttpResponse, web};

#[tracing::instrument(skip_all, fields(admin = %post.session.user.username))]
pub async fn resend(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    load(&post.session, &post.state, id, Permission::RotateSecret).await?;
    let ttl = post.state.settings.credential_link_ttl;
    let result = post
        .perform(move |conn, actor, now| delivery::resend(conn, id, ttl, actor, now))
        .await?;
    post.state.mail_queued();
    let message = match result {
        Ok(client) => format!(
            "Sent the owner of {} a new link to collect its credentials; the previous link no \
             longer works.",
            client.name
        ),
        Err(DeliveryError::NoClient) => return Err(AppError::NotFound),
        Err(refusal) => refusal.to_string(),
    };
    post.flash(message, &view_url(id)).await
}
