use crate::admin::auth::{csrf, session};
use crate::admin::{Layout, render, see_other, set_cookie};
use crate::audit::{self, Actor, AuditAction};
use crate::db::models::{admin_session, user};
use crate::domain::SecretHash;
use crate::domain::secret::sign_in_return;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// One message for every failure, so the page never tells which usernames exist.
const FAILED: &str = "Invalid username or password.";

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    error: Option<String>,
    /// Where a successful sign-in goes instead of the dashboard: the credentials page.
    next: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = sign_in_return(query.next.as_deref());
    page(&req, &state, String::new(), None, next, StatusCode::OK)
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    username: String,
    error: Option<String>,
    next: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    csrf::anonymous_page(req, state.settings.secure_cookies(), |token| {
        let mut response = render(&LoginPage {
            layout: Layout::anonymous("Sign in", token),
            username,
            error,
            next,
        })?;
        *response.status_mut() = status;
        Ok(response)
    })
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    csrf::check_origin(&req, &state.settings.issuer)?;
    csrf::verify_anonymous(&req, &form.csrf_token)?;
    let next = sign_in_return(form.next.as_deref());
    let now = state.now();
    let username = crate::sign_in_throttle::username(&form.username);
    let ip = crate::client_address::of(&req);
    let mut attempt = match crate::sign_in_throttle::reserve(&state, &username, ip.as_deref(), now)
    {
        Ok(attempt) => attempt,
        Err(locked) => {
            let message = Some(locked.message());
            let mut response = page(&req, &state, username, message, next, StatusCode::OK)?;
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
    let user = found.filter(|u| verified && u.can_sign_in_to_back_office());

    let (actor, action) = match &user {
        Some(u) => (Actor::user(u, ip), AuditAction::SignIn),
        None => (Actor::anonymous(&username, ip), AuditAction::SignInFailed),
    };
    let target = actor.user_id();
    crate::db::query(&state.pool, move |conn| {
        audit::record(conn, &actor, action, target, "", now)
    })
    .await?;

    let Some(user) = user else {
        drop(attempt);
        return page(
            &req,
            &state,
            username,
            Some(FAILED.to_owned()),
            next,
            StatusCode::OK,
        );
    };
    attempt.succeeded();

    if let Some(previous) = req.cookie(session::SESSION_COOKIE) {
        let previous = SecretHash::of(previous.value()).into_string();
        crate::db::query(&state.pool, move |conn| {
            admin_session::delete_by_hash(conn, &previous)
        })
        .await?;
    }
    let cookie = session::start_session(&state, user.id).await?;
    let mut response = see_other(next.unwrap_or("/admin"));
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}
