//! Delete an application and everything issued to it, after a confirmation page.

use super::{GRID_URL, load, view_url};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::confirm::{Question, ask};
use crate::admin::form::CsrfForm;
use crate::admin::keep_refusals;
use crate::clients::{self, ClientError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn confirm(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(&state, path.into_inner()).await?;
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

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn delete(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    let (actor, now) = (session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(clients::delete(conn, id, &actor, now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok(client) => {
            let message = format!("Deleted {}.", client.name);
            flash_and_redirect(&state, &session, message, GRID_URL).await
        }
        Err(ClientError::NotFound) => Err(AppError::NotFound),
        Err(refusal) => {
            flash_and_redirect(&state, &session, refusal.to_string(), &view_url(id)).await
        }
    }
}
