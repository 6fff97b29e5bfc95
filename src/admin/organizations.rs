//! System > User Management > Organizations: list, create, rename.

use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::FieldErrors;
use crate::admin::{Layout, keep_refusals, render};
use crate::db::models::organization::{self, Organization, OrganizationWithCounts};
use crate::domain::OrganizationName;
use crate::error::AppError;
use crate::organizations::{self, OrganizationError};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list))
        .route("/organizations", web::post().to(create))
        .route("/organizations/{id}/edit", web::get().to(edit_form))
        .route("/organizations/{id}/edit", web::post().to(rename));
}

#[derive(Template)]
#[template(path = "admin/organizations/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<OrganizationWithCounts>,
    name: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "admin/organizations/edit.html")]
struct EditPage {
    layout: Layout,
    organization: Organization,
    name: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
    csrf_token: String,
}

async fn list_page(
    session: &SignedIn,
    state: &AppState,
    name: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let rows = crate::db::query(&state.pool, organization::list_with_counts).await?;
    render(&ListPage {
        layout: Layout::signed_in(session, state, "Organizations", "organizations"),
        rows,
        name,
        errors,
    })
}

pub async fn list(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    list_page(&session, &state, String::new(), FieldErrors::default()).await
}

pub async fn create(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", OrganizationName::parse(&form.name)) else {
        return list_page(&session, &state, form.name.clone(), errors).await;
    };
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(organizations::create(conn, &name, &actor, now))
    })
    .await?;
    match result {
        Ok(created) => {
            let message = format!("Created {}.", created.name);
            flash_and_redirect(&state, &session, message, "/admin/organizations").await
        }
        Err(refusal) => {
            errors.add("name", refusal.to_string());
            list_page(&session, &state, form.name.clone(), errors).await
        }
    }
}

async fn load(state: &AppState, id: i64) -> Result<Organization, AppError> {
    crate::db::query(&state.pool, move |conn| organization::get(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

fn edit_page(
    session: &SignedIn,
    state: &AppState,
    organization: Organization,
    name: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    render(&EditPage {
        layout: Layout::signed_in(
            session,
            state,
            format!("Rename {}", organization.name),
            "organizations",
        ),
        name,
        organization,
        errors,
    })
}

pub async fn edit_form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let organization = load(&state, path.into_inner()).await?;
    let name = organization.name.clone();
    edit_page(&session, &state, organization, name, FieldErrors::default())
}

pub async fn rename(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let organization = load(&state, path.into_inner()).await?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", OrganizationName::parse(&form.name)) else {
        return edit_page(&session, &state, organization, form.name.clone(), errors);
    };
    let (id, actor, now) = (organization.id, session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(organizations::rename(conn, id, &name, &actor, now))
    })
    .await?;
    match result {
        Ok(_) => {
            let message = "Organization renamed.".to_owned();
            flash_and_redirect(&state, &session, message, "/admin/organizations").await
        }
        Err(OrganizationError::NotFound) => Err(AppError::NotFound),
        Err(refusal) => {
            errors.add("name", refusal.to_string());
            edit_page(&session, &state, organization, form.name.clone(), errors)
        }
    }
}
