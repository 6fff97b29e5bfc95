//! The consent dialog: the application, its organization as it chose to present itself,
//! the scopes asked, grouped by category with their descriptions, and Allow or Deny. It
//! answers for the pending request behind its handle, never for anything in the form.

use super::flow::{self, Next};
use super::session;
use crate::oauth::authorize::pending;
use crate::oauth::authorize::{AuthorizeError, response};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DialogQuery {
    request: String,
}

#[derive(Deserialize)]
pub struct DecisionForm {
    request: String,
    decision: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct SwitchForm {
    request: String,
    csrf_token: String,
}

/// GET /account/authorize?request=…: the page the pending request needs next.
pub async fn dialog(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DialogQuery>,
) -> Result<HttpResponse, AuthorizeError> {
    let pending = pending::load(&state, &query.request).await?;
    flow::resume(&req, &state, pending).await
}

/// POST /account/consent: Allow answers the application with a code (or token) and
/// remembers the scopes; Deny answers `access_denied` (RFC 6749 §4.1.2.1).
#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::csrf::check_origin(&req, &state.settings.issuer)?;
    let pending = pending::load(&state, &form.request).await?;
    let (person, _) = flow::person_for(&state, &req, &pending.request).await?;
    let Some(person) = person else {
        // Signed out (or as someone else) meanwhile: start the dialog again.
        return Ok(super::see_other(&super::dialog_url(&pending.handle)));
    };
    person.verify_csrf(&form.csrf_token)?;
    if flow::next(&pending.request, pending.started_at, Some(&person), false) == Next::SignIn {
        return Ok(super::see_other(&super::dialog_url(&pending.handle)));
    }
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return Err(AuthorizeError::BadRequest("Choose Allow or Deny.")),
    };
    pending::take(&state, &pending).await?;
    let request = &pending.request;
    if !allow {
        return Ok(response::refuse(
            &state,
            request,
            "access_denied",
            "The person denied the request.",
        ));
    }
    let (user, client, scope) = (
        person.user.clone(),
        request.client.clone(),
        request.scope.clone(),
    );
    let ip = crate::client_address::of(&req);
    let now = state.now();
    crate::db::run(&state.pool, move |conn| {
        crate::consents::grant(conn, &user, &client, &scope, ip.as_deref(), now)
            .map_err(AuthorizeError::from)
    })
    .await?;
    response::grant(&state, request, &person.user, person.signed_in_at).await
}

/// "Not you? Use another account": ends the session and shows the sign-in page for the
/// same pending request.
pub async fn switch_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::csrf::check_origin(&req, &state.settings.issuer)?;
    let pending = pending::load(&state, &form.request).await?;
    let mut response = super::see_other(&super::dialog_url(&pending.handle));
    if let Some(person) = session::current(&state, &req).await? {
        person.verify_csrf(&form.csrf_token)?;
        let gone = session::end(&state, &person).await?;
        super::set_cookie(&mut response, &gone)?;
    }
    Ok(response)
}
