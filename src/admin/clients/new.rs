//! Create an application. The success page is the only response that ever carries the
//! client secret: it is rendered directly (no redirect) and marked no-store.

use super::form::{Options, Values};
use super::{ActorInfo, view_url};
use crate::admin::auth::{SignedIn, flash};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::outcome;
use crate::admin::{Layout, render, see_other};
use crate::clients::{self, ClientError};
use crate::domain::PlainSecret;
use crate::domain::secret::random_hex;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/oauth_applications/form.html")]
struct FormPage {
    layout: Layout,
    heading: &'static str,
    action: String,
    cancel_url: String,
    values: Values,
    errors: FieldErrors,
    options: Options,
    creation_key: String,
    client_id: Option<String>,
}

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

const ACTION: &str = "/admin/oauth-applications/new";

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let options = Options::load(&state).await?;
    let values = Values {
        active: true,
        owner_user_id: query.owner.clone().unwrap_or_default(),
        ..Values::default()
    };
    page(
        &session,
        &state,
        values,
        FieldErrors::default(),
        options,
        random_hex(16),
    )
}

fn page(
    session: &SignedIn,
    state: &AppState,
    values: Values,
    errors: FieldErrors,
    options: Options,
    creation_key: String,
) -> Result<HttpResponse, AppError> {
    render(&FormPage {
        layout: Layout::signed_in(session, state, "Create OAuth application", "applications"),
        heading: "Create OAuth application",
        action: ACTION.to_owned(),
        cancel_url: "/admin/oauth-applications".to_owned(),
        values,
        errors,
        options,
        creation_key,
        client_id: None,
    })
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn submit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let options = Options::load(&state).await?;
    let values = Values::from_form(&form);
    let creation_key = match form.get("creation_key") {
        key if key.len() == 32 => key.to_owned(),
        _ => random_hex(16),
    };
    let mut errors = FieldErrors::default();
    let Some(spec) = values.parse(&options, &mut errors) else {
        return page(&session, &state, values, errors, options, creation_key);
    };

    let actor = ActorInfo::of(&session, &req);
    let now = state.now();
    let active = values.active;
    let key = creation_key.clone();
    let result = crate::db::run(&state.pool, move |conn| {
        outcome(clients::register(
            conn,
            &spec,
            active,
            Some(&key),
            &actor.actor(),
            now,
        ))
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
            flash(
                &state,
                session.session_id,
                "This form was already submitted: the application exists and its secret was shown once, when it was created.".to_owned(),
            )
            .await?;
            Ok(see_other(&view_url(existing.id)))
        }
        Err(rule) => {
            errors.add(rule.field(), rule.to_string());
            page(&session, &state, values, errors, options, creation_key)
        }
    }
}
