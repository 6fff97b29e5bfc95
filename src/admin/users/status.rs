//! Enable and disable users. Disabling asks first: it signs the user out everywhere.

use super::{load, view_url};
use crate::admin::auth::{ActorInfo, SignedIn, flash_and_redirect};
use crate::admin::confirm::{Question, ask};
use crate::admin::form::CsrfForm;
use crate::admin::outcome;
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

/// `POST /{id}/enable` and `POST /{id}/disable`.
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
    let enabled = action == "enable";
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
    flash_and_redirect(&state, &session, message, &view_url(id)).await
}
