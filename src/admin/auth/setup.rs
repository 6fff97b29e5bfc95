//! First run: with no administrator yet, the server logs a one-time link where the first
//! one is created. The link's token is valid once and only while no administrator exists.

use crate::admin::auth::{client_ip, csrf, session};
use crate::admin::form::FieldErrors;
use crate::admin::{Layout, render, see_other, set_cookie};
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::organization;
use crate::db::models::user::{self, NewUser};
use crate::domain::{Email, Password, SecretHash, UserKind, Username};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    username: String,
    email: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    username: String,
    email: String,
    password: String,
    password_confirm: String,
    csrf_token: String,
}

/// Whether `token` is the current one-time setup token.
fn token_is_valid(state: &AppState, token: &str) -> bool {
    let presented = SecretHash::of(token);
    state
        .setup_token
        .lock()
        .ok()
        .and_then(|guard| guard.as_ref().map(|expected| expected.matches(&presented)))
        .unwrap_or(false)
}

/// Consumes the token; of two simultaneous submissions only one gets `true`.
fn take_token(state: &AppState, token: &str) -> bool {
    let presented = SecretHash::of(token);
    let Ok(mut guard) = state.setup_token.lock() else {
        return false;
    };
    if guard
        .as_ref()
        .is_some_and(|expected| expected.matches(&presented))
    {
        *guard = None;
        true
    } else {
        false
    }
}

/// Puts the token back when creating the administrator failed, so a passing database
/// error does not spend the only link until the next restart.
fn restore_token(state: &AppState, token: &str) {
    if let Ok(mut guard) = state.setup_token.lock()
        && guard.is_none()
    {
        *guard = Some(SecretHash::of(token));
    }
}

const INVALID_LINK: &str = "This setup link is invalid or has been used. Restart Tessera to get a new one if no administrator exists yet.";

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    if !token_is_valid(&state, &query.token) {
        return Err(AppError::Forbidden(INVALID_LINK));
    }
    let page = SetupPage {
        layout: Layout::anonymous("Create the first administrator", String::new()),
        token: query.token.clone(),
        username: String::new(),
        email: String::new(),
        errors: FieldErrors::default(),
    };
    respond(&req, &state, page)
}

fn respond(
    req: &HttpRequest,
    state: &AppState,
    mut page: SetupPage,
) -> Result<HttpResponse, AppError> {
    csrf::anonymous_page(req, state.settings.secure_cookies(), |token| {
        page.layout.csrf_token = token;
        render(&page)
    })
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    csrf::check_origin(&req, &state.settings.issuer)?;
    csrf::verify_anonymous(&req, &form.csrf_token)?;
    if !token_is_valid(&state, &form.token) {
        return Err(AppError::Forbidden(INVALID_LINK));
    }
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let password = errors.check("password", Password::parse(&form.password));
    if password.is_some() && form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords differ.");
    }
    let (Some(username), Some(email), Some(password), true) =
        (username, email, password, errors.is_empty())
    else {
        let page = SetupPage {
            layout: Layout::anonymous("Create the first administrator", String::new()),
            token: form.token.clone(),
            username: form.username.clone(),
            email: form.email.clone(),
            errors,
        };
        return respond(&req, &state, page);
    };
    let password_hash = web::block(move || crate::passwords::hash(password.expose()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    if !take_token(&state, &form.token) {
        return Err(AppError::Forbidden(INVALID_LINK));
    }
    let now = state.now();
    let ip = client_ip(&req);
    let created = crate::db::run(&state.pool, move |conn| {
        crate::db::transaction(conn, |conn| {
            if user::count_admins(conn)? > 0 {
                return Ok(None);
            }
            let org = organization::find_by_name(conn, organization::DEFAULT_NAME)?;
            let admin = user::create(
                conn,
                &NewUser {
                    username: username.as_str(),
                    email: email.as_str(),
                    full_name: "",
                    password_hash: &password_hash,
                    kind: UserKind::Backoffice.as_str(),
                    is_admin: true,
                    enabled: true,
                    organization_id: org.map(|o| o.id),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            audit_event::record(
                conn,
                &NewAuditEvent {
                    actor_user_id: Some(admin.id),
                    actor: &admin.username,
                    action: "first_admin_created",
                    target_type: "user",
                    target_id: Some(admin.id),
                    detail: "",
                    ip: ip.as_deref(),
                    created_at: now,
                },
            )?;
            Ok::<_, diesel::result::Error>(Some(admin))
        })
        .map_err(AppError::from)
    })
    .await
    .inspect_err(|_| restore_token(&state, &form.token))?;
    let Some(admin) = created else {
        return Err(AppError::Forbidden(INVALID_LINK));
    };
    tracing::info!(username = %admin.username, "first administrator created");
    let cookie = session::start_session(&state, admin.id).await?;
    let mut response = see_other("/admin");
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}
