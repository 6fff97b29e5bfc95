//! The guard of a confirming POST: a signed-in user, and the form's CSRF token checked
//! before the handler runs.

use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::CsrfForm;
use crate::admin::{Refusal, keep_refusals};
use crate::audit::Actor;
use crate::db::DbConn;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;

/// A signed-in user's POST of a form whose only field is its CSRF token (activate,
/// deactivate, delete, sign out...), with the token already checked: taking it as a
/// handler argument is the whole guard.
pub struct CheckedPost {
    req: HttpRequest,
    pub session: SignedIn,
    pub state: web::Data<AppState>,
}

impl FromRequest for CheckedPost {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts =
            <(SignedIn, web::Data<AppState>, web::Form<CsrfForm>)>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let (session, state, form) = parts.await?;
            session.verify_csrf(&form.csrf_token)?;
            Ok(Self {
                req,
                session,
                state,
            })
        })
    }
}

impl CheckedPost {
    /// Runs `change` with the signed-in user as its actor on the blocking pool. A refusal
    /// comes back for the page to show; a database failure is the error.
    pub async fn perform<T, E, F>(&self, change: F) -> Result<Result<T, E>, AppError>
    where
        F: FnOnce(&mut DbConn, &Actor, NaiveDateTime) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Refusal + Send + 'static,
    {
        let (actor, now) = (self.session.actor(&self.req), self.state.now());
        crate::db::run(&self.state.pool, move |conn| {
            keep_refusals(change(conn, &actor, now))
        })
        .await
    }

    /// Sets a one-time message and sends the browser on with 303.
    pub async fn flash(&self, message: String, location: &str) -> Result<HttpResponse, AppError> {
        flash_and_redirect(&self.state, &self.session, message, location).await
    }
}
