//! Activate and deactivate. Deactivation asks first, on a page of its own.

use super::{load, view_url};
use crate::admin::auth::{ActorInfo, SignedIn, flash_and_redirect};
use crate::admin::confirm::{Question, ask};
use crate::admin::form::CsrfForm;
use crate::admin::outcome;
use crate::clients::{self, ClientError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn confirm_deactivate(
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
            verb: "Deactivate",
            subject: &client.name,
            message: "The token endpoint will refuse this application from now on, and every \
                      token it holds stops working. You can activate it again later.",
            action: format!("{}/deactivate", view_url(client.id)),
            cancel_url: view_url(client.id),
        },
    )
}

/// `POST /{id}/activate` and `POST /{id}/deactivate`.
#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn change(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let (id, action) = path.into_inner();
    let active = action == "activate";
    let actor = ActorInfo::of(&session, &req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        outcome(clients::set_active(conn, id, active, &actor.actor(), now))
    })
    .await?;
    state.mail_queued();
    let client = match result {
        Ok(client) => client,
        Err(ClientError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    let verb = if active { "Activated" } else { "Deactivated" };
    flash_and_redirect(
        &state,
        &session,
        format!("{verb} {}.", client.name),
        &view_url(id),
    )
    .await
}
