//! Enable and disable users. Disabling asks first: it signs the user out everywhere.

use super::{load, view_url};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::confirm::{Question, ask};
use crate::admin::form::CsrfForm;
use crate::admin::keep_refusals;
use crate::error::AppError;
use crate::state::AppState;
use crate::users::{self, UserError};
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn confirm_disable(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = load(&state, path.into_inner()).await?;
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

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn enable(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let (id, actor, now) = (path.into_inner(), session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(users::enable(conn, id, &actor, now))
    })
    .await?;
    let result = result.map(|user| format!("Enabled {}.", user.username));
    report(&state, &session, id, result).await
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn disable(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let (id, actor, now) = (path.into_inner(), session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(users::disable(conn, id, &actor, now))
    })
    .await?;
    let result = result.map(|user| {
        format!(
            "Disabled {}: sessions ended and tokens revoked.",
            user.username
        )
    });
    report(&state, &session, id, result).await
}

/// Shows the outcome, or why it was refused, on the user's page.
async fn report(
    state: &AppState,
    session: &SignedIn,
    id: i64,
    result: Result<String, UserError>,
) -> Result<HttpResponse, AppError> {
    let message = match result {
        Ok(message) => message,
        Err(UserError::NotFound) => return Err(AppError::NotFound),
        Err(refusal) => refusal.to_string(),
    };
    flash_and_redirect(state, session, message, &view_url(id)).await
}
