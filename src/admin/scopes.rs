//! System > User Management > Scopes: the catalog applications choose their scopes from,
//! by category. A scope in use cannot be deleted, nor renamed.

use crate::access::{Permission, Record};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{CsrfForm, FieldErrors, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::db::models::scope::{self, Category, ScopeRow};
use crate::domain::{CategoryName, OptionalText, ScopeDescription, ScopeToken};
use crate::error::AppError;
use crate::scopes::{self as service, ScopeError, ScopeSpec};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/scopes", web::get().to(list))
        .route("/scopes", web::post().to(create))
        .route("/scopes/categories", web::post().to(create_category))
        .route("/scopes/{id}/edit", web::get().to(edit_form))
        .route("/scopes/{id}/edit", web::post().to(edit))
        .route("/scopes/{id}/delete", web::post().to(delete));
}

/// What the person typed into a scope form.
#[derive(Default)]
pub struct Values {
    pub name: String,
    pub category: String,
    pub description: String,
}

impl Values {
    fn from_form(form: &FormData) -> Self {
        Self {
            name: form.get("name").to_owned(),
            category: form.get("category").to_owned(),
            description: form.get("description").to_owned(),
        }
    }

    fn parse(&self, errors: &mut FieldErrors) -> Option<ScopeSpec> {
        let name = errors.check("name", ScopeToken::parse(&self.name));
        let category = errors.check("category", CategoryName::parse(&self.category));
        let description = errors.check("description", ScopeDescription::parse(&self.description));
        Some(ScopeSpec {
            name: name?,
            category: category?,
            description: description?,
        })
    }
}

/// The catalog's scopes of one category.
pub struct Group {
    pub category: Category,
    pub rows: Vec<ScopeRow>,
}

#[derive(Template)]
#[template(path = "admin/scopes/list.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<Group>,
    values: Values,
    errors: FieldErrors,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/scopes/edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    used_by: i64,
    values: Values,
    errors: FieldErrors,
}

async fn list_page(
    session: &SignedIn,
    state: &AppState,
    values: Values,
    errors: FieldErrors,
    message: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (categories, rows) = crate::db::run(&state.pool, |conn| {
        Ok::<_, AppError>((scope::categories(conn)?, scope::list(conn)?))
    })
    .await?;
    let groups = categories
        .into_iter()
        .map(|category| Group {
            rows: rows
                .iter()
                .filter(|r| r.scope.category_id == category.id)
                .cloned()
                .collect(),
            category,
        })
        .collect();
    render(&ListPage {
        layout: Layout::signed_in(session, state, "Scopes", "scopes"),
        groups,
        values,
        errors,
        message,
    })
}

pub async fn list(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ViewCatalog)?;
    list_page(
        &session,
        &state,
        Values::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn create(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let values = Values::from_form(&form);
    let mut errors = FieldErrors::default();
    let Some(spec) = values.parse(&mut errors) else {
        return list_page(&session, &state, values, errors, None).await;
    };
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(service::create(conn, &spec, &actor, now))
    })
    .await?;
    match result {
        Ok(created) => {
            let message = format!("Added the scope {}.", created.name);
            flash_and_redirect(&state, &session, message, "/admin/scopes").await
        }
        Err(rule) => {
            errors.add(rule.field(), rule.to_string());
            list_page(&session, &state, values, errors, None).await
        }
    }
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn create_category(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let mut errors = FieldErrors::default();
    let name = errors.check(
        "new_category",
        CategoryName::parse(form.get("category_name")),
    );
    let description = errors.check(
        "new_category",
        OptionalText::parse(form.get("category_description")),
    );
    let (Some(name), Some(description)) = (name, description) else {
        return list_page(&session, &state, Values::default(), errors, None).await;
    };
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(service::create_category(
            conn,
            &name,
            &description,
            &actor,
            now,
        ))
    })
    .await?;
    match result {
        Ok(created) => {
            let message = format!("Added the category {}.", created.name);
            flash_and_redirect(&state, &session, message, "/admin/scopes").await
        }
        Err(rule) => {
            errors.add("new_category", rule.to_string());
            list_page(&session, &state, Values::default(), errors, None).await
        }
    }
}

async fn edit_page(
    session: &SignedIn,
    state: &AppState,
    id: i64,
    values: Option<Values>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (found, used_by, categories) = crate::db::run(&state.pool, move |conn| {
        Ok::<_, AppError>((
            scope::get(conn, id)?,
            scope::used_by(conn, id)?,
            scope::categories(conn)?,
        ))
    })
    .await?;
    let found = found.ok_or(AppError::NotFound)?;
    let values = values.unwrap_or_else(|| Values {
        category: categories
            .iter()
            .find(|c| c.id == found.category_id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        name: found.name.clone(),
        description: found.description.clone(),
    });
    render(&EditPage {
        layout: Layout::signed_in(session, state, format!("Edit {}", found.name), "scopes"),
        id,
        used_by,
        values,
        errors,
    })
}

pub async fn edit_form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ViewCatalog)?;
    edit_page(
        &session,
        &state,
        path.into_inner(),
        None,
        FieldErrors::default(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn edit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let id = path.into_inner();
    let values = Values::from_form(&form);
    let mut errors = FieldErrors::default();
    let Some(spec) = values.parse(&mut errors) else {
        return edit_page(&session, &state, id, Some(values), errors).await;
    };
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(service::update(conn, id, &spec, &actor, now))
    })
    .await?;
    match result {
        Ok(updated) => {
            let message = format!("Saved the scope {}.", updated.name);
            flash_and_redirect(&state, &session, message, "/admin/scopes").await
        }
        Err(ScopeError::NotFound) => Err(AppError::NotFound),
        Err(rule) => {
            errors.add(rule.field(), rule.to_string());
            edit_page(&session, &state, id, Some(values), errors).await
        }
    }
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn delete(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let id = path.into_inner();
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(service::delete(conn, id, &actor, now))
    })
    .await?;
    match result {
        Ok(deleted) => {
            let message = format!("Deleted the scope {}.", deleted.name);
            flash_and_redirect(&state, &session, message, "/admin/scopes").await
        }
        Err(ScopeError::NotFound) => Err(AppError::NotFound),
        Err(rule) => {
            list_page(
                &session,
                &state,
                Values::default(),
                FieldErrors::default(),
                Some(rule.to_string()),
            )
            .await
        }
    }
}
