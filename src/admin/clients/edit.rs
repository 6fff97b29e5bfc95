//! Edit an application. The client id is shown read-only; the secret is not here at all.

use super::form::{ApplicationForm, ApplicationInput, FormChoices, FormMode};
use super::{load, view_url};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::keep_refusals;
use crate::clients::{self, ClientError};
use crate::db::models::client::Client;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

fn page(
    session: &SignedIn,
    state: &AppState,
    client: &Client,
    input: ApplicationInput,
    errors: FieldErrors,
    choices: FormChoices,
) -> Result<HttpResponse, AppError> {
    ApplicationForm {
        heading: "Edit OAuth application",
        action: format!("{}/edit", view_url(client.id)),
        cancel_url: view_url(client.id),
        mode: FormMode::Edit {
            client_id: client.client_id.clone(),
        },
        input,
        errors,
        choices,
    }
    .render(session, state, format!("Edit {}", client.name))
}

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(&state, path.into_inner()).await?;
    let input = ApplicationInput {
        organization_id: client.organization_id.to_string(),
        name: client.name.clone(),
        active: client.active,
        grants: client
            .grants()
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        owner_user_id: client
            .owner_user_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        frontend: client.frontend,
    };
    let choices = FormChoices::load(&state).await?;
    let errors = FieldErrors::default();
    page(&session, &state, &client, input, errors, choices)
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
    let client = load(&state, path.into_inner()).await?;
    let choices = FormChoices::load(&state).await?;
    let mut input = ApplicationInput::from_form(&form);
    // The organization is fixed once the application exists.
    input.organization_id = client.organization_id.to_string();
    let mut errors = FieldErrors::default();
    let Some(spec) = input.parse(&choices, &mut errors) else {
        return page(&session, &state, &client, input, errors, choices);
    };
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
        Err(refusal) => {
            errors.add(refusal.field(), refusal.to_string());
            page(&session, &state, &client, input, errors, choices)
        }
    }
}
