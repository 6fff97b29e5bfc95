use crate::admin::auth::CheckedPost;
use crate::admin::auth::session::session_cookie;
use crate::admin::{see_other, set_cookie};
use crate::db::models::admin_session;
use crate::error::AppError;
use actix_web::HttpResponse;

/// Deletes the session row, so the cookie is worthless even if it was copied.
pub async fn sign_out(post: CheckedPost) -> Result<HttpResponse, AppError> {
    let id = post.session.session_id;
    crate::db::query(&post.state.pool, move |conn| {
        admin_session::delete(conn, id)
    })
    .await?;
    let mut response = see_other("/admin/login");
    let mut gone = session_cookie(String::new(), post.state.settings.secure_cookies());
    gone.make_removal();
    set_cookie(&mut response, &gone)?;
    Ok(response)
}
