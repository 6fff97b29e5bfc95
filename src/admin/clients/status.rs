//! Activate and deactivate. Deactivation asks first, on a page of its own, so it works
//! without script.

use super::{ActorInfo, load, view_url};
use crate::admin::auth::{SignedIn, flash};
use crate::admin::form::CsrfForm;
use crate::admin::outcome;
use crate::admin::{Layout, render, see_other};
use crate::clients::{self, ClientError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: &'static str,
    pub cancel_url: String,
}

pub async fn confirm_deactivate(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(&state, path.into_inner()).await?;
    render(&ConfirmPage {
        layout: Layout::signed_in(&session, &state, format!("Deactivate {}", client.name), "applications"),
        heading: format!("Deactivate {}?", client.name),
        message: "The token endpoint will refuse this application from now on, and every token it holds stops working. You can activate it again later.".to_owned(),
        action: format!("{}/deactivate", view_url(client.id)),
        button: "Deactivate",
        cancel_url: view_url(client.id),
    })
}

pub async fn activate(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    change(
        req,
        session,
        state,
        path.into_inner(),
        &form.csrf_token,
        true,
    )
    .await
}

pub async fn deactivate(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    change(
        req,
        session,
        state,
        path.into_inner(),
        &form.csrf_token,
        false,
    )
    .await
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username, id, active))]
async fn change(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    id: i64,
    csrf_token: &str,
    active: bool,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(csrf_token)?;
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
    flash(
        &state,
        session.session_id,
        format!("{verb} {}.", client.name),
    )
    .await?;
    Ok(see_other(&view_url(id)))
}
