//! Create an application. The success page is the only response that ever carries the
//! client secret: it is rendered directly (no redirect) and marked no-store.

use super::form::{FormContent, Options, Values};
use super::secrets::SecretPage;
use super::view_url;
use crate::access::{Permission, Record};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::clients::delivery::Delivery;
use crate::clients::{self, ClientError};
use crate::domain::secret::random_hex;
use crate::domain::{ApplicationType, Grants};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NewQuery {
    owner: Option<String>,
    #[serde(rename = "type")]
    app_type: Option<String>,
}

/// The first step of creating an application: what kind it is.
#[derive(Template)]
#[template(path = "admin/oauth_applications/choose_type.html")]
struct ChooseTypePage {
    layout: Layout,
    types: [ApplicationType; 3],
    owner: String,
}

const TITLE: &str = "Create OAuth application";

fn page(
    values: Values,
    errors: FieldErrors,
    options: Options,
    creation_key: String,
) -> FormContent {
    FormContent {
        heading: TITLE,
        action: "/admin/oauth-applications/new".to_owned(),
        cancel_url: "/admin/oauth-applications".to_owned(),
        values,
        errors,
        options,
        creation_key,
        client_id: None,
    }
}

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    session
        .access
        .require_somewhere(Permission::CreateApplication)?;
    let owner = query.owner.clone().unwrap_or_default();
    let Some(kind) = query
        .app_type
        .as_deref()
        .and_then(|t| ApplicationType::parse(t).ok())
    else {
        return render(&ChooseTypePage {
            layout: Layout::signed_in(&session, &state, TITLE, "applications"),
            types: ApplicationType::ALL,
            owner,
        });
    };
    let options = Options::load(&session, &state, None).await?;
    let me = session.user.id.to_string();
    let yours = owner == me || options.self_service_owner.is_some();
    let values = Values {
        deliver: Delivery::default_for(yours).as_str().to_owned(),
        active: true,
        app_type: kind.as_str().to_owned(),
        grants: kind
            .selectable_grants()
            .iter()
            .take(1)
            .map(|g| g.as_str().to_owned())
            .collect(),
        owner_user_id: owner,
        ..Values::default()
    };
    page(values, FieldErrors::default(), options, random_hex(16)).render(
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
    session
        .access
        .require_somewhere(Permission::CreateApplication)?;
    let options = Options::load(&session, &state, None).await?;
    let values = Values::from_form(&form);
    let creation_key = match form.get("creation_key") {
        key if key.len() == 32 => key.to_owned(),
        _ => random_hex(16),
    };
    let mut errors = FieldErrors::default();
    let delivery = match values.deliver.trim() {
        "" => Some(Delivery::Show),
        raw => errors.check("deliver", Delivery::parse(raw)),
    };
    let parsed = values.parse(&options, &Grants::from_stored(""), &mut errors);
    let (Some(spec), Some(delivery)) = (parsed, delivery) else {
        return page(values, errors, options, creation_key).render(&session, &state, TITLE.into());
    };
    session.require(
        Permission::CreateApplication,
        Record::Application {
            organization_id: spec.organization_id,
            owner_user_id: spec.owner_user_id,
        },
    )?;

    let (actor, now) = (session.actor(&req), state.now());
    let key = creation_key.clone();
    let ttl = state.settings.credential_link_ttl;
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(match delivery {
            Delivery::Show => clients::register(conn, &spec, Some(&key), &actor, now),
            Delivery::Owner => {
                clients::register_for_owner(conn, &spec, Some(&key), ttl, &actor, now)
                    .map(|client| (client, None))
            }
        })
    })
    .await?;
    state.mail_queued();
    match result {
        Ok((client, None)) if delivery == Delivery::Owner && client.confidential => {
            tracing::info!(client_id = %client.client_id, "OAuth application created; credentials sent to the owner");
            let message = format!(
                "Created {}. Its owner was sent a one-time link to collect the client secret; \
                 the application cannot authenticate until they do.",
                client.name
            );
            flash_and_redirect(&state, &session, message, &view_url(client.id)).await
        }
        Ok((client, secret)) => {
            tracing::info!(client_id = %client.client_id, "OAuth application created");
            render(&SecretPage {
                layout: Layout::signed_in(
                    &session,
                    &state,
                    "OAuth application created",
                    "applications",
                ),
                heading: format!("OAuth application “{}” created", client.name),
                id: client.id,
                client_id: client.client_id,
                client_secret: secret,
            })
        }
        Err(ClientError::AlreadyCreated(existing)) => {
            let message = "This form was already submitted: the application exists and its \
                           secret was shown (or sent to its owner) once, when it was created.";
            flash_and_redirect(&state, &session, message.to_owned(), &view_url(existing.id)).await
        }
        Err(rule) => {
            errors.add(rule.field(), rule.to_string());
            page(values, errors, options, creation_key).render(&session, &state, TITLE.into())
        }
    }
}
