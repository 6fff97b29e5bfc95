//! Create an application. The success page is the only response that ever carries the
//! client secret: it is rendered directly (no redirect) and marked no-store.

use super::form::{ApplicationForm, ApplicationInput, FormChoices, FormMode};
use super::{GRID_URL, view_url};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::clients::{self, ClientError};
use crate::domain::PlainSecret;
use crate::domain::secret::random_hex;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/oauth_applications/secret.html")]
struct SecretPage {
    layout: Layout,
    id: i64,
    name: String,
    client_id: String,
    client_secret: PlainSecret,
}

#[derive(Deserialize)]
pub struct NewQuery {
    owner: Option<String>,
}

const TITLE: &str = "Create OAuth application";

fn page(
    input: ApplicationInput,
    errors: FieldErrors,
    choices: FormChoices,
    creation_key: String,
) -> ApplicationForm {
    ApplicationForm {
        heading: TITLE,
        action: format!("{GRID_URL}/new"),
        cancel_url: GRID_URL.to_owned(),
        mode: FormMode::Create { creation_key },
        input,
        errors,
        choices,
    }
}

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let choices = FormChoices::load(&state).await?;
    let input = ApplicationInput {
        active: true,
        owner_user_id: query.owner.clone().unwrap_or_default(),
        ..ApplicationInput::default()
    };
    page(input, FieldErrors::default(), choices, random_hex(16)).render(
        &session,
        &state,
        TITLE.into(),
    )
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
    let choices = FormChoices::load(&state).await?;
    let input = ApplicationInput::from_form(&form);
    let creation_key = match form.get("creation_key") {
        key if key.len() == 32 => key.to_owned(),
        _ => random_hex(16),
    };
    let mut errors = FieldErrors::default();
    let Some(spec) = input.parse(&choices, &mut errors) else {
        return page(input, errors, choices, creation_key).render(&session, &state, TITLE.into());
    };

    let actor = session.actor(&req);
    let now = state.now();
    let key = creation_key.clone();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(clients::register(conn, &spec, Some(&key), &actor, now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok((client, secret)) => {
            tracing::info!(client_id = %client.client_id, "OAuth application created");
            render(&SecretPage {
                layout: Layout::signed_in(
                    &session,
                    &state,
                    "OAuth application created",
                    "applications",
                ),
                id: client.id,
                name: client.name,
                client_id: client.client_id,
                client_secret: secret,
            })
        }
        Err(ClientError::AlreadyCreated(existing)) => {
            let message = "This form was already submitted: the application exists and its \
                           secret was shown once, when it was created.";
            flash_and_redirect(&state, &session, message.to_owned(), &view_url(existing.id)).await
        }
        Err(refusal) => {
            errors.add(refusal.field(), refusal.to_string());
            page(input, errors, choices, creation_key).render(&session, &state, TITLE.into())
        }
    }
}
