//! Edit an application. The client id is shown read-only; the secret is not here at all.

use super::form::{FormContent, Options, Values};
use super::{load, view_url};
use crate::access::{Permission, Record};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::keep_refusals;
use crate::clients::{self, ClientError};
use crate::db::models::client::Client;
use crate::db::models::scope;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

fn page(
    session: &SignedIn,
    state: &AppState,
    client: &Client,
    values: Values,
    errors: FieldErrors,
    options: Options,
) -> Result<HttpResponse, AppError> {
    FormContent {
        heading: "Edit OAuth application",
        action: format!("{}/edit", view_url(client.id)),
        cancel_url: view_url(client.id),
        values,
        errors,
        options,
        creation_key: String::new(),
        client_id: Some(client.client_id.clone()),
    }
    .render(session, state, format!("Edit {}", client.name))
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
    let scopes = crate::db::run(&state.pool, move |conn| {
        scope::for_client(conn, id).map_err(AppError::from)
    })
    .await?;
    let values = Values::of_client(&client, &scopes);
    let options = Options::load(&session, &state, Some(client.organization_id)).await?;
    page(
        &session,
        &state,
        &client,
        values,
        FieldErrors::default(),
        options,
    )
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn save(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let client = load(
        &session,
        &state,
        path.into_inner(),
        Permission::EditApplication,
    )
    .await?;
    let options = Options::load(&session, &state, Some(client.organization_id)).await?;
    let mut values = Values::from_form(&form);
    // The organization and the type are fixed once the application exists.
    values.organization_id = client.organization_id.to_string();
    if !values.app_type.is_empty() {
        values.app_type = client.app_type.clone();
    }
    let mut errors = FieldErrors::default();
    let Some(mut spec) = values.parse(&options, &client.grants(), &mut errors) else {
        return page(&session, &state, &client, values, errors, options);
    };
    session.require(
        Permission::EditApplication,
        Record::Application {
            organization_id: client.organization_id,
            owner_user_id: spec.owner_user_id,
        },
    )?;
    spec.app_type = client.app_type();
    let (id, actor, now) = (client.id, session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(clients::update(conn, id, &spec, &actor, now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok(updated) => {
            let message = format!("Saved {}.", updated.name);
            flash_and_redirect(&state, &session, message, &view_url(id)).await
        }
        Err(ClientError::NotFound) => Err(AppError::NotFound),
        Err(rule) => {
            errors.add(rule.field(), rule.to_string());
            page(&session, &state, &client, values, errors, options)
        }
    }
}
