//! The sign-in dialog: "Sign in to continue to <application>". The same argon2 verifier
//! pool and throttles as the back-office sign-in; one message for every failure, and an
//! unknown username costs the same hash as a wrong password.

use super::form_token;
use super::session;
use crate::audit::{self, Actor, AuditAction};
use crate::db::models::user;
use crate::domain::secret::sign_in_return;
use crate::oauth::authorize::AuthorizeError;
use crate::oauth::authorize::pending;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

const FAILED: &str = "Invalid username or password.";

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    request: Option<String>,
    /// The credentials page to return to.
    #[serde(default)]
    next: Option<String>,
    username: String,
    password: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

/// `GET /account/sign-in?next=/credentials`: the sign-in a credentials link sends a
/// customer to; without it, the sign-in of the account page.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, AuthorizeError> {
    let next = sign_in_return(query.next.as_deref());
    super::pages::sign_in_returning(&req, &state, None, next, None).await
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, AuthorizeError> {
    form_token::verify(&req, &state.settings.issuer, &form.csrf_token)?;
    let pending = match form.request.as_deref().filter(|r| !r.is_empty()) {
        Some(handle) => Some(pending::load(&state, handle).await?),
        None => None,
    };
    let next = sign_in_return(form.next.as_deref());
    let now = state.now();
    let username = crate::sign_in_throttle::username(&form.username);
    let ip = crate::client_address::of(&req);
    let mut attempt = match crate::sign_in_throttle::reserve(&state, &username, ip.as_deref(), now)
    {
        Ok(attempt) => attempt,
        Err(locked) => {
            let message = locked.message();
            let failure = Some((username.as_str(), message.as_str()));
            let mut response =
                super::pages::sign_in_returning(&req, &state, pending.as_ref(), next, failure)
                    .await?;
            locked.mark(&mut response);
            return Ok(response);
        }
    };

    let lookup = username.clone();
    let found = attempt.abandon_on_error(
        crate::db::query(&state.pool, move |conn| {
            user::find_by_username(conn, &lookup)
        })
        .await,
    )?;
    let verified = state
        .passwords
        .verify(
            found.as_ref().map(|u| u.password_hash.as_str()),
            &form.password,
        )
        .await;
    let person = found.filter(|u| {
        verified
            && u.enabled
            && pending
                .as_ref()
                .is_none_or(|p| session::may_authorize(u, &p.request.client))
    });

    let (actor, action) = match &person {
        Some(u) => (Actor::user(u, ip.clone()), AuditAction::SsoSignIn),
        None => (
            Actor::anonymous(&username, ip.clone()),
            AuditAction::SsoSignInFailed,
        ),
    };
    let detail = pending
        .as_ref()
        .map(|p| format!("to authorize {}", p.request.client.client_id))
        .unwrap_or_default();
    let target = actor.user_id();
    crate::db::query(&state.pool, move |conn| {
        audit::record(conn, &actor, action, target, &detail, now)
    })
    .await?;

    let Some(person) = person else {
        drop(attempt);
        let failure = Some((username.as_str(), FAILED));
        return super::pages::sign_in_returning(&req, &state, pending.as_ref(), next, failure)
            .await;
    };
    attempt.succeeded();
    let cookie = session::start(&state, &req, person.id).await?;
    let next = match (&pending, next) {
        (Some(p), _) => super::dialog_url(&p.handle),
        (None, Some(page)) => page.to_owned(),
        (None, None) => "/account".to_owned(),
    };
    let mut response = super::see_other(&next);
    super::set_cookie(&mut response, &cookie)?;
    Ok(response)
}
