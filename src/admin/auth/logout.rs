use crate::admin::auth::SignedIn;
use crate::admin::auth::session::session_cookie;
use crate::admin::form::CsrfForm;
use crate::admin::{see_other, set_cookie};
use crate::db::models::admin_session;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// Deletes the session row, so the cookie is worthless even if it was copied.
pub async fn sign_out(
    session: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let id = session.session_id;
    crate::db::query(&state.pool, move |conn| admin_session::delete(conn, id)).await?;
    let mut response = see_other("/admin/login");
    let mut gone = session_cookie(String::new(), state.settings.secure_cookies());
    gone.make_removal();
    set_cookie(&mut response, &gone)?;
    Ok(response)
}
