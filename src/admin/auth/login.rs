use crate::admin::auth::{client_ip, csrf, session};
use crate::admin::{Layout, render, see_other, set_cookie};
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::{admin_session, user};
use crate::domain::SecretHash;
use crate::error::AppError;
use crate::metrics::Throttled;
use crate::state::AppState;
use crate::throttle::retry_after_seconds;
use actix_web::http::StatusCode;
use actix_web::http::header;
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
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
}

pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    page(&req, &state, String::new(), None, StatusCode::OK)
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    csrf::anonymous_page(req, state.settings.secure_cookies(), |token| {
        let mut response = render(&LoginPage {
            layout: Layout::anonymous("Sign in", token),
            username,
            error,
        })?;
        *response.status_mut() = status;
        Ok(response)
    })
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    csrf::check_origin(&req, &state.settings.issuer)?;
    csrf::verify_anonymous(&req, &form.csrf_token)?;
    let now = state.now();
    // Bounded like a real username, so a huge form cannot grow the throttle's memory.
    let username: String = form
        .username
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .collect();
    let ip = client_ip(&req);
    let user_key = format!("user:{username}");
    let address_key = format!("ip:{}", ip.as_deref().unwrap_or("-"));

    let locked = state
        .sign_in_by_user
        .retry_after(&user_key, now)
        .map(|w| (Throttled::SignInUser, w))
        .or_else(|| {
            state
                .sign_in_by_address
                .retry_after(&address_key, now)
                .map(|w| (Throttled::SignInAddress, w))
        });
    if let Some((what, wait)) = locked {
        state.throttled(what);
        let seconds = retry_after_seconds(wait);
        let minutes = (seconds + 59) / 60;
        let mut response = page(
            &req,
            &state,
            username,
            Some(format!(
                "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )),
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Ok(response);
    }

    let lookup = username.clone();
    let found = crate::db::run(&state.pool, move |conn| {
        user::find_by_username(conn, &lookup).map_err(AppError::from)
    })
    .await?;
    let verified = state
        .passwords
        .verify(
            found.as_ref().map(|u| u.password_hash.as_str()),
            &form.password,
        )
        .await;
    let user = found.filter(|u| verified && u.can_sign_in_to_back_office());

    let (actor_user_id, action) = match &user {
        Some(u) => (Some(u.id), "sign_in"),
        None => (None, "sign_in_failed"),
    };
    let actor = username.clone();
    let audit_ip = ip.clone();
    crate::db::run(&state.pool, move |conn| {
        audit_event::record(
            conn,
            &NewAuditEvent {
                actor_user_id,
                actor: &actor,
                action,
                target_type: "user",
                target_id: actor_user_id,
                detail: "",
                ip: audit_ip.as_deref(),
                created_at: now,
            },
        )
        .map_err(AppError::from)
    })
    .await?;

    let Some(user) = user else {
        state.sign_in_by_user.record_failure(&user_key, now);
        state.sign_in_by_address.record_failure(&address_key, now);
        return page(
            &req,
            &state,
            username,
            Some(FAILED.to_owned()),
            StatusCode::OK,
        );
    };
    state.sign_in_by_user.record_success(&user_key);

    if let Some(previous) = req.cookie(session::SESSION_COOKIE) {
        let previous = SecretHash::of(previous.value()).into_string();
        crate::db::run(&state.pool, move |conn| {
            admin_session::delete_by_hash(conn, &previous).map_err(AppError::from)
        })
        .await?;
    }
    let cookie = session::start_session(&state, user.id).await?;
    let mut response = see_other("/admin");
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}
