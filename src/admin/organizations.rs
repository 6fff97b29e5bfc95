//! System > User Management > Organizations: list, create, rename.

use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::FieldErrors;
use crate::admin::{Layout, render};
use crate::db::models::organization::{self, Organization};
use crate::db::schema::{clients, users};
use crate::domain::OrganizationName;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list))
        .route("/organizations", web::post().to(create))
        .route("/organizations/{id}/edit", web::get().to(edit_form))
        .route("/organizations/{id}/edit", web::post().to(rename));
}

pub struct Row {
    pub organization: Organization,
    pub users: i64,
    pub applications: i64,
}

#[derive(Template)]
#[template(path = "admin/organizations/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
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
    let rows = crate::db::run(&state.pool, |conn| {
        let users: HashMap<Option<i64>, i64> = users::table
            .group_by(users::organization_id)
            .select((users::organization_id, count_star()))
            .load::<(Option<i64>, i64)>(conn)?
            .into_iter()
            .collect();
        let applications: HashMap<i64, i64> = clients::table
            .group_by(clients::organization_id)
            .select((clients::organization_id, count_star()))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect();
        let rows = organization::list(conn)?
            .into_iter()
            .map(|org| Row {
                users: users.get(&Some(org.id)).copied().unwrap_or(0),
                applications: applications.get(&org.id).copied().unwrap_or(0),
                organization: org,
            })
            .collect::<Vec<_>>();
        Ok::<_, AppError>(rows)
    })
    .await?;
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

const NAME_TAKEN: &str = "An organization with this name already exists.";

/// Parses the name and checks that no other organization has it.
async fn checked_name(
    state: &AppState,
    raw: &str,
    except: Option<i64>,
    errors: &mut FieldErrors,
) -> Result<Option<OrganizationName>, AppError> {
    let Some(name) = errors.check("name", OrganizationName::parse(raw)) else {
        return Ok(None);
    };
    let lookup = name.as_str().to_owned();
    let existing = crate::db::run(&state.pool, move |conn| {
        organization::find_by_name(conn, &lookup).map_err(AppError::from)
    })
    .await?;
    if existing.is_some_and(|o| Some(o.id) != except) {
        errors.add("name", NAME_TAKEN);
        return Ok(None);
    }
    Ok(Some(name))
}

pub async fn create(
    session: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let mut errors = FieldErrors::default();
    let Some(name) = checked_name(&state, &form.name, None, &mut errors).await? else {
        return list_page(&session, &state, form.name.clone(), errors).await;
    };
    let now = state.now();
    let created = crate::db::run(&state.pool, move |conn| {
        Ok::<_, AppError>(organization::create(conn, name.as_str(), now))
    })
    .await?;
    let created = match created {
        Err(e) if crate::db::is_unique_violation(&e) => {
            errors.add("name", NAME_TAKEN);
            return list_page(&session, &state, form.name.clone(), errors).await;
        }
        other => other?,
    };
    flash_and_redirect(
        &state,
        &session,
        format!("Created {}.", created.name),
        "/admin/organizations",
    )
    .await
}

async fn load(state: &AppState, id: i64) -> Result<Organization, AppError> {
    crate::db::run(&state.pool, move |conn| {
        organization::get(conn, id).map_err(AppError::from)
    })
    .await?
    .ok_or(AppError::NotFound)
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

pub async fn rename(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let organization = load(&state, path.into_inner()).await?;
    let mut errors = FieldErrors::default();
    let Some(name) = checked_name(&state, &form.name, Some(organization.id), &mut errors).await?
    else {
        return edit_page(&session, &state, organization, form.name.clone(), errors);
    };
    let id = organization.id;
    let renamed = crate::db::run(&state.pool, move |conn| {
        Ok::<_, AppError>(organization::rename(conn, id, name.as_str()))
    })
    .await?;
    if let Err(e) = renamed {
        if !crate::db::is_unique_violation(&e) {
            return Err(e.into());
        }
        errors.add("name", NAME_TAKEN);
        return edit_page(&session, &state, organization, form.name.clone(), errors);
    }
    flash_and_redirect(
        &state,
        &session,
        "Organization renamed.".to_owned(),
        "/admin/organizations",
    )
    .await
}
