//! The application's sign-in and consent settings: skip consent (trusted first-party
//! applications) and `plain` PKCE (legacy applications only).

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::{Layout, render};
use crate::db::models::client::{self, AuthorizeOptions, Client};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/oauth_applications/authorization.html")]
struct AuthorizationPage {
    layout: Layout,
    client: Client,
    options: AuthorizeOptions,
}

/// Unchecked boxes are not sent at all.
#[derive(Deserialize)]
pub struct OptionsForm {
    csrf_token: String,
    #[serde(default)]
    skip_consent: Option<String>,
    #[serde(default)]
    allow_plain_pkce: Option<String>,
}

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(
        &session,
        &state,
        path.into_inner(),
        Permission::EditApplication,
    )
    .await?;
    let id = client.id;
    let options = crate::db::run(&state.pool, move |conn| {
        client::authorize_options(conn, id).map_err(AppError::from)
    })
    .await?;
    render(&AuthorizationPage {
        layout: Layout::signed_in(
            &session,
            &state,
            format!("Sign-in and consent: {}", client.name),
            "applications",
        ),
        client,
        options,
    })
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn submit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<OptionsForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let id = load(
        &session,
        &state,
        path.into_inner(),
        Permission::EditApplication,
    )
    .await?
    .id;
    let options = AuthorizeOptions {
        skip_consent: form.skip_consent.is_some(),
        allow_plain_pkce: form.allow_plain_pkce.is_some(),
        allow_implicit: false,
    };
    let actor = session.actor(&req);
    let now = state.now();
    let found = crate::db::run(&state.pool, move |conn| {
        crate::authorization_settings::set_application_options(conn, id, options, &actor, now)
            .map_err(AppError::from)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    flash_and_redirect(
        &state,
        &session,
        "Sign-in and consent settings saved.".to_owned(),
        &view_url(id),
    )
    .await
}
