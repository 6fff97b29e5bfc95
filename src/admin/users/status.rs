use super::{load, view_url};
use crate::admin::auth::{SignedIn, flash};
use crate::admin::clients::ActorInfo;
use crate::admin::clients::status::ConfirmPage;
use crate::admin::form::CsrfForm;
use crate::admin::{Layout, outcome, render, see_other};
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
    render(&ConfirmPage {
        layout: Layout::signed_in(&session, &state, format!("Disable {}", user.username), "users"),
        heading: format!("Disable {}?", user.username),
        message: "The user is signed out everywhere, cannot sign in, and every token acting as this user stops working at once.".to_owned(),
        action: format!("{}/disable", view_url(user.id)),
        button: "Disable",
        cancel_url: view_url(user.id),
    })
}

pub async fn enable(
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

pub async fn disable(
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

#[tracing::instrument(skip_all, fields(admin = %session.user.username, id, enabled))]
async fn change(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    id: i64,
    csrf_token: &str,
    enabled: bool,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(csrf_token)?;
    let actor = ActorInfo::of(&session, &req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        outcome(users::set_enabled(conn, id, enabled, &actor.actor(), now))
    })
    .await?;
    let message = match result {
        Ok(user) if enabled => format!("Enabled {}.", user.username),
        Ok(user) => format!(
            "Disabled {}: sessions ended and tokens revoked.",
            user.username
        ),
        Err(UserError::NotFound) => return Err(AppError::NotFound),
        Err(refused) => refused.to_string(),
    };
    flash(&state, session.session_id, message).await?;
    Ok(see_other(&view_url(id)))
}
