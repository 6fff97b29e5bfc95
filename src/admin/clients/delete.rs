//! Delete an application and everything issued to it, after a confirmation page.

use super::status::ConfirmPage;
use super::{ActorInfo, load, view_url};
use crate::admin::auth::{SignedIn, flash};
use crate::admin::form::CsrfForm;
use crate::admin::outcome;
use crate::admin::{Layout, render, see_other};
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
    render(&ConfirmPage {
        layout: Layout::signed_in(&session, &state, format!("Delete {}", client.name), "applications"),
        heading: format!("Delete {}?", client.name),
        message: "The application, its secrets and every token issued to it are removed for good. This cannot be undone.".to_owned(),
        action: format!("{}/delete", view_url(client.id)),
        button: "Delete",
        cancel_url: view_url(client.id),
    })
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn submit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    let actor = ActorInfo::of(&session, &req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        outcome(clients::delete(conn, id, &actor.actor(), now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok(client) => {
            flash(
                &state,
                session.session_id,
                format!("Deleted {}.", client.name),
            )
            .await?;
            Ok(see_other("/admin/oauth-applications"))
        }
        Err(ClientError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}
