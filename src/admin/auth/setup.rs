//! First run: with no administrator yet, the server logs a one-time link where the first
//! one is created. The link's token is valid once and only while no administrator exists.

use crate::admin::auth::{csrf, session};
use crate::admin::form::FieldErrors;
use crate::admin::{Layout, keep_refusals, render, see_other, set_cookie};
use crate::db::models::organization;
use crate::domain::{Email, Locale, Password, SecretHash, UserKind, Username};
use crate::error::AppError;
use crate::state::AppState;
use crate::users::{self, NewAccount};
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

impl SetupPage {
    /// The form again, filled in as it was sent, with why it was refused.
    fn refused(form: &SetupForm, errors: FieldErrors) -> Self {
        Self {
            layout: Layout::anonymous("Create the first administrator", String::new()),
            token: form.token.clone(),
            username: form.username.clone(),
            email: form.email.clone(),
            errors,
        }
    }
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
pub async fn create_first_admin(
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
        return respond(&req, &state, SetupPage::refused(&form, errors));
    };
    let password_hash = web::block(move || crate::passwords::hash(password.expose())).await??;
    if !take_token(&state, &form.token) {
        return Err(AppError::Forbidden(INVALID_LINK));
    }
    let now = state.now();
    let ip = crate::client_address::of(&req);
    let created = crate::db::run(&state.pool, move |conn| {
        let organization = organization::find_by_name(conn, organization::DEFAULT_NAME)?;
        let account = NewAccount {
            username,
            email,
            full_name: None,
            kind: UserKind::Backoffice,
            is_admin: true,
            organization_id: organization.map(|o| o.id),
            password_hash,
            locale: Locale::english(),
        };
        keep_refusals(users::create_first_admin(conn, &account, ip, now))
    })
    .await
    .inspect_err(|_| restore_token(&state, &form.token))?;
    let admin = match created {
        Ok(Some(admin)) => admin,
        Ok(None) => return Err(AppError::Forbidden(INVALID_LINK)),
        Err(refusal) => {
            restore_token(&state, &form.token);
            let mut errors = FieldErrors::default();
            errors.add("username", refusal.to_string());
            return respond(&req, &state, SetupPage::refused(&form, errors));
        }
    };
    tracing::info!(username = %admin.username, "first administrator created");
    let cookie = session::start_session(&state, admin.id).await?;
    let mut response = see_other("/admin");
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}
